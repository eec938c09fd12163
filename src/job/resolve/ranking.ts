import type { Decision } from '../../core/decision.js';
import { RegistryError, RequestBudgetSpent, errorMessage } from '../../core/errors.js';
import type { TagMetadata } from '../../core/tag-metadata.js';
import { futureBuild } from '../../strategy/build-time.js';
import {
  walkRanking,
  type CandidateCheck,
  type Floor,
  type WalkOutcome,
  type WalkResult,
} from '../../strategy/choose.js';
import {
  compileTagFilter,
  describeAllowTags,
  filterTags,
  type FilterResult,
} from '../../strategy/filter.js';
import type { Candidate, Ordering, RankingStrategy, SkippedTag } from '../../strategy/ranking.js';
import { buildDecision, countDecision } from './decision.js';
import { explainRanking, logFilterDetail, logRankingDetail } from './explain.js';
import type { ResolveInput } from './input.js';
import { readInPushOrder } from './push-order.js';
import {
  fetchAll,
  floorUnreadable,
  optionalMetadata,
  tagOf,
  type Fetched,
} from './registry-reads.js';

const NOTHING_FETCHED: Fetched = { metadata: new Map(), failures: new Map() };

/**
 * Ranking strategies (semver, newest-build, alphabetical) over the repository's tag list:
 * filter, order, find the floors no-downgrade protects, walk best first, explain.
 */
