import { describe, expect, it } from 'vitest';
import { closestMatch, didYouMean, editDistance } from '../../src/config/did-you-mean.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['targets', 'target', 1],
    ['stratgy', 'strategy', 1],
    ['wbe', 'web', 1],
    ['kitten', 'sitting', 3],
  ])('%s → %s is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('closestMatch / didYouMean', () => {
  const keys = ['images', 'targets', 'strategy', 'allow-tags'];
  it.each([
    ['target', 'targets'],
    ['Images', 'images'],
    ['allowtags', 'allow-tags'],
    ['xyz', undefined],
    ['mode', undefined],
  ])('%s → %s', (word, expected) => {
    expect(closestMatch(word, keys)).toBe(expected);
    expect(didYouMean(word, keys)).toBe(
      expected === undefined ? '' : ` Did you mean \`${expected}\`?`,
    );
  });
});
