import type { ImageSettings } from '../../config/settings.js';
import type { Decision } from '../../core/decision.js';
import type { Logger } from '../../core/logging.js';
import { isDigest, isValidOciTag } from '../../core/oci.js';
import type { TagMetadata } from '../../core/tag-metadata.js';
import { CREATED_LABEL, buildTimeOf } from '../../strategy/build-time.js';
import type { WalkOutcome } from '../../strategy/choose.js';
import { describeAllowTags, type FilterRejection } from '../../strategy/filter.js';
import type { TagPolicy } from '../../strategy/policy.js';
import type { Candidate, RankingStrategy, SkipCause, SkippedTag } from '../../strategy/ranking.js';
import type { ResolveInput } from './input.js';
import { tagOf } from './registry-reads.js';

// The sentences a decision is explained with, and the debug detail behind them.

export function describeRejection(rejection: FilterRejection, policy: TagPolicy): string {
  switch (rejection) {
    case 'invalid':
      return 'is not a valid OCI tag';
    case 'notAllowed':
      return `is not allowed by allow-tags ${describeAllowTags(policy.allowTags)}`;
    case 'ignored':
      return `matches ignore-tags ${policy.ignoreTags.join(', ')}`;
  }
}

const CAUSE_LABELS: Readonly<Record<SkipCause, (policy: TagPolicy, allowTags: string) => string>> =
  {
    invalid: () => 'not valid OCI tags',
    notAllowed: (_policy, allowTags) => `not allowed by ${allowTags}`,
    ignored: () => 'matched ignore-tags',
    notSemver: () => 'not semantic versions',
    outOfRange: (policy) => `outside ${policy.constraint ?? 'the constraint'}`,
    prerelease: () => 'pre-releases',
    noCreated: () => 'without a build time',
    metadataError: () => 'unreadable',
    platform: (policy) => `lacking ${policy.platforms.join(', ')}`,
    tooYoung: () => 'younger than min-age',
    futureBuild: () => 'built in the future',
    unverified: () => 'unverified',
  };

function summariseSkipped(
  counts: Readonly<Record<string, number>>,
  policy: TagPolicy,
  allowTags: string,
): string {
  const parts = Object.entries(counts).map(([cause, count]) => {
    const label = CAUSE_LABELS[cause as SkipCause];
    return `${count} ${label(policy, allowTags)}`;
  });
  return parts.length === 0 ? '' : `; skipped ${parts.join(', ')}`;
}

export function explainRanking(parts: {
  strategy: RankingStrategy;
  input: ResolveInput;
  outcome: WalkOutcome;
  chosen: string | undefined;
  metadata: TagMetadata | undefined;
  best: string | undefined;
  candidateCount: number;
  counts: Decision['counts'];
  skipped: readonly SkippedTag[];
  allowTags: string;
  /** Candidates ranked above the kept floor that a gate or a metadata failure removed. */
  newerSkipped: number;
  /** For each tag that ties with others on the ordering key: those others. */
  ties: ReadonlyMap<string, readonly string[]>;
  payloadTag?: string;
}): string {
  const { strategy, input, outcome, counts } = parts;
  const policy = input.image.policy;
  const pool = parts.payloadTag
    ? `the event's tag ${show(parts.payloadTag)}`
    : `${counts.seen} tags seen, ${counts.afterFilter} after filters, ${parts.candidateCount} ranked`;
  const skippedText =
    summariseSkipped(counts.skipped, policy, parts.allowTags) + unverifiedDetail(parts.skipped);
  switch (outcome.kind) {
    case 'candidate': {
      const chosen = outcome.candidate.tag;
      const tie = describeTie(strategy, chosen, parts.ties.get(chosen) ?? [], parts.candidateCount);
      if (chosen === tagOf(input.current) && parts.chosen === input.current) {
        return `${show(chosen)} is already the ${strategy.describe} (${pool}${skippedText})${tie}.`;
      }
      const replaces =
        input.current === undefined ? 'nothing written yet' : `replaces ${show(input.current)}`;
      return `${show(chosen)} is the ${strategy.describe}${builtAt(outcome.candidate.metadata)} and ${replaces} (${pool}${skippedText})${tie}.`;
    }
    case 'keep': {
      const kept = show(outcome.floor.candidate.tag);
      const role =
        outcome.floor.role === 'current'
          ? 'current'
          : 'already proposed on the pull-request branch';
      const floorTies = parts.ties.get(outcome.floor.candidate.tag) ?? [];
      const why =
        parts.newerSkipped > 0
          ? `every newer tag was skipped`
          : parts.best !== undefined && floorTies.includes(parts.best)
            ? `${show(parts.best)}${floorTies.length > 1 ? ` and ${floorTies.length - 1} more` : ''} ha${floorTies.length > 1 ? 've' : 's'} the same ${strategy.tiedOn}, and a tie keeps the ${outcome.floor.role} value`
            : parts.best === outcome.floor.candidate.tag
              ? `it is the ${strategy.describe}`
              : `no allowed tag is newer${parts.best === undefined ? '' : ` (best: ${show(parts.best)})`} and allow-downgrade is off`;
      return `keeping ${kept} (${role}): ${why} (${pool}${skippedText}).`;
    }
    case 'none': {
      const keep = input.current === undefined ? '' : `; leaving ${show(input.current)} as it is`;
      return `no tag qualifies (${pool}${skippedText})${keep}.`;
    }
  }
}

