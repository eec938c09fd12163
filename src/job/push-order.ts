import type { TagPolicy } from '../config/settings.js';
import { RequestBudgetSpent } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { ImageReference, ListedTag, RegistryClient, TagMetadata } from '../registry/types.js';
import { checkGates } from '../strategy/gates.js';
import { parseBuildTime } from '../strategy/newest-build.js';

/**
 * How much later than its push time an image's `created` may be and still be believed: clock
 * skew between the build machine and the registry. An image is built before it is pushed, so a
 * tag pushed more than this before the newest confirmed build cannot be newer
 * ([ADR 0026](../../docs/adr/0026-listing-order-for-newest-build.md)).
 */
export const PUSH_BUILD_SKEW_MS = 15 * 60 * 1000;

export interface PushOrderInput {
  readonly client: RegistryClient;
  readonly reference: ImageReference;
  readonly policy: TagPolicy;
  readonly logger: Logger;
  readonly alias: string;
  readonly now: Date;
  /** The listing, every tag with its push time. */
  readonly listing: readonly ListedTag[];
  /** Tags that passed the filters. */
  readonly candidates: readonly string[];
  /** Current and pending tags no-downgrade protects: read first, whatever their push time. */
  readonly floors: readonly string[];
}

export interface PushOrderReads {
  readonly metadata: Map<string, TagMetadata>;
  readonly failures: Map<string, unknown>;
  /** Candidates not read because they were pushed too early to be the newest build. */
  readonly notRead: number;
}

/**
 * newest-build with a listing: reads the floors, then candidates newest push first, and stops at
 * the first candidate pushed more than PUSH_BUILD_SKEW_MS before the best build time that can
 * decide the outcome — the newest build that passes the gates, or (without allow-downgrade) a
 * floor's. Every candidate not read was built no later than its push, so it cannot outrank what
 * was read; ranking the reads gives the answer a read of every tag would give. A tag without a
 * push time is always read.
 */
export async function readInPushOrder(input: PushOrderInput): Promise<PushOrderReads> {
  const { client, reference, policy } = input;
  const metadata = new Map<string, TagMetadata>();
  const failures = new Map<string, unknown>();
  const read = async (tag: string): Promise<TagMetadata | undefined> => {
    try {
      const found = await client.getMetadata(reference, tag, policy.platforms);
      metadata.set(tag, found);
      return found;
    } catch (error) {
      failures.set(tag, error);
      if (error instanceof RequestBudgetSpent) throw error;
      return undefined;
    }
  };
  const buildTime = (found: TagMetadata | undefined): number | undefined =>
    parseBuildTime(found?.created)?.epochMs;

  let bound = -Infinity;
  const raise = (time: number | undefined): void => {
    if (time !== undefined && time > bound) bound = time;
  };
  try {
    const floorReads = await Promise.all(input.floors.map((tag) => read(tag)));
    if (!policy.allowDowngrade) for (const found of floorReads) raise(buildTime(found));

    const pushed = new Map(input.listing.map((entry) => [entry.tag, entry.pushedAt]));
    const ordered = [...new Set(input.candidates)].sort((a, b) => {
      const timeA = pushed.get(a) ?? Infinity;
      const timeB = pushed.get(b) ?? Infinity;
      return timeB - timeA || (a < b ? 1 : a > b ? -1 : 0);
    });
    let index = 0;
    for (; index < ordered.length; index += 1) {
      const tag = ordered[index] as string;
      const pushedAt = pushed.get(tag);
      if (pushedAt !== undefined && pushedAt + PUSH_BUILD_SKEW_MS < bound) break;
      const found = metadata.has(tag) ? metadata.get(tag) : await read(tag);
      if (
        found !== undefined &&
        checkGates({ tag, metadata: found }, policy, input.now) === undefined
      )
        raise(buildTime(found));
    }
    const notRead = ordered.length - index;
    input.logger.debug(
      `${input.alias}: read ${index} of ${ordered.length} candidates in push order; ` +
        `${notRead} pushed before ${Number.isFinite(bound) ? new Date(bound - PUSH_BUILD_SKEW_MS).toISOString() : 'any build'} cannot be newer`,
    );
    return { metadata, failures, notRead };
  } catch (error) {
    if (!(error instanceof RequestBudgetSpent)) throw error;
    return { metadata, failures, notRead: 0 };
  }
}
