import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import { isDigest } from '../core/oci.js';
import { NO_LABELS } from './manifests.js';
import type { TagMetadata, VerificationCacheStore } from './types.js';

export type { VerificationCacheStore } from './types.js';

/** One tag's metadata as remembered, with what is needed to know whether it still answers a request. */
export interface CachedTag {
  readonly metadata: TagMetadata;
  /**
   * For an image index: the child platform whose config gave `created` and `labels`, or
   * undefined when no requested platform matched. Unused for a single-platform image.
   */
  readonly configPlatform: string | undefined;
}

/** Tag metadata per image (`registry/repository`) → tag. Tags are trusted as immutable. */
export interface MetadataCacheStore {
  get(image: string, tag: string): CachedTag | undefined;
  set(image: string, tag: string, entry: CachedTag): void;
  /** Forgets the tags of an image that the registry no longer lists. */
  retain(image: string, tags: readonly string[]): void;
}

/** Bump when the stored shape changes; files of another version are ignored. */
export const CACHE_FORMAT_VERSION = 2;

/**
 * One image's file. Media types and platform lists repeat across tags, so each is written once
 * in a table and entries name it by index. An entry is
 * `[digest, created | null, media type index, platforms index, labels?, configPlatform?]`,
 * with labels written only when there are some or when configPlatform follows.
 */
interface CacheFile {
  readonly version: number;
  readonly image: string;
  readonly mediaTypes: readonly string[];
  readonly platforms: readonly (readonly string[])[];
  readonly tags: Record<string, CacheEntry>;
  /**
   * Verified digests: `<digest> <policy hash>` → how each method held. Optional, so files
   * written before verification existed are read as they are (no format version change).
   */
  readonly verifications?: Record<string, readonly string[]>;
}

type CacheEntry =
  | readonly [string, string | null, number, number]
  | readonly [string, string | null, number, number, Readonly<Record<string, string>>]
  | readonly [string, string | null, number, number, Readonly<Record<string, string>>, string];

/** The in-memory store; `loadCache` / `saveCache` move it to and from a directory. */
export class MetadataCache implements MetadataCacheStore, VerificationCacheStore {
  private readonly byImage = new Map<string, Map<string, CachedTag>>();
  private readonly verified = new Map<string, Map<string, readonly string[]>>();
  private readonly changed = new Set<string>();

  /** A positive verification result for `<digest> <policy hash>` of an image. */
  getVerification(image: string, key: string): readonly string[] | undefined {
    return this.verified.get(image)?.get(key);
  }

  setVerification(image: string, key: string, evidence: readonly string[]): void {
    let entries = this.verified.get(image);
    if (!entries) {
      entries = new Map();
      this.verified.set(image, entries);
    }
    entries.set(key, [...evidence]);
    this.changed.add(image);
  }

  /** Verified digests of an image, for saving. */
  verifications(image: string): IterableIterator<[string, readonly string[]]> {
    return (this.verified.get(image) ?? new Map<string, readonly string[]>()).entries();
  }

  get(image: string, tag: string): CachedTag | undefined {
    return this.byImage.get(image)?.get(tag);
  }

  set(image: string, tag: string, entry: CachedTag): void {
    let tags = this.byImage.get(image);
    if (!tags) {
      tags = new Map();
      this.byImage.set(image, tags);
    }
    tags.set(tag, entry);
    this.changed.add(image);
  }

  retain(image: string, tags: readonly string[]): void {
    const cached = this.byImage.get(image);
    if (!cached) return;
    const keep = new Set(tags);
    for (const tag of [...cached.keys()]) {
      if (!keep.has(tag)) {
        cached.delete(tag);
        this.changed.add(image);
      }
    }
    // A verification outlives its tag only while another remembered tag has that digest.
    const verified = this.verified.get(image);
    if (!verified) return;
    const digests = new Set([...cached.values()].map((entry) => entry.metadata.digest));
    for (const key of [...verified.keys()]) {
      if (!digests.has(key.split(' ')[0] ?? '')) {
        verified.delete(key);
        this.changed.add(image);
      }
    }
  }

  images(): string[] {
    return [...new Set([...this.byImage.keys(), ...this.verified.keys()])].sort();
  }

  /** Number of tags remembered for an image. */
  size(image: string): number {
    return this.byImage.get(image)?.size ?? 0;
  }

  /** Images changed since load, which saveCache writes. */
  changedImages(): string[] {
    return [...this.changed].sort();
  }

  /** Loads one image's tags (and verified digests) without marking it changed. */
  restore(
    image: string,
    tags: Map<string, CachedTag>,
    verifications?: Map<string, readonly string[]>,
  ): void {
    this.byImage.set(image, tags);
    if (verifications && verifications.size > 0) this.verified.set(image, verifications);
  }

  /** The tags of an image in the order they were added. */
  entries(image: string): IterableIterator<[string, CachedTag]> {
    return (this.byImage.get(image) ?? new Map<string, CachedTag>()).entries();
  }

  markSaved(): void {
    this.changed.clear();
  }
}

/** The file of one image in the cache directory: readable, and unique by a hash of the name. */
export function cacheFileName(image: string): string {
  const readable = image.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100);
  const hash = createHash('sha256').update(image).digest('hex').slice(0, 12);
  return `${readable}-${hash}.json`;
}

/**
 * Reads every image file of `dir` (missing directory: empty cache). A file that is not valid
 * JSON, has another format version or a malformed entry is skipped with a warning.
 */
