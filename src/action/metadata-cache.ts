import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import {
  CACHE_FORMAT_VERSION,
  loadCache,
  saveCache,
  type MetadataCache,
} from '../registry/cache.js';

/** The metadata cache of one run and where it is kept between runs. */
export interface RestoredCache {
  readonly store: MetadataCache;
  readonly dir: string;
  readonly key: string;
}

const KEY_PREFIX = `helm-image-updater-metadata-v${CACHE_FORMAT_VERSION}`;

/**
 * Restores tag metadata saved by earlier runs, so a scheduled run fetches manifests and configs
 * only for tags it has not seen. The key names the configured images; every run saves under a
 * new key (Actions caches are immutable) and restores the newest by prefix. Any cache failure
 * only costs requests: it is a warning, never a failed run.
 */
export async function restoreMetadataCache(
  settings: Settings,
  env: Readonly<Record<string, string | undefined>>,
  logger: Logger,
): Promise<RestoredCache | undefined> {
  const images = [...settings.images.values()].map((image) => image.repository).sort();
  const imagesHash = createHash('sha256').update(images.join('\n')).digest('hex').slice(0, 16);
  const prefix = `${KEY_PREFIX}-${imagesHash}-`;
  const key = `${prefix}${env.GITHUB_RUN_ID ?? Date.now()}-${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  const dir = path.join(env.RUNNER_TEMP ?? os.tmpdir(), 'helm-image-updater-cache');
  // Loaded on demand: the Actions cache client (and its storage SDK) is most of the bundle, and
  // a run that finds no cache service never needs it.
  const actionsCache = await import('@actions/cache');
  if (!actionsCache.isFeatureAvailable()) {
    logger.debug(
      `Actions cache service is not available; tag metadata is kept in ${dir} for this machine only.`,
    );
    return { store: await loadCache(dir, logger), dir, key: '' };
  }
  try {
    const hit = await actionsCache.restoreCache([dir], key, [prefix]);
    logger.info(hit ? `Restored tag metadata from cache ${hit}.` : 'No tag metadata cached yet.');
  } catch (error) {
    logger.warning(`Could not restore the tag metadata cache: ${errorMessage(error)}`);
  }
  return { store: await loadCache(dir, logger), dir, key };
}

export async function saveMetadataCache(cache: RestoredCache, logger: Logger): Promise<void> {
  try {
    await saveCache(cache.store, cache.dir, logger);
    if (cache.key !== '') {
      const actionsCache = await import('@actions/cache');
      await actionsCache.saveCache([cache.dir], cache.key);
    }
  } catch (error) {
    logger.warning(`Could not save the tag metadata cache: ${errorMessage(error)}`);
  }
}
