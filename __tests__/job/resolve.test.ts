import { describe, expect, it } from 'vitest';

import type { TagPolicy } from '../../src/config/settings.js';
import {
  ConfigurationError,
  PayloadError,
  RegistryError,
  RequestBudgetSpent,
} from '../../src/core/errors.js';
import type { Logger } from '../../src/core/logging.js';
import type {
  ImageReference,
  MetadataOptions,
  RegistryClient,
  RegistryUsage,
  TagMetadata,
} from '../../src/registry/types.js';
import { resolveImage, resolvePayloadTag } from '../../src/job/resolve.js';
import { parseAllowTags } from '../../src/strategy/filter.js';
import { digestFor, imageWith, metadataOf } from '../strategy/fixtures.js';
import { recordingLogger } from '../harness/recording-logger.js';

const reference: ImageReference = {
  registry: '127.0.0.1:5000',
  host: '127.0.0.1:5000',
  repository: 'team/frontend',
  tag: undefined,
  digest: undefined,
  original: '127.0.0.1:5000/team/frontend',
};

const NOW = new Date('2024-05-10T12:00:00Z');

/**
 * An in-memory registry behind the RegistryClient interface. It counts every call so tests can
 * assert how many requests a resolution costs.
 */
class FakeRegistry implements RegistryClient {
  readonly calls = { listTags: 0, getMetadata: [] as string[], getDigest: [] as string[] };
  readonly metadataOptions: (MetadataOptions | undefined)[] = [];
  readonly tags = new Map<string, TagMetadata>();
  /** Tags listed but whose metadata requests fail with a 500. */
  readonly broken = new Set<string>();

  add(tag: string, created: string | undefined, extra: Partial<TagMetadata> = {}): this {
    this.tags.set(tag, metadataOf(tag, created, extra));
    return this;
  }

  listTags(): Promise<string[]> {
    this.calls.listTags += 1;
    return Promise.resolve([...this.tags.keys(), ...this.broken]);
  }

  getMetadata(
    _image: ImageReference,
    tag: string,
    _platforms: readonly string[],
    options?: MetadataOptions,
  ): Promise<TagMetadata> {
    this.calls.getMetadata.push(tag);
    this.metadataOptions.push(options);
    if (this.broken.has(tag)) return Promise.reject(this.failure(tag, 500));
    const metadata = this.tags.get(tag);
    return metadata ? Promise.resolve(metadata) : Promise.reject(this.failure(tag, 404));
  }

  getDigest(_image: ImageReference, tag: string): Promise<string> {
    this.calls.getDigest.push(tag);
    const metadata = this.tags.get(tag);
    return metadata ? Promise.resolve(metadata.digest) : Promise.reject(this.failure(tag, 404));
  }

  usage(): ReadonlyMap<string, RegistryUsage> {
    return new Map();
  }

  requests(): number {
    return this.calls.listTags + this.calls.getMetadata.length + this.calls.getDigest.length;
  }

  private failure(tag: string, status: number): RegistryError {
    return new RegistryError(`manifest ${tag}: HTTP ${status}`, {
      image: 'team/frontend',
      path: `/v2/team/frontend/manifests/${tag}`,
      status,
    });
  }
}

function resolve(
  registry: FakeRegistry,
  policy: Partial<TagPolicy>,
  current: string | undefined,
  pending?: string,
  logger: Logger = recordingLogger(),
) {
  return resolveImage({
    image: imageWith(policy),
    reference,
    current,
    pending,
    client: registry,
    logger,
    now: () => NOW,
  });
}

function resolvePayload(
  registry: FakeRegistry,
  policy: Partial<TagPolicy>,
  current: string | undefined,
  tag: string,
  extra: { digest?: string; pending?: string } = {},
) {
  return resolvePayloadTag({
    image: imageWith(policy),
    reference,
    current,
    pending: extra.pending,
    tag,
    digest: extra.digest,
    client: registry,
    logger: recordingLogger(),
    now: () => NOW,
  });
}

