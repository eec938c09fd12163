import { describe, expect, it } from 'vitest';

import { joinImageSpec, splitImageSpec } from '../../src/writers/image-spec.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('splitImageSpec', () => {
  it.each([
    ['nginx', 'nginx', undefined, undefined],
    ['lyzhang1999/frontend:main-b99bc73', 'lyzhang1999/frontend', 'main-b99bc73', undefined],
    [`lyzhang1999/frontend@${DIGEST}`, 'lyzhang1999/frontend', undefined, DIGEST],
    [`lyzhang1999/frontend:latest@${DIGEST}`, 'lyzhang1999/frontend', 'latest', DIGEST],
    ['host:5000/team/app:1.2', 'host:5000/team/app', '1.2', undefined],
    ['host:5000/team/app', 'host:5000/team/app', undefined, undefined],
    [`host:5000/app@${DIGEST}`, 'host:5000/app', undefined, DIGEST],
    ['ghcr.io/o/i:v1.4.2', 'ghcr.io/o/i', 'v1.4.2', undefined],
    ['app:', 'app', undefined, undefined],
  ])('%s', (value, repository, tag, digest) => {
    expect(splitImageSpec(value)).toEqual({ repository, tag, digest });
  });
});

describe('joinImageSpec', () => {
  it.each([
    ['lyzhang1999/frontend', 'main-b99bc73', 'lyzhang1999/frontend:main-b99bc73'],
    ['host:5000/team/app', '1.2', 'host:5000/team/app:1.2'],
    ['app', `latest@${DIGEST}`, `app:latest@${DIGEST}`],
    ['app', DIGEST, `app@${DIGEST}`],
    ['app', '', 'app'],
  ])('%s + %s', (repository, tagOrDigest, expected) => {
    expect(joinImageSpec(repository, tagOrDigest)).toBe(expected);
    const split = splitImageSpec(expected);
    expect(split.repository).toBe(repository);
  });
});
