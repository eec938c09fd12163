import { describe, expect, it } from 'vitest';
import { parseChallenges, preferredChallenge } from '../../src/registry/challenge.js';

describe('parseChallenges', () => {
  it.each([
    [
      'Docker Hub bearer',
      'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.docker.io/token',
            service: 'registry.docker.io',
            scope: 'repository:library/nginx:pull',
          },
        },
      ],
    ],
    [
      'basic',
      'Basic realm="Registry Realm"',
      [{ scheme: 'basic', params: { realm: 'Registry Realm' } }],
    ],
    [
      'unquoted values and spaces',
      'bearer realm=https://r/t , service = svc',
      [{ scheme: 'bearer', params: { realm: 'https://r/t', service: 'svc' } }],
    ],
    [
      'comma inside a quoted scope',
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/i:pull,push"',
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://ghcr.io/token',
            service: 'ghcr.io',
            scope: 'repository:o/i:pull,push',
          },
        },
      ],
    ],
    [
      'escaped quote',
      'Basic realm="say \\"hi\\""',
      [{ scheme: 'basic', params: { realm: 'say "hi"' } }],
    ],
    [
      'several challenges',
      'Bearer realm="https://a/token", error="invalid_token", Basic realm="b"',
      [
        { scheme: 'bearer', params: { realm: 'https://a/token', error: 'invalid_token' } },
        { scheme: 'basic', params: { realm: 'b' } },
      ],
    ],
    [
      'scheme without parameters first',
      'Negotiate, Basic realm="x"',
      [
        { scheme: 'negotiate', params: {} },
        { scheme: 'basic', params: { realm: 'x' } },
      ],
    ],
    [
      'token68',
      'Negotiate abc==, Basic realm="x"',
      [
        { scheme: 'negotiate', params: { abc: '' } },
        { scheme: 'basic', params: { realm: 'x' } },
      ],
    ],
    ['empty', '', []],
  ])('%s', (_name, header, expected) => {
    expect(parseChallenges(header)).toEqual(expected);
  });
});

describe('preferredChallenge', () => {
  it.each([
    ['Basic realm="b", Bearer realm="https://a"', 'bearer'],
    ['Bearer service="no-realm", Basic realm="b"', 'basic'],
    ['Negotiate', undefined],
  ])('%s → %s', (header, scheme) => {
    expect(preferredChallenge(parseChallenges(header))?.scheme).toBe(scheme);
  });
});
