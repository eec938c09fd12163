import { describe, expect, it } from 'vitest';
import { defaultInputs, type RawInputs } from '../../src/config/inputs.js';
import { loadGitHubSettings, loadRegistrySettings, loadSettings } from '../../src/config/load.js';
import type { RegistryCredential } from '../../src/config/settings.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { memoryChartFiles, recordingLogger } from './chart-files.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const DOCKER_CONFIG = JSON.stringify({
  auths: {
    'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hub-secret').toString('base64') },
  },
});

/** Runner files by absolute path, as the action's process would see them. */
function runnerFiles(files: Record<string, string>): (path: string) => string | undefined {
  return (path) => files[path];
}

function inputs(overrides: Partial<RawInputs>): RawInputs {
  return { ...defaultInputs(), ...overrides };
}

describe('loadRegistrySettings', () => {
  it('collects credentials: input lines first, then the Docker config, then the token for ghcr.io', () => {
    const settings = loadRegistrySettings(
      inputs({
        'registry-credentials': '127.0.0.1:5000=ci:local-secret\nharbor.internal=env:HARBOR_AUTH',
        token: 'ghs_installation',
        'ca-file': '/runner/ca.pem',
      }),
      { HARBOR_AUTH: 'robot:harbor-secret', HOME: '/home/runner' },
      runnerFiles({ '/home/runner/.docker/config.json': DOCKER_CONFIG, '/runner/ca.pem': PEM }),
    );
    expect(
      (settings.credentials as RegistryCredential[]).map(({ host, username, password }) => [
        host,
        username,
        password,
      ]),
    ).toEqual([
      ['127.0.0.1:5000', 'ci', 'local-secret'],
      ['harbor.internal', 'robot', 'harbor-secret'],
      ['https://index.docker.io/v1/', 'hubuser', 'hub-secret'],
      ['ghcr.io', 'x-access-token', 'ghs_installation'],
    ]);
    expect(settings.caCertificates).toBe(PEM);
    expect(Object.isFrozen(settings.credentials[0])).toBe(true);
  });

  it('prefers GITHUB_TOKEN and ignores the unevaluated `${{ github.token }}` default', () => {
    const fromEnv = loadRegistrySettings(
      inputs({ token: 'from-input' }),
      { GITHUB_TOKEN: 'from-env' },
      () => undefined,
    );
    expect(
      (fromEnv.credentials as RegistryCredential[]).map((credential) => credential.password),
    ).toEqual(['from-env']);
    const cli = loadRegistrySettings(defaultInputs(), {}, () => undefined);
    expect(cli.credentials).toEqual([]);
  });

  it.each([
    [
      { 'ca-file': '/runner/not-pem.txt' },
      'input ca-file: CA file `/runner/not-pem.txt` holds no PEM certificate (`-----BEGIN CERTIFICATE-----`); give the CA in PEM form.',
    ],
    [
      { 'registry-credentials': 'ghcr.io' },
      'input registry-credentials:1: expected `host=user:password` or `host=env:VARIABLE`; this line has no `host=`',
    ],
    [
      { 'registry-concurrency': '65' },
      'input registry-concurrency: registry-concurrency `65` is not a whole number from 1 to 64.',
    ],
    [
      { 'request-budget': '-5' },
      'input request-budget: request-budget `-5` is not a whole number from 1 to 1000000.',
    ],
  ])('refuses %j', (overrides, message) => {
    const load = (): unknown =>
      loadRegistrySettings(inputs(overrides), {}, runnerFiles({ '/runner/not-pem.txt': 'hello' }));
    expect(load).toThrow(ConfigurationError);
    expect(load).toThrow(message);
  });

  it('masks every credential through the logger before anything else runs', async () => {
    const logger = recordingLogger();
    await loadSettings(
      inputs({
        images: 'a=org/a',
        'app-name': 'a',
        'registry-credentials': 'r.example=user:pa55word',
      }),
      memoryChartFiles({}),
      {},
      logger,
      () => undefined,
    );
    expect(logger.secrets).toContain('pa55word');
    expect(logger.secrets).toContain(Buffer.from('user:pa55word').toString('base64'));
  });
});

describe('loadGitHubSettings', () => {
  it.each([
    [
      'the workflow defaults, evaluated by the runner',
      { repository: 'lyzhang1999/kubernetes-example', token: 'ghs_abc' },
      {},
      {
        owner: 'lyzhang1999',
        repo: 'kubernetes-example',
        token: 'ghs_abc',
        baseBranch: undefined,
        apiUrl: 'https://api.github.com',
        graphqlUrl: 'https://api.github.com/graphql',
      },
    ],
    [
      'the CLI: unevaluated defaults fall back to the environment',
      {},
      { GITHUB_REPOSITORY: 'org/charts', GITHUB_TOKEN: 'env-token' },
      {
        owner: 'org',
        repo: 'charts',
        token: 'env-token',
        baseBranch: undefined,
        apiUrl: 'https://api.github.com',
        graphqlUrl: 'https://api.github.com/graphql',
      },
    ],
    [
      'GitHub Enterprise Server: GraphQL beside /api/v3',
      { repository: 'org/charts', token: 't', 'base-branch': 'release' },
      { GITHUB_API_URL: 'https://ghe.example.com/api/v3' },
      {
        owner: 'org',
        repo: 'charts',
        token: 't',
        baseBranch: 'release',
        apiUrl: 'https://ghe.example.com/api/v3',
        graphqlUrl: 'https://ghe.example.com/api/graphql',
      },
    ],
    [
      'a test server on loopback with both URLs given',
      { repository: 'o/r.name_x', token: 't' },
      {
        GITHUB_API_URL: 'http://127.0.0.1:8080/',
        GITHUB_GRAPHQL_URL: 'http://127.0.0.1:8080/graphql',
      },
      {
        owner: 'o',
        repo: 'r.name_x',
        token: 't',
        baseBranch: undefined,
        apiUrl: 'http://127.0.0.1:8080',
        graphqlUrl: 'http://127.0.0.1:8080/graphql',
      },
    ],
  ])('%s', (_name, overrides, env, expected) => {
    const settings = loadGitHubSettings(inputs(overrides), env);
    expect(settings).toEqual(expected);
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it.each([
    [
      { repository: 'just-a-name', token: 't' },
      {},
      'input repository: repository `just-a-name` is not in the form `owner/name`, e.g. `lyzhang1999/kubernetes-example`.',
    ],
    [
      { repository: 'a/b/c', token: 't' },
      {},
      'input repository: repository `a/b/c` is not in the form `owner/name`',
    ],
    [
      {},
      {},
      'input repository: no chart repository: set `repository` to `owner/name` (GITHUB_REPOSITORY is not set either).',
    ],
    [
      { repository: 'o/r' },
      {},
      'input token: no token: set `token` (a GitHub App token is recommended) or the GITHUB_TOKEN environment variable.',
    ],
    [
      { repository: 'o/r', token: 't' },
      { GITHUB_API_URL: 'ftp://x' },
      'environment GITHUB_API_URL: GITHUB_API_URL `ftp://x` must be an http(s) URL.',
    ],
  ])('refuses %j with %j', (overrides, env, message) => {
    expect(() => loadGitHubSettings(inputs(overrides), env)).toThrow(message);
  });
});