const regexp = (source: string): TagPolicy['allowTags'] =>
  parseAllowTags(`regexp:${source}`, { source: 'input allow-tags' });

describe('resolveImage — newest-build', () => {
  it('chooses by build time, not by name, and fetches metadata of every kept tag once', async () => {
    const registry = new FakeRegistry()
      .add('main-2682590', '2024-05-02T10:00:00Z')
      .add('main-b99bc73', '2024-05-01T10:00:00Z')
      .add('dev-ffff', '2024-05-09T10:00:00Z');
    const logger = recordingLogger();
    const decision = await resolve(
      registry,
      { allowTags: regexp('^main-') },
      'main-b99bc73',
      undefined,
      logger,
    );
    expect(decision).toMatchObject({
      alias: 'frontend',
      current: 'main-b99bc73',
      chosen: 'main-2682590',
      changed: true,
      counts: { seen: 3, afterFilter: 2, skipped: { notAllowed: 1 } },
      tiedWith: [],
    });
    expect(decision.metadata?.tag).toBe('main-2682590');
    expect(decision.currentMetadata?.tag).toBe('main-b99bc73');
    expect(decision.reason).toContain('main-2682590 is the newest build');
    expect(decision.reason).toContain('replaces main-b99bc73');
    expect(registry.calls.listTags).toBe(1);
    expect([...registry.calls.getMetadata].sort()).toEqual(['main-2682590', 'main-b99bc73']);
    expect(logger.lines.filter((line) => line.level === 'info')).toHaveLength(1);
  });

  it('keeps the current tag when it is the newest build', async () => {
    const registry = new FakeRegistry()
      .add('main-a', '2024-05-01T00:00:00Z')
      .add('main-b', '2024-05-02T00:00:00Z');
    const decision = await resolve(registry, {}, 'main-b');
    expect(decision).toMatchObject({ chosen: 'main-b', changed: false });
    expect(decision.reason).toMatch(/^keeping main-b \(current\): it is the newest build/);
  });

  it('orders by build time even when another candidate ranks higher by name', async () => {
    const registry = new FakeRegistry()
      .add('main-zzz', '2024-05-05T00:00:00Z')
      .add('main-aaa', '2024-05-06T00:00:00Z');
    const decision = await resolve(registry, {}, 'main-aaa');
    expect(decision).toMatchObject({ chosen: 'main-aaa', changed: false });
  });

  it.each([
    { allowDowngrade: false, chosen: 'main-new', changed: false },
    { allowDowngrade: true, chosen: 'main-old', changed: true },
  ])(
    'a current build newer than every candidate (allow-downgrade $allowDowngrade)',
    async ({ allowDowngrade, chosen, changed }) => {
      const registry = new FakeRegistry()
        .add('main-old', '2024-05-01T00:00:00Z')
        .add('main-new', '2024-05-08T00:00:00Z', { platforms: ['linux/arm64'] });
      // main-new lacks amd64 so it is no candidate, but it still protects itself from being downgraded.
      const decision = await resolve(registry, { allowDowngrade }, 'main-new');
      expect(decision).toMatchObject({ chosen, changed });
    },
  );

  it('reports a tie on build time and breaks it by tag name, descending', async () => {
    const registry = new FakeRegistry()
      .add('main-aaa', '1980-01-01T00:00:01Z')
      .add('main-ccc', '1980-01-01T00:00:01Z')
      .add('main-bbb', '1980-01-01T00:00:01Z');
    const decision = await resolve(registry, {}, undefined);
    expect(decision.chosen).toBe('main-ccc');
    expect([...decision.tiedWith].sort()).toEqual(['main-aaa', 'main-bbb']);
  });

  it('a tie with the current build keeps the current tag', async () => {
    const registry = new FakeRegistry()
      .add('main-aaa', '1980-01-01T00:00:01Z')
      .add('main-zzz', '1980-01-01T00:00:01Z');
    const decision = await resolve(registry, {}, 'main-aaa');
    expect(decision).toMatchObject({ chosen: 'main-aaa', changed: false });
  });

  it.each([
    { name: 'missing from the registry', current: 'main-gone' },
    { name: 'not matching allow-tags', current: 'dev-newest' },
  ])('the current tag $name is no reason to keep it', async ({ current }) => {
    const registry = new FakeRegistry()
      .add('main-a', '2024-05-01T00:00:00Z')
      .add('dev-newest', '2024-05-09T00:00:00Z');
    const decision = await resolve(registry, { allowTags: regexp('^main-') }, current);
    expect(decision).toMatchObject({ chosen: 'main-a', changed: true });
  });

  it('skips a candidate lacking a required platform and takes the next best, with the reason', async () => {
    const registry = new FakeRegistry()
      .add('main-new', '2024-05-09T00:00:00Z', { platforms: ['linux/amd64'] })
      .add('main-old', '2024-05-08T00:00:00Z', { platforms: ['linux/amd64', 'linux/arm64'] });
    const decision = await resolve(
      registry,
      { platforms: ['linux/amd64', 'linux/arm64'] },
      undefined,
    );
    expect(decision).toMatchObject({ chosen: 'main-old', counts: { skipped: { platform: 1 } } });
    expect(decision.reason).toContain('1 lacking linux/amd64, linux/arm64');
  });

  it('min-age skips builds younger than the soak time (injected clock)', async () => {
    const registry = new FakeRegistry()
      .add('main-fresh', '2024-05-10T11:30:00Z')
      .add('main-soaked', '2024-05-10T09:00:00Z');
    const decision = await resolve(registry, { minAgeSeconds: 7200 }, undefined);
    expect(decision).toMatchObject({ chosen: 'main-soaked', counts: { skipped: { tooYoung: 1 } } });
  });

  it('a candidate without a build time is skipped with the reason', async () => {
    const registry = new FakeRegistry()
      .add('main-nodate', undefined)
      .add('main-dated', '2024-05-01T00:00:00Z');
    const decision = await resolve(registry, {}, undefined);
    expect(decision).toMatchObject({ chosen: 'main-dated', counts: { skipped: { noCreated: 1 } } });
  });

  it('a metadata failure for one candidate skips it rather than failing the image', async () => {
    const registry = new FakeRegistry().add('main-ok', '2024-05-01T00:00:00Z');
    registry.broken.add('main-broken');
    const decision = await resolve(registry, {}, undefined);
    expect(decision).toMatchObject({
      chosen: 'main-ok',
      counts: { skipped: { metadataError: 1 } },
    });
  });

  it.each([
    { allowDowngrade: false, outcome: 'fails' },
    { allowDowngrade: true, outcome: 'main-old' },
  ])(
    'an unreadable current build time cannot rule out a downgrade (allow-downgrade $allowDowngrade)',
    async ({ allowDowngrade, outcome }) => {
      const registry = new FakeRegistry().add('main-old', '2024-05-01T00:00:00Z');
      registry.broken.add('main-current');
      const attempt = resolve(registry, { allowDowngrade }, 'main-current');
      if (outcome === 'fails') {
        await expect(attempt).rejects.toThrow(
          /current tag "main-current" of 127\.0\.0\.1:5000\/team\/frontend, so a downgrade cannot be ruled out/,
        );
      } else {
        await expect(attempt).resolves.toMatchObject({ chosen: outcome, changed: true });
      }
    },
  );

  it('fails the image when no candidate metadata can be read', async () => {
    const registry = new FakeRegistry();
    registry.broken.add('main-a').add('main-b');
    await expect(resolve(registry, {}, undefined)).rejects.toThrow(RegistryError);
    await expect(resolve(registry, {}, undefined)).rejects.toThrow(
      /could not read the metadata of any candidate tag of 127\.0\.0\.1:5000\/team\/frontend/,
    );
  });

  it('nothing after filters: no choice, the reason says why', async () => {
    const registry = new FakeRegistry().add('dev-a', '2024-05-01T00:00:00Z');
    const decision = await resolve(registry, { allowTags: regexp('^main-') }, 'main-x');
    expect(decision).toMatchObject({
      chosen: undefined,
      changed: false,
      counts: { seen: 1, afterFilter: 0 },
    });
    expect(decision.reason).toBe(
      'no tag qualifies (1 tags seen, 0 after filters, 0 ranked; skipped 1 not allowed by regexp:^main-); leaving main-x as it is.',
    );
  });
});

