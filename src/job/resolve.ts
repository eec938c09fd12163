import type { ImageSettings, TagPolicy } from '../config/settings.js';
import {
  ConfigurationError,
  PayloadError,
  RegistryError,
  RequestBudgetSpent,
  errorMessage,
} from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { ImageReference, RegistryClient, TagMetadata } from '../registry/types.js';
import { walkRanking, highestFloor, type Floor, type WalkOutcome } from '../strategy/choose.js';
import { formatDigestValue, pinsDigest, splitDigestValue, trackedTag } from '../strategy/digest.js';
import {
  compileTagFilter,
  describeAllowTags,
  filterTags,
  isValidOciTag,
  type FilterRejection,
} from '../strategy/filter.js';
import { checkGates } from '../strategy/gates.js';
import { readInPushOrder } from './push-order.js';
import { strategyFor } from '../strategy/index.js';
import type { Candidate, RankingStrategy, SkipCause, SkippedTag } from '../strategy/ranking.js';
import type { Decision } from '../strategy/types.js';

export interface ResolveInput {
  readonly image: ImageSettings;
  readonly reference: ImageReference;
  /** The value written on the base branch (tag, or `tag@sha256:…` for digest). */
  readonly current: string | undefined;
  /**
   * The value already proposed on the open pull-request branch. The choice never goes below it
   * (unless downgrades are allowed), so a slow run does not undo a faster one.
   */
  readonly pending?: string | undefined;
  readonly client: RegistryClient;
  readonly logger: Logger;
  readonly now: () => Date;
}

export interface PayloadInput extends ResolveInput {
  /** Untrusted: from `client_payload` or `package_version.container_metadata`. */
  readonly tag: string;
  readonly digest?: string | undefined;
  /** How the event names the fields, for messages; defaults to `client_payload.tag` / `.digest`. */
  readonly fields?: { readonly tag: string; readonly digest: string };
}

/** Resolves one image: lists the tags, filters, ranks (or follows one tag for digest) and chooses. */
export async function resolveImage(input: ResolveInput): Promise<Decision> {
  const strategy = strategyFor(input.image.policy.strategy);
  let decision: Decision;
  try {
    decision =
      strategy.kind === 'tracking'
        ? await resolveDigest(input)
        : await resolveRanking(input, strategy);
  } catch (error) {
    if (!(error instanceof RequestBudgetSpent)) throw error;
    decision = budgetSpentDecision(input, error);
    input.logger.warning(`${input.image.alias} (${input.image.repository}): ${decision.reason}`);
    return decision;
  }
  input.logger.info(`${input.image.alias} (${input.image.repository}): ${decision.reason}`);
  return decision;
}

/**
 * No more registry requests may be made: the chart keeps what it has (and an open pull request
 * keeps what it proposes) rather than failing the image or choosing from a partial list.
 */
function budgetSpentDecision(input: ResolveInput, error: RequestBudgetSpent): Decision {
  const kept = input.pending ?? input.current;
  return {
    alias: input.image.alias,
    image: input.image.repository,
    current: input.current,
    chosen: kept,
    metadata: undefined,
    currentMetadata: undefined,
    changed: kept !== undefined && kept !== input.current,
    reason: `kept ${kept === undefined ? 'the current value' : JSON.stringify(kept)} without deciding: ${error.message}`,
    counts: { seen: 0, afterFilter: 0, skipped: {} },
    tiedWith: [],
  };
}

// ---------------------------------------------------------------------------------------------
// Ranking strategies: semver, newest-build, alphabetical

interface Fetched {
  readonly metadata: Map<string, TagMetadata>;
  readonly failures: Map<string, unknown>;
}

/**
 * Metadata reads started at once per image. More than any host's request slots
 * (`registry-concurrency` is at most 64), so the client's slots stay full; far fewer than the
 * thousands of tags an image can have, so waiting reads do not each hold a chain of promises.
 */
const READS_IN_FLIGHT = 64;