export async function resolveRanking(
  input: ResolveInput,
  strategy: RankingStrategy,
): Promise<Decision> {
  const { image, logger } = input;
  const policy = image.policy;
  // newest-build orders by build time: a listing API that knows push times spares the pulls.
  const listing =
    strategy.name === 'newest-build' && input.client.listByPush
      ? await input.client.listByPush(input.reference)
      : undefined;
  const tags = [
    ...new Set(
      listing ? listing.map((entry) => entry.tag) : await input.client.listTags(input.reference),
    ),
  ];
  const filtered = filterTags(tags, policy);
  const filter = compileTagFilter(policy);
  const listed = new Set(tags);
  logFilterDetail(logger, image, filtered.skipped);

  const currentTag = tagOf(input.current);
  const pendingTag = tagOf(input.pending);
  // Only a tag that exists and passes the filters is protected from being replaced by an older one.
  const protects = (tag: string | undefined): tag is string =>
    tag !== undefined && listed.has(tag) && filter.check(tag) === undefined;

  const skipped: SkippedTag[] = [];
  let fetched = NOTHING_FETCHED;
  if (strategy.needsMetadataToOrder) {
    if (listing) {
      const floorTags = [currentTag, pendingTag].filter(
        (tag, index, all): tag is string =>
          tag !== undefined && listed.has(tag) && all.indexOf(tag) === index,
      );
      fetched = await readInPushOrder(input, listing, filtered.kept, floorTags);
    } else {
      const wanted = new Set(filtered.kept);
      if (currentTag !== undefined && listed.has(currentTag)) wanted.add(currentTag);
      fetched = await fetchAll(input, [...wanted]);
    }
    // Ordering a partial set could pick a build that is not the newest: keep the value instead.
    const spent = [...fetched.failures.values()].find(
      (error) => error instanceof RequestBudgetSpent,
    );
    if (spent) throw spent;
    for (const [tag, error] of fetched.failures) {
      if (filtered.kept.includes(tag)) {
        skipped.push({
          tag,
          cause: 'metadataError',
          detail: `could not be read (${errorMessage(error)})`,
        });
      }
    }
  }
  const now = input.now();
  const trusted = setAsideFutureBuilds(
    input,
    filtered.kept
      .filter((tag) => !fetched.failures.has(tag))
      // With a listing, tags pushed too early to win were not read and are not ranked.
      .filter((tag) => !listing || fetched.metadata.has(tag))
      .map((tag) => ({ tag, metadata: fetched.metadata.get(tag) })),
    now,
  );
  skipped.push(...trusted.skipped);
  const ordering = strategy.order(trusted.candidates, policy);
  skipped.push(...ordering.skipped);

  if (strategy.needsMetadataToOrder && !policy.allowDowngrade) {
    for (const [role, tag] of [
      ['current', currentTag],
      ['pending', pendingTag],
    ] as const) {
      const error = tag === undefined || !protects(tag) ? undefined : fetched.failures.get(tag);
      if (error !== undefined) throw floorUnreadable(image, role, tag as string, error);
    }
  }
  const floors: Floor[] = [];
  if (protects(currentTag)) {
    floors.push({
      role: 'current',
      candidate: { tag: currentTag, metadata: fetched.metadata.get(currentTag) },
    });
  }
  if (protects(pendingTag) && pendingTag !== currentTag) {
    floors.push({
      role: 'pending',
      candidate: { tag: pendingTag, metadata: fetched.metadata.get(pendingTag) },
    });
  }
  const trustedFloors = floors.filter((floor) => trustsFloor(input, floor, now));

  const walk = await walkRanking({
    strategy,
    ordering,
    floors: trustedFloors,
    policy,
    now,
    metadataFor: (tag) => input.client.getMetadata(input.reference, tag, policy.platforms),
    checks: verificationChecks(input),
  });
  logRankingDetail(logger, image, ordering.ordered, [...skipped, ...walk.skipped]);
  const failures = [...fetched.failures.entries()]
    .filter(([tag]) => filtered.kept.includes(tag))
    .map(([tag, error]) => ({ tag, error }))
    .concat(walk.failures);
  const readable =
    filtered.kept.filter((tag) => fetched.metadata.has(tag)).length + walk.fetched.size;
  if (
    walk.outcome.kind !== 'candidate' &&
    !(walk.outcome.kind === 'keep' && walk.outcome.reachedFloor)
  ) {
    const first = failures[0];
    if (first !== undefined && readable === 0) {
      throw new RegistryError(
        `could not read the metadata of any candidate tag of ${image.repository} (${failures.length} failed; ` +
          `first: ${JSON.stringify(first.tag)}: ${errorMessage(first.error)}); check the registry and credentials`,
        { image: image.repository },
        { cause: first.error },
      );
    }
  }

  return rankingDecision(input, {
    strategy,
    ordering,
    walk,
    filtered,
    seen: tags.length,
    skipped,
    fetched,
    currentMetadata: currentTag === undefined ? undefined : fetched.metadata.get(currentTag),
  });
}

/** Warnings about future build times named per image; the rest are counted. */
const FUTURE_WARNINGS = 5;

/**
 * Candidates whose build time is ahead of the run's clock are skipped, each with a warning that
 * names the tag and the time: through no-downgrade such a tag would otherwise hold back every
 * real build that follows.
 */
export function setAsideFutureBuilds(
  input: ResolveInput,
  candidates: readonly Candidate[],
  now: Date,
): { candidates: Candidate[]; skipped: SkippedTag[] } {
  const kept: Candidate[] = [];
  const skipped: SkippedTag[] = [];
  for (const candidate of candidates) {
    const future = futureBuild(candidate, now);
    if (future) skipped.push(future);
    else kept.push(candidate);
  }
  const where = `${input.image.alias} (${input.image.repository})`;
  // In tag order, so the log does not depend on the order the registry lists tags in.
  skipped.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  for (const entry of skipped.slice(0, FUTURE_WARNINGS)) {
    input.logger.warning(`${where}: skipped ${JSON.stringify(entry.tag)}, which ${entry.detail}`);
  }
  if (skipped.length > FUTURE_WARNINGS) {
    input.logger.warning(
      `${where}: skipped ${skipped.length - FUTURE_WARNINGS} more tags built in the future`,
    );
  }
  return { candidates: kept, skipped };
}

