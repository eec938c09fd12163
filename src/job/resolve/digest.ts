import type { ImageSettings } from '../../config/settings.js';
import type { Decision } from '../../core/decision.js';
import { ConfigurationError, RegistryError } from '../../core/errors.js';
import { isValidOciTag } from '../../core/oci.js';
import type { TagMetadata } from '../../core/tag-metadata.js';
import { formatDigestValue, pinsDigest, trackedTag } from '../../strategy/digest.js';
import { checkGates } from '../../strategy/gates.js';
import type { SkippedTag } from '../../strategy/ranking.js';
import { buildDecision, tally } from './decision.js';
import { builtAt, show } from './explain.js';
import type { ResolveInput } from './input.js';
import { isNotFound } from './registry-reads.js';

/** digest: follow one mutable tag and pin the digest it points at. */
export async function resolveDigest(input: ResolveInput): Promise<Decision> {
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
      reason: `${show(tag)} still points at ${digest}, which is already written.`,
      skipped: [],
    });
  }
  // Only now is the body worth a request: the digest moved (or nothing pins it yet).
  const metadata = await input.client.getMetadata(input.reference, tag, image.policy.platforms, {
    digest,
  });
  const unverified = await input.verification?.check({ tag, metadata });
  if (unverified) {
    const current =
      input.current === undefined ? 'nothing written yet' : `keeping ${show(input.current)}`;
    return digestDecision(input, {
      chosen: input.current,
      metadata,
      reason: `${show(tag)} now points at ${metadata.digest}, but it is not verified: ${unverified.detail}; ${current}.`,
      skipped: [unverified],
    });
  }
  return decideDigest(input, tag, metadata);
}

/** The decision for the followed tag's metadata (read from the tag, or named by an event). */
export function decideDigest(input: ResolveInput, tag: string, metadata: TagMetadata): Decision {
  const rejection = checkGates({ tag, metadata }, input.image.policy, input.now());
  if (rejection) {
    const current =
      input.current === undefined ? 'nothing written yet' : `keeping ${show(input.current)}`;
    return digestDecision(input, {
      chosen: input.current,
      metadata,
      reason: `${show(tag)} now points at ${metadata.digest}, but that image ${rejection.detail}; ${current}.`,
      skipped: [rejection],
    });
  }
  if (pinsDigest(input.current, tag, metadata.digest)) {
    return digestDecision(input, {
      chosen: input.current,
      metadata,
      reason: `${show(tag)} still points at ${metadata.digest}, which is already written.`,
      skipped: [],
    });
  }
  const was = input.current === undefined ? '' : `, replacing ${show(input.current)}`;
  return digestDecision(input, {
    chosen: formatDigestValue(tag, metadata.digest),
    metadata,
    reason: `${show(tag)} now points at ${metadata.digest}${builtAt(metadata)}${was}.`,
    skipped: [],
    verification: input.verification?.evidenceFor(tag),
  });
}

function digestDecision(
  input: ResolveInput,
  parts: {
    chosen: string | undefined;
    metadata: TagMetadata | undefined;
    reason: string;
    skipped: readonly SkippedTag[];
    verification?: readonly string[] | undefined;
  },
): Decision {
  return buildDecision(input, {
    chosen: parts.chosen,
    metadata: parts.metadata,
    verification: parts.verification,
    reason: parts.reason,
    counts: { seen: 1, afterFilter: 1, skipped: tally(parts.skipped) },
  });
}

export function requireTrackedTag(image: ImageSettings): string {
  const tag = trackedTag(image.policy);
  if (!isValidOciTag(tag)) {
    throw new ConfigurationError(
      `image ${image.alias}: the digest strategy follows one tag, and ${JSON.stringify(tag)} is not a valid tag; ` +
        'set the constraint to a tag such as latest',
    );
  }
  return tag;
}