async function fetchAll(input: ResolveInput, tags: readonly string[]): Promise<Fetched> {
  const metadata = new Map<string, TagMetadata>();
  const failures = new Map<string, unknown>();
  let next = 0;
  let spent = false;
  const worker = async (): Promise<void> => {
    while (!spent && next < tags.length) {
      const tag = tags[next++] as string;
      try {
        metadata.set(
          tag,
          await input.client.getMetadata(input.reference, tag, input.image.policy.platforms),
        );
      } catch (error) {
        failures.set(tag, error);
        // Every later read would be refused too.
        if (error instanceof RequestBudgetSpent) spent = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READS_IN_FLIGHT, tags.length) }, worker));
  return { metadata, failures };
}

async function resolveRanking(input: ResolveInput, strategy: RankingStrategy): Promise<Decision> {
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
  let fetched: Fetched = { metadata: new Map(), failures: new Map() };
  if (strategy.needsMetadataToOrder) {
    if (listing) {
      fetched = await readInPushOrder({
        client: input.client,
        reference: input.reference,
        policy,
        logger,
        alias: image.alias,
        now: input.now(),
        listing,
        candidates: filtered.kept,
        floors: [currentTag, pendingTag].filter(
          (tag, index, all): tag is string =>
            tag !== undefined && listed.has(tag) && all.indexOf(tag) === index,
        ),
      });
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
  const candidates: Candidate[] = filtered.kept
    .filter((tag) => !fetched.failures.has(tag))
    // With a listing, tags pushed too early to win were not read and are not ranked.
    .filter((tag) => !listing || fetched.metadata.has(tag))
    .map((tag) => ({ tag, metadata: fetched.metadata.get(tag) }));
  const ordering = strategy.order(candidates, policy);
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

  const walk = await walkRanking({
    strategy,
    ordering,
    floors,
    policy,
    now: input.now(),
    metadataFor: (tag) => input.client.getMetadata(input.reference, tag, policy.platforms),
  });
  skipped.push(...walk.skipped);
  logRankingDetail(logger, image, ordering.ordered, skipped);
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

  const currentMetadata = currentTag === undefined ? undefined : fetched.metadata.get(currentTag);
  const chosen = await chosenOf(input, walk.outcome, fetched, walk.fetched);
  const chosenTag = tagOf(chosen.value);
  const counts = countDecision(tags.length, filtered, skipped);
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
    allowTags: describeAllowTags(policy.allowTags),
    newerSkipped: walk.skipped.length,
  });
  return {
    alias: image.alias,
    image: image.repository,
    current: input.current,
    chosen: chosen.value,
    metadata: chosen.metadata,
    currentMetadata,
    changed: chosen.value !== undefined && chosen.value !== input.current,
    reason,
    counts,
    tiedWith: chosenTag === undefined ? [] : [...(ordering.ties.get(chosenTag) ?? [])],
  };
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

// ---------------------------------------------------------------------------------------------
// digest: follow one mutable tag

async function resolveDigest(input: ResolveInput): Promise<Decision> {
  const { image } = input;
  const tag = requireTrackedTag(image);
  let digest: string;
  try {
    digest = await input.client.getDigest(input.reference, tag);
  } catch (error) {
    if (isNotFound(error)) {
      throw new RegistryError(
        `tag ${JSON.stringify(tag)} followed by the digest strategy does not exist in ${image.repository}; ` +
          'push it or set the tag to follow (constraint)',
        { image: image.repository, status: 404 },
        { cause: error },
      );
    }
    throw error;
  }
  if (pinsDigest(input.current, tag, digest)) {
    return digestDecision(input, {
      chosen: input.current,
      metadata: undefined,
      changed: false,
      reason: `${show(tag)} still points at ${digest}, which is already written.`,
      skipped: [],
    });
  }
  // Only now is the body worth a request: the digest moved (or nothing pins it yet).
  const metadata = await input.client.getMetadata(input.reference, tag, image.policy.platforms, {
    digest,
  });
  return decideDigest(input, tag, metadata);
}

function decideDigest(input: ResolveInput, tag: string, metadata: TagMetadata): Decision {
  const rejection = checkGates({ tag, metadata }, input.image.policy, input.now());
  const current =
    input.current === undefined ? 'nothing written yet' : `keeping ${show(input.current)}`;
  if (rejection) {
    return digestDecision(input, {
      chosen: input.current,
      metadata,
      changed: false,
      reason: `${show(tag)} now points at ${metadata.digest}, but that image ${rejection.detail}; ${current}.`,
      skipped: [rejection],
    });
  }
  const value = formatDigestValue(tag, metadata.digest);
  const changed = !pinsDigest(input.current, tag, metadata.digest);
  const was = input.current === undefined ? '' : `, replacing ${show(input.current)}`;
  return digestDecision(input, {
    chosen: changed ? value : input.current,
    metadata,
    changed,
    reason: changed
      ? `${show(tag)} now points at ${metadata.digest}${builtAt(metadata)}${was}.`
      : `${show(tag)} still points at ${metadata.digest}, which is already written.`,
    skipped: [],
  });
}

function digestDecision(
  input: ResolveInput,
  parts: {
    chosen: string | undefined;
    metadata: TagMetadata | undefined;
    changed: boolean;
    reason: string;
    skipped: readonly SkippedTag[];
  },
): Decision {
  return {
    alias: input.image.alias,
    image: input.image.repository,
    current: input.current,
    chosen: parts.chosen,
    metadata: parts.metadata,
    currentMetadata: undefined,
    changed: parts.changed,
    reason: parts.reason,
    counts: { seen: 1, afterFilter: 1, skipped: tally(parts.skipped) },
    tiedWith: [],
  };
}

function requireTrackedTag(image: ImageSettings): string {
  const tag = trackedTag(image.policy);
  if (!isValidOciTag(tag)) {
    throw new ConfigurationError(
      `image ${image.alias}: the digest strategy follows one tag, and ${JSON.stringify(tag)} is not a valid tag; ` +
        'set the constraint to a tag such as latest',
    );
  }
  return tag;
}

// ---------------------------------------------------------------------------------------------
// A tag named by an event payload

const OCI_DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

/**
 * Resolves the tag an event names (`repository_dispatch`, `registry_package`) without listing
 * tags. The payload is untrusted: it must be a valid tag that passes the image's filters, exist
 * in the registry, and carry the registry's digest when it names one — otherwise a PayloadError.
 * It is chosen only when it passes the gates and is newer than current and pending.
 */
export async function resolvePayloadTag(input: PayloadInput): Promise<Decision> {
  const decision = await decidePayload(input);
  input.logger.info(`${input.image.alias} (${input.image.repository}): ${decision.reason}`);
  return decision;
}

async function decidePayload(input: PayloadInput): Promise<Decision> {
  const { image, tag } = input;
  const policy = image.policy;
  const fields = input.fields ?? { tag: 'client_payload.tag', digest: 'client_payload.digest' };
  const where = `${image.alias} (${image.repository})`;
  if (!isValidOciTag(tag)) {
    throw new PayloadError(
      `${fields.tag} ${JSON.stringify(tag)} is not a valid OCI tag (expected [A-Za-z0-9_][A-Za-z0-9._-]{0,127}); nothing was written`,
    );
  }
  if (input.digest !== undefined && !OCI_DIGEST.test(input.digest)) {
    throw new PayloadError(
      `${fields.digest} ${JSON.stringify(input.digest)} is not a digest (expected algorithm:hex such as sha256:…); nothing was written`,
    );
  }
  const strategy = strategyFor(policy.strategy);
  if (strategy.kind === 'tracking') {
    const followed = requireTrackedTag(image);
    if (tag !== followed) {
      throw new PayloadError(
        `${fields.tag} ${JSON.stringify(tag)} is not the tag ${JSON.stringify(followed)} that ${where} follows with the digest strategy; nothing was written`,
      );
    }
  } else {
    const rejection = compileTagFilter(policy).check(tag);
    if (rejection !== undefined) {
      throw new PayloadError(
        `${fields.tag} ${JSON.stringify(tag)} ${describeRejection(rejection, policy)} of ${where}; nothing was written`,
      );
    }
    if (!strategy.needsMetadataToOrder) {
      const unranked = strategy.order([{ tag, metadata: undefined }], policy).skipped[0];
      if (unranked)
        throw new PayloadError(
          `${fields.tag} ${JSON.stringify(tag)} ${unranked.detail} for ${where}; nothing was written`,
        );
    }
  }

  let metadata: TagMetadata;
  try {
    const options = input.digest === undefined ? undefined : { digest: input.digest };
    metadata = await input.client.getMetadata(input.reference, tag, policy.platforms, options);
  } catch (error) {
    if (isNotFound(error)) {
      throw new PayloadError(
        `${fields.tag}: tag ${JSON.stringify(tag)} does not exist in ${input.reference.registry}/${input.reference.repository}; nothing was written`,
      );
    }
    throw error;
  }
  if (input.digest !== undefined && metadata.digest !== input.digest) {
    throw new PayloadError(
      `digest mismatch: ${fields.digest} is ${JSON.stringify(input.digest)}, but tag ${JSON.stringify(tag)} of ` +
        `${input.reference.registry}/${input.reference.repository} is ${JSON.stringify(metadata.digest)}; nothing was written`,
    );
  }
  if (strategy.kind === 'tracking') return decideDigest(input, tag, metadata);
  return decidePayloadRanking(input, strategy, tag, metadata);
}

async function decidePayloadRanking(
  input: PayloadInput,
  strategy: RankingStrategy,
  tag: string,
  metadata: TagMetadata,
): Promise<Decision> {
  const policy = input.image.policy;
  const candidate = { tag, metadata };
  const ordering = strategy.order([candidate], policy);
  const skipped: SkippedTag[] = [...ordering.skipped];
  const filter = compileTagFilter(policy);
  const currentTag = tagOf(input.current);
  const pendingTag = tagOf(input.pending);
  let currentMetadata: TagMetadata | undefined;

  // A floor that passes the filters and exists (found by its metadata, or by a HEAD when the
  // strategy ranks by name and the payload would lose to it anyway).
  const floorFor = async (
    role: Floor['role'],
    floorTag: string | undefined,
  ): Promise<Floor | undefined> => {
    if (floorTag === undefined || floorTag === tag || filter.check(floorTag) !== undefined)
      return undefined;
    let floorMetadata: TagMetadata | undefined;
    if (strategy.needsMetadataToOrder) {
      try {
        floorMetadata = await input.client.getMetadata(input.reference, floorTag, policy.platforms);
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw floorUnreadable(input.image, role, floorTag, error);
      }
      if (role === 'current') currentMetadata = floorMetadata;
    } else {
      const order = strategy.compare(candidate, { tag: floorTag, metadata: undefined });
      if (order !== undefined && order <= 0 && !(await exists(input, floorTag))) return undefined;
    }
    return { role, candidate: { tag: floorTag, metadata: floorMetadata } };
  };

  let outcome: WalkOutcome = { kind: 'none' };
  const ranked = ordering.ordered.length > 0;
  const rejection = ranked ? checkGates(candidate, policy, input.now()) : undefined;
  if (rejection) skipped.push(rejection);
  const floors: Floor[] = [];
  if (!policy.allowDowngrade) {
    const current = await floorFor('current', currentTag);
    const pending = pendingTag === currentTag ? undefined : await floorFor('pending', pendingTag);
    if (current) floors.push(current);
    if (pending) floors.push(pending);
  } else if (currentTag !== undefined && currentTag !== tag && strategy.needsMetadataToOrder) {
    currentMetadata = await optionalMetadata(input, currentTag);
  }
  const floor = highestFloor(strategy, floors);
  const order = floor === undefined ? undefined : strategy.compare(candidate, floor.candidate);
  if (ranked && !rejection && (floor === undefined || order === undefined || order > 0)) {
    outcome = { kind: 'candidate', candidate };
  } else if (floor !== undefined) {
    outcome = { kind: 'keep', floor, reachedFloor: order !== undefined && order <= 0 };
  } else if (tag === currentTag && ranked && !rejection) {
    outcome = { kind: 'candidate', candidate };
  }
  if (tag === currentTag) currentMetadata = metadata;

  const chosen = await chosenOf(
    input,
    outcome,
    { metadata: new Map(), failures: new Map() },
    new Map(),
  );
  const counts = countDecision(
    1,
    { kept: [tag], skipped: { invalid: [], notAllowed: [], ignored: [] } },
    skipped,
  );
  const reason = explainRanking({
    strategy,
    input,
    outcome,
    chosen: chosen.value,
    metadata: chosen.metadata,
    best: ranked ? tag : undefined,
    candidateCount: ranked ? 1 : 0,
    counts,
    skipped,
    allowTags: describeAllowTags(policy.allowTags),
    newerSkipped: rejection !== undefined && (order === undefined || order > 0) ? 1 : 0,
    payloadTag: tag,
  });
  return {
    alias: input.image.alias,
    image: input.image.repository,
    current: input.current,
    chosen: chosen.value,
    metadata: chosen.metadata,
    currentMetadata,
    changed: chosen.value !== undefined && chosen.value !== input.current,
    reason,
    counts,
    tiedWith: [],
  };
}

async function optionalMetadata(
  input: ResolveInput,
  tag: string,
): Promise<TagMetadata | undefined> {
  try {
    return await input.client.getMetadata(input.reference, tag, input.image.policy.platforms);
  } catch (error) {
    input.logger.debug(
      `${input.image.alias}: metadata of ${JSON.stringify(tag)} unavailable: ${errorMessage(error)}`,
    );
    return undefined;
  }
}

async function exists(input: ResolveInput, tag: string): Promise<boolean> {
  try {
    await input.client.getDigest(input.reference, tag);
    return true;
  } catch (error) {
    if (isNotFound(error)) return false;
    throw error;
  }
}

function describeRejection(rejection: FilterRejection, policy: TagPolicy): string {
  switch (rejection) {
    case 'invalid':
      return 'is not a valid OCI tag';
    case 'notAllowed':
      return `is not allowed by allow-tags ${describeAllowTags(policy.allowTags)}`;
    case 'ignored':
      return `matches ignore-tags ${policy.ignoreTags.join(', ')}`;
  }
}

// ---------------------------------------------------------------------------------------------
// Counting and explaining

/** No-downgrade needs the build time of what is written; without it the image fails rather than risk a downgrade. */
function floorUnreadable(
  image: ImageSettings,
  role: Floor['role'],
  tag: string,
  error: unknown,
): RegistryError {
  const which = role === 'current' ? 'current tag' : 'tag proposed on the pull-request branch';
  return new RegistryError(
    `could not read the build time of the ${which} ${JSON.stringify(tag)} of ${image.repository}, so a downgrade ` +
      `cannot be ruled out (${errorMessage(error)}); retry, or set allow-downgrade`,
    { image: image.repository },
    { cause: error },
  );
}

function isNotFound(error: unknown): boolean {
  return error instanceof RegistryError && error.details.status === 404;
}

/** The tag part of a written value (`main-abc`, or `latest` of `latest@sha256:…`). */
function tagOf(value: string | undefined): string | undefined {
  return splitDigestValue(value).tag;
}

function tally(skipped: readonly SkippedTag[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of skipped) counts[entry.cause] = (counts[entry.cause] ?? 0) + 1;
  return counts;
}

function countDecision(
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

function explainRanking(parts: {
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
  payloadTag?: string;
}): string {
  const { strategy, input, outcome, counts } = parts;
  const policy = input.image.policy;
  const pool = parts.payloadTag
    ? `the event's tag ${show(parts.payloadTag)}`
    : `${counts.seen} tags seen, ${counts.afterFilter} after filters, ${parts.candidateCount} ranked`;
  const skippedText = summariseSkipped(counts.skipped, policy, parts.allowTags);
  switch (outcome.kind) {
    case 'candidate': {
      const chosen = outcome.candidate.tag;
      if (chosen === tagOf(input.current) && parts.chosen === input.current) {
        return `${show(chosen)} is already the ${strategy.describe} (${pool}${skippedText}).`;
      }
      const replaces =
        input.current === undefined ? 'nothing written yet' : `replaces ${show(input.current)}`;
      return `${show(chosen)} is the ${strategy.describe}${builtAt(outcome.candidate.metadata)} and ${replaces} (${pool}${skippedText}).`;
    }
    case 'keep': {
      const kept = show(outcome.floor.candidate.tag);
      const role =
        outcome.floor.role === 'current'
          ? 'current'
          : 'already proposed on the pull-request branch';
      const why =
        parts.newerSkipped > 0
          ? `every newer tag was skipped`
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

function builtAt(metadata: TagMetadata | undefined): string {
  return metadata?.created === undefined ? '' : ` (built ${metadata.created})`;
}

/** A value from a file or the registry in a reason: plain when it is an ordinary tag, quoted otherwise. */
function show(value: string): string {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}(?:@[a-z0-9]+:[a-f0-9]+)?$/.test(value)
    ? value
    : JSON.stringify(value);
}

function logFilterDetail(
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

function logRankingDetail(
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
