import { describe, expect, it } from 'vitest';
import { firstMatchingPlatform, platformMatches } from '../../src/registry/platform.js';

describe('platformMatches', () => {
  it.each([
    ['linux/amd64', 'linux/amd64', true],
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/arm64', 'linux/aarch64', true],
    ['linux/amd64', 'linux/x86_64', true],
    ['linux/amd64', 'linux/amd64/v2', true],
    ['linux/amd64/v2', 'linux/amd64', false],
    ['linux/arm', 'linux/arm/v7', true],
    ['linux/arm/v7', 'linux/arm/v6', false],
    ['linux/arm', 'linux/arm/v6', false],
    ['linux/amd64', 'linux/arm64', false],
    ['linux/amd64', 'windows/amd64', false],
    ['LINUX/AMD64', 'linux/amd64', true],
    ['linux', 'linux/amd64', false],
    ['linux/amd64', 'unknown', false],
  ])('%s wants, %s offered → %s', (requested, offered, expected) => {
    expect(platformMatches(requested, offered)).toBe(expected);
  });
});

describe('firstMatchingPlatform', () => {
  it.each([
    [
      ['linux/arm64', 'linux/amd64'],
      ['linux/amd64', 'linux/arm64/v8'],
      { requested: 'linux/arm64', offered: 'linux/arm64/v8' },
    ],
    [
      ['linux/s390x', 'linux/amd64'],
      ['linux/amd64', 'linux/arm64/v8'],
      { requested: 'linux/amd64', offered: 'linux/amd64' },
    ],
    [['linux/s390x'], ['linux/amd64'], undefined],
    [[], ['linux/amd64'], undefined],
  ])('%j in %j', (requested, offered, expected) => {
    expect(firstMatchingPlatform(requested, offered)).toEqual(expected);
  });
});
