import { describe, expect, it } from 'vitest';
import { evaluateSoak, formatHeld, type SourceState } from '../../src/promotion/soak.js';

const hour = 3_600_000;
const now = new Date('2026-12-03T12:00:00Z');
const at = (hoursAgo: number): Date => new Date(now.getTime() - hoursAgo * hour);

function states(rows: [hoursAgo: number, frontend?: string, backend?: string][]): SourceState[] {
  return rows.map(([hoursAgo, frontend, backend], index) => ({
    commit: {
      sha: `${index}`.padStart(40, '0'),
      date: at(hoursAgo),
      subject: 'x',
      pullRequest: undefined,
    },
    values: new Map([
      ['frontend', frontend],
      ['backend', backend],
    ]),
  }));
}

function evaluate(rows: Parameters<typeof states>[0], soakHours: number, complete = true) {
  const result = evaluateSoak({
    states: states(rows),
    complete,
    aliases: ['frontend', 'backend'],
    soakSeconds: soakHours * 3600,
    now,
  });
  return {
    chosen: result.chosen?.values.map((held) => held.value).join(','),
    eligibleAt: result.latest?.eligibleAt?.toISOString(),
  };
}

describe('evaluateSoak', () => {
  it.each([
    ['soak met', [[30, 'a1', 'b1']], 24, 'a1,b1', undefined],
    ['soak not met', [[2, 'a1', 'b1']], 24, undefined, '2026-12-04T10:00:00.000Z'],
    [
      'soaked 28 h, then replaced: still qualifies',
      [
        [40, 'a1', 'b1'],
        [30, 'a2', 'b1'],
        [2, 'a3', 'b1'],
      ],
      24,
      'a2,b1',
      '2026-12-04T10:00:00.000Z',
    ],
    [
      'replaced after 5 h: never qualifies',
      [
        [60, 'a1', 'b1'],
        [30, 'a2', 'b1'],
        [25, 'a3', 'b1'],
      ],
      24,
      'a3,b1',
      undefined,
    ],
    [
      'revert: the older value is the newest that soaked',
      [
        [80, 'a2', 'b1'],
        [50, 'a3', 'b1'],
        [25, 'a2', 'b1'],
      ],
      24,
      'a2,b1',
      undefined,
    ],
    [
      'changed together, one replaced early: the set waits',
      [
        [80, 'a1', 'b1'],
        [25, 'a2', 'b2'],
        [20, 'a2', 'b3'],
      ],
      24,
      'a1,b1',
      '2026-12-03T16:00:00.000Z',
    ],
    [
      'changed apart: the soaked one moves alone',
      [
        [80, 'a1', 'b1'],
        [25, 'a2', 'b1'],
        [20, 'a2', 'b2'],
      ],
      24,
      'a2,b1',
      '2026-12-03T16:00:00.000Z',
    ],
    ['a missing key never qualifies', [[80, 'a1', undefined]], 24, undefined, undefined],
    [
      'a commit dated in the future holds nothing',
      [
        [80, 'a1', 'b1'],
        [-5, 'a2', 'b1'],
      ],
      24,
      'a1,b1',
      '2026-12-04T17:00:00.000Z',
    ],
    [
      'soak 0 takes the newest state',
      [
        [80, 'a1', 'b1'],
        [0, 'a2', 'b1'],
      ],
      0,
      'a2,b1',
      undefined,
    ],
  ] as const)('%s', (_name, rows, soak, chosen, eligibleAt) => {
    const result = evaluate(rows as never, soak);
    expect(result.chosen).toBe(chosen);
    expect(result.eligibleAt).toBe(eligibleAt);
  });

  it('a commit dated before its predecessor does not stretch the hold', () => {
    // a2 committed 30 h ago, then a3 whose committer date claims 40 h ago (a rewritten date):
    // a3 counts from now, and a2 may have been replaced at once, so only a1 (20 h) qualifies.
    const result = evaluate(
      [
        [50, 'a1', 'b1'],
        [30, 'a2', 'b1'],
        [40, 'a3', 'b1'],
      ],
      12,
    );
    expect(result.chosen).toBe('a1,b1');
  });

  it('marks a start cut off by an incomplete history as a lower bound', () => {
    const result = evaluateSoak({
      states: states([[30, 'a1', 'b1']]),
      complete: false,
      aliases: ['frontend'],
      soakSeconds: 3600,
      now,
    });
    expect(result.chosen?.values[0]?.sinceExact).toBe(false);
  });

  it.each([
    [59, '0 min'],
    [3600 * 28, '28 h'],
    [5400, '1 h 30 min'],
    [3600 * 80, '3 d 8 h'],
  ])('formats %i s as %s', (seconds, text) => {
    expect(formatHeld(seconds)).toBe(text);
  });
});
