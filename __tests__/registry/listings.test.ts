/**
 * newest-build through a hosted registry's listing API: a Docker-Hub-shaped listing on 127.0.0.1
 * (requests and answers checked against Docker Hub's published OpenAPI description) beside a real
 * registry that serves the manifests and configs the confirming reads fetch. Each case is also
 * resolved with listings off (every tag read), and both must choose the same tag.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RegistrySettings, TagPolicy } from '../../src/config/settings.js';
import type { Logger } from '../../src/core/logging.js';
import { resolveImage } from '../../src/job/resolve.js';
import type { CandidateVerification } from '../../src/job/resolve/verification.js';
import { PUSH_BUILD_SKEW_MS } from '../../src/job/resolve/push-order.js';
import { createRegistryClient } from '../../src/registry/client.js';
import type { ImageReference } from '../../src/registry/types.js';
import {
  startDockerHubListing,
  type DockerHubListing,
  type HubTag,
} from '../harness/listings/docker-hub-server.js';
import {
  startGitHubPackagesListing,
  type GitHubPackagesListing,
} from '../harness/listings/github-packages-server.js';
import {
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type RunningRegistry,
} from '../harness/registry/index.js';
import { imageWith } from '../strategy/fixtures.js';

const HOUR = 3_600_000;
const START = Date.parse('2026-06-01T00:00:00Z');
const NOW = new Date('2026-09-01T00:00:00Z');

let registry: RunningRegistry;
let hub: DockerHubListing;
let packages: GitHubPackagesListing;
const GITHUB_TOKEN = 'ghs_listing-test-token';

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

/** A Docker Hub (or GHCR) image whose API host is the test registry. */
function hubImage(repository: string, name = 'docker.io'): ImageReference {
  return {
    registry: name,
    host: registry.host,
    repository,
    tag: undefined,
    digest: undefined,
    original: `${name}/${repository}`,
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
  options: {
    listings: boolean;
    current?: string;
    policy?: Partial<TagPolicy>;
    registryName?: string;
    credentials?: RegistrySettings['credentials'];
    verification?: CandidateVerification;
  },
): Promise<{
  chosen: string | undefined;
  manifests: number;
  logger: ReturnType<typeof recordingLogger>;
}> {
  const settings: RegistrySettings = {
    credentials: options.credentials ?? [],
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
    listingBaseUrls: { dockerHub: hub.url, github: packages.url },
    retry: { maxAttempts: 1 },
  });
  await registry.resetRequestCounts();
  try {
    const decision = await resolveImage({
      image: {
        ...imageWith(options.policy),
        repository: `${options.registryName ?? 'docker.io'}/${repository}`,
      },
      reference: hubImage(repository, options.registryName),
      current: options.current,
      client,
      logger,
      now: () => NOW,
      ...(options.verification ? { verification: options.verification } : {}),
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
  packages = await startGitHubPackagesListing(GITHUB_TOKEN);
});

afterAll(async () => {
  await packages.close();
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

  it('walks past the newest builds when the supply-chain gate refuses them', async () => {
    // Stands in for the cosign/provenance gate: the two newest builds are unsigned.
    const unsigned = new Set(['main-29', 'main-28']);
    const verification = {
      policy: undefined,
      check: ({ tag }: { tag: string }) =>
        Promise.resolve(
          unsigned.has(tag)
            ? { tag, cause: 'unverified' as const, detail: 'has no valid signature' }
            : undefined,
        ),
      evidenceFor: () => ['signed'],
    } as unknown as CandidateVerification;
    const listed = await resolveWith('team/hourly', { listings: true, verification });
    const scanned = await resolveWith('team/hourly', { listings: false, verification });
    expect(listed.chosen).toBe('main-27');
    expect(scanned.chosen).toBe('main-27');
    expect(listed.manifests).toBe(3);
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

describe('newest-build ordered by GitHub’s Packages API (GHCR)', () => {
  const token = [
    { host: 'ghcr.io', username: 'github-actions', password: GITHUB_TOKEN, source: 'GITHUB_TOKEN' },
  ];

  async function publishPackage(
    owner: string,
    name: string,
    kind: 'org' | 'user',
    builds: Build[],
  ): Promise<void> {
    const pushed = await registry.seed(
      `${owner}/${name}`,
      builds.map((build) => ({
        tag: build.tag,
        image: { created: new Date(START + build.built * HOUR) },
      })),
    );
    packages.setPackage(
      owner,
      name,
      kind,
      builds.map((build, index) => ({
        digest: pushed[index]?.digest ?? '',
        tags: [build.tag],
        createdAt: new Date(START + (build.pushed ?? 0) * HOUR),
      })),
    );
  }

  it('lists an organisation’s package with the workflow token and reads only what can win', async () => {
    await publishPackage(
      'acme',
      'web',
      'org',
      Array.from({ length: 150 }, (_, index) => ({
        tag: `main-${String(index).padStart(3, '0')}`,
        built: index,
        pushed: index + 0.05,
      })),
    );
    const before = packages.requests.length;
    const options = { registryName: 'ghcr.io', credentials: token, current: 'main-100' };
    const listed = await resolveWith('acme/web', { ...options, listings: true });
    const scanned = await resolveWith('acme/web', { ...options, listings: false });
    expect(listed.chosen).toBe('main-149');
    expect(scanned.chosen).toBe('main-149');
    expect(listed.manifests).toBe(2);
    expect(scanned.manifests).toBe(150);
    expect(packages.requests.slice(before)).toEqual([
      {
        path: '/orgs/acme/packages/container/web/versions',
        query: { per_page: '100' },
        authorization: `Bearer ${GITHUB_TOKEN}`,
        status: 200,
      },
      {
        path: '/orgs/acme/packages/container/web/versions',
        query: { per_page: '100', page: '2' },
        authorization: `Bearer ${GITHUB_TOKEN}`,
        status: 200,
      },
    ]);
  });

  it('asks /users when the owner is not an organisation, and keeps the push-order rule', async () => {
    await publishPackage('octocat', 'tools/cli', 'user', [
      { tag: 'main-a', built: 0, pushed: 0.1 },
      { tag: 'main-b', built: 10, pushed: 10.1 },
      { tag: 'main-old-again', built: 1, pushed: 12 },
    ]);
    const before = packages.requests.length;
    const options = { registryName: 'ghcr.io', credentials: token };
    expect((await resolveWith('octocat/tools/cli', { ...options, listings: true })).chosen).toBe(
      'main-b',
    );
    expect((await resolveWith('octocat/tools/cli', { ...options, listings: false })).chosen).toBe(
      'main-b',
    );
    expect(
      packages.requests.slice(before).map((request) => [request.path, request.status]),
    ).toEqual([
      ['/orgs/octocat/packages/container/tools%2Fcli/versions', 404],
      ['/users/octocat/packages/container/tools%2Fcli/versions', 200],
    ]);
  });

  it('falls back to the registry API without a GITHUB_TOKEN', async () => {
    await publishPackage('acme', 'api', 'org', [{ tag: 'main-1', built: 1, pushed: 1 }]);
    const before = packages.requests.length;
    const result = await resolveWith('acme/api', { registryName: 'ghcr.io', listings: true });
    expect(result.chosen).toBe('main-1');
    expect(packages.requests.length).toBe(before);
    expect(result.logger.lines.join('\n')).toContain(
      'GitHub Packages API not used (GitHub Packages API needs GITHUB_TOKEN (packages: read))',
    );
  });
});

describe('newest-build ordered by Google’s tags/list extension (GAR, GCR)', () => {
  let proxy: FaultProxy;
  const validate = new Ajv({ strict: true }).compile(
    JSON.parse(
      readFileSync(
        path.join(import.meta.dirname, '../../__fixtures__/listings/google-tags-list.schema.json'),
        'utf8',
      ),
    ) as object,
  );

  beforeAll(async () => {
    proxy = await startFaultProxy(registry.url);
  });

  afterAll(async () => {
    await proxy.close();
  });

  /** Seeds the builds; the proxy answers the tag list as Google's registries do, the rest is the real registry's. */
  async function publishGoogle(repository: string, builds: Build[]): Promise<void> {
    const pushed = await registry.seed(
      repository,
      builds.map((build) => ({
        tag: build.tag,
        image: { created: new Date(START + build.built * HOUR) },
      })),
    );
    const body = {
      child: [],
      manifest: {} as Record<string, { tag: string[]; timeUploadedMs: string }>,
      name: repository,
      tags: builds.map((build) => build.tag),
    };
    // One entry per digest: tags on the same image share it, with the latest upload.
    builds.forEach((build, index) => {
      const digest = pushed[index]?.digest ?? '';
      const uploaded = String(START + (build.pushed ?? 0) * HOUR);
      const entry = (body.manifest[digest] ??= {
        imageSizeBytes: '1024',
        layerId: '',
        mediaType: pushed[index]?.mediaType ?? '',
        tag: [],
        timeCreatedMs: String(START + build.built * HOUR),
        timeUploadedMs: uploaded,
      } as { tag: string[]; timeUploadedMs: string });
      entry.tag.push(build.tag);
      if (Number(uploaded) > Number(entry.timeUploadedMs)) entry.timeUploadedMs = uploaded;
    });
    expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    proxy.setRules([
      {
        method: 'GET',
        path: new RegExp(`^/v2/${repository}/tags/list`),
        action: {
          kind: 'respond',
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        },
      },
    ]);
  }

  async function resolveGoogle(
    repository: string,
    listings: boolean,
  ): Promise<{ chosen: string | undefined; manifests: number; tagLists: number }> {
    const logger = recordingLogger();
    const client = createRegistryClient({
      settings: {
        credentials: [],
        caCertificates: undefined,
        insecureRegistries: [proxy.host],
        concurrency: 4,
        requestBudget: 10_000,
        timeoutMs: 10_000,
        cache: false,
        listings,
      },
      logger,
      retry: { maxAttempts: 1 },
    });
    await registry.resetRequestCounts();
    const before = proxy.requests.length;
    try {
      const decision = await resolveImage({
        image: { ...imageWith(), repository: `us-docker.pkg.dev/${repository}` },
        reference: { ...hubImage(repository, 'us-docker.pkg.dev'), host: proxy.host },
        current: undefined,
        client,
        logger,
        now: () => NOW,
      });
      const counts = await registry.requestCounts();
      return {
        chosen: decision.chosen,
        manifests: counts.byKind['GET manifest'] ?? 0,
        tagLists: proxy.requests
          .slice(before)
          .filter((request) => request.path.endsWith('/tags/list')).length,
      };
    } finally {
      await client.close();
    }
  }

  it('orders by upload time from the tag list it asks for anyway, and reads only what can win', async () => {
    await publishGoogle('gcp/app', [
      { tag: 'main-a', built: 0, pushed: 0.1 },
      { tag: 'main-b', built: 10, pushed: 10.1 },
      // The same image as main-2 (built at 1 h), tagged again at 12 h: one manifest, two tags.
      { tag: 'main-old-again', built: 1, pushed: 12 },
      ...Array.from({ length: 20 }, (_, index) => ({
        tag: `main-${index}`,
        built: 0.2 + index * 0.4,
        pushed: 0.3 + index * 0.4,
      })),
    ]);
    const listed = await resolveGoogle('gcp/app', true);
    const scanned = await resolveGoogle('gcp/app', false);
    expect(listed.chosen).toBe('main-b');
    expect(scanned.chosen).toBe('main-b');
    expect(listed.tagLists).toBe(1);
    // main-old-again (its digest's upload time is the retag's) and main-b; main-2, on the same
    // manifest as main-old-again, costs nothing more; main-19, pushed at 7.9 h, more than the skew
    // before main-b's build, is not read, nor anything pushed before it.
    expect(listed.manifests).toBe(2);
    // Every tag's manifest, main-2 and main-old-again each by its own tag.
    expect(scanned.manifests).toBe(23);
  });
});

describe('the listing servers keep to the published descriptions', () => {
  it('GitHub’s Packages API: no request or answer outside it', () => {
    expect(packages.requests.length).toBeGreaterThan(0);
    expect(packages.violations).toEqual([]);
  });

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
