import { isDigest } from '../core/oci.js';
import type { TagPolicy } from './policy.js';

/** The tag the digest strategy follows when the policy names none. */
export const DEFAULT_TRACKED_TAG = 'latest';

/** The digest strategy follows one mutable tag instead of ranking many. */
export interface DigestStrategy {
  readonly kind: 'tracking';
  readonly name: 'digest';
  readonly describe: string;
}

export const digestStrategy: DigestStrategy = {
  kind: 'tracking',
  name: 'digest',
  describe: 'current digest of the followed tag',
};

/** The mutable tag to follow: the policy's constraint, or `latest`. */
export function trackedTag(policy: Pick<TagPolicy, 'constraint'>): string {
  const tag = policy.constraint?.trim();
  return tag === undefined || tag === '' ? DEFAULT_TRACKED_TAG : tag;
}

/** A written value split into tag and digest: `latest@sha256:…`, `sha256:…`, or a plain tag. */
export function splitDigestValue(value: string | undefined): {
  tag: string | undefined;
  digest: string | undefined;
} {
  if (value === undefined || value === '') return { tag: undefined, digest: undefined };
  const at = value.indexOf('@');
  if (at >= 0)
    return { tag: value.slice(0, at) || undefined, digest: value.slice(at + 1) || undefined };
  if (isDigest(value)) return { tag: undefined, digest: value };
  return { tag: value, digest: undefined };
}

/** The value written for the digest strategy. */
export function formatDigestValue(tag: string, digest: string): string {
  return `${tag}@${digest}`;
}

/**
 * Whether the written value already pins the tag's digest. A bare digest counts when it is the
 * same digest; a value that names another tag does not.
 */
export function pinsDigest(current: string | undefined, tag: string, digest: string): boolean {
  const written = splitDigestValue(current);
  return written.digest === digest && (written.tag === undefined || written.tag === tag);
}
