import { RequestBudgetSpent } from '../core/errors.js';
import type { TagPolicy } from './policy.js';
import { errorMessage } from '../core/errors.js';
import type { TagMetadata } from '../registry/types.js';
import { checkGates } from './gates.js';
import type { Candidate, Ordering, RankingStrategy, SkippedTag } from './ranking.js';

/** A tag the choice must not go below (no-downgrade): the chart's current value, or the pending one. */
export interface Floor {
  readonly role: 'current' | 'pending';
  readonly candidate: Candidate;
}

export interface WalkInput {
  readonly strategy: RankingStrategy;
  readonly ordering: Ordering;
  /**
   * Current and pending values that no-downgrade protects: present in the registry and passing
   * the filters. Ignored when the policy allows downgrades.
   */
  readonly floors: readonly Floor[];
  readonly policy: TagPolicy;
  readonly now: Date;
  /** Fetches a candidate's metadata when the ordering did not need it; a rejection skips the candidate. */
  readonly metadataFor: (tag: string) => Promise<TagMetadata>;
  /**
   * Further checks, run in order for a candidate that passed the gates, before it is chosen (so
   * only candidates the walk reaches cost anything). This is where a per-candidate verification
   * (signatures, provenance) belongs: resolve to a SkippedTag to pass over the candidate with
   * that reason, or to undefined to accept it. A rejected promise stops the walk.
   */
  readonly checks?: readonly CandidateCheck[];
}

/** An asynchronous accept/skip check of one walked candidate; see `WalkInput.checks`. */
export type CandidateCheck = (candidate: {
  readonly tag: string;
  readonly metadata: TagMetadata;
}) => Promise<SkippedTag | undefined>;

export type WalkOutcome =
  /** A candidate passed every gate and is newer than every floor (or downgrades are allowed). */
  | {
      readonly kind: 'candidate';
      readonly candidate: Candidate & { readonly metadata: TagMetadata };
    }
  /** No candidate newer than this floor passed; it stays. */
  | { readonly kind: 'keep'; readonly floor: Floor; readonly reachedFloor: boolean }
  /** Nothing passed and nothing is protected. */
  | { readonly kind: 'none' };

export interface WalkResult {
  readonly outcome: WalkOutcome;
  /** Candidates walked and passed over, best first. */
  readonly skipped: readonly SkippedTag[];
  /** Candidates whose metadata could not be read, with the error. */
  readonly failures: readonly { readonly tag: string; readonly error: unknown }[];
  /** Candidates whose metadata was read during the walk. */
  readonly fetched: ReadonlyMap<string, TagMetadata>;
}

/**
 * Walks the ordering best first. It stops at the first candidate that is not newer than the
 * highest floor (everything after it ranks lower still), and otherwise takes the first candidate
 * that passes the gates (platforms, min-age) and then `checks`. Metadata is fetched only for
 * walked candidates.
 */
export async function walkRanking(input: WalkInput): Promise<WalkResult> {
  const { strategy, policy } = input;
  const floor = input.policy.allowDowngrade ? undefined : highestFloor(strategy, input.floors);
  const skipped: SkippedTag[] = [];
  const failures: { tag: string; error: unknown }[] = [];
  const fetched = new Map<string, TagMetadata>();
  for (const candidate of input.ordering.ordered) {
    if (floor !== undefined) {
      const order = strategy.compare(candidate, floor.candidate);
      if (order !== undefined && order <= 0)
        return { outcome: { kind: 'keep', floor, reachedFloor: true }, skipped, failures, fetched };
    }
    let metadata = candidate.metadata;
    if (metadata === undefined) {
      try {
        metadata = await input.metadataFor(candidate.tag);
        fetched.set(candidate.tag, metadata);
      } catch (error) {
        // A spent request budget is not a property of this tag: stop walking, do not skip ahead.
        if (error instanceof RequestBudgetSpent) throw error;
        failures.push({ tag: candidate.tag, error });
        skipped.push({
          tag: candidate.tag,
          cause: 'metadataError',
          detail: `could not be read (${errorMessage(error)})`,
        });
        continue;
      }
    }
    const rejection =
      checkGates({ tag: candidate.tag, metadata }, policy, input.now) ??
      (await runChecks(input.checks ?? [], { tag: candidate.tag, metadata }));
    if (rejection) {
      skipped.push(rejection);
      continue;
    }
    return {
      outcome: { kind: 'candidate', candidate: { tag: candidate.tag, metadata } },
      skipped,
      failures,
      fetched,
    };
  }
  const outcome: WalkOutcome =
    floor === undefined ? { kind: 'none' } : { kind: 'keep', floor, reachedFloor: false };
  return { outcome, skipped, failures, fetched };
}

async function runChecks(
  checks: readonly CandidateCheck[],
  candidate: { readonly tag: string; readonly metadata: TagMetadata },
): Promise<SkippedTag | undefined> {
  for (const check of checks) {
    const rejection = await check(candidate);
    if (rejection) return rejection;
  }
  return undefined;
}

/**
 * The floor to stay at or above: of current and pending, the newer. A floor the strategy cannot
 * rank (a non-semver current under semver, no build time) protects nothing. When the two rank the
 * same, current wins (nothing to change); when they cannot be compared with each other, pending
 * wins so a proposal is not withdrawn.
 */
export function highestFloor(
  strategy: RankingStrategy,
  floors: readonly Floor[],
): Floor | undefined {
  let best: Floor | undefined;
  for (const floor of floors) {
    if (strategy.compare(floor.candidate, floor.candidate) === undefined) continue;
    if (best === undefined) {
      best = floor;
      continue;
    }
    const order = strategy.compare(floor.candidate, best.candidate);
    const newer =
      order === undefined
        ? floor.role === 'pending'
        : order > 0 || (order === 0 && floor.role === 'current');
    if (newer) best = floor;
  }
  return best;
}
