/**
 * newest-build through a hosted registry's listing API: a Docker-Hub-shaped listing on 127.0.0.1
 * (requests and answers checked against Docker Hub's published OpenAPI description) beside a real
 * registry that serves the manifests and configs the confirming reads fetch. Each case is also
 * resolved with listings off (every tag read), and both must choose the same tag.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RegistrySettings, TagPolicy } from '../../src/config/settings.js';
import type { Logger } from '../../src/core/logging.js';
import { resolveImage } from '../../src/job/resolve.js';
import { PUSH_BUILD_SKEW_MS } from '../../src/job/resolve/push-order.js';
import { createRegistryClient } from '../../src/registry/client.js';
import type { ImageReference } from '../../src/registry/types.js';
import {
  startDockerHubListing,
  type DockerHubListing,
  type HubTag,
} from '../harness/listings/docker-hub-server.js';
import { startRegistry, type RunningRegistry } from '../harness/registry/index.js';
import { imageWith } from '../strategy/fixtures.js';

const HOUR = 3_600_000;
const START = Date.parse('2026-06-01T00:00:00Z');
const NOW = new Date('2026-09-01T00:00:00Z');

let registry: RunningRegistry;
let hub: DockerHubListing;

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug: (message) => lines.push(message),
    info: (message) => lines.push(message),
    warning: (message) => lines.push(message),
    error: (message) => lines.push(message),
    setSecret: () => undefined,
    group: (_name, fn) => fn(),
  };
}

/** A Docker Hub image whose API host is the test registry. */
function hubImage(repository: string): ImageReference {
  return {
    registry: 'docker.io',
    host: registry.host,
    repository,
    tag: undefined,
    digest: undefined,
    original: `docker.io/${repository}`,
  };
}

interface Build {
  tag: string;
  /** Hours after START: the image config's `created`. */
  built: number;
  /** Hours after START: `tag_last_pushed`; null for none. */
  pushed: number | null;
  platforms?: string[];
}

async function publish(repository: string, builds: Build[]): Promise<void> {
  const tags: HubTag[] = [];
  const pushed = await registry.seed(
    repository,
    builds.map((build) => ({
      tag: build.tag,
      image: {
        created: new Date(START + build.built * HOUR),
        ...(build.platforms ? { platforms: build.platforms } : {}),
      },
    })),
  );
  builds.forEach((build, index) => {
    tags.push({
      name: build.tag,
      pushedAt: build.pushed === null ? null : new Date(START + build.pushed * HOUR),
      digest: pushed[index]?.digest ?? '',
    });
  });
  hub.setTags(repository, tags);
}

async function resolveWith(
  repository: string,
  options: { listings: boolean; current?: string; policy?: Partial<TagPolicy> },
): Promise<{
  chosen: string | undefined;
  manifests: number;
  logger: ReturnType<typeof recordingLogger>;
}> {
  const settings: RegistrySettings = {
    credentials: [],
    caCertificates: undefined,
    insecureRegistries: [registry.host],
    concurrency: 4,
    requestBudget: 10_000,
    timeoutMs: 10_000,
    cache: false,
    listings: options.listings,
  };
  const logger = recordingLogger();
  const client = createRegistryClient({
    settings,
    logger,
    listingBaseUrls: { dockerHub: hub.url },
    retry: { maxAttempts: 1 },
  });
  await registry.resetRequestCounts();
  try {
    const decision = await resolveImage({
      image: { ...imageWith(options.policy), repository: `docker.io/${repository}` },
      reference: hubImage(repository),
      current: options.current,
      client,
      logger,
      now: () => NOW,
    });
    const counts = await registry.requestCounts();
    return { chosen: decision.chosen, manifests: counts.byKind['GET manifest'] ?? 0, logger };
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  registry = await startRegistry();
  hub = await startDockerHubListing();
});

afterAll(async () => {
  await hub.close();
  await registry.close();
});

beforeEach(() => {
  hub.setFault(undefined);
});

