import { RegistryError } from '../core/errors.js';
import { isDigest } from '../core/oci.js';
import { MANIFEST_ACCEPT, OCI_INDEX, manifestPath, sha256Digest } from './manifests.js';
import type { RegistryTransport } from './transport.js';
import type {
  ArtifactClient,
  ImageReference,
  RawManifest,
  Referrer,
  ReferrersList,
} from './types.js';

export type {
  ArtifactClient,
  RawManifest,
  Referrer,
  ReferrersList,
  ReferrersSource,
} from './types.js';

/** Artifact manifests also come as these (cosign's and ORAS' pushes). */
const ARTIFACT_ACCEPT: readonly string[] = [
  ...MANIFEST_ACCEPT,
  'application/vnd.oci.artifact.manifest.v1+json',
];
const ARTIFACT_MANIFEST_LIMIT = 4 * 1024 * 1024;
const REFERRERS_LIMIT = 4 * 1024 * 1024;

/**
 * Reads artifacts through the image's transport (same auth, retries, budget). Registries that
 * do not know the referrers API answer 404 (or 400/405 on some proxies); the tag schema is the
 * fallback the OCI distribution spec prescribes for clients.
 */
export class ArtifactReader implements ArtifactClient {
  /** Registries found without the referrers API in this run: asked once, not per image. */
  private readonly withoutReferrersApi = new Set<string>();

  constructor(private readonly transport: RegistryTransport) {}

  async readManifest(image: ImageReference, reference: string): Promise<RawManifest | undefined> {
    const path = manifestPath(image, reference);
    let response;
    try {
      response = await this.transport.send({
        image,
        method: 'GET',
        target: path,
        accept: ARTIFACT_ACCEPT,
        maxBytes: ARTIFACT_MANIFEST_LIMIT,
        subject: reference.includes(':') ? `manifest ${reference}` : `tag ${reference}`,
      });
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
    const computed = sha256Digest(response.body);
    const expected = reference.includes(':')
      ? reference
      : response.headers['docker-content-digest'];
    if (expected !== undefined && expected.startsWith('sha256:') && expected !== computed) {
      throw new RegistryError(
        `${image.original}@${reference}: the manifest body does not match its digest (expected ${expected}, got ${computed})`,
        { image: image.original, path },
      );
    }
    const content = parseObject(response.body, image, path);
    const declared = content['mediaType'];
    const header = response.headers['content-type']?.split(';')[0]?.trim();
    const mediaType = typeof declared === 'string' ? declared : (header ?? 'unknown');
    return { digest: computed, mediaType, bytes: response.body, content };
  }

  async readBlob(image: ImageReference, digest: string, maxBytes: number): Promise<Buffer> {
    if (!isDigest(digest)) {
      throw new RegistryError(`${image.original}: \`${digest}\` is not a digest`, {
        image: image.original,
      });
    }
    const path = `/v2/${image.repository}/blobs/${digest}`;
    const response = await this.transport.send({
      image,
      method: 'GET',
      target: path,
      maxBytes,
      subject: `blob ${digest}`,
    });
    if (!digest.startsWith('sha256:') || sha256Digest(response.body) !== digest) {
      throw new RegistryError(`${image.original}: the blob does not match its digest ${digest}`, {
        image: image.original,
        path,
      });
    }
    return response.body;
  }

  async listReferrers(image: ImageReference, digest: string): Promise<ReferrersList> {
    if (!isDigest(digest)) {
      throw new RegistryError(`${image.original}: \`${digest}\` is not a digest`, {
        image: image.original,
      });
    }
    if (!this.withoutReferrersApi.has(image.host)) {
      const path = `/v2/${image.repository}/referrers/${digest}`;
      try {
        const response = await this.transport.send({
          image,
          method: 'GET',
          target: path,
          accept: [OCI_INDEX],
          maxBytes: REFERRERS_LIMIT,
          subject: `referrers of ${digest}`,
        });
        const contentType = response.headers['content-type']?.split(';')[0]?.trim();
        if (contentType === OCI_INDEX) {
          return { referrers: referrersOf(parseObject(response.body, image, path)), source: 'api' };
        }
      } catch (error) {
        if (!isStatus(error, 404) && !isStatus(error, 400) && !isStatus(error, 405)) throw error;
      }
      // A 404 or an answer that is not an index means no referrers API (OCI distribution 1.1).
      this.withoutReferrersApi.add(image.host);
    }
    const index = await this.readManifest(image, referrersTag(digest));
    if (index === undefined) return { referrers: [], source: 'none' };
    return { referrers: referrersOf(index.content), source: 'tag-schema' };
  }
}

/** The referrers tag schema: `sha256:<hex>` → `sha256-<hex>`. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

function referrersOf(index: Readonly<Record<string, unknown>>): Referrer[] {
  const entries = index['manifests'];
  if (!Array.isArray(entries)) return [];
  const referrers: Referrer[] = [];
  for (const entry of entries as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue;
    const record = entry as Record<string, unknown>;
    const digest = record['digest'];
    const mediaType = record['mediaType'];
    if (typeof digest !== 'string' || !isDigest(digest)) continue;
    const annotations: Record<string, string> = {};
    const raw = record['annotations'];
    if (typeof raw === 'object' && raw !== null) {
      for (const [key, value] of Object.entries(raw)) {
        if (typeof value === 'string') annotations[key] = value;
      }
    }
    referrers.push({
      digest,
      mediaType: typeof mediaType === 'string' ? mediaType : 'unknown',
      artifactType: typeof record['artifactType'] === 'string' ? record['artifactType'] : undefined,
      annotations,
    });
  }
  return referrers;
}

function isStatus(error: unknown, status: number): boolean {
  return error instanceof RegistryError && error.details.status === status;
}

function parseObject(
  body: Buffer,
  image: ImageReference,
  path: string,
): Readonly<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RegistryError(`${image.original}: ${path} is not a JSON object`, {
      image: image.original,
      path,
    });
  }
  return parsed as Record<string, unknown>;
}
