/** The registry layer's contract with the rest of the action. */

import type { TagMetadata } from '../core/tag-metadata.js';

export type { TagMetadata } from '../core/tag-metadata.js';

/** A parsed image reference. `nginx` → registry `docker.io`, host `registry-1.docker.io`, repository `library/nginx`. */
export interface ImageReference {
  /** Canonical registry name used for credentials and cache keys: `docker.io`, `ghcr.io`, `127.0.0.1:5000`. */
  readonly registry: string;
  /** The host (and port) the API is served from: `registry-1.docker.io` for Docker Hub. */
  readonly host: string;
  /** Repository path inside the registry: `library/nginx`, `lyzhang1999/frontend`. */
  readonly repository: string;
  readonly tag: string | undefined;
  readonly digest: string | undefined;
  /** The reference as the user wrote it, for messages. */
  readonly original: string;
}

/** Requests and bytes spent on one registry host. */
export interface RegistryUsage {
  readonly requests: number;
  readonly bytes: number;
}

export interface RegistryClient {
  /** Every tag of the repository, following same-host pagination up to the page cap. */
  listTags(image: ImageReference): Promise<string[]>;
  /** Manifest (and index child) and config of one tag. */
  getMetadata(
    image: ImageReference,
    tag: string,
    platforms: readonly string[],
    options?: MetadataOptions,
  ): Promise<TagMetadata>;
  /**
   * Every tag with its push time from the registry's listing API (Docker Hub, GHCR, GAR/GCR), without pulls;
   * undefined when the registry has none, listings are off, or the listing failed (the caller
   * then uses listTags). Absent on clients without listings.
   */
  listByPush?(image: ImageReference): Promise<readonly ListedTag[] | undefined>;
  /** The tag's digest from a HEAD request. */
  getDigest(image: ImageReference, tag: string): Promise<string>;
  /** Usage so far, keyed by `registry/repository`. */
  usage(): ReadonlyMap<string, RegistryUsage>;
  /**
   * The images this run will resolve: each is guaranteed an equal share of the request budget,
   * and may spend beyond it only what the others will not need.
   */
  shareBudget?(images: readonly ImageReference[]): void;
  /** The image is resolved; the part of its share it did not use goes to the others. */
  releaseShare?(image: ImageReference): void;
  /** Signatures, attestations and referrers; needed only when images are verified. */
  readonly artifacts?: ArtifactClient;
  /** Where verified digests are remembered (the metadata cache, when it can hold them). */
  readonly verifications?: VerificationCacheStore | undefined;
}

export interface MetadataOptions {
  /**
   * The digest the caller just read for the tag (HEAD). Cached metadata whose digest differs is
   * fetched again; without it, a cached tag is trusted as immutable.
   */
  readonly digest?: string;
}

/** A manifest of any media type (a signature, an attestation, a referrers index), as fetched. */
export interface RawManifest {
  /** sha256 of the bytes received, checked against the digest asked for or reported. */
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
  readonly content: Readonly<Record<string, unknown>>;
}

/** One entry of a referrers list (OCI 1.1): an artifact whose `subject` is the image. */
export interface Referrer {
  readonly digest: string;
  readonly mediaType: string;
  readonly artifactType: string | undefined;
  readonly annotations: Readonly<Record<string, string>>;
}

/** Where a referrers list came from, for reasons and the request count. */
export type ReferrersSource = 'api' | 'tag-schema' | 'none';

export interface ReferrersList {
  readonly referrers: readonly Referrer[];
  readonly source: ReferrersSource;
}

/** Registry reads for artifacts that are not images: signatures, attestations, bundles. */
export interface ArtifactClient {
  /** A manifest by tag or digest, or undefined when the registry answers 404. */
  readManifest(image: ImageReference, reference: string): Promise<RawManifest | undefined>;
  /** A blob, its digest checked; at most `maxBytes`. */
  readBlob(image: ImageReference, digest: string, maxBytes: number): Promise<Buffer>;
  /**
   * Artifacts that name `digest` as their subject: the referrers API
   * (`GET /v2/<name>/referrers/<digest>`), or, on a registry without it, the referrers tag
   * schema (`sha256-<hex>` holding an index).
   */
  listReferrers(image: ImageReference, digest: string): Promise<ReferrersList>;
}

/** Positive verification results per image, keyed by `<digest> <policy hash>` (src/verify/). */
export interface VerificationCacheStore {
  getVerification(image: string, key: string): readonly string[] | undefined;
  setVerification(image: string, key: string, evidence: readonly string[]): void;
}

/** One tag as a hosted registry's listing API reports it, without pulling anything. */
export interface ListedTag {
  readonly tag: string;
  /**
   * When the tag was last pushed (milliseconds since the epoch), or undefined when the listing
   * does not say. An image is built before it is pushed, so its build time is at most this.
   */
  readonly pushedAt: number | undefined;
  /** The digest the listing reports for the tag, when it reports one. */
  readonly digest: string | undefined;
}
