import { describe, expect, it } from 'vitest';

import { compareBuildTimes, parseBuildTime } from '../../src/strategy/build-time.js';
import { newestBuildStrategy } from '../../src/strategy/newest-build.js';
import { metadataOf, policyWith } from './fixtures.js';

const dated = (entries: readonly [string, string | undefined][]) =>
  entries.map(([tag, created]) => ({ tag, metadata: metadataOf(tag, created) }));

describe('newest-build ordering', () => {
  it.each([
    {
      name: 'orders by build time, never by name (main-b99bc73 vs main-2682590)',
      tags: [
        ['main-2682590', '2024-05-02T10:00:00Z'],
        ['main-b99bc73', '2024-05-01T10:00:00Z'],
      ] as [string, string][],
      order: ['main-2682590', 'main-b99bc73'],
    },
    {
      name: 'the same pair the other way round in time',
      tags: [
        ['main-2682590', '2024-05-01T10:00:00Z'],
        ['main-b99bc73', '2024-05-02T10:00:00Z'],
      ] as [string, string][],
      order: ['main-b99bc73', 'main-2682590'],
    },
    {
      name: 'nanoseconds Go writes decide between builds in one millisecond',
      tags: [
        ['main-a', '2024-05-01T10:00:00.123456789Z'],
        ['main-b', '2024-05-01T10:00:00.123456788Z'],
      ] as [string, string][],
      order: ['main-a', 'main-b'],
    },
    {
      name: 'time zones are compared as instants',
      tags: [
        ['main-a', '2024-05-01T12:00:00+02:00'],
        ['main-b', '2024-05-01T10:30:00Z'],
      ] as [string, string][],
      order: ['main-b', 'main-a'],
    },
    {
      name: 'equal times are ordered by tag name, descending',
      tags: [
        ['main-aaa', '1980-01-01T00:00:01Z'],
        ['main-ccc', '1980-01-01T00:00:01Z'],
        ['main-bbb', '1980-01-01T00:00:01Z'],
        ['main-old', '1970-01-01T00:00:00Z'],
      ] as [string, string][],
      order: ['main-ccc', 'main-bbb', 'main-aaa', 'main-old'],
    },
  ])('$name', ({ tags, order }) => {
    const ordering = newestBuildStrategy.order(dated(tags), policyWith());
    expect(ordering.ordered.map((candidate) => candidate.tag)).toEqual(order);
  });

  it('reports ties with the other tags of the same build time', () => {
    const ordering = newestBuildStrategy.order(
      dated([
        ['main-aaa', '1980-01-01T00:00:01Z'],
        ['main-ccc', '1980-01-01T00:00:01Z'],
        ['main-new', '2024-01-01T00:00:00Z'],
      ]),
      policyWith(),
    );
    expect(ordering.ties.get('main-ccc')).toEqual(['main-aaa']);
    expect(ordering.ties.has('main-new')).toBe(false);
  });

  it('skips candidates without a readable build time, with the reason', () => {
    const ordering = newestBuildStrategy.order(
      [
        ...dated([
          ['main-a', undefined],
          ['main-b', 'yesterday'],
          ['main-c', '2024-01-01T00:00:00Z'],
        ]),
        { tag: 'main-d', metadata: undefined },
      ],
      policyWith(),
    );
    expect(ordering.ordered.map((candidate) => candidate.tag)).toEqual(['main-c']);
    expect(ordering.skipped.map((entry) => [entry.tag, entry.cause])).toEqual([
      ['main-a', 'noCreated'],
      ['main-b', 'noCreated'],
      ['main-d', 'metadataError'],
    ]);
    expect(ordering.skipped[1]?.detail).toContain('"yesterday"');
  });

  it.each([
    ['2024-01-02T00:00:00Z', '2024-01-01T00:00:00Z', 1],
    ['2024-01-01T00:00:00Z', '2024-01-02T00:00:00Z', -1],
    ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.000Z', 0],
    [undefined, '2024-01-01T00:00:00Z', undefined],
  ])('compare(%j, %j) → %j', (a, b, expected) => {
    const result = newestBuildStrategy.compare(
      { tag: 'a', metadata: metadataOf('a', a) },
      { tag: 'b', metadata: metadataOf('b', b) },
    );
    expect(result === undefined ? undefined : Math.sign(result)).toBe(expected);
  });
});

describe('parseBuildTime', () => {
  it.each([
    ['2024-05-01T10:00:00Z', Date.UTC(2024, 4, 1, 10), 0],
    ['2024-05-01T10:00:00.5Z', Date.UTC(2024, 4, 1, 10, 0, 0, 500), 0],
    ['2024-05-01T10:00:00.123456789Z', Date.UTC(2024, 4, 1, 10, 0, 0, 123), 456789],
    ['2024-05-01T12:00:00+02:00', Date.UTC(2024, 4, 1, 10), 0],
  ])('%j', (text, epochMs, subMsNanos) => {
    expect(parseBuildTime(text)).toEqual({ epochMs, subMsNanos });
  });

  it.each([undefined, '', 'not a date'])('%j is unreadable', (text) => {
    expect(parseBuildTime(text)).toBeUndefined();
  });

  it('orders sub-millisecond differences', () => {
    const a = parseBuildTime('2024-05-01T10:00:00.000000002Z');
    const b = parseBuildTime('2024-05-01T10:00:00.000000001Z');
    expect(a && b && compareBuildTimes(a, b)).toBeGreaterThan(0);
  });
});
