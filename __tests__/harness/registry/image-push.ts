import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

import { request, type Dispatcher } from 'undici';

import type { ImageSpec, PushedImage } from './types.js';

export const MEDIA_TYPES = {
  oci: {
    manifest: 'application/vnd.oci.image.manifest.v1+json',
    index: 'application/vnd.oci.image.index.v1+json',
    config: 'application/vnd.oci.image.config.v1+json',
    layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  },
  docker: {
    manifest: 'application/vnd.docker.distribution.manifest.v2+json',
    index: 'application/vnd.docker.distribution.manifest.list.v2+json',
    config: 'application/vnd.docker.container.image.v1+json',
    layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  },
} as const;

/** Every manifest type, so 2.8 neither hides OCI manifests nor converts schema 2 to schema 1. */
export const MANIFEST_ACCEPT = [
  MEDIA_TYPES.oci.manifest,
  MEDIA_TYPES.oci.index,
  MEDIA_TYPES.docker.manifest,
  MEDIA_TYPES.docker.index,
].join(', ');

const REQUEST_TIMEOUT_MS = 30_000;

export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The one layer every image shares: an empty tar archive (two zero blocks), gzipped. */
function sharedLayer(): { compressed: Buffer; diffId: string } {
  const tar = Buffer.alloc(1024);
  return { compressed: gzipSync(tar), diffId: sha256Digest(tar) };
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export function parsePlatform(platform: string): Platform {
  const [os, architecture, variant, ...rest] = platform.split('/');
  if (!os || !architecture || rest.length > 0 || variant === '') {
    throw new Error(`Platform "${platform}" is not os/arch[/variant], e.g. linux/arm64/v8.`);
  }
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

interface Blob {
  bytes: Buffer;
  digest: string;
}

function jsonBlob(value: unknown): Blob {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, digest: sha256Digest(bytes) };
}

export interface PushClientOptions {
  baseUrl: string;
  dispatcher: Dispatcher;
  /** The Authorization header for pushing to a repository, if the registry needs one. */
  authorization: (repository: string) => string | undefined;
}

/** Pushes synthetic images through the distribution HTTP API. */
export class ImagePusher {
  private readonly layer = sharedLayer();
  /** `repository@digest` of blobs known to exist, or being uploaded right now. */
  private readonly blobs = new Map<string, Promise<void>>();

  constructor(private readonly options: PushClientOptions) {}

  /**
   * `checkExisting: false` uploads config blobs new to this pusher without a HEAD first: in bulk
   * pushes they are all new, and the HEAD would be a quarter of the requests.
   */
  async push(
    repository: string,
    tag: string,
    image: ImageSpec,
    { checkExisting = true }: { checkExisting?: boolean } = {},
  ): Promise<PushedImage> {
    const format = image.format ?? 'oci';
    const types = MEDIA_TYPES[format];
    const platforms = image.platforms ?? ['linux/amd64'];
    if (platforms.length === 0) throw new Error(`Image ${repository}:${tag} lists no platform.`);

    const layerDescriptor: Descriptor = {
      mediaType: types.layer,
      digest: sha256Digest(this.layer.compressed),
      size: this.layer.compressed.length,
    };
    await this.ensureBlob(repository, {
      bytes: this.layer.compressed,
      digest: layerDescriptor.digest,
    });

    const configDigests: Record<string, string> = {};
    const children: { platform: string; manifest: Blob; descriptor: Descriptor }[] = [];
    for (const platform of platforms) {
      const parsed = parsePlatform(platform);
      const created = image.createdByPlatform?.[platform] ?? image.created;
      const config = jsonBlob({
        ...(created === null
          ? {}
          : { created: created instanceof Date ? created.toISOString() : created }),
        architecture: parsed.architecture,
        os: parsed.os,
        ...(parsed.variant === undefined ? {} : { variant: parsed.variant }),
        config: { Labels: image.labels ?? {} },
        rootfs: { type: 'layers', diff_ids: [this.layer.diffId] },
        history: [{ created_by: 'helm-image-updater registry harness' }],
      });
      await this.ensureBlob(repository, config, checkExisting);
      configDigests[platform] = config.digest;
      const manifest = jsonBlob({
        schemaVersion: 2,
        mediaType: types.manifest,
        config: { mediaType: types.config, digest: config.digest, size: config.bytes.length },
        layers: [layerDescriptor],
      });
      children.push({
        platform,
        manifest,
        descriptor: {
          mediaType: types.manifest,
          digest: manifest.digest,
          size: manifest.bytes.length,
          platform: parsed,
        },
      });
    }

    const only =
      children.length === 1 && !image.index && !image.attestations ? children[0] : undefined;
    if (only) {
      const digest = await this.putManifest(repository, tag, types.manifest, only.manifest);
      return {
        digest,
        mediaType: types.manifest,
        childDigests: {},
        configDigests,
        attestationDigests: {},
      };
    }
    if (image.attestations && format !== 'oci') {
      throw new Error(`Image ${repository}:${tag}: attestation manifests need format 'oci'.`);
    }
    // An index may only name manifests the registry already holds.
    const childDigests: Record<string, string> = {};
    await Promise.all(
      children.map(async (child) => {
        childDigests[child.platform] = await this.putManifest(
          repository,
          child.manifest.digest,
          types.manifest,
          child.manifest,
        );
      }),
    );
    const attestationDigests: Record<string, string> = {};
    const attestations: Descriptor[] = [];
    if (image.attestations) {
      for (const child of children) {
        const attestation = await this.pushAttestation(
          repository,
          child.manifest.digest,
          checkExisting,
        );
        attestationDigests[child.platform] = attestation.digest;
        attestations.push(attestation);
      }
    }
    const index = jsonBlob({
      schemaVersion: 2,
      mediaType: types.index,
      manifests: [...children.map((child) => child.descriptor), ...attestations],
    });
    const digest = await this.putManifest(repository, tag, types.index, index);
    return { digest, mediaType: types.index, childDigests, configDigests, attestationDigests };
  }

  /**
   * A BuildKit-style provenance attestation for one child: an OCI manifest with an in-toto
   * layer, listed in the index under platform unknown/unknown, pointing at the child.
   */
  private async pushAttestation(
    repository: string,
    subjectDigest: string,
    checkExisting: boolean,
  ): Promise<Descriptor> {
    const statement = jsonBlob({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: 'https://slsa.dev/provenance/v0.2',
      subject: [{ name: repository, digest: { sha256: subjectDigest.replace(/^sha256:/, '') } }],
      predicate: { builder: { id: 'helm-image-updater registry harness' } },
    });
    const config = jsonBlob({
      architecture: 'unknown',
      os: 'unknown',
      config: {},
      rootfs: { type: 'layers', diff_ids: [statement.digest] },
    });
    await this.ensureBlob(repository, statement, checkExisting);
    await this.ensureBlob(repository, config, checkExisting);
    const manifest = jsonBlob({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.oci.manifest,
      config: {
        mediaType: MEDIA_TYPES.oci.config,
        digest: config.digest,
        size: config.bytes.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.in-toto+json',
          digest: statement.digest,
          size: statement.bytes.length,
          annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' },
        },
      ],
    });
    const digest = await this.putManifest(
      repository,
      manifest.digest,
      MEDIA_TYPES.oci.manifest,
      manifest,
    );
    return {
      mediaType: MEDIA_TYPES.oci.manifest,
      digest,
      size: manifest.bytes.length,
      platform: { os: 'unknown', architecture: 'unknown' },
      annotations: {
        'vnd.docker.reference.digest': subjectDigest,
        'vnd.docker.reference.type': 'attestation-manifest',
      },
    };
  }

  async pushMany(
    repository: string,
    images: { tag: string; image: ImageSpec }[],
    concurrency = 8,
  ): Promise<PushedImage[]> {
    const results = new Array<PushedImage>(images.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < images.length) {
        const position = next++;
        const entry = images[position];
        if (entry) {
          results[position] = await this.push(repository, entry.tag, entry.image, {
            checkExisting: false,
          });
        }
      }
    };
    const workers = Math.max(1, Math.min(concurrency, images.length));
    await Promise.all(Array.from({ length: workers }, worker));
    return results;
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    const response = await this.call('DELETE', `/v2/${repository}/manifests/${digest}`, repository);
    const body = await response.body.text();
    if (response.statusCode !== 202) {
      throw new Error(
        `Deleting ${repository}@${digest} answered ${response.statusCode}: ${body.slice(0, 300)}`,
      );
    }
  }

  private async ensureBlob(repository: string, blob: Blob, checkExisting = true): Promise<void> {
    const key = `${repository}@${blob.digest}`;
    let pending = this.blobs.get(key);
    if (!pending) {
      pending = checkExisting
        ? this.uploadIfMissing(repository, blob)
        : this.upload(repository, blob);
      this.blobs.set(key, pending);
      // A failed upload may be retried by a later push.
      pending.catch(() => this.blobs.delete(key));
    }
    await pending;
  }

  private async uploadIfMissing(repository: string, blob: Blob): Promise<void> {
    const head = await this.call('HEAD', `/v2/${repository}/blobs/${blob.digest}`, repository);
    await head.body.dump();
    if (head.statusCode === 200) return;
    if (head.statusCode !== 404) {
      throw new Error(`HEAD blob ${repository}@${blob.digest} answered ${head.statusCode}.`);
    }
    await this.upload(repository, blob);
  }

  /** Monolithic upload, as 2.8 allows it: POST for a session, PUT with the digest and the bytes. */
  private async upload(repository: string, blob: Blob): Promise<void> {
    const start = await this.call('POST', `/v2/${repository}/blobs/uploads/`, repository);
    const startBody = await start.body.text();
    const location = start.headers.location;
    if (start.statusCode !== 202 || typeof location !== 'string') {
      throw new Error(
        `Starting a blob upload to ${repository} answered ${start.statusCode}: ${startBody.slice(0, 300)}`,
      );
    }
    const uploadUrl = new URL(location, this.options.baseUrl);
    uploadUrl.searchParams.set('digest', blob.digest);
    const finish = await this.call(
      'PUT',
      uploadUrl.pathname + uploadUrl.search,
      repository,
      { 'Content-Type': 'application/octet-stream' },
      blob.bytes,
    );
    const finishBody = await finish.body.text();
    if (finish.statusCode !== 201) {
      throw new Error(
        `Uploading blob ${blob.digest} to ${repository} answered ${finish.statusCode}: ${finishBody.slice(0, 300)}`,
      );
    }
  }

  private async putManifest(
    repository: string,
    reference: string,
    mediaType: string,
    manifest: Blob,
  ): Promise<string> {
    const response = await this.call(
      'PUT',
      `/v2/${repository}/manifests/${reference}`,
      repository,
      { 'Content-Type': mediaType },
      manifest.bytes,
    );
    const body = await response.body.text();
    if (response.statusCode !== 201) {
      throw new Error(
        `Pushing manifest ${repository}:${reference} answered ${response.statusCode}: ${body.slice(0, 300)}`,
      );
    }
    const reported = response.headers['docker-content-digest'];
    if (reported !== manifest.digest) {
      throw new Error(
        `Pushing manifest ${repository}:${reference}: the registry reported digest ${String(reported)}, ` +
          `the bytes sent hash to ${manifest.digest}.`,
      );
    }
    return manifest.digest;
  }

  private call(
    method: Dispatcher.HttpMethod,
    pathAndQuery: string,
    repository: string,
    headers: Record<string, string> = {},
    body?: Buffer,
  ): Promise<Dispatcher.ResponseData> {
    const authorization = this.options.authorization(repository);
    return request(new URL(pathAndQuery, this.options.baseUrl), {
      method,
      dispatcher: this.options.dispatcher,
      headers: {
        ...headers,
        ...(authorization === undefined ? {} : { Authorization: authorization }),
        ...(body === undefined ? {} : { 'Content-Length': String(body.length) }),
        'User-Agent': 'helm-image-updater-registry-harness',
      },
      ...(body === undefined ? {} : { body }),
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  }
}
