import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logging.js';
import type { TagMetadata } from './types.js';

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
export const CACHE_FORMAT_VERSION = 1;

interface CacheFile {
  readonly version: number;
  readonly image: string;
  readonly tags: Record<string, CachedTag>;
}

/** The in-memory store; `loadCache` / `saveCache` move it to and from a directory. */
export class MetadataCache implements MetadataCacheStore {
  private readonly byImage = new Map<string, Map<string, CachedTag>>();
  private readonly changed = new Set<string>();

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
  }

  images(): string[] {
    return [...this.byImage.keys()].sort();
  }

  /** Number of tags remembered for an image. */
  size(image: string): number {
    return this.byImage.get(image)?.size ?? 0;
  }

  /** Images changed since load, which saveCache writes. */
  changedImages(): string[] {
    return [...this.changed].sort();
  }

  /** Loads one image's tags without marking it changed. */
  restore(image: string, tags: Record<string, CachedTag>): void {
    this.byImage.set(image, new Map(Object.entries(tags)));
  }

  snapshot(image: string): Record<string, CachedTag> {
    return Object.fromEntries(this.byImage.get(image) ?? []);
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
      const content = validCacheFile(parsed);
      if (typeof content === 'string') {
        logger.warning(`metadata cache file ${file} ignored: ${content}`);
        continue;
      }
      cache.restore(content.image, content.tags);
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
    const content: CacheFile = {
      version: CACHE_FORMAT_VERSION,
      image,
      tags: cache.snapshot(image),
    };
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(content)}\n`, 'utf8');
    await rename(temporary, file);
  }
  cache.markSaved();
  logger.debug(`metadata cache: ${changed.length} image(s) saved to ${dir}`);
}

/** The file's content, or why it is not usable. */
function validCacheFile(value: unknown): CacheFile | string {
  if (!isRecord(value)) return 'not a JSON object';
  if (value['version'] !== CACHE_FORMAT_VERSION) {
    return `format version ${JSON.stringify(value['version'])}, expected ${CACHE_FORMAT_VERSION}`;
  }
  const image = value['image'];
  const tags = value['tags'];
  if (typeof image !== 'string' || !isRecord(tags)) return 'missing "image" or "tags"';
  for (const [tag, entry] of Object.entries(tags)) {
    if (!isCachedTag(entry, tag)) return `malformed entry for tag ${JSON.stringify(tag)}`;
  }
  return { version: CACHE_FORMAT_VERSION, image, tags: tags as Record<string, CachedTag> };
}

function isCachedTag(value: unknown, tag: string): boolean {
  if (!isRecord(value)) return false;
  const configPlatform = value['configPlatform'];
  if (configPlatform !== undefined && typeof configPlatform !== 'string') return false;
  const metadata = value['metadata'];
  if (!isRecord(metadata)) return false;
  const labels = metadata['labels'];
  return (
    metadata['tag'] === tag &&
    typeof metadata['digest'] === 'string' &&
    /^[a-z0-9]+:[a-f0-9]+$/.test(metadata['digest']) &&
    typeof metadata['mediaType'] === 'string' &&
    Array.isArray(metadata['platforms']) &&
    metadata['platforms'].every((platform) => typeof platform === 'string') &&
    (metadata['created'] === undefined || typeof metadata['created'] === 'string') &&
    isRecord(labels) &&
    Object.values(labels).every((label) => typeof label === 'string')
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
