/** Pushes synthetic images through the distribution HTTP API, as a client would. */
import { request, type Dispatcher } from 'undici';

import { buildImage, sha256Digest, type Blob, type Manifest } from './image-build.js';
import type { ImageSpec, PushedImage } from './types.js';

const REQUEST_TIMEOUT_MS = 30_000;

export interface PushClientOptions {
  baseUrl: string;
  dispatcher: Dispatcher;
  /** The Authorization header for pushing to a repository, if the registry needs one. */
  authorization: (repository: string) => string | undefined;
}

export class ImagePusher {
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
    const built = buildImage(repository, tag, image);
    for (const { blob, shared } of built.blobs) {
      await this.ensureBlob(repository, blob, checkExisting || shared);
    }
    // An index may only name manifests the registry already holds.
    await Promise.all(
      built.children.map((child) => this.putManifest(repository, child.digest, child)),
    );
    await this.putManifest(repository, tag, built.top);
    return built.result;
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

  /** Uploads arbitrary bytes as a blob (signature payloads, Sigstore bundles); returns its digest. */
  async pushBlob(repository: string, bytes: Uint8Array | string): Promise<string> {
    const blob = { digest: sha256Digest(bytes), bytes: Buffer.from(bytes) };
    await this.ensureBlob(repository, blob);
    return blob.digest;
  }

  /**
   * Puts an arbitrary manifest (a cosign signature, a referrer, a referrers index) under a tag or
   * its digest; its blobs must have been pushed. Returns the digest the registry reported.
   */
  async pushRawManifest(
    repository: string,
    reference: string | undefined,
    mediaType: string,
    bytes: Uint8Array | string,
  ): Promise<string> {
    const manifest = { digest: sha256Digest(bytes), bytes: Buffer.from(bytes), mediaType };
    return this.putManifest(repository, reference ?? manifest.digest, manifest);
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
    manifest: Manifest,
  ): Promise<string> {
    const response = await this.call(
      'PUT',
      `/v2/${repository}/manifests/${reference}`,
      repository,
      { 'Content-Type': manifest.mediaType },
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