/** Why the newest unverified candidates were passed over: the log explains an older choice. */
function unverifiedDetail(skipped: readonly SkippedTag[]): string {
  const unverified = skipped.filter((entry) => entry.cause === 'unverified');
  if (unverified.length === 0) return '';
  const shown = unverified.slice(0, 3).map((entry) => `${show(entry.tag)}: ${entry.detail}`);
  const more = unverified.length > 3 ? `; and ${unverified.length - 3} more unverified` : '';
  return ` — ${shown.join('; ')}${more}`;
}

/**
 * How a tie on the ordering key was broken, for the log line and the pull request: reproducible
 * builds give every candidate the same time, and the tag name deciding must not go unnoticed.
 */
function describeTie(
  strategy: RankingStrategy,
  chosen: string,
  others: readonly string[],
  candidateCount: number,
): string {
  if (others.length === 0) return '';
  const names = others.slice(0, 3).map(show).join(', ') + (others.length > 3 ? ', …' : '');
  const who =
    others.length + 1 === candidateCount
      ? `all ${candidateCount} candidates have the same ${strategy.tiedOn}`
      : `${show(chosen)} has the same ${strategy.tiedOn} as ${names}`;
  return `; ${who}, so the tag name decided (last in byte order wins)`;
}

/** When the image was built, and from what, for reasons. */
export function builtAt(metadata: TagMetadata | undefined): string {
  const time = metadata && buildTimeOf(metadata);
  if (time === undefined) return '';
  if (time.source === 'created') return ` (built ${time.text})`;
  const config = metadata?.created === undefined ? 'has none' : `says ${metadata.created}`;
  return ` (built ${time.text} by its ${CREATED_LABEL} label; the image config ${config})`;
}

/** A value from a file or the registry in a reason: plain when it is an ordinary tag, quoted otherwise. */
export function show(value: string): string {
  const at = value.indexOf('@');
  const plain =
    at < 0
      ? isValidOciTag(value)
      : isValidOciTag(value.slice(0, at)) && isDigest(value.slice(at + 1));
  return plain ? value : JSON.stringify(value);
}

export function logFilterDetail(
  logger: Logger,
  image: ImageSettings,
  skipped: Readonly<Record<FilterRejection, readonly string[]>>,
): void {
  for (const [cause, tags] of Object.entries(skipped)) {
    if (tags.length === 0) continue;
    const sample = tags
      .slice(0, 20)
      .map((tag) => JSON.stringify(tag))
      .join(', ');
    logger.debug(
      `${image.alias}: ${tags.length} tags ${cause}: ${sample}${tags.length > 20 ? ', …' : ''}`,
    );
  }
}

export function logRankingDetail(
  logger: Logger,
  image: ImageSettings,
  ordered: readonly Candidate[],
  skipped: readonly SkippedTag[],
): void {
  const top = ordered
    .slice(0, 5)
    .map((candidate) =>
      candidate.metadata?.created === undefined
        ? candidate.tag
        : `${candidate.tag} (${candidate.metadata.created})`,
    );
  if (top.length > 0)
    logger.debug(
      `${image.alias}: best ranked: ${top.join(', ')}${ordered.length > 5 ? ', …' : ''}`,
    );
  for (const entry of skipped.slice(0, 50)) {
    logger.debug(`${image.alias}: skipped ${JSON.stringify(entry.tag)}: ${entry.detail}`);
  }
  if (skipped.length > 50)
    logger.debug(`${image.alias}: … and ${skipped.length - 50} more skipped`);
}
