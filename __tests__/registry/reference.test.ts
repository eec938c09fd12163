import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/core/errors.js';
import { imageKey, parseImageReference, registryKey } from '../../src/registry/reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference', () => {
  it.each([
    ['nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx', undefined, undefined],
    ['nginx:1.27', 'docker.io', 'registry-1.docker.io', 'library/nginx', '1.27', undefined],
    [
      'lyzhang1999/frontend',
      'docker.io',
      'registry-1.docker.io',
      'lyzhang1999/frontend',
      undefined,
      undefined,
    ],
    ['docker.io/x/y', 'docker.io', 'registry-1.docker.io', 'x/y', undefined, undefined],
    ['docker.io/nginx', 'docker.io', 'registry-1.docker.io', 'library/nginx', undefined, undefined],
    ['index.docker.io/x', 'docker.io', 'registry-1.docker.io', 'library/x', undefined, undefined],
    [
      'registry-1.docker.io/a/b:main-1',
      'docker.io',
      'registry-1.docker.io',
      'a/b',
      'main-1',
      undefined,
    ],
    ['ghcr.io/o/i', 'ghcr.io', 'ghcr.io', 'o/i', undefined, undefined],
    ['ghcr.io/o/i:v1.2.3', 'ghcr.io', 'ghcr.io', 'o/i', 'v1.2.3', undefined],
    ['host:5000/a/b', 'host:5000', 'host:5000', 'a/b', undefined, undefined],
    [
      '127.0.0.1:5000/team/app:main-b99bc73',
      '127.0.0.1:5000',
      '127.0.0.1:5000',
      'team/app',
      'main-b99bc73',
      undefined,
    ],
    ['localhost/x', 'localhost', 'localhost', 'x', undefined, undefined],
    ['localhost:5000/x', 'localhost:5000', 'localhost:5000', 'x', undefined, undefined],
    [`nginx@${DIGEST}`, 'docker.io', 'registry-1.docker.io', 'library/nginx', undefined, DIGEST],
    [`ghcr.io/o/i:latest@${DIGEST}`, 'ghcr.io', 'ghcr.io', 'o/i', 'latest', DIGEST],
    [
      'Registry.Example.com/a/b',
      'registry.example.com',
      'registry.example.com',
      'a/b',
      undefined,
      undefined,
    ],
    ['quay.io/a/b-c__d.e/f', 'quay.io', 'quay.io', 'a/b-c__d.e/f', undefined, undefined],
    ['[::1]:5000/a', '[::1]:5000', '[::1]:5000', 'a', undefined, undefined],
  ])('%s', (text, registry, host, repository, tag, digest) => {
    expect(parseImageReference(text)).toEqual({
      registry,
      host,
      repository,
      tag,
      digest,
      original: text,
    });
  });

  it.each([
    ['', 'empty'],
    ['nginx ', 'white space'],
    ['https://ghcr.io/o/i', 'scheme'],
    ['Nginx', 'repository path component'],
    ['ghcr.io/', 'repository name is missing'],
    ['ghcr.io/o//i', 'repository path component'],
    ['ghcr.io/o/i:', 'not a valid tag'],
    ['ghcr.io/o/i:-bad', 'not a valid tag'],
    [`ghcr.io/o/i:${'t'.repeat(129)}`, 'not a valid tag'],
    ['ghcr.io/o/i@sha256:abc', '64 lower-case hex digits'],
    ['ghcr.io/o/i@nonsense', 'is not a digest'],
    ['host:99999999/a', 'not a valid registry host'],
    ['a_b.example.com/x', 'not a valid registry host'],
    ['ghcr.io/o/i--x_', 'repository path component'],
  ])('rejects %j (%s)', (text, why) => {
    let caught: unknown;
    try {
      parseImageReference(text);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigurationError);
    expect((caught as Error).message).toContain(`"${text}"`);
    expect((caught as Error).message).toContain(why);
  });
});

describe('registryKey', () => {
  it.each([
    ['docker.io', 'docker.io'],
    ['index.docker.io', 'docker.io'],
    ['registry-1.docker.io', 'docker.io'],
    ['https://index.docker.io/v1/', 'docker.io'],
    ['https://ghcr.io', 'ghcr.io'],
    ['GHCR.io', 'ghcr.io'],
    ['127.0.0.1:5000', '127.0.0.1:5000'],
    ['http://127.0.0.1:5000/', '127.0.0.1:5000'],
    [' quay.io ', 'quay.io'],
  ])('%s → %s', (host, key) => {
    expect(registryKey(host)).toBe(key);
  });
});

describe('imageKey', () => {
  it('is registry/repository', () => {
    expect(imageKey(parseImageReference('nginx:1'))).toBe('docker.io/library/nginx');
    expect(imageKey(parseImageReference('127.0.0.1:5000/a/b'))).toBe('127.0.0.1:5000/a/b');
  });
});
