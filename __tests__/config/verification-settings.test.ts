import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/load.js';
import { defaultInputs, type RawInputs } from '../../src/config/inputs.js';
import type { Settings, ValuesTarget } from '../../src/config/settings.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { memoryChartFiles, recordingLogger } from './chart-files.js';

const CONFIG = '.github/helm-image-updater.yml';
const noRunnerFiles = (): undefined => undefined;

function load(files: Record<string, string>, inputs: Partial<RawInputs> = {}): Promise<Settings> {
  return loadSettings(
    { ...defaultInputs(), ...inputs },
    memoryChartFiles(files),
    {},
    recordingLogger(),
    noRunnerFiles,
  );
}

const LAYERED = `images:
  web:
    repository: ghcr.io/acme/web
    verify: cosign-key
    verify-key: keys/web.pub
targets:
  - name: envs
    type: values
    files: env/*/values.yaml
    images: [web]
    verify-key: env:TARGET_KEY
    environments:
      prod:
        verify: [cosign-key, attestation]
        verify-identity-regexp: ^https://github\\.com/acme/web/
        verify-issuer: https://token.actions.githubusercontent.com
      dev:
        verify: none
`;

describe('verification settings', () => {
  it('merges defaults → image → target → environment, the most specific winning', async () => {
    const settings = await load({ [CONFIG]: LAYERED }, { 'verify-key': 'ignored.pub' });
    expect(settings.images.get('web')?.verification).toMatchObject({
      methods: ['cosign-key'],
      key: { kind: 'file', path: 'keys/web.pub' },
    });
    const target = settings.targets[0] as ValuesTarget;
    expect(target.images[0]?.verification).toMatchObject({
      methods: ['cosign-key'],
      key: { kind: 'env', name: 'TARGET_KEY' },
    });
    const prod = target.environments.get('prod')?.images[0]?.verification;
    expect(prod).toMatchObject({
      methods: ['cosign-key', 'attestation'],
      key: { kind: 'env', name: 'TARGET_KEY' },
      issuer: 'https://token.actions.githubusercontent.com',
      identity: { kind: 'regexp', source: '^https://github\\.com/acme/web/' },
    });
    expect(target.environments.get('dev')?.images[0]?.verification?.methods).toEqual([]);
  });

  it('reads the inputs, a comma separated list meaning all must hold', async () => {
    const settings = await load(
      {},
      {
        images: 'web=ghcr.io/acme/web',
        'app-name': 'example',
        verify: 'cosign-key, keyless',
        'verify-key': './cosign.pub',
        'verify-identity':
          'https://github.com/acme/web/.github/workflows/build.yml@refs/heads/main',
        'verify-issuer': 'https://token.actions.githubusercontent.com',
        'trusted-root': 'sigstore/trusted_root.json',
      },
    );
    expect(settings.images.get('web')?.verification).toMatchObject({
      methods: ['cosign-key', 'keyless'],
      key: { kind: 'file', path: 'cosign.pub' },
      identity: {
        kind: 'exact',
        value: 'https://github.com/acme/web/.github/workflows/build.yml@refs/heads/main',
      },
      trustedRoot: { kind: 'file', path: 'sigstore/trusted_root.json' },
    });
  });

  const errors: [string, Partial<RawInputs>, string][] = [
    [
      'an unknown method',
      { verify: 'cosign' },
      'input verify: image web: verify `cosign` is not one of `none`, `cosign-key`, `keyless`, `attestation`.',
    ],
    [
      'none with a method',
      { verify: 'none, cosign-key', 'verify-key': 'k.pub' },
      'input verify: image web: verify lists `none` together with cosign-key',
    ],
    [
      'cosign-key without a key',
      { verify: 'cosign-key' },
      'input verify: image web: verify cosign-key needs verify-key',
    ],
    [
      'keyless without an issuer',
      { verify: 'keyless', 'verify-identity': 'x' },
      'input verify: image web: verify keyless needs verify-identity (or verify-identity-regexp) and verify-issuer',
    ],
    [
      'both identity forms',
      {
        verify: 'keyless',
        'verify-identity': 'x',
        'verify-identity-regexp': 'y',
        'verify-issuer': 'z',
      },
      'input verify-identity-regexp: image web: set verify-identity or verify-identity-regexp, not both.',
    ],
    [
      'a bad regexp',
      { verify: 'keyless', 'verify-identity-regexp': '(', 'verify-issuer': 'z' },
      'input verify-identity-regexp: image web: verify-identity-regexp `(` is not a valid regular expression',
    ],
    [
      'a key outside the repository',
      { verify: 'cosign-key', 'verify-key': '../cosign.pub' },
      'input verify-key: verify-key `../cosign.pub` contains `..`',
    ],
    [
      'a bad env: name',
      { verify: 'cosign-key', 'verify-key': 'env:1X' },
      'input verify-key: image web: verify-key `env:1X` names no valid environment variable',
    ],
  ];
  it.each(errors)('refuses %s', async (_name, inputs, message) => {
    const attempt = load({}, { images: 'web=ghcr.io/acme/web', 'app-name': 'example', ...inputs });
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationError);
    await expect(
      load({}, { images: 'web=ghcr.io/acme/web', 'app-name': 'example', ...inputs }),
    ).rejects.toThrow(message);
  });
});
