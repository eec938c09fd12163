import { createHash } from 'node:crypto';
import { RegistryError } from '../core/errors.js';
import { isDigest } from '../core/oci.js';
import { firstMatchingPlatform, formatPlatform } from './platform.js';
import type { RegistryTransport } from './transport.js';
import type { ImageReference, TagMetadata } from './types.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

/**
 * Always all four: a registry answers 404 for an OCI manifest when the OCI type is missing, and
 * converts a schema 2 manifest to schema 1 (another digest) when schema 2 is missing.
 */
export const MANIFEST_ACCEPT: readonly string[] = [
  OCI_MANIFEST,
  OCI_INDEX,
  DOCKER_MANIFEST,
  DOCKER_MANIFEST_LIST,
];

/** Shared by every image without labels (most of them): tens of thousands of tags, one object. */
export const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

const MANIFEST_LIMIT = 4 * 1024 * 1024;
const CONFIG_LIMIT = 16 * 1024 * 1024;

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

/** A manifest as fetched: its digest (verified), media type and parsed JSON. */
export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly content: Readonly<Record<string, unknown>>;
}

/** The parts of an image config this action reads. */
export interface ImageConfig {
  readonly created: string | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly platform: string | undefined;
}

/** An index child that is a runnable image (attestations and unknown platforms left out). */
interface IndexChild {
  readonly digest: string;
  readonly platform: string;
}

/** Result of reading one tag, with the platform its config came from (for the metadata cache). */
export interface TagRead {
  readonly metadata: TagMetadata;
  readonly configPlatform: string | undefined;
}

/**
 * Manifests, index children and configs. A read of content addressed by digest is shared while
 * it is in flight; tags that share a manifest digest are answered from the first tag's read
 * (the `earlier` argument of readTag), so nothing per tag outlives its read here.
 */
export class ManifestReader {
  /** Registry → digest → a read in flight: a child manifest (without its layers) or a config. */
  private readonly inFlight = new Map<string, Map<string, Promise<unknown>>>();

  constructor(private readonly transport: RegistryTransport) {}

  /** The tag's digest from `HEAD` (`Docker-Content-Digest`); a GET when the registry omits it. */
  async headDigest(image: ImageReference, tag: string): Promise<string> {
    const response = await this.transport.send({
      image,
      method: 'HEAD',
      target: manifestPath(image, tag),
      accept: MANIFEST_ACCEPT,
      maxBytes: 0,
      subject: `tag ${tag}`,
    });
    const digest = response.headers['docker-content-digest'];
    if (digest !== undefined && isDigest(digest)) return digest;
    return (await this.manifest(image, tag)).digest;
  }

  /** Digest, media type, platforms, and the created/labels of the first requested platform offered. */
  async readTag(
    image: ImageReference,
    tag: string,
    platforms: readonly string[],
    earlier?: (digest: string) => TagRead | undefined,
  ): Promise<TagRead> {
    const manifest = await this.manifest(image, tag);
    // The same manifest under another tag (a retag, or a release tag on a main build).
    const known = earlier?.(manifest.digest);
    if (known)
      return { metadata: { ...known.metadata, tag }, configPlatform: known.configPlatform };
    if (isIndexMediaType(manifest.mediaType)) {
      const children = indexChildren(image, tag, manifest);
      const offered = [...new Set(children.map((child) => child.platform))];
      const match = firstMatchingPlatform(platforms, offered);
      const child = match && children.find((candidate) => candidate.platform === match.offered);
      if (!child) {
        return {
          metadata: {
            tag,
            digest: manifest.digest,
            mediaType: manifest.mediaType,
            platforms: offered,
            created: undefined,
            labels: NO_LABELS,
          },
          configPlatform: undefined,
        };
      }
      const childManifest = await this.manifestByDigest(image, child.digest, tag);
      if (isIndexMediaType(childManifest.mediaType)) {
        throw new RegistryError(
          `${image.original}:${tag}: the ${child.platform} entry of the index is itself an index; nested indexes are not supported`,
          { image: image.original, path: manifestPath(image, child.digest) },
        );
      }
      const config = await this.config(image, tag, childManifest);
      return {
        metadata: {
          tag,
          digest: manifest.digest,
          mediaType: manifest.mediaType,
          platforms: offered,
          created: config.created,
          labels: config.labels,
        },
        configPlatform: child.platform,
      };
    }
    const config = await this.config(image, tag, manifest);
    return {
      metadata: {
        tag,
        digest: manifest.digest,
        mediaType: manifest.mediaType,
        platforms: platformList(config.platform),
        created: config.created,
        labels: config.labels,
      },
      configPlatform: undefined,
    };
  }

