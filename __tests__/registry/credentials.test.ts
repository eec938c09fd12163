import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RegistryCredential } from '../../src/config/settings.js';
import { ConfigurationError } from '../../src/core/errors.js';
import {
  CredentialStore,
  credentialSecrets,
  ghcrCredential,
  isHelperRule,
  parseCredentialLines,
  readDockerConfig,
} from '../../src/registry/credentials.js';

const SOURCE = 'input registry-credentials';
const base64 = (text: string): string => Buffer.from(text).toString('base64');

describe('parseCredentialLines', () => {
  it.each([
    [
      'one line',
      'ghcr.io=octo:ghp_secret',
      {},
      [{ host: 'ghcr.io', username: 'octo', password: 'ghp_secret', source: `${SOURCE} line 1` }],
    ],
    [
      'password with colons and equals, comments and blank lines',
      '# registries\n\n  127.0.0.1:5000 = admin:a:b=c  \r\n',
      {},
      [
        {
          host: '127.0.0.1:5000',
          username: 'admin',
          password: 'a:b=c',
          source: `${SOURCE} line 3`,
        },
      ],
    ],
    [
      'from the environment',
      'docker.io=env:HUB_LOGIN\nquay.io=robot:x',
      { HUB_LOGIN: 'me:hub-token' },
      [
        {
          host: 'docker.io',
          username: 'me',
          password: 'hub-token',
          source: `${SOURCE} line 1 (env HUB_LOGIN)`,
        },
        { host: 'quay.io', username: 'robot', password: 'x', source: `${SOURCE} line 2` },
      ],
    ],
    ['empty input', '', {}, []],
  ])('%s', (_name, text, env, expected) => {
    expect(parseCredentialLines(text, env, SOURCE)).toEqual(expected);
  });

  it.each([
    ['no equals sign', 'ghcr.io octo:secretpw', 1, 'has no `host=`'],
    ['no host', '=octo:secretpw', 1, 'has no `host=`'],
    ['no colon', '\nghcr.io=secretpw', 2, 'not in the form user:password'],
    ['empty password', 'ghcr.io=octo:', 1, 'not in the form user:password'],
    ['bad host', 'ghcr io=octo:secretpw', 1, 'is not a registry host'],
    ['missing variable', 'ghcr.io=env:NOT_SET', 1, 'NOT_SET'],
    ['variable without colon', 'ghcr.io=env:BAD_VALUE', 1, 'the value of BAD_VALUE'],
  ])('%s is a ConfigurationError naming line %d without the password', (_name, text, line, why) => {
    let caught: unknown;
    try {
      parseCredentialLines(text, { BAD_VALUE: 'secretpw' }, SOURCE);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    const error = caught as ConfigurationError;
    expect(error.location).toEqual({ source: SOURCE, line });
    expect(error.message).toContain(`${SOURCE}:${line}`);
    expect(error.message).toContain(why);
    expect(error.message).not.toContain('secretpw');
  });
});

describe('readDockerConfig', () => {
  const files = (content: Record<string, string>) => (file: string) => content[file];

  it.each([
    [
      'DOCKER_CONFIG wins, auth field',
      { DOCKER_CONFIG: '/cfg', HOME: '/home/u' },
      {
        '/cfg/config.json': JSON.stringify({
          auths: { 'https://index.docker.io/v1/': { auth: base64('hubuser:hubpass') } },
        }),
        '/home/u/.docker/config.json': JSON.stringify({
          auths: { 'ghcr.io': { auth: base64('x:y') } },
        }),
      },
      [{ host: 'https://index.docker.io/v1/', username: 'hubuser', password: 'hubpass' }],
    ],
    [
      'HOME fallback, username/password fields and a password with a colon',
      { HOME: '/home/u' },
      {
        '/home/u/.docker/config.json': JSON.stringify({
          auths: {
            'ghcr.io': { username: 'octo', password: 'p' },
            '127.0.0.1:5000': { auth: base64('admin:pa:ss') },
            'empty.example.com': {},
          },
          credsStore: 'desktop',
        }),
      },
      [
        { host: 'ghcr.io', username: 'octo', password: 'p' },
        { host: '127.0.0.1:5000', username: 'admin', password: 'pa:ss' },
      ],
    ],
    ['no file', { HOME: '/home/u' }, {}, []],
    ['no HOME', {}, {}, []],
  ])('%s', (_name, env, content, expected) => {
    const credentials = readDockerConfig(env, files(content)).filter(
      (source) => !isHelperRule(source),
    ) as RegistryCredential[];
    expect(
      credentials.map(({ host, username, password }) => ({ host, username, password })),
    ).toEqual(expected);
    for (const credential of credentials) expect(credential.source).toContain('docker config');
  });

  it('reports a broken file by name', () => {
    const read = files({ [path.join('/cfg', 'config.json')]: '{ not json' });
    expect(() => readDockerConfig({ DOCKER_CONFIG: '/cfg' }, read)).toThrow(
      /\/cfg\/config\.json: the Docker config is not valid JSON/,
    );
  });

  it('reports an auth field that is not user:password without echoing it', () => {
    const read = files({
      '/cfg/config.json': JSON.stringify({ auths: { 'ghcr.io': { auth: base64('justatoken') } } }),
    });
    expect(() => readDockerConfig({ DOCKER_CONFIG: '/cfg' }, read)).toThrow(
      /auths\."ghcr\.io"\.auth is not base64/,
    );
    expect(() => readDockerConfig({ DOCKER_CONFIG: '/cfg' }, read)).not.toThrow(/justatoken/);
  });
});

describe('ghcrCredential', () => {
  it.each([
    [
      { GITHUB_TOKEN: 'ghs_x', GITHUB_ACTOR: 'octocat' },
      { host: 'ghcr.io', username: 'octocat', password: 'ghs_x', source: 'GITHUB_TOKEN' },
    ],
    [
      { GITHUB_TOKEN: 'ghs_x' },
      { host: 'ghcr.io', username: 'x-access-token', password: 'ghs_x', source: 'GITHUB_TOKEN' },
    ],
    [{ GITHUB_TOKEN: '' }, undefined],
    [{}, undefined],
  ])('%j', (env, expected) => {
    expect(ghcrCredential(env)).toEqual(expected);
  });
});

describe('CredentialStore', () => {
  const store = new CredentialStore([
    { host: 'https://index.docker.io/v1/', username: 'hub', password: 'a', source: 's1' },
    { host: 'docker.io', username: 'second', password: 'b', source: 's2' },
    { host: 'GHCR.IO', username: 'gh', password: 'c', source: 's3' },
    { host: '127.0.0.1:5000', username: 'local', password: 'd', source: 's4' },
  ]);
  it.each([
    ['docker.io', 'hub'],
    ['registry-1.docker.io', 'hub'],
    ['index.docker.io', 'hub'],
    ['ghcr.io', 'gh'],
    ['127.0.0.1:5000', 'local'],
    ['127.0.0.1:5001', undefined],
    ['quay.io', undefined],
  ])('%s → %s', async (host, username) => {
    expect((await store.find(host))?.username).toBe(username);
  });
});

describe('credentialSecrets', () => {
  it('lists the password and the base64 forms, once each', () => {
    const secrets = credentialSecrets([
      { host: 'a', username: 'u', password: 'p', source: '' },
      { host: 'b', username: 'u', password: 'p', source: '' },
    ]);
    expect(secrets.sort()).toEqual(['p', base64('u:p')].sort());
  });
});