/**
 * A current or pending value with a build time in the future protects nothing (with a warning):
 * otherwise one build from a machine with a wrong clock would pin the image for good.
 */
export function trustsFloor(input: ResolveInput, floor: Floor, now: Date): boolean {
  const future = futureBuild(floor.candidate, now);
  if (future === undefined) return true;
  const which =
    floor.role === 'current' ? 'current tag' : 'tag proposed on the pull-request branch';
  input.logger.warning(
    `${input.image.alias} (${input.image.repository}): the ${which} ${JSON.stringify(floor.candidate.tag)} ` +
      `${future.detail}, so newer builds may replace it`,
  );
  return false;
}

/**
 * The decision a ranking walk ends in, explained. Shared by the tag list and by an event's
 * single tag, so both say the same thing about the same outcome.
 */
export async function rankingDecision(
  input: ResolveInput,
  parts: {
    readonly strategy: RankingStrategy;
    readonly ordering: Ordering;
    readonly walk: WalkResult;
    readonly filtered: FilterResult;
    /** Tags the registry listed (1 for an event's tag). */
    readonly seen: number;
    /** Skipped before the walk: unreadable metadata, tags the strategy could not rank. */
    readonly skipped: readonly SkippedTag[];
    readonly fetched: Fetched;
    readonly currentMetadata: TagMetadata | undefined;
    /** The event's tag, when the decision is about one. */
    readonly payloadTag?: string;
  },
): Promise<Decision> {
  const { strategy, ordering, walk } = parts;
  const skipped = [...parts.skipped, ...walk.skipped];
  const chosen = await chosenOf(input, walk.outcome, parts.fetched, walk.fetched);
  const chosenTag = tagOf(chosen.value);
  const counts = countDecision(parts.seen, parts.filtered, skipped);
  const reason = explainRanking({
    strategy,
    input,
    outcome: walk.outcome,
    chosen: chosen.value,
    metadata: chosen.metadata,
    best: ordering.ordered[0]?.tag,
    candidateCount: ordering.ordered.length,
    counts,
    skipped,
    allowTags: describeAllowTags(input.image.policy.allowTags),
    newerSkipped: walk.skipped.length,
    ties: ordering.ties,
    ...(parts.payloadTag === undefined ? {} : { payloadTag: parts.payloadTag }),
  });
  return buildDecision(input, {
    chosen: chosen.value,
    metadata: chosen.metadata,
    verification:
      walk.outcome.kind === 'candidate'
        ? input.verification?.evidenceFor(walk.outcome.candidate.tag)
        : undefined,
    currentMetadata: parts.currentMetadata,
    reason,
    counts,
    tiedWith: chosenTag === undefined ? [] : [...(ordering.ties.get(chosenTag) ?? [])],
  });
}

/** The walk's supply-chain check, when the image verifies. */
export function verificationChecks(input: ResolveInput): readonly CandidateCheck[] {
  const verification = input.verification;
  return verification ? [(candidate) => verification.check(candidate)] : [];
}

async function chosenOf(
  input: ResolveInput,
  outcome: WalkOutcome,
  fetched: Fetched,
  walked: ReadonlyMap<string, TagMetadata>,
): Promise<{ value: string | undefined; metadata: TagMetadata | undefined }> {
  switch (outcome.kind) {
    case 'candidate':
      return { value: outcome.candidate.tag, metadata: outcome.candidate.metadata };
    case 'keep': {
      const tag = outcome.floor.candidate.tag;
      const value = outcome.floor.role === 'current' ? input.current : input.pending;
      let metadata =
        outcome.floor.candidate.metadata ?? fetched.metadata.get(tag) ?? walked.get(tag);
      if (metadata === undefined && outcome.floor.role === 'pending') {
        // The pull request body shows the build of what it proposes; best effort.
        metadata = await optionalMetadata(input, tag);
      }
      return { value, metadata };
    }
    case 'none':
      return { value: undefined, metadata: undefined };
  }
}