describe('resolveImage — pending value on the pull-request branch', () => {
  it('keeps a pending tag that is newer than anything this run would choose', async () => {
    const registry = new FakeRegistry()
      .add('main-base', '2024-05-01T00:00:00Z')
      .add('main-mid', '2024-05-02T00:00:00Z', { platforms: ['linux/amd64'] })
      .add('main-pending', '2024-05-03T00:00:00Z');
    const decision = await resolve(registry, {}, 'main-base', 'main-pending');
    expect(decision).toMatchObject({ current: 'main-base', chosen: 'main-pending', changed: true });
    expect(decision.metadata?.tag).toBe('main-pending');
    expect(decision.reason).toContain('already proposed on the pull-request branch');
  });

  it('a slow run whose newest visible tag is older than pending does not overwrite it (semver)', async () => {
    const registry = new FakeRegistry()
      .add('1.0.0', undefined)
      .add('1.1.0', undefined)
      .add('1.2.0', undefined, { platforms: ['linux/arm64'] });
    // 1.2.0 is listed but not a candidate (platform); pending 1.2.0 still wins over 1.1.0.
    const decision = await resolve(
      registry,
      { strategy: 'semver', allowTags: { kind: 'any' } },
      '1.0.0',
      '1.2.0',
    );
    expect(decision).toMatchObject({ chosen: '1.2.0', changed: true });
  });

  it('a newer candidate replaces pending', async () => {
    const registry = new FakeRegistry()
      .add('1.0.0', undefined)
      .add('1.1.0', undefined)
      .add('1.2.0', undefined);
    const decision = await resolve(registry, { strategy: 'semver' }, '1.0.0', '1.1.0');
    expect(decision).toMatchObject({ chosen: '1.2.0', changed: true });
  });

  it('a pending value missing from the registry is ignored', async () => {
    const registry = new FakeRegistry().add('1.0.0', undefined).add('1.1.0', undefined);
    const decision = await resolve(registry, { strategy: 'semver' }, '1.0.0', '9.9.9');
    expect(decision).toMatchObject({ chosen: '1.1.0', changed: true });
  });

  it('changed stays relative to current: pending equal to current changes nothing', async () => {
    const registry = new FakeRegistry().add('1.0.0', undefined);
    const decision = await resolve(registry, { strategy: 'semver' }, '1.0.0', '1.0.0');
    expect(decision).toMatchObject({ chosen: '1.0.0', changed: false });
  });
});

