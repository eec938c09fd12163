import { describe, expect, it } from 'vitest';

import {
  formatDigestValue,
  pinsDigest,
  splitDigestValue,
  trackedTag,
} from '../../src/strategy/digest.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;

describe('digest values', () => {
  it.each([
    [undefined, 'latest'],
    ['', 'latest'],
    ['stable', 'stable'],
    [' main ', 'main'],
  ])('constraint %j follows %j', (constraint, tag) => {
    expect(trackedTag({ constraint })).toBe(tag);
  });

  it.each([
    [`latest@${A}`, { tag: 'latest', digest: A }],
    [A, { tag: undefined, digest: A }],
    ['latest', { tag: 'latest', digest: undefined }],
    [undefined, { tag: undefined, digest: undefined }],
  ])('splits %j', (value, parts) => {
    expect(splitDigestValue(value)).toEqual(parts);
  });

  it.each([
    [`latest@${A}`, 'latest', A, true],
    [`latest@${B}`, 'latest', A, false],
    [A, 'latest', A, true],
    [`stable@${A}`, 'latest', A, false],
    ['latest', 'latest', A, false],
    [undefined, 'latest', A, false],
  ])('%j pins %s@%s: %s', (current, tag, digest, pinned) => {
    expect(pinsDigest(current, tag, digest)).toBe(pinned);
  });

  it('writes tag@digest', () => {
    expect(formatDigestValue('latest', A)).toBe(`latest@${A}`);
  });
});
