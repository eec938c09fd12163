/**
 * Docker credential helpers and identity tokens: helper scripts on a PATH of their own (success,
 * "not found", error exit, timeout, garbage, oversized output, the `<token>` user), the order in
 * which the Docker config's sources are asked, and both kinds of answer used against a real
 * registry with token auth (the identity token exchanged with an OAuth2 refresh-token grant).
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CredentialSource, RegistrySettings } from '../../src/config/settings.js';
import { RegistryError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logging.js';
import {
  CredentialHelperFailed,
  runCredentialHelper,
} from '../../src/registry/credential-helper.js';
import { createRegistryClient } from '../../src/registry/client.js';
import { CredentialStore, readDockerConfig } from '../../src/registry/credentials.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';

let bin: string;
let env: Record<string, string>;

/** Writes `docker-credential-<name>` into the test's PATH directory. */
async function helper(name: string, script: string): Promise<void> {
  const file = path.join(bin, `docker-credential-${name}`);
  await writeFile(file, `#!/bin/sh\n${script}\n`);
  await chmod(file, 0o755);
}

function recordingLogger(): Logger & { lines: string[]; secrets: string[] } {
  const lines: string[] = [];
  const secrets: string[] = [];
  const mask = (text: string): string =>
    secrets.reduce((out, secret) => out.split(secret).join('***'), text);
  return {
    lines,
    secrets,
    debug: (message) => lines.push(mask(message)),
    info: (message) => lines.push(mask(message)),
    warning: (message) => lines.push(mask(message)),
    error: (message) => lines.push(mask(message)),
    setSecret: (value) => {
      if (value.length > 0) secrets.push(value);
    },
    group: (_name, fn) => fn(),
  };
}

beforeAll(async () => {
  bin = await mkdtemp(path.join(os.tmpdir(), 'credential-helpers-'));
  env = { PATH: `${bin}:/usr/bin:/bin`, HELPER_LOG: path.join(bin, 'asked') };
  // Answers with what it read on stdin as the user name, so the test sees the server URL.
  await helper(
    'echo',
    'read -r server; printf \'%s\' "$server" >> "$HELPER_LOG"; printf \'{"ServerURL":"%s","Username":"user-for-%s","Secret":"s3cret-%s"}\' "$server" "$server" "$server"',
  );
  await helper('none', 'echo "credentials not found in native keychain"; exit 1');
  await helper('broken', 'echo "gcloud: not logged in; run gcloud auth login" >&2; exit 2');
  await helper('slow', 'sleep 30; echo "{}"');
  await helper('garbage', 'echo "Username=admin Secret=leaked-secret"');
  await helper('flood', 'yes "leaked-secret leaked-secret leaked-secret" | head -c 200000');
  await helper('token', 'printf \'{"Username":"<token>","Secret":"refresh-abc"}\'');
  await helper('empty', 'printf \'{"Username":"","Secret":""}\'');
});

afterAll(async () => {
  await rm(bin, { recursive: true, force: true });
});

