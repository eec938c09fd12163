/**
 * The client against a real CNCF distribution registry (Debian's docker-registry 2.8) started on
 * 127.0.0.1 by the harness: plain HTTP, TLS from a generated CA, htpasswd and token auth, and
 * images pushed with known digests, build times, labels and platforms.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegistrySettings } from '../../src/config/settings.js';
import { RegistryError } from '../../src/core/errors.js';
import { silentLogger, type Logger } from '../../src/core/logging.js';
import { loadCache, saveCache } from '../../src/registry/cache.js';
import { createRegistryClient, type ManagedRegistryClient } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import {
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type PushedImage,
  type RunningRegistry,
} from '../harness/registry/index.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

function settings(
  registry: RunningRegistry,
  overrides: Partial<RegistrySettings> = {},
): RegistrySettings {
  return {
    credentials: [],
    caCertificates: undefined,
    insecureRegistries: registry.caPem ? [] : [registry.host],
    concurrency: 4,
    requestBudget: 1000,
    timeoutMs: 10_000,
    cache: false,
    ...overrides,
  };
}

const openClients: ManagedRegistryClient[] = [];
function client(
  registry: RunningRegistry,
  overrides: Partial<RegistrySettings> = {},
  logger: Logger = silentLogger,
) {
  const created = createRegistryClient({
    settings: settings(registry, overrides),
    logger,
    retry: { maxAttempts: 2, baseDelayMs: 10 },
  });
  openClients.push(created);
  return created;
}

afterAll(async () => {
  await Promise.all(openClients.splice(0).map((created) => created.close()));
});

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error('expected the call to fail');
}

describe('plain HTTP registry (insecure-registries)', () => {
  let registry: RunningRegistry;
  const pushed: Record<string, PushedImage> = {};

  beforeAll(async () => {
    registry = await startRegistry();
    pushed['main-old'] = await registry.push('team/app', 'main-old', {
      created: '2025-01-01T10:00:00Z',
    });
    pushed['main-new'] = await registry.push('team/app', 'main-new', {
      created: '2025-02-01T10:00:00Z',
      labels: {
        'org.opencontainers.image.source': 'https://github.com/o/app',
        'org.opencontainers.image.revision': 'abc123',
      },
    });
    pushed['docker-single'] = await registry.push('team/app', 'docker-single', {
      created: '2025-03-01T10:00:00Z',
      format: 'docker',
      platforms: ['linux/arm64/v8'],
    });
    pushed['multi-oci'] = await registry.push('team/app', 'multi-oci', {
      created: '2025-04-01T10:00:00Z',
      platforms: ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'],
      createdByPlatform: { 'linux/arm64/v8': '2025-04-02T10:00:00Z' },
      labels: { team: 'a' },
    });
    pushed['multi-docker'] = await registry.push('team/app', 'multi-docker', {
      created: '2025-05-01T10:00:00Z',
      format: 'docker',
      platforms: ['linux/amd64', 'linux/arm64/v8'],
    });
    pushed['no-created'] = await registry.push('team/app', 'no-created', { created: null });
  });
  afterAll(async () => {
    await registry.close();
  });

  it('lists every tag', async () => {
    const tags = await client(registry).listTags(parseImageReference(`${registry.host}/team/app`));
    expect(tags.sort()).toEqual(Object.keys(pushed).sort());
  });

  it.each([
    ['main-old', ['linux/amd64'], OCI_MANIFEST, ['linux/amd64'], '2025-01-01T10:00:00Z', {}],
    [
      'main-new',
      ['linux/amd64'],
      OCI_MANIFEST,
      ['linux/amd64'],
      '2025-02-01T10:00:00Z',
      {
        'org.opencontainers.image.source': 'https://github.com/o/app',
        'org.opencontainers.image.revision': 'abc123',
      },
    ],
    [
      'docker-single',
      ['linux/arm64'],
      DOCKER_MANIFEST,
      ['linux/arm64/v8'],
      '2025-03-01T10:00:00Z',
      {},
    ],
    [
      'multi-oci',
      ['linux/amd64'],
      OCI_INDEX,
      ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'],
      '2025-04-01T10:00:00Z',
      { team: 'a' },
    ],
    [
      'multi-oci',
      ['linux/s390x', 'linux/arm64'],
      OCI_INDEX,
      ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'],
      '2025-04-02T10:00:00Z',
      { team: 'a' },
    ],
    [
      'multi-oci',
      ['linux/s390x'],
      OCI_INDEX,
      ['linux/amd64', 'linux/arm64/v8', 'linux/arm/v7'],
      undefined,
      {},
    ],
    [
      'multi-docker',
      ['linux/arm64'],
      DOCKER_LIST,
      ['linux/amd64', 'linux/arm64/v8'],
      '2025-05-01T10:00:00Z',
      {},
    ],
    ['no-created', ['linux/amd64'], OCI_MANIFEST, ['linux/amd64'], undefined, {}],
  ])('%s for %j', async (tag, platforms, mediaType, offered, created, labels) => {
    const registryClient = client(registry);
    const image = parseImageReference(`${registry.host}/team/app`);
    const metadata = await registryClient.getMetadata(image, tag, platforms);
    expect(metadata).toEqual({
      tag,
      digest: pushed[tag]?.digest,
      mediaType,
      platforms: offered,
      created,
      labels,
    });
    expect(metadata.mediaType).toBe(pushed[tag]?.mediaType);
    expect(await registryClient.getDigest(image, tag)).toBe(pushed[tag]?.digest);
  });

  it('reads a manifest shared by two tags once, and its config not at all for the second tag', async () => {
    const retag = await registry.push('team/retag', 'main-abc1234', {
      created: '2025-06-01T10:00:00Z',
      platforms: ['linux/amd64', 'linux/arm64/v8'],
    });
    const release = await registry.push('team/retag', 'v1.0.0', {
      created: '2025-06-01T10:00:00Z',
      platforms: ['linux/amd64', 'linux/arm64/v8'],
    });
    expect(release.digest).toBe(retag.digest);
    const registryClient = client(registry);
    const image = parseImageReference(`${registry.host}/team/retag`);
    const usage = () => registryClient.usage().get(`${registry.host}/team/retag`)?.requests ?? 0;
    // The scheme probe and the tag list first, so the counts below are reads of tags only.
    await registryClient.listTags(image);
    const before = usage();

    const first = await registryClient.getMetadata(image, 'main-abc1234', ['linux/arm64']);
    // Index, child manifest, child config.
    expect(usage() - before).toBe(3);
    const second = await registryClient.getMetadata(image, 'v1.0.0', ['linux/arm64']);
    // Only the index of the second tag: its digest names a read already made.
    expect(usage() - before).toBe(4);
    expect(second).toEqual({ ...first, tag: 'v1.0.0' });
  });

  it('says a missing tag does not exist', async () => {
    const error = await rejection(
      client(registry).getMetadata(parseImageReference(`${registry.host}/team/app`), 'nope', [
        'linux/amd64',
      ]),
    );
    expect(error.details.status).toBe(404);
    expect(error.message).toContain('tag nope does not exist');
  });

  it('says a missing repository does not exist', async () => {
    const error = await rejection(
      client(registry).listTags(parseImageReference(`${registry.host}/team/missing`)),
    );
    expect(error.details).toEqual({
      image: `${registry.host}/team/missing`,
      path: '/v2/team/missing/tags/list',
      status: 404,
    });
    expect(error.message).toContain('NAME_UNKNOWN');
  });

  it('refuses plain HTTP for a host that is not listed as insecure', async () => {
    const error = await rejection(
      client(registry, { insecureRegistries: [] }).listTags(
        parseImageReference(`${registry.host}/team/app`),
      ),
    );
    expect(error.message).toContain(registry.host);
  });

  it('reads metadata once across runs with the persisted cache', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'registry-cache-'));
    try {
      const image = parseImageReference(`${registry.host}/team/app`);
      const firstCache = await loadCache(directory, silentLogger);
      const first = createRegistryClient({
        settings: settings(registry),
        logger: silentLogger,
        cache: firstCache,
      });
      openClients.push(first);
      const fresh = await first.getMetadata(image, 'multi-oci', ['linux/arm64']);
      expect(first.usage().get(`${registry.host}/team/app`)?.requests).toBeGreaterThan(0);
      await saveCache(firstCache, directory, silentLogger);

      const secondCache = await loadCache(directory, silentLogger);
      const second = createRegistryClient({
        settings: settings(registry),
        logger: silentLogger,
        cache: secondCache,
      });
      openClients.push(second);
      expect(await second.getMetadata(image, 'multi-oci', ['linux/arm64'])).toEqual(fresh);
      expect(second.usage().get(`${registry.host}/team/app`)).toBeUndefined();
      // Another platform needs another child config: fetched, not answered from the cache.
      const amd64 = await second.getMetadata(image, 'multi-oci', ['linux/amd64']);
      expect(amd64.created).toBe('2025-04-01T10:00:00Z');
      const afterPlatform = second.usage().get(`${registry.host}/team/app`)?.requests ?? 0;
      expect(afterPlatform).toBeGreaterThan(0);
      // A digest that differs from the cached one means the tag moved: fetched again.
      secondCache.set(`${registry.host}/team/app`, 'main-old', {
        metadata: { ...fresh, tag: 'main-old', digest: `sha256:${'0'.repeat(64)}` },
        configPlatform: undefined,
      });
      const moved = await second.getMetadata(image, 'main-old', ['linux/amd64'], {
        digest: pushed['main-old']?.digest,
      });
      expect(moved.digest).toBe(pushed['main-old']?.digest);
      expect(moved.created).toBe('2025-01-01T10:00:00Z');
      expect(second.usage().get(`${registry.host}/team/app`)?.requests).toBeGreaterThan(
        afterPlatform,
      );
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('TLS registry with a private CA', () => {
  let registry: RunningRegistry;
  let image: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry({ tls: true });
    image = await registry.push('team/app', 'v1', { created: '2025-01-01T00:00:00Z' });
  });
  afterAll(async () => {
    await registry.close();
  });

  it('verifies the certificate with the CA from ca-file', async () => {
    const registryClient = client(registry, { caCertificates: registry.caPem });
    const reference = parseImageReference(`${registry.host}/team/app`);
    expect(await registryClient.listTags(reference)).toEqual(['v1']);
    expect((await registryClient.getMetadata(reference, 'v1', ['linux/amd64'])).digest).toBe(
      image.digest,
    );
  });

  it('without the CA, says the certificate authority is unknown and suggests ca-file', async () => {
    const error = await rejection(
      client(registry).listTags(parseImageReference(`${registry.host}/team/app`)),
    );
    expect(error.message).toMatch(/certificate/);
    expect(error.message).toContain('unknown authority');
    expect(error.message).toContain('ca-file');
  });

  it('keeps NODE_EXTRA_CA_CERTS when a ca-file replaces the default CA list', async () => {
    const unrelatedCa = rootCertificates[0] ?? '';
    const reference = parseImageReference(`${registry.host}/team/app`);
    const withoutExtra = client(registry, { caCertificates: unrelatedCa });
    expect((await rejection(withoutExtra.listTags(reference))).message).toContain(
      'unknown authority',
    );

    const withExtra = createRegistryClient({
      settings: settings(registry, { caCertificates: unrelatedCa }),
      logger: silentLogger,
      env: { NODE_EXTRA_CA_CERTS: registry.caFile },
    });
    openClients.push(withExtra);
    expect(await withExtra.listTags(reference)).toEqual(['v1']);
  });

  it('skips verification for a host in insecure-registries', async () => {
    const tags = await client(registry, { insecureRegistries: [registry.host] }).listTags(
      parseImageReference(`${registry.host}/team/app`),
    );
    expect(tags).toEqual(['v1']);
  });
});

describe('htpasswd basic auth', () => {
  let registry: RunningRegistry;
  let image: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'basic', users: { reader: 'correct-horse' } });
    image = await registry.push('team/app', 'v1', {
      created: '2025-01-01T00:00:00Z',
      labels: { x: 'y' },
    });
  });
  afterAll(async () => {
    await registry.close();
  });

  it('reads with the right password', async () => {
    const registryClient = client(registry, {
      credentials: [
        { host: registry.host, username: 'reader', password: 'correct-horse', source: 'test' },
      ],
    });
    const metadata = await registryClient.getMetadata(
      parseImageReference(`${registry.host}/team/app`),
      'v1',
      ['linux/amd64'],
    );
    expect(metadata.digest).toBe(image.digest);
    expect(metadata.labels).toEqual({ x: 'y' });
  });

  it('reports a wrong password as a 401 naming the registry and the credential source', async () => {
    const error = await rejection(
      client(registry, {
        credentials: [
          {
            host: registry.host,
            username: 'reader',
            password: 'wrong-password',
            source: 'input registry-credentials line 1',
          },
        ],
      }).listTags(parseImageReference(`${registry.host}/team/app`)),
    );
    expect(error.details.status).toBe(401);
    expect(error.message).toContain(`check the credentials for ${registry.host}`);
    expect(error.message).toContain('input registry-credentials line 1');
    expect(error.message).not.toContain('wrong-password');
  });

  it('reports missing credentials', async () => {
    const error = await rejection(
      client(registry).listTags(parseImageReference(`${registry.host}/team/app`)),
    );
    expect(error.details.status).toBe(401);
    expect(error.message).toContain(`${registry.host} requires credentials`);
  });
});

describe('token auth', () => {
  let registry: RunningRegistry;
  const pushed: PushedImage[] = [];

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token', tls: true, users: { robot: 'token-pass' } });
    for (let index = 0; index < 5; index += 1) {
      pushed.push(
        await registry.push('team/app', `main-${index}`, {
          created: `2025-01-0${index + 1}T00:00:00Z`,
        }),
      );
    }
  });
  afterAll(async () => {
    await registry.close();
  });

  it('asks for the exact pull scope, once for many calls', async () => {
    const before = registry.tokenRequests.length;
    const registryClient = client(registry, {
      caCertificates: registry.caPem,
      credentials: [
        { host: registry.host, username: 'robot', password: 'token-pass', source: 'test' },
      ],
    });
    const reference = parseImageReference(`${registry.host}/team/app`);
    const tags = await registryClient.listTags(reference);
    const metadata = await Promise.all(
      tags.map((tag) => registryClient.getMetadata(reference, tag, ['linux/amd64'])),
    );
    const digests = await Promise.all(tags.map((tag) => registryClient.getDigest(reference, tag)));

    expect(new Set(metadata.map((entry) => entry.digest))).toEqual(
      new Set(pushed.map((entry) => entry.digest)),
    );
    expect(new Set(digests)).toEqual(new Set(pushed.map((entry) => entry.digest)));
    const requests = registry.tokenRequests.slice(before);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      scope: 'repository:team/app:pull',
      service: registry.tokenService,
      authorization: 'basic',
      username: 'robot',
      status: 200,
    });
  });

  it('reports refused credentials from the token service', async () => {
    const error = await rejection(
      client(registry, {
        caCertificates: registry.caPem,
        credentials: [
          {
            host: registry.host,
            username: 'robot',
            password: 'nope-nope',
            source: 'docker config',
          },
        ],
      }).listTags(parseImageReference(`${registry.host}/team/app`)),
    );
    expect(error.message).toContain('refused the credentials');
    expect(error.message).toContain('docker config');
  });
});

describe('token auth with anonymous pull', () => {
  let registry: RunningRegistry;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token', anonymousPull: true });
    await registry.push('team/public', 'v1', { created: '2025-01-01T00:00:00Z' });
  });
  afterAll(async () => {
    await registry.close();
  });

  it('gets an anonymous token', async () => {
    const before = registry.tokenRequests.length;
    const registryClient = client(registry);
    expect(
      await registryClient.listTags(parseImageReference(`${registry.host}/team/public`)),
    ).toEqual(['v1']);
    expect(registry.tokenRequests.slice(before)).toMatchObject([
      { scope: 'repository:team/public:pull', authorization: 'none', status: 200 },
    ]);
  });
});

describe('real registry behind a fault proxy', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  let pushed: PushedImage;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token', users: { robot: 'proxy-pass' } });
    pushed = await registry.push('team/app', 'v1', {
      created: '2025-07-01T00:00:00Z',
      platforms: ['linux/amd64', 'linux/arm64'],
      labels: { k: 'v' },
    });
    proxy = await startFaultProxy(registry.url, { tokenServerUrl: registry.tokenServerUrl });
  });
  afterAll(async () => {
    await proxy.close();
    await registry.close();
  });

  function proxiedClient() {
    const sleeps: number[] = [];
    const created = createRegistryClient({
      settings: settings(registry, {
        insecureRegistries: [proxy.host],
        credentials: [
          { host: proxy.host, username: 'robot', password: 'proxy-pass', source: 'test' },
        ],
      }),
      logger: silentLogger,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      random: () => 0,
    });
    openClients.push(created);
    return {
      registryClient: created,
      sleeps,
      image: parseImageReference(`${proxy.host}/team/app`),
    };
  }

  it('rides out 429, 503, a reset, a truncated body and a failing token request', async () => {
    const tokenPath = new URL(registry.tokenServerUrl ?? 'http://x/token').pathname;
    proxy.setRules([
      { path: new RegExp(`^${tokenPath}`), times: 1, action: { kind: 'respond', status: 503 } },
      {
        path: /\/tags\/list/,
        times: 1,
        action: { kind: 'respond', status: 429, headers: { 'retry-after': '2' } },
      },
      {
        method: 'GET',
        path: /\/manifests\/v1$/,
        times: 1,
        action: { kind: 'respond', status: 503 },
      },
      { method: 'GET', path: /\/manifests\/sha256:/, times: 1, action: { kind: 'truncate' } },
      { method: 'GET', path: /\/blobs\//, times: 1, action: { kind: 'reset' } },
    ]);
    const { registryClient, sleeps, image } = proxiedClient();

    expect(await registryClient.listTags(image)).toEqual(['v1']);
    const metadata = await registryClient.getMetadata(image, 'v1', ['linux/arm64']);
    expect(metadata).toMatchObject({
      digest: pushed.digest,
      platforms: ['linux/amd64', 'linux/arm64'],
      created: '2025-07-01T00:00:00Z',
      labels: { k: 'v' },
    });
    expect(sleeps).toContain(2000);
    expect(sleeps).toHaveLength(5);
    expect(proxy.requests.filter((request) => request.fault !== undefined)).toHaveLength(5);
  });

  it.each([
    // The registry's Docker-Content-Digest still names the real body, so the change is caught there.
    [{ kind: 'invalid-json' } as const, 'does not match its digest'],
    [
      { kind: 'rewrite-digest', digest: `sha256:${'f'.repeat(64)}` } as const,
      'does not match its digest',
    ],
  ])(
    'reports a manifest altered in transit (%j), naming image and tag',
    async (action, message) => {
      proxy.setRules([{ method: 'GET', path: /\/manifests\/v1$/, action }]);
      const { registryClient, image } = proxiedClient();

      const error = await rejection(registryClient.getMetadata(image, 'v1', ['linux/amd64']));
      expect(error.message).toContain(`${proxy.host}/team/app:v1`);
      expect(error.message).toContain(message);
    },
  );
});