  /** GET a manifest by tag; by-digest manifests go through the run's content cache. */
  async manifest(image: ImageReference, reference: string): Promise<FetchedManifest> {
    if (reference.includes(':')) return this.manifestByDigest(image, reference, reference);
    return this.fetchManifest(image, reference, reference);
  }

  private manifestByDigest(
    image: ImageReference,
    digest: string,
    tag: string,
  ): Promise<FetchedManifest> {
    return this.shared(image.registry, digest, async () =>
      withoutLayers(await this.fetchManifest(image, digest, tag)),
    );
  }

  private async fetchManifest(
    image: ImageReference,
    reference: string,
    tag: string,
  ): Promise<FetchedManifest> {
    const path = manifestPath(image, reference);
    const response = await this.transport.send({
      image,
      method: 'GET',
      target: path,
      accept: MANIFEST_ACCEPT,
      maxBytes: MANIFEST_LIMIT,
      subject: reference.includes(':') ? `manifest ${reference}` : `tag ${reference}`,
    });
    const computed = sha256Digest(response.body);
    const reported = response.headers['docker-content-digest'];
    const expected = reference.includes(':') ? reference : reported;
    if (expected !== undefined && expected.startsWith('sha256:') && expected !== computed) {
      throw new RegistryError(
        `${image.original}:${tag}: the manifest body does not match its digest (expected ${expected}, got ${computed}); a proxy may have altered it, or the registry is inconsistent`,
        { image: image.original, path, status: response.status },
      );
    }
    const content = parseJsonObject(
      response.body,
      () => `${image.original}:${tag}: the manifest at ${path} is not valid JSON`,
      {
        image: image.original,
        path,
      },
    );
    const mediaType = manifestMediaType(content, response.headers['content-type']);
    if (!MANIFEST_ACCEPT.includes(mediaType)) {
      throw new RegistryError(
        `${image.original}:${tag}: unsupported manifest type ${mediaType}; push the image as an OCI or Docker schema 2 image`,
        { image: image.original, path },
      );
    }
    return { digest: expected ?? computed, mediaType, content };
  }

  private async config(
    image: ImageReference,
    tag: string,
    manifest: FetchedManifest,
  ): Promise<ImageConfig> {
    const descriptor = manifest.content['config'];
    const digest = isRecord(descriptor) ? descriptor['digest'] : undefined;
    if (typeof digest !== 'string' || !isDigest(digest)) {
      throw new RegistryError(
        `${image.original}:${tag}: the manifest ${manifest.digest} names no config blob`,
        {
          image: image.original,
          path: manifestPath(image, manifest.digest),
        },
      );
    }
    return this.shared(image.registry, digest, () => this.fetchConfig(image, tag, digest));
  }

  private async fetchConfig(
    image: ImageReference,
    tag: string,
    digest: string,
  ): Promise<ImageConfig> {
    const path = `/v2/${image.repository}/blobs/${digest}`;
    const response = await this.transport.send({
      image,
      method: 'GET',
      target: path,
      maxBytes: CONFIG_LIMIT,
      subject: `config blob ${digest}`,
    });
    if (digest.startsWith('sha256:') && sha256Digest(response.body) !== digest) {
      throw new RegistryError(
        `${image.original}:${tag}: the config blob does not match its digest ${digest}`,
        {
          image: image.original,
          path,
        },
      );
    }
    const content = parseJsonObject(
      response.body,
      () => `${image.original}:${tag}: the config blob ${digest} is not valid JSON`,
      {
        image: image.original,
        path,
      },
    );
    return readImageConfig(content);
  }

  private shared<T>(registry: string, digest: string, fetch: () => Promise<T>): Promise<T> {
    let reads = this.inFlight.get(registry);
    if (!reads) {
      reads = new Map();
      this.inFlight.set(registry, reads);
    }
    const existing = reads.get(digest) as Promise<T> | undefined;
    if (existing) return existing;
    const pending = fetch();
    reads.set(digest, pending);
    const forget = (): void => {
      reads.delete(digest);
    };
    pending.then(forget, forget);
    return pending;
  }
}