describe('newest-build ordered by the Docker Hub listing', () => {
  it('reads only the builds that can win, and chooses what reading every tag chooses', async () => {
    // 30 builds an hour apart, each pushed two minutes after it was built.
    await publish(
      'team/hourly',
      Array.from({ length: 30 }, (_, index) => ({
        tag: `main-${String(index).padStart(2, '0')}`,
        built: index,
        pushed: index + 2 / 60,
      })),
    );
    const before = hub.requests.length;
    const listed = await resolveWith('team/hourly', { listings: true, current: 'main-10' });
    const scanned = await resolveWith('team/hourly', { listings: false, current: 'main-10' });
    expect(listed.chosen).toBe('main-29');
    expect(scanned.chosen).toBe('main-29');
    // The current tag (the no-downgrade floor) and the newest push.
    expect(listed.manifests).toBe(2);
    expect(scanned.manifests).toBe(30);
    expect(hub.requests.slice(before)).toEqual([
      {
        path: '/v2/namespaces/team/repositories/hourly/tags',
        query: { page_size: '100' },
        authorization: false,
        status: 200,
      },
    ]);
  });

  it('stays right when push order and build order differ', async () => {
    await publish('team/repushed', [
      { tag: 'main-a', built: 0, pushed: 0.1 },
      // The newest build, pushed two hours before the re-push below.
      { tag: 'main-b', built: 10, pushed: 10.1 },
      // An old build pushed again under a new tag (a promotion or a copy): newest push, old build.
      { tag: 'main-old-again', built: 1, pushed: 12 },
      // A build whose clock ran ahead: `created` five minutes after its push (within the skew),
      // older than main-b all the same.
      { tag: 'main-skewed', built: 9.9 + 5 / 60, pushed: 9.9 },
      // Pushed long before main-b was built: never read.
      { tag: 'main-c', built: 5, pushed: 5.1 },
    ]);
    const listed = await resolveWith('team/repushed', { listings: true });
    const scanned = await resolveWith('team/repushed', { listings: false });
    expect(listed.chosen).toBe('main-b');
    expect(scanned.chosen).toBe('main-b');
    // main-old-again, main-b, main-skewed (pushed within the skew of main-b's build).
    expect(listed.manifests).toBe(3);

    // The skewed build is newer than main-b once it is built later than main-b.
    await publish('team/skewed', [
      { tag: 'main-b', built: 10, pushed: 10.1 },
      { tag: 'main-skewed', built: 10.05, pushed: 10 - 5 / 60 },
    ]);
    expect((await resolveWith('team/skewed', { listings: true })).chosen).toBe('main-skewed');
    expect((await resolveWith('team/skewed', { listings: false })).chosen).toBe('main-skewed');
    expect(PUSH_BUILD_SKEW_MS).toBe(15 * 60 * 1000);
  });

  it('walks past builds the platform gate removes, and reads tags without a push time', async () => {
    await publish('team/platforms', [
      { tag: 'main-1', built: 1, pushed: 1.1, platforms: ['linux/amd64', 'linux/arm64/v8'] },
      { tag: 'main-2', built: 2, pushed: 2.1, platforms: ['linux/amd64'] },
      { tag: 'main-3', built: 3, pushed: 3.1, platforms: ['linux/amd64'] },
      { tag: 'main-0', built: 0, pushed: null, platforms: ['linux/amd64', 'linux/arm64/v8'] },
    ]);
    const policy = { platforms: ['linux/arm64'] };
    const listed = await resolveWith('team/platforms', { listings: true, policy });
    const scanned = await resolveWith('team/platforms', { listings: false, policy });
    expect(listed.chosen).toBe('main-1');
    expect(scanned.chosen).toBe('main-1');
  });

  it('does not stop at a build dated in the future (a wrong clock), which the ranking sets aside', async () => {
    const future = (NOW.getTime() - START) / HOUR + 48;
    await publish('team/future', [
      { tag: 'main-1', built: 1, pushed: 1.1 },
      { tag: 'main-2', built: 2, pushed: 2.1 },
      { tag: 'main-clock', built: future, pushed: 3 },
    ]);
    const listed = await resolveWith('team/future', { listings: true });
    const scanned = await resolveWith('team/future', { listings: false });
    expect(listed.chosen).toBe('main-2');
    expect(scanned.chosen).toBe('main-2');
    expect(listed.manifests).toBe(2);
  });

  it.each([
    ['a 500', { kind: 'status', status: 500 } as const, /answered 500/],
    ['a 404 (private repository)', { kind: 'status', status: 404 } as const, /answered 404/],
    ['a body that is not JSON', { kind: 'not-json' } as const, /not JSON/],
    [
      'a next link to another host',
      {
        kind: 'foreign-next',
        next: 'http://127.0.0.2:1/v2/namespaces/team/repositories/fallback/tags?page=2',
      } as const,
      /next points to http:\/\/127\.0\.0\.2:1/,
    ],
  ])('falls back to the registry API after %s, with a debug line', async (_name, fault, why) => {
    await publish(
      'team/fallback',
      Array.from({ length: 4 }, (_, index) => ({
        tag: `main-${index}`,
        built: index,
        pushed: index,
      })),
    );
    hub.setFault(fault);
    const result = await resolveWith('team/fallback', { listings: true });
    expect(result.chosen).toBe('main-3');
    expect(result.manifests).toBe(4);
    const line = result.logger.lines.find((text) => text.includes('Docker Hub tags API not used'));
    expect(line).toMatch(why);
    expect(line).toContain('reading tags through the registry API');
  });

  it('asks no listing when listings are off', async () => {
    await publish('team/off', [{ tag: 'main-1', built: 1, pushed: 1 }]);
    const before = hub.requests.length;
    expect((await resolveWith('team/off', { listings: false })).chosen).toBe('main-1');
    expect(hub.requests.length).toBe(before);
  });

  it('pages through a long listing, 100 tags a page', async () => {
    await publish(
      'team/long',
      Array.from({ length: 250 }, (_, index) => ({
        tag: `main-${String(index).padStart(3, '0')}`,
        built: index,
        pushed: index + 0.01,
      })),
    );
    const before = hub.requests.length;
    const listed = await resolveWith('team/long', { listings: true });
    expect(listed.chosen).toBe('main-249');
    expect(listed.manifests).toBe(1);
    expect(hub.requests.slice(before).map((request) => request.query)).toEqual([
      { page_size: '100' },
      { page: '2', page_size: '100' },
      { page: '3', page_size: '100' },
    ]);
  });
});

describe('the listing server keeps to the published description', () => {
  it('catches an answer outside it (and the client falls back)', async () => {
    await publish('team/numeric', [{ tag: 'main-1', built: 1, pushed: 1 }]);
    hub.setFault({ kind: 'numeric-time' });
    const result = await resolveWith('team/numeric', { listings: true });
    expect(result.chosen).toBe('main-1');
    expect(result.logger.lines.join('\n')).toMatch(/tag_last_pushed 1780275600 is not a time/);
    expect(hub.violations).toHaveLength(1);
    expect(hub.violations[0]).toMatch(/response 200: .*tag_last_pushed.*must be string/);
    hub.violations.length = 0;
  });

  it('saw no request or answer outside it', () => {
    expect(hub.requests.length).toBeGreaterThan(0);
    expect(hub.violations).toEqual([]);
  });
});
