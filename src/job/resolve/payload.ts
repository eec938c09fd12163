import type { Decision } from '../../core/decision.js';
import { PayloadError } from '../../core/errors.js';
import { OCI_TAG_GRAMMAR, digestProblem, isValidOciTag } from '../../core/oci.js';
import type { TagMetadata } from '../../core/tag-metadata.js';
import { walkRanking, type Floor } from '../../strategy/choose.js';
import { compileTagFilter } from '../../strategy/filter.js';
import { strategyFor, type TagStrategy } from '../../strategy/index.js';
import type { RankingStrategy } from '../../strategy/ranking.js';
import { decideDigest, requireTrackedTag } from './digest.js';
import { describeRejection } from './explain.js';
import type { PayloadInput } from './input.js';
import { rankingDecision, setAsideFutureBuilds, trustsFloor } from './ranking.js';
import {
  floorUnreadable,
  isNotFound,
  optionalMetadata,
  tagExists,
  tagOf,
} from './registry-reads.js';

/**
 * The tag an event names (`repository_dispatch`, `registry_package`), decided without listing
 * tags. The payload is untrusted: it must be a valid tag that passes the image's filters, exist
 * in the registry, and carry the registry's digest when it names one — otherwise a PayloadError.
 * It is then one candidate of the same ranking walk the tag list goes through.
 */
export async function decidePayload(input: PayloadInput): Promise<Decision> {
  const { strategy, metadata } = await checkPayload(input);
  if (strategy.kind === 'tracking') return decideDigest(input, input.tag, metadata);
  return decidePayloadRanking(input, strategy, input.tag, metadata);
}

/**
 * The checks an untrusted payload must pass, without deciding anything: a valid tag that passes
 * the image's filters (or is the followed tag), exists, and has the digest the payload names.
 * Returns the tag's metadata; throws a PayloadError naming the field otherwise.
 */
export async function checkPayload(
  input: PayloadInput,
): Promise<{ strategy: TagStrategy; metadata: TagMetadata }> {
  const { image, tag } = input;
  const policy = image.policy;
  const fields = input.fields ?? { tag: 'client_payload.tag', digest: 'client_payload.digest' };
  const where = `${image.alias} (${image.repository})`;
  if (!isValidOciTag(tag)) {
    throw new PayloadError(
      `${fields.tag} ${JSON.stringify(tag)} is not a valid OCI tag (expected ${OCI_TAG_GRAMMAR}); nothing was written`,
    );
  }
  const digestIssue = input.digest === undefined ? undefined : digestProblem(input.digest);
  if (digestIssue !== undefined) {
    throw new PayloadError(
      `${fields.digest} ${JSON.stringify(input.digest)} ${digestIssue}; nothing was written`,
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
  // An event cannot push an unverified image through: nothing is written.
  const unverified = await input.verification?.check({ tag, metadata });
  if (unverified) {
    throw new PayloadError(
      `${fields.tag} ${JSON.stringify(tag)} of ${where} fails verification: ${unverified.detail}; nothing was written`,
    );
  }
  return { strategy, metadata };
}

/** The event's tag as the only candidate of the ranking walk, against current and pending. */
async function decidePayloadRanking(
  input: PayloadInput,
  strategy: RankingStrategy,
  tag: string,
  metadata: TagMetadata,
): Promise<Decision> {
  const policy = input.image.policy;
  const candidate = { tag, metadata };
  const now = input.now();
  const trusted = setAsideFutureBuilds(input, [candidate], now);
  const ordering = strategy.order(trusted.candidates, policy);
  const filter = compileTagFilter(policy);
  const currentTag = tagOf(input.current);
  const pendingTag = tagOf(input.pending);
  let currentMetadata: TagMetadata | undefined = tag === currentTag ? metadata : undefined;

  // A floor that passes the filters and exists (found by its metadata, or by a HEAD when the
  // strategy ranks by name and the event's tag would lose to it anyway).
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
      if (order !== undefined && order <= 0 && !(await tagExists(input, floorTag)))
        return undefined;
    }
    const floor: Floor = { role, candidate: { tag: floorTag, metadata: floorMetadata } };
    return trustsFloor(input, floor, now) ? floor : undefined;
  };

  const floors: Floor[] = [];
  if (!policy.allowDowngrade) {
    const current = await floorFor('current', currentTag);
    const pending = pendingTag === currentTag ? undefined : await floorFor('pending', pendingTag);
    if (current) floors.push(current);
    if (pending) floors.push(pending);
  } else if (currentTag !== undefined && currentTag !== tag && strategy.needsMetadataToOrder) {
    currentMetadata = await optionalMetadata(input, currentTag);
  }

  const walk = await walkRanking({
    strategy,
    ordering,
    floors,
    policy,
    now,
    metadataFor: () => Promise.resolve(metadata),
    // Verified above, before any decision: re-checking here would ask nothing new.
  });
  return rankingDecision(input, {
    strategy,
    ordering,
    walk,
    filtered: { kept: [tag], skipped: { invalid: [], notAllowed: [], ignored: [] } },
    seen: 1,
    skipped: [...trusted.skipped, ...ordering.skipped],
    fetched: { metadata: new Map(), failures: new Map() },
    currentMetadata,
    payloadTag: tag,
  });
}