export async function loadCache(dir: string, logger: Logger): Promise<MetadataCache> {
  const cache = new MetadataCache();
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      logger.warning(
        `metadata cache ${dir} cannot be read (${errorMessage(error)}); starting without it`,
      );
    }
    return cache;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
      const content = readCacheFile(parsed);
      if (typeof content === 'string') {
        logger.warning(`metadata cache file ${file} ignored: ${content}`);
        continue;
      }
      cache.restore(content.image, content.tags, content.verifications);
    } catch (error) {
      logger.warning(`metadata cache file ${file} ignored: ${errorMessage(error)}`);
    }
  }
  logger.debug(`metadata cache: ${cache.images().length} images loaded from ${dir}`);
  return cache;
}

/** Writes the images that changed, one file each, atomically (write, then rename). */
export async function saveCache(cache: MetadataCache, dir: string, logger: Logger): Promise<void> {
  const changed = cache.changedImages();
  if (changed.length === 0) return;
  await mkdir(dir, { recursive: true });
  for (const image of changed) {
    const file = path.join(dir, cacheFileName(image));
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(
      temporary,
      `${JSON.stringify(cacheFile(image, cache.entries(image), cache.verifications(image)))}\n`,
      'utf8',
    );
    await rename(temporary, file);
  }
  cache.markSaved();
  logger.debug(`metadata cache: ${changed.length} image(s) saved to ${dir}`);
}

/** One image's tags as written: tables of media types and platform lists, entries by index. */
function cacheFile(
  image: string,
  tags: Iterable<[string, CachedTag]>,
  verified: Iterable<[string, readonly string[]]>,
): CacheFile {
  const mediaTypes: string[] = [];
  const platforms: (readonly string[])[] = [];
  const mediaTypeIndex = new Map<string, number>();
  const platformsIndex = new Map<string, number>();
  const indexOf = <T>(index: Map<string, number>, table: T[], key: string, value: T): number => {
    let position = index.get(key);
    if (position === undefined) {
      position = table.push(value) - 1;
      index.set(key, position);
    }
    return position;
  };
  const entries: Record<string, CacheEntry> = {};
  for (const [tag, { metadata, configPlatform }] of tags) {
    const base = [
      metadata.digest,
      metadata.created ?? null,
      indexOf(mediaTypeIndex, mediaTypes, metadata.mediaType, metadata.mediaType),
      indexOf(platformsIndex, platforms, JSON.stringify(metadata.platforms), metadata.platforms),
    ] as const;
    const hasLabels = Object.keys(metadata.labels).length > 0;
    entries[tag] =
      configPlatform !== undefined
        ? [...base, metadata.labels, configPlatform]
        : hasLabels
          ? [...base, metadata.labels]
          : base;
  }
  const verifications = Object.fromEntries(verified);
  return {
    version: CACHE_FORMAT_VERSION,
    image,
    mediaTypes,
    platforms,
    tags: entries,
    ...(Object.keys(verifications).length > 0 && { verifications }),
  };
}

/** The file's tags, or why it is not usable. */
function readCacheFile(value: unknown):
  | {
      image: string;
      tags: Map<string, CachedTag>;
      verifications: Map<string, readonly string[]>;
    }
  | string {
  if (!isRecord(value)) return 'not a JSON object';
  if (value['version'] !== CACHE_FORMAT_VERSION) {
    return `format version ${JSON.stringify(value['version'])}, expected ${CACHE_FORMAT_VERSION}`;
  }
  const { image, tags, mediaTypes, platforms } = value;
  if (typeof image !== 'string' || !isRecord(tags)) return 'missing "image" or "tags"';
  if (!isStringList(mediaTypes) || !Array.isArray(platforms) || !platforms.every(isStringList)) {
    return 'missing or malformed "mediaTypes" or "platforms"';
  }
  // Shared by every entry that names them, as the registry client shares them.
  const platformLists = platforms.map((list) => Object.freeze([...list]));
  const read = new Map<string, CachedTag>();
  for (const [tag, entry] of Object.entries(tags)) {
    const cached = readEntry(tag, entry, mediaTypes, platformLists);
    if (!cached) return `malformed entry for tag ${JSON.stringify(tag)}`;
    read.set(tag, cached);
  }
  const verifications = new Map<string, readonly string[]>();
  const stored = value['verifications'];
  if (stored !== undefined) {
    if (!isRecord(stored)) return 'malformed "verifications"';
    for (const [key, evidence] of Object.entries(stored)) {
      const digest = key.split(' ')[0] ?? '';
      if (!isDigest(digest) || !isStringList(evidence)) {
        return `malformed verification ${JSON.stringify(key)}`;
      }
      verifications.set(key, evidence);
    }
  }
  return { image, tags: read, verifications };
}

function readEntry(
  tag: string,
  entry: unknown,
  mediaTypes: readonly string[],
  platforms: readonly (readonly string[])[],
): CachedTag | undefined {
  if (!Array.isArray(entry) || entry.length < 4 || entry.length > 6) return undefined;
  const [digest, created, mediaType, platformList, labels = NO_LABELS, configPlatform] =
    entry as unknown[];
  if (typeof digest !== 'string' || !isDigest(digest)) return undefined;
  if (created !== null && typeof created !== 'string') return undefined;
  const type = typeof mediaType === 'number' ? mediaTypes[mediaType] : undefined;
  const offered = typeof platformList === 'number' ? platforms[platformList] : undefined;
  if (type === undefined || offered === undefined) return undefined;
  if (!isRecord(labels) || !Object.values(labels).every((label) => typeof label === 'string')) {
    return undefined;
  }
  if (configPlatform !== undefined && typeof configPlatform !== 'string') return undefined;
  return {
    metadata: {
      tag,
      digest,
      mediaType: type,
      platforms: offered,
      created: created ?? undefined,
      labels: labels as Record<string, string>,
    },
    configPlatform,
  };
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