describe('runCredentialHelper', () => {
  it('sends the server URL on stdin and reads Username and Secret', async () => {
    await expect(runCredentialHelper('echo', 'gcr.io', { env })).resolves.toEqual({
      username: 'user-for-gcr.io',
      secret: 's3cret-gcr.io',
    });
  });

  it('reads the `<token>` user of an identity token as it is', async () => {
    await expect(runCredentialHelper('token', 'x', { env })).resolves.toEqual({
      username: '<token>',
      secret: 'refresh-abc',
    });
  });

  it.each([
    ['none', 'the store holds nothing for the server'],
    ['empty', 'an empty secret'],
  ])('%s: no credential (%s)', async (name) => {
    await expect(runCredentialHelper(name, 'x', { env })).resolves.toBeUndefined();
  });

  it.each([
    ['broken', /docker-credential-broken get failed \(exit 2\): gcloud: not logged in/],
    ['garbage', /answered with something other than JSON/],
    ['flood', /wrote more than 65536 bytes/],
    ['missing', /docker-credential-missing is not on PATH/],
  ])('%s: a clear failure', async (name, message) => {
    const failure = runCredentialHelper(name, 'x', { env });
    await expect(failure).rejects.toThrow(CredentialHelperFailed);
    await expect(failure).rejects.toThrow(message);
    // The helper's stdout may hold the secret: it is never echoed.
    await expect(failure).rejects.not.toThrow(/leaked-secret/);
  });

  it('stops a helper that does not answer in time, and everything it started', async () => {
    const started = Date.now();
    await expect(runCredentialHelper('slow', 'x', { env, timeoutMs: 300 })).rejects.toThrow(
      /docker-credential-slow did not answer within 0.3 s/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a name that is not a plain helper name', async () => {
    await expect(runCredentialHelper('../../bin/sh', 'x', { env })).rejects.toThrow(
      /is not a helper name/,
    );
  });
});

describe('Docker config credential sources', () => {
  const read =
    (content: unknown) =>
    (file: string): string | undefined =>
      file === '/cfg/config.json' ? JSON.stringify(content) : undefined;

  it('lists credHelpers, then credsStore, then auths (with identity tokens)', () => {
    const sources = readDockerConfig(
      { DOCKER_CONFIG: '/cfg' },
      read({
        auths: {
          'myacr.azurecr.io': {
            auth: Buffer.from('00000000-0000-0000-0000-000000000000:').toString('base64'),
            identitytoken: 'acr-refresh',
          },
          'quay.io': { auth: Buffer.from('q:pw').toString('base64') },
        },
        credHelpers: { 'us-docker.pkg.dev': 'gcloud' },
        credsStore: 'pass',
      }),
    );
    expect(sources).toEqual([
      {
        host: 'us-docker.pkg.dev',
        helper: 'gcloud',
        source: 'docker config /cfg/config.json (credHelpers."us-docker.pkg.dev")',
      },
      { host: undefined, helper: 'pass', source: 'docker config /cfg/config.json (credsStore)' },
      {
        host: 'myacr.azurecr.io',
        username: '00000000-0000-0000-0000-000000000000',
        password: '',
        identityToken: 'acr-refresh',
        source: 'docker config /cfg/config.json (myacr.azurecr.io)',
      },
      {
        host: 'quay.io',
        username: 'q',
        password: 'pw',
        source: 'docker config /cfg/config.json (quay.io)',
      },
    ]);
  });

  it.each([
    [
      { credHelpers: { 'gcr.io': '../evil' } },
      /credHelpers\."gcr\.io" must name a credential helper/,
    ],
    [{ credsStore: 42 }, /credsStore must name a credential helper/],
  ])('refuses helper names that are not plain names: %j', (content, message) => {
    expect(() => readDockerConfig({ DOCKER_CONFIG: '/cfg' }, read(content))).toThrow(message);
  });

  it('asks a registry’s helper, then the store, then auths; masks what the helpers answer', async () => {
    const logger = recordingLogger();
    await writeFile(env['HELPER_LOG'] as string, '');
    const sources: CredentialSource[] = [
      { host: 'gcr.io', helper: 'echo', source: 'credHelpers' },
      { host: undefined, helper: 'none', source: 'credsStore' },
      { host: 'quay.io', username: 'q', password: 'pw', source: 'auths' },
      { host: 'docker.io', helper: 'echo', source: 'credHelpers hub' },
    ];
    const store = new CredentialStore(sources, {
      logger,
      runHelper: (name, server) => runCredentialHelper(name, server, { env }),
    });
    expect(await store.find('gcr.io')).toMatchObject({
      username: 'user-for-gcr.io',
      password: 's3cret-gcr.io',
      source: 'docker-credential-echo (credHelpers)',
    });
    // credsStore holds nothing for quay.io: the auths entry answers.
    expect(await store.find('quay.io')).toMatchObject({ username: 'q', source: 'auths' });
    expect(await store.find('ghcr.io')).toBeUndefined();
    // Docker Hub is asked under the server URL Docker keeps it by.
    expect(await store.find('registry-1.docker.io')).toMatchObject({
      username: 'user-for-https://index.docker.io/v1/',
    });
    // Once per registry and run.
    await store.find('gcr.io');
    expect(await readFile(env['HELPER_LOG'] as string, 'utf8')).toBe(
      'gcr.iohttps://index.docker.io/v1/',
    );
    expect(logger.secrets).toContain('s3cret-gcr.io');
    expect(logger.secrets).toContain(
      Buffer.from('user-for-gcr.io:s3cret-gcr.io').toString('base64'),
    );
  });

  it('fails the registry with a message naming the helper and the config entry', async () => {
    const store = new CredentialStore(
      [
        {
          host: 'gcr.io',
          helper: 'broken',
          source: 'docker config /cfg/config.json (credHelpers."gcr.io")',
        },
      ],
      {
        logger: recordingLogger(),
        runHelper: (name, server) => runCredentialHelper(name, server, { env }),
      },
    );
    const failure = store.find('gcr.io');
    await expect(failure).rejects.toThrow(RegistryError);
    await expect(failure).rejects.toThrow(
      'gcr.io: the credential helper docker-credential-broken named by docker config /cfg/config.json (credHelpers."gcr.io") failed: docker-credential-broken get failed (exit 2): gcloud: not logged in; run gcloud auth login',
    );
  });
});

describe('helpers and identity tokens against a real registry with token auth', () => {
  let registry: RunningRegistry;
  const image = (): ReturnType<typeof parseImageReference> =>
    parseImageReference(`${registry.host}/team/app`);

  beforeAll(async () => {
    registry = await startRegistry({
      auth: 'token',
      users: { admin: 'admin-secret', robot: 'robot-secret' },
      refreshTokens: { 'refresh-robot-1': 'robot' },
    });
    await registry.push('team/app', 'main-1', { created: new Date('2026-01-01T00:00:00Z') });
    await helper(
      'robot',
      'read -r server; printf \'{"Username":"robot","Secret":"robot-secret"}\'',
    );
    await helper('robot-token', 'printf \'{"Username":"<token>","Secret":"refresh-robot-1"}\'');
    await helper('stale-token', 'printf \'{"Username":"<token>","Secret":"refresh-expired"}\'');
  });

  afterAll(async () => {
    await registry.close();
  });

  function settings(credentials: CredentialSource[]): RegistrySettings {
    return {
      credentials,
      caCertificates: undefined,
      insecureRegistries: [registry.host],
      concurrency: 2,
      requestBudget: 100,
      timeoutMs: 10_000,
      cache: false,
    };
  }

  async function listWith(credentials: CredentialSource[], logger: Logger): Promise<string[]> {
    const client = createRegistryClient({
      settings: settings(credentials),
      logger,
      env,
      retry: { maxAttempts: 1 },
    });
    try {
      return await client.listTags(image());
    } finally {
      await client.close();
    }
  }

  it('uses the user and password a credHelpers helper answers', async () => {
    const before = registry.tokenRequests.length;
    const logger = recordingLogger();
    await expect(
      listWith([{ host: registry.host, helper: 'robot', source: 'credHelpers' }], logger),
    ).resolves.toEqual(['main-1']);
    expect(registry.tokenRequests.slice(before)).toMatchObject([
      { authorization: 'basic', username: 'robot', status: 200 },
    ]);
    expect(logger.secrets).toContain('robot-secret');
  });

  it.each([
    [
      'an identitytoken in auths',
      [
        {
          host: '',
          username: '<token>',
          password: '',
          identityToken: 'refresh-robot-1',
          source: 'auths',
        },
      ],
    ],
    ['a helper answering `<token>`', [{ host: '', helper: 'robot-token', source: 'credsStore' }]],
  ])('exchanges %s at the token realm (refresh-token grant)', async (_name, sources) => {
    const credentials = sources.map((source) =>
      'helper' in source ? { ...source, host: undefined } : { ...source, host: registry.host },
    ) as CredentialSource[];
    const before = registry.tokenRequests.length;
    const logger = recordingLogger();
    await expect(listWith(credentials, logger)).resolves.toEqual(['main-1']);
    expect(registry.tokenRequests.slice(before)).toEqual([
      {
        scope: 'repository:team/app:pull',
        service: registry.tokenService,
        authorization: 'none',
        grantType: 'refresh_token',
        clientId: 'helm-image-updater',
        username: 'robot',
        status: 200,
        granted: ['repository:team/app:pull'],
      },
    ]);
    expect(logger.secrets).toContain('refresh-robot-1');
    expect(logger.lines.join('\n')).not.toContain('refresh-robot-1');
  });

  it('reports a refused identity token with where it came from', async () => {
    const failure = listWith(
      [{ host: undefined, helper: 'stale-token', source: 'credsStore' }],
      recordingLogger(),
    );
    await expect(failure).rejects.toThrow(
      /refused the identity token for 127\.0\.0\.1:\d+ \(400, from docker-credential-stale-token \(credsStore\)\); log in again to renew it/,
    );
    await expect(failure).rejects.not.toThrow(/refresh-expired/);
  });
});
