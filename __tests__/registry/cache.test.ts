import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../src/core/logging.js';
import {
  CACHE_FORMAT_VERSION,
  MetadataCache,
  cacheFileName,
  loadCache,
  saveCache,
  type CachedTag,
} from '../../src/registry/cache.js';

function warnings(): Logger & { messages: string[] } {
  const messages: string[] = [];
  return {
    messages,
    debug: () => undefined,
    info: () => undefined,
    warning: (message) => messages.push(message),
    error: () => undefined,
    setSecret: () => undefined,
    group: (_name, fn) => fn(),
  };
}

function entry(tag: string, overrides: Partial<CachedTag['metadata']> = {}): CachedTag {
  return {
    metadata: {
      tag,
      digest: `sha256:${'b'.repeat(64)}`,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      platforms: ['linux/amd64', 'linux/arm64/v8'],
      created: '2025-01-01T00:00:00Z',
      labels: { 'org.opencontainers.image.revision': 'abc' },
      ...overrides,
    },
    configPlatform: 'linux/amd64',
  };
}

let directory: string;
beforeEach(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'metadata-cache-'));
});
afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('metadata cache files', () => {
  it('round-trips images and tags, one file per image', async () => {
    const cache = new MetadataCache();
    cache.set('docker.io/library/nginx', 'v1', entry('v1'));
    cache.set('docker.io/library/nginx', 'v2', entry('v2', { created: undefined }));
    cache.set('ghcr.io/o/i', 'main-1', { ...entry('main-1'), configPlatform: undefined });
    await saveCache(cache, directory, warnings());

    expect((await readdir(directory)).sort()).toEqual(
      [cacheFileName('docker.io/library/nginx'), cacheFileName('ghcr.io/o/i')].sort(),
    );
    const logger = warnings();
    const loaded = await loadCache(directory, logger);
    expect(logger.messages).toEqual([]);
    expect(loaded.images()).toEqual(['docker.io/library/nginx', 'ghcr.io/o/i']);
    expect(loaded.get('docker.io/library/nginx', 'v1')).toEqual(entry('v1'));
    expect(loaded.get('docker.io/library/nginx', 'v2')?.metadata.created).toBeUndefined();
    expect(loaded.get('ghcr.io/o/i', 'main-1')?.configPlatform).toBeUndefined();
    expect(loaded.changedImages()).toEqual([]);
  });

  it('writes only the images that changed', async () => {
    const cache = new MetadataCache();
    cache.set('a/b', 'v1', entry('v1'));
    await saveCache(cache, directory, warnings());
    const file = path.join(directory, cacheFileName('a/b'));
    const untouched = {
      version: CACHE_FORMAT_VERSION,
      image: 'a/b',
      mediaTypes: [],
      platforms: [],
      tags: {},
    };
    await writeFile(file, JSON.stringify(untouched));

    const loaded = await loadCache(directory, warnings());
    loaded.set('c/d', 'v1', entry('v1'));
    await saveCache(loaded, directory, warnings());
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(untouched);
  });

  it('writes each media type and platform list once, and shares them again when loaded', async () => {
    const cache = new MetadataCache();
    const single = (tag: string, labels: Record<string, string> = {}): CachedTag => ({
      metadata: {
        tag,
        digest: `sha256:${tag.slice(-1).repeat(64)}`,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        platforms: ['linux/amd64'],
        created: '2025-01-01T00:00:00Z',
        labels,
      },
      configPlatform: undefined,
    });
    cache.set('a/b', 'main-1', single('main-1'));
    cache.set('a/b', 'main-2', single('main-2', { team: 'a' }));
    cache.set('a/b', 'v3', entry('v3'));
    await saveCache(cache, directory, warnings());

    const written = JSON.parse(
      await readFile(path.join(directory, cacheFileName('a/b')), 'utf8'),
    ) as Record<string, unknown>;
    expect(written).toEqual({
      version: CACHE_FORMAT_VERSION,
      image: 'a/b',
      mediaTypes: [
        'application/vnd.oci.image.manifest.v1+json',
        'application/vnd.oci.image.index.v1+json',
      ],
      platforms: [['linux/amd64'], ['linux/amd64', 'linux/arm64/v8']],
      tags: {
        'main-1': [`sha256:${'1'.repeat(64)}`, '2025-01-01T00:00:00Z', 0, 0],
        'main-2': [`sha256:${'2'.repeat(64)}`, '2025-01-01T00:00:00Z', 0, 0, { team: 'a' }],
        v3: [
          `sha256:${'b'.repeat(64)}`,
          '2025-01-01T00:00:00Z',
          1,
          1,
          { 'org.opencontainers.image.revision': 'abc' },
          'linux/amd64',
        ],
      },
    });

    const loaded = await loadCache(directory, warnings());
    expect(loaded.get('a/b', 'main-1')).toEqual(single('main-1'));
    expect(loaded.get('a/b', 'main-2')).toEqual(single('main-2', { team: 'a' }));
    expect(loaded.get('a/b', 'v3')).toEqual(entry('v3'));
    expect(loaded.get('a/b', 'main-1')?.metadata.platforms).toBe(
      loaded.get('a/b', 'main-2')?.metadata.platforms,
    );
  });

  it('forgets tags the registry no longer lists', () => {
    const cache = new MetadataCache();
    cache.set('a/b', 'v1', entry('v1'));
    cache.set('a/b', 'v2', entry('v2'));
    cache.markSaved();
    cache.retain('a/b', ['v2', 'v3']);
    expect(cache.get('a/b', 'v1')).toBeUndefined();
    expect(cache.get('a/b', 'v2')).toBeDefined();
    expect(cache.changedImages()).toEqual(['a/b']);
  });

  it.each([
    ['not JSON', '{ broken', 'ignored'],
    [
      'another version',
      JSON.stringify({ version: 99, image: 'a/b', tags: {} }),
      'format version 99',
    ],
    [
      'no tags',
      JSON.stringify({ version: CACHE_FORMAT_VERSION, image: 'a/b' }),
      'missing "image" or "tags"',
    ],
    [
      'no media type table',
      JSON.stringify({ version: CACHE_FORMAT_VERSION, image: 'a/b', platforms: [], tags: {} }),
      'missing or malformed "mediaTypes" or "platforms"',
    ],
    [
      'a malformed entry',
      JSON.stringify({
        version: CACHE_FORMAT_VERSION,
        image: 'a/b',
        mediaTypes: ['application/vnd.oci.image.manifest.v1+json'],
        platforms: [['linux/amd64']],
        tags: { v1: [42, null, 0, 0] },
      }),
      'malformed entry for tag "v1"',
    ],
    [
      'an entry naming a platform list the file does not have',
      JSON.stringify({
        version: CACHE_FORMAT_VERSION,
        image: 'a/b',
        mediaTypes: ['application/vnd.oci.image.manifest.v1+json'],
        platforms: [['linux/amd64']],
        tags: { v9: [`sha256:${'a'.repeat(64)}`, null, 0, 1] },
      }),
      'malformed entry for tag "v9"',
    ],
  ])('ignores a file with %s, with a warning', async (_name, content, why) => {
    const good = new MetadataCache();
    good.set('good/image', 'v1', entry('v1'));
    await saveCache(good, directory, warnings());
    await writeFile(path.join(directory, 'bad.json'), content);

    const logger = warnings();
    const loaded = await loadCache(directory, logger);
    expect(loaded.images()).toEqual(['good/image']);
    expect(logger.messages).toHaveLength(1);
    expect(logger.messages[0]).toContain('bad.json');
    expect(logger.messages[0]).toContain(why);
  });

  it('starts empty when the directory does not exist', async () => {
    const logger = warnings();
    const loaded = await loadCache(path.join(directory, 'missing'), logger);
    expect(loaded.images()).toEqual([]);
    expect(logger.messages).toEqual([]);
  });

  it('names files readably and uniquely', () => {
    expect(cacheFileName('127.0.0.1:5000/team/app')).toMatch(
      /^127\.0\.0\.1_5000_team_app-[0-9a-f]{12}\.json$/,
    );
    expect(cacheFileName('a/b_c')).not.toBe(cacheFileName('a_b/c'));
  });
});

