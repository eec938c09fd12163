import { RequestBudgetSpent } from '../../core/errors.js';
import type { TagMetadata } from '../../core/tag-metadata.js';
import type { ListedTag } from '../../registry/types.js';
import { buildTimeOf, futureBuild } from '../../strategy/build-time.js';
import { checkGates } from '../../strategy/gates.js';
import type { Fetched } from './registry-reads.js';
import type { ResolveInput } from './input.js';

/**
 * How much later than its push time an image's `created` may be and still be believed: clock
 * skew between the build machine and the registry. An image is built before it is pushed, so a
 * tag pushed more than this before the newest confirmed build cannot be newer
 * ([ADR 0026](../../../docs/adr/0026-listing-order-for-newest-build.md)).
 */
export const PUSH_BUILD_SKEW_MS = 15 * 60 * 1000;

export interface PushOrderReads extends Fetched {
  /** Candidates not read because they were pushed too early to be the newest build. */
  readonly notRead: number;
}

/**
 * newest-build with a listing: reads the floors, then candidates newest push first, and stops at
 * the first candidate pushed more than PUSH_BUILD_SKEW_MS before the best build time that can
 * decide the outcome — the newest build that passes the gates (and the supply-chain gate, when the
 * image verifies), or (without allow-downgrade) a floor's. Every candidate not read was built no later than its push, so it cannot outrank what
 * was read; ranking the reads gives the answer a read of every tag would give. A tag without a
 * push time is always read.
 */
export async function readInPushOrder(
  input: ResolveInput,
  listing: readonly ListedTag[],
  /** Tags that passed the filters. */
  candidates: readonly string[],
  /** Current and pending tags no-downgrade protects: read first, whatever their push time. */
  floors: readonly string[],
): Promise<PushOrderReads> {
  const { client, reference } = input;
  const policy = input.image.policy;
  const now = input.now();
  const metadata = new Map<string, TagMetadata>();
  const failures = new Map<string, unknown>();
  const digests = new Map(listing.map((entry) => [entry.tag, entry.digest]));
  const read = async (tag: string): Promise<TagMetadata | undefined> => {
    try {
      // With the listing's digest, a tag on a manifest already read this run costs nothing, and
      // a cached tag that has moved to another manifest is read again.
      const digest = digests.get(tag);
      const found = await client.getMetadata(
        reference,
        tag,
        policy.platforms,
        digest === undefined || digest === '' ? undefined : { digest },
      );
      metadata.set(tag, found);
      return found;
    } catch (error) {
      failures.set(tag, error);
      if (error instanceof RequestBudgetSpent) throw error;
      return undefined;
    }
  };
  // The build time the ranking will use; a time in the future is set aside there, so not here.
  const buildTime = (tag: string, found: TagMetadata | undefined): number | undefined =>
    found === undefined || futureBuild({ tag, metadata: found }, now) !== undefined
      ? undefined
      : buildTimeOf(found)?.epochMs;

  let bound = -Infinity;
  const raise = (time: number | undefined): void => {
    if (time !== undefined && time > bound) bound = time;
  };
  try {
    const floorReads = await Promise.all(floors.map((tag) => read(tag)));
    if (!policy.allowDowngrade)
      floorReads.forEach((found, index) => raise(buildTime(floors[index] as string, found)));

    const pushed = new Map(listing.map((entry) => [entry.tag, entry.pushedAt]));
    const ordered = [...new Set(candidates)].sort((a, b) => {
      const timeA = pushed.get(a) ?? Infinity;
      const timeB = pushed.get(b) ?? Infinity;
      return timeB - timeA || (a < b ? 1 : a > b ? -1 : 0);
    });
    let index = 0;
    for (; index < ordered.length; index += 1) {
      const tag = ordered[index] as string;
      const pushedAt = pushed.get(tag);
      if (pushedAt !== undefined && pushedAt + PUSH_BUILD_SKEW_MS < bound) break;
      const found = metadata.has(tag) || failures.has(tag) ? metadata.get(tag) : await read(tag);
      if (found === undefined || checkGates({ tag, metadata: found }, policy, now) !== undefined)
        continue;
      const time = buildTime(tag, found);
      // Only a build that can be chosen bounds the walk: with a supply-chain gate, a verified one.
      if (time === undefined || time <= bound) continue;
      if (input.verification && (await input.verification.check({ tag, metadata: found })))
        continue;
      raise(time);
    }
    const notRead = ordered.length - index;
    input.logger.debug(
      `${input.image.alias}: read ${index} of ${ordered.length} candidates in push order; ` +
        `${notRead} pushed before ${Number.isFinite(bound) ? new Date(bound - PUSH_BUILD_SKEW_MS).toISOString() : 'any build'} cannot be newer`,
    );
    return { metadata, failures, notRead };
  } catch (error) {
    if (!(error instanceof RequestBudgetSpent)) throw error;
    return { metadata, failures, notRead: 0 };
  }
}
