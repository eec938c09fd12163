import { describe, expect, it } from 'vitest';

import { alphabeticalStrategy } from '../../src/strategy/alphabetical.js';
import { policyWith } from './fixtures.js';

describe('alphabetical ordering (plain byte order, descending)', () => {
  it.each([
    [
      ['2024.01.15', '2024.02.01', '2023.12.31'],
      ['2024.02.01', '2024.01.15', '2023.12.31'],
    ],
    // byte order, not natural order: "9" > "10"
    [
      ['v9', 'v10'],
      ['v9', 'v10'],
    ],
    // upper case sorts before lower case in bytes
    [
      ['B', 'a', 'A'],
      ['a', 'B', 'A'],
    ],
    [
      ['_x', 'Zx', 'zx'],
      ['zx', '_x', 'Zx'],
    ],
    [[], []],
  ])('%j → %j', (tags, order) => {
    const ordering = alphabeticalStrategy.order(
      tags.map((tag) => ({ tag, metadata: undefined })),
      policyWith({ strategy: 'alphabetical' }),
    );
    expect(ordering.ordered.map((candidate) => candidate.tag)).toEqual(order);
    expect(ordering.skipped).toEqual([]);
  });

  it.each([
    ['b', 'a', 1],
    ['a', 'b', -1],
    ['a', 'a', 0],
  ])('compare(%j, %j) → %j', (a, b, expected) => {
    expect(
      Math.sign(
        alphabeticalStrategy.compare(
          { tag: a, metadata: undefined },
          { tag: b, metadata: undefined },
        ) ?? NaN,
      ),
    ).toBe(expected);
  });
});