describe('verified digests in the cache', () => {
  const digest = `sha256:${'b'.repeat(64)}`;
  const other = `sha256:${'c'.repeat(64)}`;

  it('round-trips them with the image, and forgets them with the last tag of their digest', async () => {
    const cache = new MetadataCache();
    cache.set('ghcr.io/o/i', 'main-1', entry('main-1'));
    cache.set('ghcr.io/o/i', 'main-2', entry('main-2', { digest: other }));
    cache.setVerification('ghcr.io/o/i', `${digest} 0123456789abcdef`, ['cosign key cosign.pub']);
    cache.setVerification('ghcr.io/o/i', `${other} 0123456789abcdef`, ['keyless: x from y']);
    await saveCache(cache, directory, warnings());
    const loaded = await loadCache(directory, warnings());
    expect(loaded.getVerification('ghcr.io/o/i', `${digest} 0123456789abcdef`)).toEqual([
      'cosign key cosign.pub',
    ]);
    expect(loaded.getVerification('ghcr.io/o/i', `${digest} fedcba9876543210`)).toBeUndefined();
    loaded.retain('ghcr.io/o/i', ['main-1']);
    expect(loaded.getVerification('ghcr.io/o/i', `${other} 0123456789abcdef`)).toBeUndefined();
    expect(loaded.getVerification('ghcr.io/o/i', `${digest} 0123456789abcdef`)).toBeDefined();
  });

  it('reads files written without verifications, and ignores a file with a malformed one', async () => {
    const cache = new MetadataCache();
    cache.set('ghcr.io/o/i', 'main-1', entry('main-1'));
    await saveCache(cache, directory, warnings());
    const file = path.join(directory, cacheFileName('ghcr.io/o/i'));
    const written = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    expect(written['verifications']).toBeUndefined();
    expect((await loadCache(directory, warnings())).size('ghcr.io/o/i')).toBe(1);
    await writeFile(
      file,
      JSON.stringify({ ...written, verifications: { 'not-a-digest x': ['y'] } }),
    );
    const logger = warnings();
    expect((await loadCache(directory, logger)).size('ghcr.io/o/i')).toBe(0);
    expect(logger.messages[0]).toContain('malformed verification "not-a-digest x"');
  });
});
