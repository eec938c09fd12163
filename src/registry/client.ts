import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import type { RegistrySettings } from './settings.js';
import { RequestBudgetSpent, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import { ArtifactReader } from './artifacts.js';
import { RegistryAuth } from './auth.js';
import { MetadataCache, type MetadataCacheStore, type VerificationCacheStore } from './cache.js';
import { runCredentialHelper } from './credential-helper.js';
import {
  CredentialStore,
  credentialSecrets,
  githubTokenOf,
  type CredentialHelperRunner,
} from './credentials.js';
import { RegistryHttp } from './http.js';
import { LISTING_BASE_URLS, listingFor, type ListingBaseUrls } from './listings/index.js';
import { ManifestReader, isIndexMediaType, type TagRead } from './manifests.js';
import { firstMatchingPlatform } from './platform.js';
import { imageKey, registryKey } from './reference.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js';
import { DEFAULT_TAG_LIST_OPTIONS, listTags, type TagListOptions } from './tags.js';
import { RegistryTransport } from './transport.js';
import type {
  ImageReference,
  ListedTag,
  MetadataOptions,
  RegistryClient,
  RegistryUsage,
  TagMetadata,
} from './types.js';
import { vendorFor, type RateLimit, type RegistryVendor } from './vendors.js';

export interface RegistryClientOptions {
  readonly settings: RegistrySettings;
  readonly logger: Logger;
  /** Tag metadata kept across runs; without it, metadata is cached for this run only. */
  readonly cache?: MetadataCacheStore | undefined;
  /** Waits between retries; tests pass one that does not wait. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch; for token expiry, Retry-After dates and the retry time bound. */
  readonly now?: () => number;
  /** Jitter source, [0, 1). */
  readonly random?: () => number;
  readonly retry?: Partial<RetryPolicy>;
  readonly tagList?: Partial<TagListOptions>;
  readonly maxRedirects?: number;
  /** Vendor adapters by canonical registry name; default the built-in ones (Docker Hub, GHCR, generic). */
  readonly vendorFor?: (registry: string) => RegistryVendor;
  /** Where the hosted registries' listing APIs are served; fixed in production, 127.0.0.1 in tests. */
  readonly listingBaseUrls?: Partial<ListingBaseUrls>;
  /** Runs Docker credential helpers; default `docker-credential-<name> get` found on the env's PATH. */
  readonly runCredentialHelper?: CredentialHelperRunner;
  /** The environment: NODE_EXTRA_CA_CERTS (when a ca-file replaces Node's CA list) and the PATH of credential helpers; default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The registry client with what the run's edges need besides the RegistryClient contract. */
export interface ManagedRegistryClient extends RegistryClient {
  /** The last rate-limit reading of a registry (`docker.io`, or any spelling of a host). */
  rateLimitRemaining(registry: string): RateLimit | undefined;
  /** Requests sent in this run, over all images. */
  requestsSpent(): number;
  /** Closes the connections. */
  close(): Promise<void>;
}

/**
 * Builds the run's registry client: reference → credentials → transport (auth, retries,
 * redirects, budget) → operations (tags, manifests), with tag metadata cached by image and tag.
 */
export function createRegistryClient(options: RegistryClientOptions): ManagedRegistryClient {
  const { settings, logger } = options;
  const now = options.now ?? Date.now;
  const http = new RegistryHttp({
    logger,
    sleep: options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    now,
    random: options.random ?? Math.random,
    retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
    timeoutMs: settings.timeoutMs,
    requestBudget: settings.requestBudget,
    concurrency: settings.concurrency,
    ca: certificateAuthorities(settings.caCertificates, options.env ?? process.env, logger),
    insecureHosts: settings.insecureRegistries,
    maxRedirects: options.maxRedirects ?? 5,
  });
  // The caller masks these too; doing it here keeps the client safe for any caller.
  for (const secret of credentialSecrets(settings.credentials)) logger.setSecret(secret);
  const githubToken = githubTokenOf(settings.credentials);
  const credentials = new CredentialStore(settings.credentials, {
    logger,
    runHelper:
      options.runCredentialHelper ??
      ((helper, serverUrl) =>
        runCredentialHelper(helper, serverUrl, { env: options.env ?? process.env })),
  });
  const auth = new RegistryAuth({ http, logger, now });
  const transport = new RegistryTransport({
    http,
    auth,
    credentials,
    logger,
    vendorFor: options.vendorFor ?? vendorFor,
  });
  const manifests = new ManifestReader(transport);
  const artifacts = new ArtifactReader(transport);
  const tagListOptions = { ...DEFAULT_TAG_LIST_OPTIONS, ...options.tagList };
  // Without a cache that outlives the run, metadata is still kept for the run.
  const store = options.cache ?? new MetadataCache();
  // Per image and platform list (`registry/repository platforms`), then by tag or digest: the
  // inner keys are strings the tag list and the metadata already hold, so a run with tens of
  // thousands of tags keeps no extra key per tag.
  const inFlight = new Map<string, Map<string, Promise<TagMetadata>>>();
  const readByDigest = new Map<string, Map<string, TagRead>>();
  const scope = <V>(maps: Map<string, Map<string, V>>, key: string): Map<string, V> => {
    let inner = maps.get(key);
    if (!inner) {
      inner = new Map();
      maps.set(key, inner);
    }
    return inner;
  };

  return {
    artifacts,
    verifications: isVerificationStore(store) ? store : undefined,

    async listTags(image: ImageReference): Promise<string[]> {
      const tags = await listTags(transport, image, logger, tagListOptions);
      store.retain(imageKey(image), tags);
      return tags;
    },

    async listByPush(image: ImageReference): Promise<readonly ListedTag[] | undefined> {
      if (settings.listings === false) return undefined;
      const adapter = listingFor(
        image.registry,
        { ...LISTING_BASE_URLS, ...options.listingBaseUrls },
        githubToken,
      );
      if (adapter === undefined) return undefined;
      try {
        // Registry credentials are never sent: only what the adapter adds for its own fixed API.
        const tags = await adapter.list(
          image,
          (url, headers) =>
            http.send({
              image,
              method: 'GET',
              url,
              headers: { accept: 'application/json', ...headers },
              maxBytes: LISTING_PAGE_LIMIT,
            }),
          (target) =>
            transport.send({
              image,
              method: 'GET',
              target,
              accept: ['application/json'],
              maxBytes: LISTING_PAGE_LIMIT,
              subject: 'the tag list',
            }),
        );
        store.retain(
          imageKey(image),
          tags.map((entry) => entry.tag),
        );
        logger.debug(`${image.original}: ${adapter.name} listed ${tags.length} tags`);
        return tags;
      } catch (error) {
        if (error instanceof RequestBudgetSpent) throw error;
        logger.debug(
          `${image.original}: ${adapter.name} not used (${errorMessage(error)}); reading tags through the registry API`,
        );
        return undefined;
      }
    },

    async getMetadata(
      image: ImageReference,
      tag: string,
      platforms: readonly string[],
      metadataOptions?: MetadataOptions,
    ): Promise<TagMetadata> {
      const key = imageKey(image);
      const cached = store.get(key, tag);
      const wantedDigest = metadataOptions?.digest;
      if (
        cached &&
        (wantedDigest === undefined || cached.metadata.digest === wantedDigest) &&
        answersPlatforms(cached.metadata, cached.configPlatform, platforms)
      ) {
        return cached.metadata;
      }
      // Within the run: one read per tag and platform list, and tags sharing a digest read once.
      const runKey = `${key} ${platforms.join(',')}`;
      if (wantedDigest !== undefined) {
        const sameDigest = readByDigest.get(runKey)?.get(wantedDigest);
        if (sameDigest) return { ...sameDigest.metadata, tag };
      }
      const reads = scope(inFlight, runKey);
      const earlier = reads.get(tag);
      if (earlier) {
        const metadata = await earlier;
        if (wantedDigest === undefined || metadata.digest === wantedDigest) return metadata;
      }
      const sameManifest = (digest: string): TagRead | undefined =>
        readByDigest.get(runKey)?.get(digest);
      const pending = manifests.readTag(image, tag, platforms, sameManifest).then((read) => {
        store.set(key, tag, read);
        scope(readByDigest, runKey).set(read.metadata.digest, read);
        // The store answers from now on, except an index read for another platform list,
        // which could have replaced this entry: keep those reads for the run.
        if (!isIndexMediaType(read.metadata.mediaType) && reads.get(tag) === pending) {
          reads.delete(tag);
        }
        return read.metadata;
      });
      reads.set(tag, pending);
      pending.catch(() => {
        if (reads.get(tag) === pending) reads.delete(tag);
      });
      return pending;
    },

    getDigest(image: ImageReference, tag: string): Promise<string> {
      return manifests.headDigest(image, tag);
    },

    usage(): ReadonlyMap<string, RegistryUsage> {
      return http.usage();
    },

    shareBudget(images: readonly ImageReference[]): void {
      http.shareBudget(images);
    },

    releaseShare(image: ImageReference): void {
      http.releaseShare(image);
    },

    rateLimitRemaining(registry: string): RateLimit | undefined {
      return transport.rateLimit(registryKey(registry));
    },

    requestsSpent(): number {
      return http.requestsSpent();
    },

    close(): Promise<void> {
      return http.close();
    },
  };
}

function isVerificationStore(
  store: MetadataCacheStore,
): store is MetadataCacheStore & VerificationCacheStore {
  const candidate = store as Partial<VerificationCacheStore>;
  return (
    typeof candidate.getVerification === 'function' &&
    typeof candidate.setVerification === 'function'
  );
}

// A listing page of 100 tags with their per-platform images is some 100 KiB.
const LISTING_PAGE_LIMIT = 4 * 1024 * 1024;

/**
 * Whether cached metadata answers a request for `platforms`: always for a single-platform image;
 * for an index, when the same child would be read now.
 */
function answersPlatforms(
  metadata: TagMetadata,
  configPlatform: string | undefined,
  platforms: readonly string[],
): boolean {
  if (!isIndexMediaType(metadata.mediaType)) return true;
  return firstMatchingPlatform(platforms, metadata.platforms)?.offered === configPlatform;
}

/**
 * The CA list for verified TLS. Without a ca-file, Node's defaults (which already include
 * NODE_EXTRA_CA_CERTS). With one, Node's roots + NODE_EXTRA_CA_CERTS + the file, because an
 * explicit `ca` replaces the defaults.
 */
function certificateAuthorities(
  caCertificates: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): string[] | undefined {
  if (caCertificates === undefined || caCertificates.trim().length === 0) return undefined;
  const extra: string[] = [];
  const extraFile = env['NODE_EXTRA_CA_CERTS'];
  if (extraFile) {
    try {
      extra.push(readFileSync(extraFile, 'utf8'));
    } catch (error) {
      logger.warning(
        `NODE_EXTRA_CA_CERTS ${extraFile} cannot be read (${errorMessage(error)}); ignored`,
      );
    }
  }
  return [...rootCertificates, ...extra, caCertificates];
}
