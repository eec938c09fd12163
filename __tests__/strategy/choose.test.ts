import { describe, expect, it } from 'vitest';

import type { TagPolicy } from '../../src/config/settings.js';
import type { TagMetadata } from '../../src/registry/types.js';
import {
  highestFloor,
  walkRanking,
  type CandidateCheck,
  type Floor,
} from '../../src/strategy/choose.js';
import { newestBuildStrategy } from '../../src/strategy/newest-build.js';
import type { RankingStrategy } from '../../src/strategy/ranking.js';
import { semverStrategy } from '../../src/strategy/semver.js';
import { metadataOf, policyWith } from './fixtures.js';

const now = new Date('2024-05-10T00:00:00Z');

/** Walks semver tags whose metadata comes from `registry`; records which tags were fetched. */
async function walkSemver(
  tags: readonly string[],
  registry: Record<string, TagMetadata | Error>,
  options: { policy?: Partial<TagPolicy>; floors?: Floor[]; checks?: CandidateCheck[] } = {},
) {
  const policy = policyWith({ strategy: 'semver', ...options.policy });
  const fetchedTags: string[] = [];
  const result = await walkRanking({
    strategy: semverStrategy,
    ordering: semverStrategy.order(
      tags.map((tag) => ({ tag, metadata: undefined })),
      policy,
    ),
    floors: options.floors ?? [],
    policy,
    now,
    ...(options.checks === undefined ? {} : { checks: options.checks }),
    metadataFor: (tag) => {
      fetchedTags.push(tag);
      const entry = registry[tag];
      return entry instanceof Error || entry === undefined
        ? Promise.reject(entry ?? new Error('unknown'))
        : Promise.resolve(entry);
    },
  });
  return { result, fetchedTags };
}

const amd64 = (tag: string, created = '2024-05-01T00:00:00Z') => metadataOf(tag, created);
const arm64Only = (tag: string) =>
  metadataOf(tag, '2024-05-01T00:00:00Z', { platforms: ['linux/arm64'] });
const floor = (role: Floor['role'], tag: string, created?: string): Floor => ({
  role,
  candidate: { tag, metadata: created === undefined ? undefined : metadataOf(tag, created) },
});