/** One frozen list per platform, shared by every single-platform image of that platform. */
const platformLists = new Map<string, readonly string[]>();
const NO_PLATFORMS: readonly string[] = Object.freeze([]);

function platformList(platform: string | undefined): readonly string[] {
  if (platform === undefined) return NO_PLATFORMS;
  let list = platformLists.get(platform);
  if (!list) {
    list = Object.freeze([platform]);
    platformLists.set(platform, list);
  }
  return list;
}

/** created, labels and platform of an image config (OCI or Docker). */
export function readImageConfig(content: Readonly<Record<string, unknown>>): ImageConfig {
  const created = typeof content['created'] === 'string' ? content['created'] : undefined;
  const inner = isRecord(content['config']) ? content['config'] : {};
  const rawLabels = isRecord(inner['Labels']) ? inner['Labels'] : {};
  let labels: Record<string, string> = NO_LABELS;
  for (const [name, value] of Object.entries(rawLabels)) {
    if (typeof value !== 'string') continue;
    if (labels === NO_LABELS) labels = {};
    labels[name] = value;
  }
  const os = content['os'];
  const architecture = content['architecture'];
  const variant = content['variant'];
  const platform =
    typeof os === 'string' &&
    typeof architecture === 'string' &&
    os.length > 0 &&
    architecture.length > 0
      ? formatPlatform({
          os,
          architecture,
          variant: typeof variant === 'string' ? variant : undefined,
        })
      : undefined;
  return { created, labels, platform };
}

/** A manifest kept for the run holds only what is read from it (not its layer list). */
function withoutLayers(manifest: FetchedManifest): FetchedManifest {
  const { mediaType, config, manifests } = manifest.content;
  return {
    digest: manifest.digest,
    mediaType: manifest.mediaType,
    content: { mediaType, config, manifests },
  };
}

function indexChildren(
  image: ImageReference,
  tag: string,
  manifest: FetchedManifest,
): IndexChild[] {
  const entries = manifest.content['manifests'];
  if (!Array.isArray(entries)) {
    throw new RegistryError(
      `${image.original}:${tag}: the index ${manifest.digest} has no "manifests" list`,
      {
        image: image.original,
        path: manifestPath(image, tag),
      },
    );
  }
  const children: IndexChild[] = [];
  for (const entry of entries) {
    if (!isRecord(entry) || typeof entry['digest'] !== 'string' || !isRecord(entry['platform']))
      continue;
    const annotations = isRecord(entry['annotations']) ? entry['annotations'] : {};
    // BuildKit attestations are index entries with platform unknown/unknown.
    if (annotations['vnd.docker.reference.type'] === 'attestation-manifest') continue;
    const { os, architecture, variant } = entry['platform'];
    if (typeof os !== 'string' || typeof architecture !== 'string' || os === 'unknown') continue;
    children.push({
      digest: entry['digest'],
      platform: formatPlatform({
        os,
        architecture,
        variant: typeof variant === 'string' ? variant : undefined,
      }),
    });
  }
  return children;
}

function manifestMediaType(
  content: Readonly<Record<string, unknown>>,
  contentType: string | undefined,
): string {
  // The known types as the constants above, so thousands of manifests share four strings.
  const declared = content['mediaType'];
  if (typeof declared === 'string')
    return MANIFEST_ACCEPT.find((known) => known === declared) ?? declared;
  const header = contentType?.split(';')[0]?.trim();
  const known = MANIFEST_ACCEPT.find((type) => type === header);
  if (known) return known;
  // OCI allows mediaType to be absent: tell an index from a manifest by its fields.
  if (Array.isArray(content['manifests'])) return OCI_INDEX;
  if (isRecord(content['config'])) return OCI_MANIFEST;
  return header ?? 'unknown';
}

export function manifestPath(image: ImageReference, reference: string): string {
  return `/v2/${image.repository}/manifests/${reference}`;
}

export function sha256Digest(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}

function parseJsonObject(
  body: Buffer,
  message: () => string,
  details: { image: string; path: string },
): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError(message(), details);
  }
  if (!isRecord(parsed)) throw new RegistryError(message(), details);
  return parsed;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