describe('resolveImage — semver and alphabetical', () => {
  const argocdTags = ['0.1', '0.5.1', '0.9', '1.0', '1.0.1', '1.1.2', '2.0.3'];
  it.each([
    ['^1.0', '1.1.2'],
    ['~1.0', '1.0.1'],
    [undefined, '2.0.3'],
  ])('argocd-image-updater table: constraint %j → %s', async (constraint, chosen) => {
    const registry = new FakeRegistry();
    for (const tag of argocdTags) registry.add(tag, undefined);
    const decision = await resolve(registry, { strategy: 'semver', constraint }, undefined);
    expect(decision.chosen).toBe(chosen);
  });

  it('fetches metadata only for walked candidates, best first', async () => {
    const registry = new FakeRegistry();
    for (const tag of ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0']) registry.add(tag, undefined);
    registry.add('1.4.0', undefined, { platforms: ['linux/arm64'] });
    const decision = await resolve(registry, { strategy: 'semver' }, '1.0.0');
    expect(decision).toMatchObject({
      chosen: '1.3.0',
      changed: true,
      counts: { skipped: { platform: 1 } },
    });
    expect(registry.calls.getMetadata).toEqual(['1.4.0', '1.3.0']);
    expect(registry.requests()).toBe(3);
    // semver compares versions, so the current tag's metadata is not needed.
    expect(decision.currentMetadata).toBeUndefined();
  });

  it('keeps a higher current version (a human bump) without fetching any metadata', async () => {
    const registry = new FakeRegistry()
      .add('1.0.0', undefined)
      .add('1.1.0', undefined)
      .add('2.0.0', undefined);
    const decision = await resolve(registry, { strategy: 'semver', constraint: '^1' }, '2.0.0');
    expect(decision).toMatchObject({ chosen: '2.0.0', changed: false });
    expect(registry.calls.getMetadata).toEqual([]);
    expect(decision.reason).toContain(
      'no allowed tag is newer (best: 1.1.0) and allow-downgrade is off',
    );
  });

  it('allow-downgrade follows the constraint down', async () => {
    const registry = new FakeRegistry()
      .add('1.0.0', undefined)
      .add('1.1.0', undefined)
      .add('2.0.0', undefined);
    const decision = await resolve(
      registry,
      { strategy: 'semver', constraint: '^1', allowDowngrade: true },
      '2.0.0',
    );
    expect(decision).toMatchObject({ chosen: '1.1.0', changed: true });
  });

  it('reports a tie between v-prefixed and plain spellings', async () => {
    const registry = new FakeRegistry().add('1.2.0', undefined).add('v1.2.0', undefined);
    const decision = await resolve(registry, { strategy: 'semver' }, undefined);
    expect(decision).toMatchObject({ chosen: 'v1.2.0', tiedWith: ['1.2.0'] });
  });

  it('an invalid constraint is a configuration error', async () => {
    const registry = new FakeRegistry().add('1.0.0', undefined);
    await expect(
      resolve(registry, { strategy: 'semver', constraint: 'banana' }, undefined),
    ).rejects.toThrow(ConfigurationError);
  });

  it('alphabetical picks the last name in byte order', async () => {
    const registry = new FakeRegistry()
      .add('2024.01.15', undefined)
      .add('2024.02.01', undefined)
      .add('2023.12.31', undefined);
    const decision = await resolve(registry, { strategy: 'alphabetical' }, '2024.01.15');
    expect(decision).toMatchObject({ chosen: '2024.02.01', changed: true });
    expect(registry.calls.getMetadata).toEqual(['2024.02.01']);
  });
});

describe('resolveImage — digest', () => {
  const sha = (text: string) => `sha256:${digestFor(text)}`;

  it('writes tag@digest when the digest moved, fetching metadata once', async () => {
    const registry = new FakeRegistry().add('latest', '2024-05-09T00:00:00Z', {
      digest: sha('new'),
    });
    const decision = await resolve(
      registry,
      { strategy: 'digest', constraint: undefined },
      `latest@${sha('old')}`,
    );
    expect(decision).toMatchObject({ chosen: `latest@${sha('new')}`, changed: true });
    expect(registry.calls).toMatchObject({
      listTags: 0,
      getDigest: ['latest'],
      getMetadata: ['latest'],
    });
    expect(registry.metadataOptions[0]).toEqual({ digest: sha('new') });
  });

  it('makes one HEAD request and nothing else when the digest is unchanged', async () => {
    const registry = new FakeRegistry().add('stable', '2024-05-09T00:00:00Z', {
      digest: sha('same'),
    });
    const decision = await resolve(
      registry,
      { strategy: 'digest', constraint: 'stable' },
      `stable@${sha('same')}`,
    );
    expect(decision).toMatchObject({ chosen: `stable@${sha('same')}`, changed: false });
    expect(registry.requests()).toBe(1);
  });

  it('a moved digest that lacks a platform is not written', async () => {
    const registry = new FakeRegistry().add('latest', '2024-05-09T00:00:00Z', {
      digest: sha('new'),
      platforms: ['linux/arm64'],
    });
    const decision = await resolve(registry, { strategy: 'digest' }, `latest@${sha('old')}`);
    expect(decision).toMatchObject({
      chosen: `latest@${sha('old')}`,
      changed: false,
      counts: { skipped: { platform: 1 } },
    });
  });

  it('a missing followed tag fails the image with a clear message', async () => {
    const registry = new FakeRegistry();
    await expect(resolve(registry, { strategy: 'digest' }, undefined)).rejects.toThrow(
      /tag "latest" followed by the digest strategy does not exist in 127\.0\.0\.1:5000\/team\/frontend/,
    );
  });
});

describe('resolvePayloadTag', () => {
  it('chooses a newer existing tag with at most 4 registry requests', async () => {
    const registry = new FakeRegistry()
      .add('main-old', '2024-05-01T00:00:00Z')
      .add('main-new', '2024-05-09T00:00:00Z');
    const decision = await resolvePayload(
      registry,
      { allowTags: regexp('^main-') },
      'main-old',
      'main-new',
      {
        digest: registry.tags.get('main-new')?.digest,
      },
    );
    expect(decision).toMatchObject({
      chosen: 'main-new',
      changed: true,
      counts: { seen: 1, afterFilter: 1 },
    });
    expect(decision.currentMetadata?.tag).toBe('main-old');
    expect(registry.calls.listTags).toBe(0);
    expect(registry.requests()).toBeLessThanOrEqual(4);
  });

  it('newest-build with current and pending: one metadata call each, no tag list', async () => {
    const registry = new FakeRegistry()
      .add('main-old', '2024-05-01T00:00:00Z')
      .add('main-pending', '2024-05-05T00:00:00Z')
      .add('main-new', '2024-05-09T00:00:00Z');
    const decision = await resolvePayload(registry, {}, 'main-old', 'main-new', {
      pending: 'main-pending',
    });
    expect(decision).toMatchObject({ chosen: 'main-new', changed: true });
    expect([...registry.calls.getMetadata].sort()).toEqual([
      'main-new',
      'main-old',
      'main-pending',
    ]);
    expect(registry.calls.listTags).toBe(0);
  });

  it('an event for a tag older than pending keeps pending', async () => {
    const registry = new FakeRegistry()
      .add('main-old', '2024-05-01T00:00:00Z')
      .add('main-mid', '2024-05-05T00:00:00Z')
      .add('main-pending', '2024-05-09T00:00:00Z');
    const decision = await resolvePayload(registry, {}, 'main-old', 'main-mid', {
      pending: 'main-pending',
    });
    expect(decision).toMatchObject({ chosen: 'main-pending', changed: true });
    expect(decision.metadata?.tag).toBe('main-pending');
  });

  it('an event for the current tag changes nothing', async () => {
    const registry = new FakeRegistry().add('main-a', '2024-05-01T00:00:00Z');
    const decision = await resolvePayload(registry, {}, 'main-a', 'main-a');
    expect(decision).toMatchObject({ chosen: 'main-a', changed: false });
    expect(decision.reason).toMatch(/^main-a is already the newest build/);
  });

  it('an unreadable current build time fails rather than risk a downgrade', async () => {
    const registry = new FakeRegistry().add('main-new', '2024-05-09T00:00:00Z');
    registry.broken.add('main-current');
    await expect(resolvePayload(registry, {}, 'main-current', 'main-new')).rejects.toThrow(
      RegistryError,
    );
  });

  it('names the fields the event used', async () => {
    const registry = new FakeRegistry();
    const attempt = resolvePayloadTag({
      image: imageWith({}),
      reference,
      current: undefined,
      tag: 'bad tag',
      client: registry,
      logger: recordingLogger(),
      now: () => NOW,
      fields: {
        tag: 'package_version.container_metadata.tag.name',
        digest: 'package_version.container_metadata.tag.digest',
      },
    });
    await expect(attempt).rejects.toThrow(
      /^package_version\.container_metadata\.tag\.name "bad tag" is not a valid OCI tag/,
    );
  });

  it('semver: a newer version costs a single metadata request', async () => {
    const registry = new FakeRegistry().add('1.0.0', undefined).add('1.1.0', undefined);
    const decision = await resolvePayload(registry, { strategy: 'semver' }, '1.0.0', '1.1.0');
    expect(decision).toMatchObject({ chosen: '1.1.0', changed: true });
    expect(registry.requests()).toBe(1);
  });

  it.each([
    { name: 'older build', current: 'main-new', tag: 'main-old', policy: {}, chosen: 'main-new' },
    {
      name: 'lower version',
      current: '1.1.0',
      tag: '1.0.0',
      policy: { strategy: 'semver' as const },
      chosen: '1.1.0',
    },
  ])('an $name is not chosen (no downgrade)', async ({ current, tag, policy, chosen }) => {
    const registry = new FakeRegistry()
      .add('main-old', '2024-05-01T00:00:00Z')
      .add('main-new', '2024-05-09T00:00:00Z')
      .add('1.0.0', undefined)
      .add('1.1.0', undefined);
    const decision = await resolvePayload(registry, policy, current, tag);
    expect(decision).toMatchObject({ chosen, changed: false });
  });

  it('a lower version wins over a current version missing from the registry', async () => {
    const registry = new FakeRegistry().add('1.0.0', undefined);
    const decision = await resolvePayload(registry, { strategy: 'semver' }, '1.1.0', '1.0.0');
    expect(decision).toMatchObject({ chosen: '1.0.0', changed: true });
    expect(registry.calls.getDigest).toEqual(['1.1.0']);
  });

  it('does not go below the pending value', async () => {
    const registry = new FakeRegistry()
      .add('1.0.0', undefined)
      .add('1.1.0', undefined)
      .add('1.2.0', undefined);
    const decision = await resolvePayload(registry, { strategy: 'semver' }, '1.0.0', '1.1.0', {
      pending: '1.2.0',
    });
    expect(decision).toMatchObject({ chosen: '1.2.0', changed: true });
  });

  it('a young build is not chosen yet (min-age)', async () => {
    const registry = new FakeRegistry()
      .add('main-old', '2024-05-01T00:00:00Z')
      .add('main-new', '2024-05-10T11:59:00Z');
    const decision = await resolvePayload(
      registry,
      { minAgeSeconds: 3600 },
      'main-old',
      'main-new',
    );
    expect(decision).toMatchObject({
      chosen: 'main-old',
      changed: false,
      counts: { skipped: { tooYoung: 1 } },
    });
  });

  it.each([
    {
      name: 'not an OCI tag',
      tag: 'main-$(id)\nrm -rf',
      message: /^client_payload\.tag "main-\$\(id\)\\nrm -rf" is not a valid OCI tag/,
    },
    { name: 'too long', tag: `main-${'a'.repeat(130)}`, message: /is not a valid OCI tag/ },
    {
      name: 'not allowed',
      tag: 'dev-abc',
      message: /^client_payload\.tag "dev-abc" is not allowed by allow-tags regexp:\^main-/,
    },
    {
      name: 'ignored',
      tag: 'main-debug',
      message: /^client_payload\.tag "main-debug" matches ignore-tags \*-debug/,
    },
    {
      name: 'missing',
      tag: 'main-nope',
      message:
        /^client_payload\.tag: tag "main-nope" does not exist in 127\.0\.0\.1:5000\/team\/frontend/,
    },
  ])('rejects a payload tag that is $name', async ({ tag, message }) => {
    const registry = new FakeRegistry().add('main-debug', '2024-05-01T00:00:00Z');
    const attempt = resolvePayload(
      registry,
      { allowTags: regexp('^main-'), ignoreTags: ['*-debug'] },
      undefined,
      tag,
    );
    await expect(attempt).rejects.toThrow(PayloadError);
    await expect(
      resolvePayload(
        registry,
        { allowTags: regexp('^main-'), ignoreTags: ['*-debug'] },
        undefined,
        tag,
      ),
    ).rejects.toThrow(message);
  });

  it('rejects a semver payload outside the constraint before any request', async () => {
    const registry = new FakeRegistry().add('2.0.0', undefined);
    await expect(
      resolvePayload(registry, { strategy: 'semver', constraint: '^1' }, '1.0.0', '2.0.0'),
    ).rejects.toThrow(/"2\.0\.0" is outside constraint \^1/);
    expect(registry.requests()).toBe(0);
  });

  it('rejects a digest mismatch', async () => {
    const registry = new FakeRegistry().add('main-new', '2024-05-09T00:00:00Z');
    const claimed = `sha256:${'0'.repeat(64)}`;
    const actual = registry.tags.get('main-new')?.digest ?? '';
    await expect(
      resolvePayload(registry, {}, undefined, 'main-new', { digest: claimed }),
    ).rejects.toThrow(
      `digest mismatch: client_payload.digest is "${claimed}", but tag "main-new" of 127.0.0.1:5000/team/frontend is "${actual}"`,
    );
  });

  it('rejects a malformed digest before any request', async () => {
    const registry = new FakeRegistry().add('main-new', '2024-05-09T00:00:00Z');
    await expect(
      resolvePayload(registry, {}, undefined, 'main-new', { digest: 'sha256:abc def' }),
    ).rejects.toThrow(/^client_payload\.digest "sha256:abc def" is not a digest/);
    expect(registry.requests()).toBe(0);
  });

  it('digest strategy: the payload must name the followed tag', async () => {
    const registry = new FakeRegistry().add('latest', '2024-05-09T00:00:00Z');
    await expect(
      resolvePayload(registry, { strategy: 'digest' }, undefined, 'main-new'),
    ).rejects.toThrow(/is not the tag "latest" that frontend .* follows with the digest strategy/);
    const decision = await resolvePayload(registry, { strategy: 'digest' }, undefined, 'latest');
    expect(decision).toMatchObject({
      chosen: `latest@${registry.tags.get('latest')?.digest}`,
      changed: true,
    });
    expect(registry.calls.getMetadata).toEqual(['latest']);
  });
});

describe('a spent request budget', () => {
  class BudgetRegistry extends FakeRegistry {
    /** Metadata reads allowed before the budget is spent. */
    allowance = 1;
    override getMetadata(
      image: ImageReference,
      tag: string,
      platforms: readonly string[],
      options?: MetadataOptions,
    ): Promise<TagMetadata> {
      if (this.allowance <= 0) {
        this.calls.getMetadata.push(tag);
        return Promise.reject(
          new RequestBudgetSpent('the request budget of 3 registry requests is spent', {
            image: 'team/frontend',
          }),
        );
      }
      this.allowance -= 1;
      return super.getMetadata(image, tag, platforms, options);
    }
  }

  it('keeps the current value with a warning instead of choosing from a partial list', async () => {
    const registry = new BudgetRegistry()
      .add('main-a', '2024-05-01T00:00:00Z')
      .add('main-b', '2024-05-03T00:00:00Z')
      .add('main-c', '2024-05-02T00:00:00Z');
    const logger = recordingLogger();
    const decision = await resolve(registry, {}, 'main-a', undefined, logger);
    expect(decision).toMatchObject({ chosen: 'main-a', changed: false });
    expect(decision.reason).toContain('kept "main-a" without deciding');
    expect(decision.reason).toContain('request budget');
    expect(logger.lines.filter((line) => line.level === 'warning')).toHaveLength(1);
  });

  it('keeps the value an open pull request proposes', async () => {
    const registry = new BudgetRegistry()
      .add('main-a', '2024-05-01T00:00:00Z')
      .add('main-b', '2024-05-03T00:00:00Z');
    registry.allowance = 0;
    const decision = await resolve(registry, {}, 'main-a', 'main-b');
    expect(decision).toMatchObject({ current: 'main-a', chosen: 'main-b', changed: true });
  });
});
