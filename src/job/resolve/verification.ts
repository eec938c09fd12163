import type { TagMetadata } from '../../core/tag-metadata.js';
import { imageKey } from '../../registry/reference.js';
import type { ImageReference } from '../../registry/types.js';
import type { SkippedTag } from '../../strategy/ranking.js';
import { isVerifying, type VerificationPolicy } from '../../verify/policy.js';
import type { ImageVerifier } from '../../verify/verifier.js';

/**
 * The supply-chain gate of one image in one resolution: a check for the ranking walk that
 * passes over unverified candidates with the reason, and the evidence of those it accepted.
 */
export interface CandidateVerification {
  readonly policy: VerificationPolicy;
  /** Undefined when `tag` (with this metadata) is verified; otherwise why it is skipped. */
  check(candidate: {
    readonly tag: string;
    readonly metadata: TagMetadata;
  }): Promise<SkippedTag | undefined>;
  /** How an accepted tag was verified, one line per method. */
  evidenceFor(tag: string | undefined): readonly string[] | undefined;
}

export function candidateVerification(
  verifier: ImageVerifier,
  reference: ImageReference,
  policy: VerificationPolicy | undefined,
): CandidateVerification | undefined {
  if (policy === undefined || !isVerifying(policy)) return undefined;
  const evidence = new Map<string, readonly string[]>();
  return {
    policy,
    async check({ tag, metadata }) {
      const result = await verifier.verify({
        image: reference,
        imageKey: imageKey(reference),
        tag,
        digest: metadata.digest,
        mediaType: metadata.mediaType,
        policy,
      });
      if (result.verified) {
        evidence.set(tag, result.evidence);
        return undefined;
      }
      return { tag, cause: 'unverified', detail: result.reason };
    },
    evidenceFor(tag) {
      return tag === undefined ? undefined : evidence.get(tag);
    },
  };
}
