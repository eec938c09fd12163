import type { Decision } from '../../core/decision.js';
import type { TagMetadata } from '../../core/tag-metadata.js';
import type { FilterRejection } from '../../strategy/filter.js';
import type { SkippedTag } from '../../strategy/ranking.js';
import type { ResolveInput } from './input.js';

/** What a resolution found; `buildDecision` adds the image and whether anything changes. */
export interface DecisionParts {
  /** The value to write (or keep); undefined when nothing qualifies. */
  readonly chosen: string | undefined;
  readonly metadata: TagMetadata | undefined;
  readonly currentMetadata?: TagMetadata | undefined;
  readonly reason: string;
  readonly counts: Decision['counts'];
  readonly tiedWith?: readonly string[];
  /** A request budget or rate limit ran out before the image could be decided. */
  readonly incomplete?: boolean;
  /** How the chosen tag was verified, when the image verifies and it was a verified candidate. */
  readonly verification?: readonly string[] | undefined;
}

/**
 * The one place a Decision is made. `changed` always means "the chosen value differs from what
 * the base branch has", whatever the strategy, so a kept pending value still counts as a change.
 */
export function buildDecision(input: ResolveInput, parts: DecisionParts): Decision {
  return {
    alias: input.image.alias,
    image: input.image.repository,
    current: input.current,
    chosen: parts.chosen,
    metadata: parts.metadata,
    currentMetadata: parts.currentMetadata,
    changed: parts.chosen !== undefined && parts.chosen !== input.current,
    reason: parts.reason,
    counts: parts.counts,
    tiedWith: parts.tiedWith ?? [],
    ...(parts.incomplete ? { incomplete: true } : {}),
    ...(parts.verification !== undefined && { verification: parts.verification }),
  };
}

export function tally(skipped: readonly SkippedTag[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of skipped) counts[entry.cause] = (counts[entry.cause] ?? 0) + 1;
  return counts;
}

/** Tags seen, kept by the filters, and skipped per cause (filter causes included). */
export function countDecision(
  seen: number,
  filtered: {
    kept: readonly string[];
    skipped: Readonly<Record<FilterRejection, readonly string[]>>;
  },
  skipped: readonly SkippedTag[],
): Decision['counts'] {
  const counts = tally(skipped);
  for (const cause of ['invalid', 'notAllowed', 'ignored'] as const) {
    const count = filtered.skipped[cause].length;
    if (count > 0) counts[cause] = count;
  }
  return { seen, afterFilter: filtered.kept.length, skipped: counts };
}