describe('walkRanking', () => {
  it('fetches metadata only for walked candidates, best first, and stops at the first that passes', async () => {
    const { result, fetchedTags } = await walkSemver(['1.0.0', '1.1.0', '1.2.0', '1.3.0'], {
      '1.3.0': arm64Only('1.3.0'),
      '1.2.0': amd64('1.2.0'),
      '1.1.0': amd64('1.1.0'),
      '1.0.0': amd64('1.0.0'),
    });
    expect(fetchedTags).toEqual(['1.3.0', '1.2.0']);
    expect(result.outcome.kind === 'candidate' && result.outcome.candidate.tag).toBe('1.2.0');
    expect(result.skipped.map((entry) => [entry.tag, entry.cause])).toEqual([
      ['1.3.0', 'platform'],
    ]);
  });

  it('runs the checks only for candidates that passed the gates, and skips with their reason', async () => {
    const checked: string[] = [];
    const check: CandidateCheck = ({ tag }) => {
      checked.push(tag);
      return Promise.resolve(
        tag === '1.2.0' ? { tag, cause: 'platform', detail: 'is not signed' } : undefined,
      );
    };
    const { result } = await walkSemver(
      ['1.0.0', '1.1.0', '1.2.0', '1.3.0'],
      {
        '1.3.0': arm64Only('1.3.0'),
        '1.2.0': amd64('1.2.0'),
        '1.1.0': amd64('1.1.0'),
        '1.0.0': amd64('1.0.0'),
      },
      { checks: [check] },
    );
    expect(checked).toEqual(['1.2.0', '1.1.0']);
    expect(result.outcome.kind === 'candidate' && result.outcome.candidate.tag).toBe('1.1.0');
    expect(result.skipped.map((entry) => entry.detail)).toEqual([
      'lacks linux/amd64 (offers linux/arm64)',
      'is not signed',
    ]);
  });

  it('skips a candidate whose metadata fails and tries the next', async () => {
    const { result } = await walkSemver(['1.0.0', '2.0.0'], {
      '2.0.0': new Error('500 from registry'),
      '1.0.0': amd64('1.0.0'),
    });
    expect(result.outcome.kind === 'candidate' && result.outcome.candidate.tag).toBe('1.0.0');
    expect(result.failures.map((failure) => failure.tag)).toEqual(['2.0.0']);
    expect(result.skipped[0]?.detail).toContain('500 from registry');
  });

  it('min-age skips young builds', async () => {
    const { result } = await walkSemver(
      ['1.0.0', '1.1.0'],
      {
        '1.1.0': amd64('1.1.0', '2024-05-09T23:00:00Z'),
        '1.0.0': amd64('1.0.0', '2024-05-01T00:00:00Z'),
      },
      { policy: { minAgeSeconds: 7200 } },
    );
    expect(result.outcome.kind === 'candidate' && result.outcome.candidate.tag).toBe('1.0.0');
    expect(result.skipped.map((entry) => entry.cause)).toEqual(['tooYoung']);
  });

  it('no downgrade: stops at the current version without fetching anything', async () => {
    const { result, fetchedTags } = await walkSemver(
      ['1.0.0', '1.1.0'],
      {},
      { floors: [floor('current', '1.2.0')] },
    );
    expect(result.outcome).toEqual({
      kind: 'keep',
      floor: floor('current', '1.2.0'),
      reachedFloor: true,
    });
    expect(fetchedTags).toEqual([]);
  });

  it('allow-downgrade ignores the floor', async () => {
    const { result } = await walkSemver(
      ['1.0.0', '1.1.0'],
      { '1.1.0': amd64('1.1.0') },
      { floors: [floor('current', '1.2.0')], policy: { allowDowngrade: true } },
    );
    expect(result.outcome.kind === 'candidate' && result.outcome.candidate.tag).toBe('1.1.0');
  });

  it.each([
    [['1.3.0'], false],
    [['1.0.0', '1.3.0'], true],
  ])(
    'keeps the floor when every newer candidate is skipped (%j, reached floor: %s)',
    async (tags, reachedFloor) => {
      const { result } = await walkSemver(
        tags,
        { '1.3.0': arm64Only('1.3.0') },
        { floors: [floor('current', '1.2.0')] },
      );
      expect(result.outcome).toMatchObject({ kind: 'keep', reachedFloor });
      expect(result.skipped.map((entry) => entry.tag)).toEqual(['1.3.0']);
    },
  );

  it('nothing qualifies and nothing is protected', async () => {
    const { result } = await walkSemver(['1.3.0'], { '1.3.0': arm64Only('1.3.0') });
    expect(result.outcome).toEqual({ kind: 'none' });
  });

  it('a pending tag at least as new as the best candidate is kept', async () => {
    const { result } = await walkSemver(
      ['1.0.0', '1.1.0'],
      {},
      { floors: [floor('current', '1.0.0'), floor('pending', '1.1.0')] },
    );
    expect(result.outcome).toMatchObject({
      kind: 'keep',
      floor: { role: 'pending' },
      reachedFloor: true,
    });
  });

  it('newest-build: equal build time is not newer, so the current tag stays', async () => {
    const policy = policyWith();
    const same = '1980-01-01T00:00:01Z';
    const result = await walkRanking({
      strategy: newestBuildStrategy,
      ordering: newestBuildStrategy.order(
        ['main-zzz', 'main-aaa'].map((tag) => ({ tag, metadata: metadataOf(tag, same) })),
        policy,
      ),
      floors: [floor('current', 'main-aaa', same)],
      policy,
      now,
      metadataFor: () => Promise.reject(new Error('not expected')),
    });
    expect(result.outcome).toMatchObject({
      kind: 'keep',
      floor: { role: 'current' },
      reachedFloor: true,
    });
  });
});

describe('highestFloor', () => {
  it.each([
    {
      name: 'the newer of current and pending',
      strategy: semverStrategy,
      floors: [floor('current', '1.0.0'), floor('pending', '1.1.0')],
      role: 'pending',
    },
    {
      name: 'current when pending is older (a human bumped the base)',
      strategy: semverStrategy,
      floors: [floor('current', '1.2.0'), floor('pending', '1.1.0')],
      role: 'current',
    },
    {
      name: 'current on a tie',
      strategy: semverStrategy,
      floors: [floor('pending', 'v1.1.0'), floor('current', '1.1.0')],
      role: 'current',
    },
    {
      name: 'a floor the strategy cannot rank protects nothing',
      strategy: semverStrategy,
      floors: [floor('current', 'main-abc')],
      role: undefined,
    },
    {
      name: 'newest-build without a build time protects nothing',
      strategy: newestBuildStrategy,
      floors: [floor('current', 'main-abc')],
      role: undefined,
    },
    {
      name: 'newest-build compares build times',
      strategy: newestBuildStrategy,
      floors: [
        floor('current', 'main-b', '2024-01-02T00:00:00Z'),
        floor('pending', 'main-a', '2024-01-01T00:00:00Z'),
      ],
      role: 'current',
    },
  ] as { name: string; strategy: RankingStrategy; floors: Floor[]; role: string | undefined }[])(
    '$name',
    ({ strategy, floors, role }) => {
      expect(highestFloor(strategy, floors)?.role).toBe(role);
    },
  );
});
