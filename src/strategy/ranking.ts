import type { StrategyName, TagPolicy } from './policy.js';
import type { TagMetadata } from '../registry/types.js';

/** A tag that passed the filters, with its metadata when it has been fetched. */
export interface Candidate {
  readonly tag: string;
  readonly metadata: TagMetadata | undefined;
}

/** Why a tag was not chosen; the keys of `Decision.counts.skipped`. */
export type SkipCause =
  | 'invalid'
  | 'notAllowed'
  | 'ignored'
  | 'notSemver'
  | 'outOfRange'
  | 'prerelease'
  | 'noCreated'
  | 'metadataError'
  | 'platform'
  | 'tooYoung'
  | 'futureBuild'
  /** The supply-chain gate: no signature or provenance that the verification policy accepts. */
  | 'unverified';

export interface SkippedTag {
  readonly tag: string;
  readonly cause: SkipCause;
  /** Half a sentence: `lacks linux/arm64`, `outside constraint ^1.2`. */
  readonly detail: string;
}

/** Candidates best first, the ones the strategy could not rank, and groups of equal rank. */
export interface Ordering {
  readonly ordered: readonly Candidate[];
  readonly skipped: readonly SkippedTag[];
  /** For each tag sharing its ordering key with others: those other tags. */
  readonly ties: ReadonlyMap<string, readonly string[]>;
}

/** A strategy that ranks many tags (every strategy but `digest`, which follows one tag). */
export interface RankingStrategy {
  readonly kind: 'ranking';
  readonly name: Exclude<StrategyName, 'digest'>;
  /** What "best" means, for reasons: `newest build`, `highest version`. */
  readonly describe: string;
  /** What tied candidates share, for reasons: `build time`, `version`. */
  readonly tiedOn: string;
  /** newest-build cannot order without every candidate's metadata; the others order by name. */
  readonly needsMetadataToOrder: boolean;
  order(candidates: readonly Candidate[], policy: TagPolicy): Ordering;
  /**
   * Positive when `a` is newer than `b`, 0 when they rank the same, negative when older;
   * undefined when they cannot be compared (not a version, no build time).
   */
  compare(a: Candidate, b: Candidate): number | undefined;
}

/** Plain byte order, descending (tags are ASCII, so UTF-16 order is byte order). */
export function compareNamesDescending(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? 1 : -1;
}

/** Ties among a sorted list: neighbours whose keys compare equal. */
export function findTies<T extends { readonly tag: string }>(
  sorted: readonly T[],
  sameKey: (a: T, b: T) => boolean,
): Map<string, string[]> {
  const ties = new Map<string, string[]>();
  let start = 0;
  for (let index = 1; index <= sorted.length; index += 1) {
    const first = sorted[start];
    const current = sorted[index];
    if (first !== undefined && current !== undefined && sameKey(first, current)) continue;
    const group = sorted.slice(start, index).map((entry) => entry.tag);
    if (group.length > 1) {
      for (const tag of group)
        ties.set(
          tag,
          group.filter((other) => other !== tag),
        );
    }
    start = index;
  }
  return ties;
}
