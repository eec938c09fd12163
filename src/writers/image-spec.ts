import { isDigest } from '../core/oci.js';

/** The parts of an `image-spec` value: `repo:tag`, `repo@sha256:…` or `repo:tag@sha256:…`. */
export interface ImageSpec {
  /** Everything before the tag and digest, registry host and port included. */
  readonly repository: string;
  readonly tag: string | undefined;
  /** `sha256:<hex>` (the algorithm prefix included). */
  readonly digest: string | undefined;
}

/**
 * Splits an image reference. The tag is what follows the last `:` after the last `/`, so a
 * registry port (`host:5000/team/app:1.2`) is part of the repository.
 */
export function splitImageSpec(value: string): ImageSpec {
  const at = value.indexOf('@');
  const name = at >= 0 ? value.slice(0, at) : value;
  const digest = at >= 0 ? value.slice(at + 1) : '';
  const colon = name.lastIndexOf(':');
  const hasTag = colon > name.lastIndexOf('/');
  return {
    repository: hasTag ? name.slice(0, colon) : name,
    tag: hasTag && colon < name.length - 1 ? name.slice(colon + 1) : undefined,
    digest: digest.length > 0 ? digest : undefined,
  };
}

/**
 * `repo:tag`, `repo:tag@sha256:…` (from `tag@sha256:…`, what the digest strategy writes) or
 * `repo@sha256:…` (from a bare digest).
 */
export function joinImageSpec(repository: string, tagOrDigest: string): string {
  if (tagOrDigest.length === 0) return repository;
  return isDigest(tagOrDigest) ? `${repository}@${tagOrDigest}` : `${repository}:${tagOrDigest}`;
}
