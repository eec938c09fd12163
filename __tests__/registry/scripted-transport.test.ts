import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RegistrySettings } from '../../src/config/settings.js';
import { RegistryError, RequestBudgetSpent } from '../../src/core/errors.js';
import {
  createRegistryClient,
  type ManagedRegistryClient,
  type RegistryClientOptions,
} from '../../src/registry/client.js';
import { MetadataCache } from '../../src/registry/cache.js';
import { imageKey, parseImageReference } from '../../src/registry/reference.js';
import { vendorFor } from '../../src/registry/vendors.js';
import {
  digestOf,
  startScriptedServer,
  syntheticImage,
  type RecordedRequest,
  type ScriptedServer,
} from '../harness/scripted-registry.js';
import {
  createServerCertificates,
  type ServerCertificates,
} from '../harness/registry/certificates.js';
import { recordingLogger } from '../harness/recording-logger.js';
import { testRegistrySettings } from '../harness/registry-settings.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const servers: ScriptedServer[] = [];
const clients: ManagedRegistryClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(): Promise<ScriptedServer> {
  const started = await startScriptedServer();
  servers.push(started);
  return started;
}

function client(
  registry: ScriptedServer,
  settings: Partial<RegistrySettings> = {},
  options: Partial<RegistryClientOptions> = {},
) {
  const clock = { now: Date.parse('2025-03-01T12:00:00Z') };
  const sleeps: number[] = [];
  const logger = recordingLogger();
  const created = createRegistryClient({
    settings: {
      credentials: [],
      caCertificates: undefined,
      insecureRegistries: [registry.host],
      concurrency: 4,
      requestBudget: 1000,
      timeoutMs: 5000,
      cache: false,
      ...settings,
    },
    logger,
    sleep: (ms) => {
      sleeps.push(ms);
      clock.now += ms;
      return Promise.resolve();
    },
    now: () => clock.now,
    random: () => 0.5,
    ...options,
  });
  clients.push(created);
  return {
    registry: created,
    sleeps,
    logger,
    clock,
    image: parseImageReference(`${registry.host}/team/app`),
  };
}

async function rejection(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error('expected the call to fail');
}

function serveImage(
  registry: ScriptedServer,
  tag: string,
  image: ReturnType<typeof syntheticImage>,
): void {
  registry.on('GET', `/v2/team/app/manifests/${tag}`, {
    status: 200,
    headers: { 'content-type': OCI_MANIFEST, 'docker-content-digest': image.manifestDigest },
    body: image.manifest,
  });
  registry.on('GET', `/v2/team/app/blobs/${image.configDigest}`, {
    status: 200,
    body: image.config,
  });
}

describe('tag pagination', () => {
  it('follows same-host Link pages, relative and absolute', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', (request) => {
      const last = request.query.get('last');
      if (last === null) {
        return {
          status: 200,
          headers: { link: '</v2/team/app/tags/list?n=2&last=b>; rel="next"' },
          body: { name: 'team/app', tags: ['a', 'b'] },
        };
      }
      if (last === 'b') {
        return {
          status: 200,
          headers: { link: `<${registry.origin}/v2/team/app/tags/list?n=2&last=d>; rel="next"` },
          body: { name: 'team/app', tags: ['c', 'd'] },
        };
      }
      return { status: 200, body: { name: 'team/app', tags: ['e'] } };
    });
    const { registry: registryClient, image } = client(registry);

    expect(await registryClient.listTags(image)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(registry.count('GET', '/v2/team/app/tags/list')).toBe(3);
    const first = registry.requests.find((request) => request.path === '/v2/team/app/tags/list');
    expect(first?.query.get('n')).toBe('1000');
  });

  it('refuses a next link to another host, with a warning and without sending it anything', async () => {
    const registry = await server();
    const foreign = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 200,
      headers: {
        link: `<http://localhost:${foreign.port}/v2/team/app/tags/list?last=b>; rel="next"`,
      },
      body: { tags: ['a', 'b'] },
    });
    const {
      registry: registryClient,
      image,
      logger,
    } = client(registry, {
      credentials: [{ host: registry.host, username: 'u', password: 'p', source: 'test' }],
    });

    expect(await registryClient.listTags(image)).toEqual(['a', 'b']);
    expect(foreign.requests).toHaveLength(0);
    const warning = logger.lines.find((line) => line.level === 'warning');
    expect(warning?.message).toContain(`another host (localhost:${foreign.port})`);
  });

  it('asks again without n when the registry refuses the page size', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', (request) => {
      if (request.query.get('n') === '1000') {
        return {
          status: 400,
          body: {
            errors: [
              { code: 'PAGINATION_NUMBER_INVALID', message: 'invalid number of results requested' },
            ],
          },
        };
      }
      if (request.query.get('last') === null) {
        return {
          status: 200,
          headers: { link: '</v2/team/app/tags/list?last=a>; rel="next"' },
          body: { tags: ['a'] },
        };
      }
      return { status: 200, body: { tags: ['b'] } };
    });
    const { registry: registryClient, image } = client(registry);

    expect(await registryClient.listTags(image)).toEqual(['a', 'b']);
    expect(registry.count('GET', '/v2/team/app/tags/list')).toBe(3);
  });

  it('stops at the page cap with a warning', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', (request) => {
      const page = Number(request.query.get('page') ?? '0');
      return {
        status: 200,
        headers: { link: `</v2/team/app/tags/list?page=${page + 1}>; rel="next"` },
        body: { tags: [`t${page}`] },
      };
    });
    const {
      registry: registryClient,
      image,
      logger,
    } = client(registry, {}, { tagList: { maxPages: 3 } });

    expect(await registryClient.listTags(image)).toEqual(['t0', 't1', 't2']);
    expect(registry.count('GET', '/v2/team/app/tags/list')).toBe(3);
    expect(
      logger.lines.some(
        (line) => line.level === 'warning' && line.message.includes('after 3 pages'),
      ),
    ).toBe(true);
  });
});

describe('retries', () => {
  it('waits as long as Retry-After says after a 429, then succeeds', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on(
      'GET',
      '/v2/team/app/tags/list',
      { status: 429, headers: { 'retry-after': '7' } },
      { status: 200, body: { tags: ['a'] } },
    );
    const { registry: registryClient, image, sleeps } = client(registry);

    expect(await registryClient.listTags(image)).toEqual(['a']);
    expect(sleeps).toEqual([7000]);
  });

  it('accepts Retry-After as an HTTP date', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on(
      'GET',
      '/v2/team/app/tags/list',
      { status: 429, headers: { 'retry-after': 'Sat, 01 Mar 2025 12:00:03 GMT' } },
      { status: 200, body: { tags: ['a'] } },
    );
    const { registry: registryClient, image, sleeps } = client(registry);

    expect(await registryClient.listTags(image)).toEqual(['a']);
    expect(sleeps).toEqual([3000]);
  });

  it('retries a 5xx with backoff, then succeeds', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on(
      'GET',
      '/v2/team/app/tags/list',
      { status: 503 },
      { status: 502 },
      { status: 200, body: { tags: ['a'] } },
    );
    const { registry: registryClient, image, sleeps } = client(registry);

    expect(await registryClient.listTags(image)).toEqual(['a']);
    // Equal jitter with random 0.5: 3/4 of 500 ms, then of 1000 ms.
    expect(sleeps).toEqual([375, 750]);
  });

  it('gives up after the attempt limit with a message naming image and path', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', { status: 503 });
    const {
      registry: registryClient,
      image,
      sleeps,
    } = client(registry, {}, { retry: { maxAttempts: 3 } });

    const error = await rejection(registryClient.listTags(image));
    expect(registry.count('GET', '/v2/team/app/tags/list')).toBe(3);
    expect(sleeps).toHaveLength(2);
    expect(error.message).toContain(`${registry.host}/team/app`);
    expect(error.message).toContain('/v2/team/app/tags/list');
    expect(error.message).toContain('after 3 attempts');
    expect(error.details).toEqual({
      image: `${registry.host}/team/app`,
      path: '/v2/team/app/tags/list',
      status: 503,
    });
  });

  it('stops retrying when the total time bound would be passed', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', { status: 429, headers: { 'retry-after': '20' } });
    const {
      registry: registryClient,
      image,
      sleeps,
    } = client(registry, {}, { retry: { maxTotalMs: 50_000 } });

    const error = await rejection(registryClient.listTags(image));
    expect(sleeps).toEqual([20_000, 20_000]);
    expect(error.message).toContain('rate limited');
    expect(error.message).toContain('Retry-After 20');
  });

  it('does not wait for a Retry-After above the cap', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 429,
      headers: { 'retry-after': '3600' },
    });
    const { registry: registryClient, image, sleeps } = client(registry);

    const error = await rejection(registryClient.listTags(image));
    expect(sleeps).toEqual([]);
    expect(error.details.status).toBe(429);
  });

  it('times out a request that gets no answer', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', { status: 200, hang: true });
    const { registry: registryClient, image } = client(
      registry,
      { timeoutMs: 300 },
      { retry: { maxAttempts: 2 } },
    );

    const error = await rejection(registryClient.listTags(image));
    expect(error.message).toContain('timed out after 300 ms');
    expect(registry.count('GET', '/v2/team/app/tags/list')).toBe(2);
  });

  it('retries a refused connection a bounded number of times', async () => {
    const registry = await server();
    const host = registry.host;
    await registry.close();
    servers.splice(servers.indexOf(registry), 1);
    const image = parseImageReference(`${host}/team/app`);
    const sleeps: number[] = [];
    const registryClient = createRegistryClient({
      settings: testRegistrySettings([host], {
        concurrency: 1,
        requestBudget: 100,
        timeoutMs: 2000,
      }),
      logger: recordingLogger(),
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      retry: { maxAttempts: 3 },
    });
    clients.push(registryClient);

    const error = await rejection(registryClient.listTags(image));
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('after 3 attempts');
    // https once (an insecure host falls back at once), then plain http three times.
    expect(sleeps).toHaveLength(2);
  });
});

describe('redirects', () => {
  it('follows a blob redirect to another host without forwarding Authorization', async () => {
    const registry = await server();
    const storage = await server();
    const image = syntheticImage({ created: '2025-01-02T03:04:05Z', labels: { a: 'b' } });
    registry.on('GET', '/v2/', {
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="registry"' },
    });
    registry.on('GET', '/v2/team/app/manifests/v1', {
      status: 200,
      headers: { 'content-type': OCI_MANIFEST, 'docker-content-digest': image.manifestDigest },
      body: image.manifest,
    });
    registry.on('GET', `/v2/team/app/blobs/${image.configDigest}`, {
      status: 307,
      headers: { location: `http://localhost:${storage.port}/bucket/config?signature=abc` },
    });
    storage.on('GET', '/bucket/config', { status: 200, body: image.config });
    const { registry: registryClient, image: reference } = client(registry, {
      credentials: [{ host: registry.host, username: 'user', password: 'pw', source: 'test' }],
    });

    const metadata = await registryClient.getMetadata(reference, 'v1', ['linux/amd64']);
    expect(metadata).toEqual({
      tag: 'v1',
      digest: image.manifestDigest,
      mediaType: OCI_MANIFEST,
      platforms: ['linux/amd64'],
      created: '2025-01-02T03:04:05Z',
      labels: { a: 'b' },
    });
    const registryBlob = registry.requests.find((request) => request.path.includes('/blobs/'));
    expect(registryBlob?.headers.authorization).toBe(
      `Basic ${Buffer.from('user:pw').toString('base64')}`,
    );
    expect(storage.requests).toHaveLength(1);
    expect(storage.requests[0]?.headers.authorization).toBeUndefined();
    expect(storage.requests[0]?.query.get('signature')).toBe('abc');
  });

  it('keeps Authorization on a redirect within the same host', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', {
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="registry"' },
    });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 301,
      headers: { location: '/v2/team/app/tags/list2' },
    });
    registry.on('GET', '/v2/team/app/tags/list2', { status: 200, body: { tags: ['x'] } });
    const { registry: registryClient, image } = client(registry, {
      credentials: [{ host: registry.host, username: 'user', password: 'pw', source: 'test' }],
    });

    expect(await registryClient.listTags(image)).toEqual(['x']);
    const second = registry.requests.find((request) => request.path === '/v2/team/app/tags/list2');
    expect(second?.headers.authorization).toMatch(/^Basic /);
  });

  it('bounds the number of redirects', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 302,
      headers: { location: '/v2/team/app/tags/list' },
    });
    const { registry: registryClient, image } = client(registry, {}, { maxRedirects: 2 });

    const error = await rejection(registryClient.listTags(image));
    expect(error.message).toContain('redirected more than 2 times');
    expect(registry.count('GET', '/v2/team/app/tags/list')).toBe(3);
  });
});

describe('token auth by challenge', () => {
  async function tokenSetup(options: { expiresIn?: number; credentials?: boolean } = {}) {
    const registry = await server();
    const tokens = await server();
    const realm = `http://localhost:${tokens.port}/token`;
    let issued = 0;
    tokens.on('GET', '/token', (request: RecordedRequest) => {
      issued += 1;
      return {
        status: 200,
        body: {
          token: `token-${issued}-${request.query.get('scope') ?? ''}`,
          expires_in: options.expiresIn ?? 300,
        },
      };
    });
    const challenge = `Bearer realm="${realm}",service="scripted.registry",scope="repository:team/app:pull"`;
    const requireToken =
      (respond: () => { status: number; headers?: Record<string, string>; body?: unknown }) =>
      (request: RecordedRequest) =>
        request.headers.authorization?.startsWith('Bearer token-')
          ? respond()
          : {
              status: 401,
              headers: { 'www-authenticate': challenge },
              body: { errors: [{ code: 'UNAUTHORIZED' }] },
            };
    registry.on(
      'GET',
      '/v2/',
      requireToken(() => ({ status: 200 })),
    );
    registry.on(
      'GET',
      '/v2/team/app/tags/list',
      requireToken(() => ({ status: 200, body: { tags: ['v1', 'v2'] } })),
    );
    const image = syntheticImage({ created: '2025-01-01T00:00:00Z' });
    for (const tag of ['v1', 'v2']) {
      registry.on(
        'GET',
        `/v2/team/app/manifests/${tag}`,
        requireToken(() => ({
          status: 200,
          headers: { 'content-type': OCI_MANIFEST, 'docker-content-digest': image.manifestDigest },
          body: image.manifest,
        })),
      );
      registry.on(
        'HEAD',
        `/v2/team/app/manifests/${tag}`,
        requireToken(() => ({
          status: 200,
          headers: { 'docker-content-digest': image.manifestDigest },
        })),
      );
    }
    registry.on(
      'GET',
      `/v2/team/app/blobs/${image.configDigest}`,
      requireToken(() => ({ status: 200, body: image.config })),
    );
    const setup = client(registry, {
      insecureRegistries: [registry.host, `localhost:${tokens.port}`],
      credentials: options.credentials
        ? [{ host: registry.host, username: 'robot', password: 's3cret', source: 'test' }]
        : [],
    });
    return { ...setup, registryServer: registry, tokens, imageContent: image };
  }

  it('gets an anonymous token for the exact pull scope from a realm on another host', async () => {
    const { registry, image, tokens, registryServer } = await tokenSetup();

    expect(await registry.listTags(image)).toEqual(['v1', 'v2']);
    expect(tokens.requests).toHaveLength(1);
    const tokenRequest = tokens.requests[0];
    expect(tokenRequest?.query.get('scope')).toBe('repository:team/app:pull');
    expect(tokenRequest?.query.get('service')).toBe('scripted.registry');
    expect(tokenRequest?.headers.authorization).toBeUndefined();
    const tagRequests = registryServer.requests.filter(
      (request) => request.path === '/v2/team/app/tags/list',
    );
    expect(tagRequests.map((request) => request.headers.authorization)).toEqual([
      'Bearer token-1-repository:team/app:pull',
    ]);
  });

  it('sends basic credentials to the realm when the registry has some, and masks the token', async () => {
    const { registry, image, tokens, logger } = await tokenSetup({ credentials: true });

    await registry.listTags(image);
    expect(tokens.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('robot:s3cret').toString('base64')}`,
    );
    expect(logger.secrets).toContain('token-1-repository:team/app:pull');
    expect(logger.secrets).toContain('s3cret');
    expect(logger.secrets).toContain(Buffer.from('robot:s3cret').toString('base64'));
    expect(logger.lines.map((line) => line.message).join('\n')).not.toContain('s3cret');
  });

  it('reuses one token for many calls', async () => {
    const { registry, image, tokens, imageContent } = await tokenSetup();

    await registry.listTags(image);
    await Promise.all([
      registry.getMetadata(image, 'v1', ['linux/amd64']),
      registry.getMetadata(image, 'v2', ['linux/amd64']),
      registry.getDigest(image, 'v1'),
      registry.getDigest(image, 'v2'),
    ]);
    expect(await registry.getDigest(image, 'v1')).toBe(imageContent.manifestDigest);
    expect(tokens.requests).toHaveLength(1);
  });

  it('fetches a new token when the old one has expired', async () => {
    const { registry, image, tokens, clock } = await tokenSetup({ expiresIn: 120 });

    await registry.listTags(image);
    clock.now += 60_000;
    await registry.getDigest(image, 'v1');
    expect(tokens.requests).toHaveLength(1);
    clock.now += 61_000;
    await registry.getDigest(image, 'v2');
    expect(tokens.requests).toHaveLength(2);
  });

  it('answers a new challenge once, then reports the 401', async () => {
    const registry = await server();
    const tokens = await server();
    tokens.on('GET', '/token', { status: 200, body: { token: 'rejected-token' } });
    const challenge = `Bearer realm="http://localhost:${tokens.port}/token",service="s"`;
    registry.on('GET', '/v2/', { status: 401, headers: { 'www-authenticate': challenge } });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 401,
      headers: { 'www-authenticate': `${challenge},error="invalid_token"` },
    });
    const { registry: registryClient, image } = client(registry, {
      insecureRegistries: [registry.host, `localhost:${tokens.port}`],
    });

    const error = await rejection(registryClient.listTags(image));
    expect(registry.count('GET', '/v2/team/app/tags/list')).toBe(2);
    expect(tokens.requests).toHaveLength(2);
    expect(error.details.status).toBe(401);
    expect(error.message).toContain(
      `requires credentials: add them with registry-credentials (${registry.host}=user:password)`,
    );
  });

  it('says a repository may not exist when the registry answers insufficient_scope (Docker Hub)', async () => {
    const registry = await server();
    const tokens = await server();
    tokens.on('GET', '/token', { status: 200, body: { token: 'anonymous' } });
    const challenge = `Bearer realm="http://localhost:${tokens.port}/token",service="s"`;
    registry.on('GET', '/v2/', { status: 401, headers: { 'www-authenticate': challenge } });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 401,
      headers: {
        'www-authenticate': `${challenge},scope="repository:team/app:pull",error="insufficient_scope"`,
      },
    });
    const { registry: registryClient, image } = client(registry, {
      insecureRegistries: [registry.host, `localhost:${tokens.port}`],
    });

    const error = await rejection(registryClient.listTags(image));
    expect(error.message).toContain(
      `the repository does not exist on ${registry.host}, or it is private`,
    );
  });

  it('reports a token service that refuses the credentials, naming where they came from', async () => {
    const registry = await server();
    const tokens = await server();
    tokens.on('GET', '/token', { status: 401 });
    registry.on('GET', '/v2/', {
      status: 401,
      headers: {
        'www-authenticate': `Bearer realm="http://localhost:${tokens.port}/token",service="s"`,
      },
    });
    const { registry: registryClient, image } = client(registry, {
      insecureRegistries: [registry.host, `localhost:${tokens.port}`],
      credentials: [
        {
          host: registry.host,
          username: 'robot',
          password: 'wrong',
          source: 'input registry-credentials line 1',
        },
      ],
    });

    const error = await rejection(registryClient.listTags(image));
    expect(error.message).toContain('refused the credentials');
    expect(error.message).toContain('input registry-credentials line 1');
    expect(error.message).not.toContain('wrong');
  });
});

describe('basic auth', () => {
  it('without credentials, says which registry needs them', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="r"' },
    });
    const { registry: registryClient, image } = client(registry);

    const error = await rejection(registryClient.listTags(image));
    expect(registry.count('GET', '/v2/team/app/tags/list')).toBe(1);
    expect(error.message).toContain(`GET /v2/team/app/tags/list returned 401`);
    expect(error.message).toContain(`${registry.host} requires credentials`);
  });
});

describe('status errors', () => {
  it.each([
    [
      404,
      { errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] },
      'MANIFEST_UNKNOWN: manifest unknown',
      'tag v9 does not exist',
    ],
    [403, undefined, 'returned 403', 'access denied'],
  ])('%d', async (status, body, first, second) => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/manifests/v9', { status, body });
    const { registry: registryClient, image } = client(registry);

    const error = await rejection(registryClient.getMetadata(image, 'v9', ['linux/amd64']));
    expect(error.message).toContain(first);
    expect(error.message).toContain(second);
    expect(error.details).toEqual({
      image: `${registry.host}/team/app`,
      path: '/v2/team/app/manifests/v9',
      status,
    });
  });
});

describe('manifests', () => {
  it('rejects a manifest whose body does not match Docker-Content-Digest', async () => {
    const registry = await server();
    const image = syntheticImage({ created: '2025-01-01T00:00:00Z' });
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/manifests/v1', {
      status: 200,
      headers: {
        'content-type': OCI_MANIFEST,
        'docker-content-digest': `sha256:${'0'.repeat(64)}`,
      },
      body: image.manifest,
    });
    const { registry: registryClient, image: reference } = client(registry);

    const error = await rejection(registryClient.getMetadata(reference, 'v1', ['linux/amd64']));
    expect(error.message).toContain(`${registry.host}/team/app:v1`);
    expect(error.message).toContain('does not match its digest');
  });

  it('rejects a manifest that is not JSON', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/manifests/v1', {
      status: 200,
      headers: { 'content-type': OCI_MANIFEST },
      body: '<html>',
    });
    const { registry: registryClient, image } = client(registry);

    const error = await rejection(registryClient.getMetadata(image, 'v1', ['linux/amd64']));
    expect(error.message).toContain(`${registry.host}/team/app:v1`);
    expect(error.message).toContain('not valid JSON');
  });

  it('reads two tags of one digest with one config fetch', async () => {
    const registry = await server();
    const image = syntheticImage({ created: '2025-01-01T00:00:00Z' });
    registry.on('GET', '/v2/', { status: 200 });
    serveImage(registry, 'main-1', image);
    serveImage(registry, 'latest', image);
    const { registry: registryClient, image: reference } = client(registry);

    const [first, second] = await Promise.all([
      registryClient.getMetadata(reference, 'main-1', ['linux/amd64']),
      registryClient.getMetadata(reference, 'latest', ['linux/amd64']),
    ]);
    expect(first.digest).toBe(second.digest);
    expect(second.tag).toBe('latest');
    expect(registry.count('GET', `/v2/team/app/blobs/${image.configDigest}`)).toBe(1);
  });

  it('falls back to GET when HEAD carries no digest', async () => {
    const registry = await server();
    const image = syntheticImage({ created: '2025-01-01T00:00:00Z' });
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('HEAD', '/v2/team/app/manifests/v1', { status: 200 });
    registry.on('GET', '/v2/team/app/manifests/v1', {
      status: 200,
      headers: { 'content-type': OCI_MANIFEST },
      body: image.manifest,
    });
    const { registry: registryClient, image: reference } = client(registry);

    expect(await registryClient.getDigest(reference, 'v1')).toBe(image.manifestDigest);
  });
});

describe('request budget and usage', () => {
  it('counts requests and bytes per image and fails when the budget is spent', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', { status: 200, body: { tags: ['a'] } });
    const { registry: registryClient, image } = client(registry, { requestBudget: 3 });

    await registryClient.listTags(image); // plain-HTTP discovery (https try, http) + the list
    expect(registryClient.requestsSpent()).toBe(3);
    const usage = registryClient.usage().get(`${registry.host}/team/app`);
    expect(usage?.requests).toBe(3);
    expect(usage?.bytes).toBe(Buffer.byteLength(JSON.stringify({ tags: ['a'] })));

    const error = await rejection(registryClient.listTags(image));
    expect(error.message).toContain('request budget of 3 registry requests for this run is spent');
    expect(registry.count('GET', '/v2/team/app/tags/list')).toBe(1);
  });
});

describe('rate limits', () => {
  it('warns once when the remaining pulls are nearly spent', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on(
      'HEAD',
      '/v2/team/app/manifests/v1',
      {
        status: 200,
        headers: {
          'ratelimit-limit': '100;w=21600',
          'ratelimit-remaining': '11;w=21600',
          'docker-content-digest': `sha256:${'1'.repeat(64)}`,
        },
      },
      {
        status: 200,
        headers: {
          'ratelimit-limit': '100;w=21600',
          'ratelimit-remaining': '10;w=21600',
          'docker-content-digest': `sha256:${'1'.repeat(64)}`,
        },
      },
    );
    const { registry: registryClient, image, logger } = client(registry);

    for (let call = 0; call < 3; call += 1) await registryClient.getDigest(image, 'v1');
    const warnings = logger.lines
      .filter((line) => line.level === 'warning')
      .map((line) => line.message);
    expect(warnings).toEqual([
      `${registry.host} pull rate limit is nearly spent: 10 of 100 remaining per 21600 s window; authenticate to raise it, or keep the metadata cache between runs`,
    ]);
  });

  it('stops reading manifests once the remaining pulls fall to the reserve (5% of the limit)', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 200,
      headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '5;w=21600' },
      body: { tags: ['v1'] },
    });
    const { registry: registryClient, image } = client(registry);

    expect(await registryClient.listTags(image)).toEqual(['v1']);
    const error = await rejection(registryClient.getMetadata(image, 'v1', ['linux/amd64']));
    expect(error).toBeInstanceOf(RequestBudgetSpent);
    expect(error.message).toContain('pull rate limit is nearly spent (5 of 100 remaining)');
    expect(registry.count('GET', '/v2/team/app/manifests/v1')).toBe(0);
  });

  it('checks the reserve when a request takes its slot: 100 reads at once with 30 of 100 pulls left', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    let remaining = 30;
    const pulled = (): Record<string, string> => ({
      'ratelimit-limit': '100;w=21600',
      'ratelimit-remaining': `${remaining};w=21600`,
    });
    registry.on('GET', '/v2/team/app/tags/list', () => ({
      status: 200,
      headers: pulled(),
      body: { tags: [] },
    }));
    const tags = Array.from({ length: 100 }, (_, index) => `t${index}`);
    for (const tag of tags) {
      const image = syntheticImage({ created: '2025-01-01T00:00:00Z' });
      registry.on('GET', `/v2/team/app/manifests/${tag}`, () => {
        // Docker Hub counts the pull when the manifest GET arrives.
        remaining -= 1;
        return {
          status: 200,
          headers: {
            ...pulled(),
            'content-type': OCI_MANIFEST,
            'docker-content-digest': image.manifestDigest,
          },
          body: image.manifest,
          delayMs: 5,
        };
      });
      registry.on('GET', `/v2/team/app/blobs/${image.configDigest}`, {
        status: 200,
        body: image.config,
      });
    }
    const concurrency = 4;
    const { registry: registryClient, image } = client(registry, { concurrency });

    await registryClient.listTags(image);
    const results = await Promise.allSettled(
      tags.map((tag) => registryClient.getMetadata(image, tag, ['linux/amd64'])),
    );
    const pulls = tags.reduce(
      (sum, tag) => sum + registry.count('GET', `/v2/team/app/manifests/${tag}`),
      0,
    );
    // The reserve is 5 (5 % of 100): 25 pulls may be spent, at most `concurrency` more.
    expect(pulls).toBeGreaterThanOrEqual(25);
    expect(pulls).toBeLessThanOrEqual(25 + concurrency);
    const refused = results.filter((result) => result.status === 'rejected');
    expect(refused).toHaveLength(100 - pulls);
    for (const result of refused) {
      expect(result.reason).toBeInstanceOf(RequestBudgetSpent);
    }
  });

  it('reads ratelimit-remaining and exposes it per registry', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 200,
      headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '42;w=21600' },
      body: { tags: [] },
    });
    const { registry: registryClient, image, logger } = client(registry);

    expect(await registryClient.listTags(image)).toEqual([]);
    expect(registryClient.rateLimitRemaining(registry.host)).toEqual({
      remaining: 42,
      limit: 100,
      windowSeconds: 21600,
    });
    expect(
      logger.lines.some(
        (line) => line.level === 'debug' && line.message.includes('42 of 100 pulls remaining'),
      ),
    ).toBe(true);
  });
});

describe('connections per host', () => {
  it('keeps at most `concurrency` requests open at once', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    for (let index = 0; index < 8; index += 1) {
      registry.on('HEAD', `/v2/team/app/manifests/t${index}`, {
        status: 200,
        delayMs: 40,
        headers: { 'docker-content-digest': `sha256:${String(index).repeat(64)}` },
      });
    }
    const { registry: registryClient, image } = client(registry, { concurrency: 2 });

    const digests = await Promise.all(
      Array.from({ length: 8 }, (_, index) => registryClient.getDigest(image, `t${index}`)),
    );
    expect(digests).toEqual(
      Array.from({ length: 8 }, (_, index) => `sha256:${String(index).repeat(64)}`),
    );
    expect(registry.maxInFlight()).toBe(2);
  });
});

describe('metadata cache in the client', () => {
  it('trusts a cached tag unless the caller read another digest for it', async () => {
    const registry = await server();
    const image = syntheticImage({ created: '2025-06-01T00:00:00Z' });
    registry.on('GET', '/v2/', { status: 200 });
    serveImage(registry, 'v1', image);
    const cache = new MetadataCache();
    const stale = {
      tag: 'v1',
      digest: `sha256:${'e'.repeat(64)}`,
      mediaType: OCI_MANIFEST,
      platforms: ['linux/amd64'],
      created: '2020-01-01T00:00:00Z',
      labels: {},
    };
    const { registry: registryClient, image: reference } = client(registry, {}, { cache });
    cache.set(imageKey(reference), 'v1', { metadata: stale, configPlatform: undefined });

    expect(await registryClient.getMetadata(reference, 'v1', ['linux/amd64'])).toEqual(stale);
    expect(
      await registryClient.getMetadata(reference, 'v1', ['linux/amd64'], { digest: stale.digest }),
    ).toEqual(stale);
    expect(registry.count('GET', '/v2/team/app/manifests/v1')).toBe(0);

    const fresh = await registryClient.getMetadata(reference, 'v1', ['linux/amd64'], {
      digest: image.manifestDigest,
    });
    expect(fresh.digest).toBe(image.manifestDigest);
    expect(fresh.created).toBe('2025-06-01T00:00:00Z');
    expect(cache.get(imageKey(reference), 'v1')?.metadata).toEqual(fresh);
    expect(registry.count('GET', '/v2/team/app/manifests/v1')).toBe(1);
  });

  it('answers a second tag with a digest already read in this run without a request', async () => {
    const registry = await server();
    const image = syntheticImage({ created: '2025-06-01T00:00:00Z' });
    registry.on('GET', '/v2/', { status: 200 });
    serveImage(registry, 'main-1', image);
    const { registry: registryClient, image: reference } = client(registry);

    await registryClient.getMetadata(reference, 'main-1', ['linux/amd64']);
    const before = registry.requests.length;
    const latest = await registryClient.getMetadata(reference, 'latest', ['linux/amd64'], {
      digest: image.manifestDigest,
    });
    expect(latest.tag).toBe('latest');
    expect(latest.digest).toBe(image.manifestDigest);
    expect(registry.requests.length).toBe(before);
  });

  it('forgets tags that the tag list no longer has', async () => {
    const registry = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', { status: 200, body: { tags: ['v2'] } });
    const cache = new MetadataCache();
    const { registry: registryClient, image } = client(registry, {}, { cache });
    const metadata = {
      tag: 'v1',
      digest: `sha256:${'e'.repeat(64)}`,
      mediaType: OCI_MANIFEST,
      platforms: [],
      created: undefined,
      labels: {},
    };
    cache.set(imageKey(image), 'v1', { metadata, configPlatform: undefined });

    await registryClient.listTags(image);
    expect(cache.get(imageKey(image), 'v1')).toBeUndefined();
  });
});

describe('image index', () => {
  it('leaves attestations out of the platforms and reads the matching child', async () => {
    const registry = await server();
    const amd64 = syntheticImage({ created: '2025-01-01T00:00:00Z', platform: 'linux/amd64' });
    const arm64 = syntheticImage({
      created: '2025-01-02T00:00:00Z',
      platform: 'linux/arm64/v8',
      labels: { arch: 'arm' },
    });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: amd64.manifestDigest,
            size: 1,
            platform: { os: 'linux', architecture: 'amd64' },
          },
          {
            mediaType: OCI_MANIFEST,
            digest: arm64.manifestDigest,
            size: 1,
            platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
          },
          {
            mediaType: OCI_MANIFEST,
            digest: `sha256:${'a'.repeat(64)}`,
            size: 1,
            platform: { os: 'unknown', architecture: 'unknown' },
            annotations: { 'vnd.docker.reference.type': 'attestation-manifest' },
          },
        ],
      }),
    );
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/manifests/v1', { status: 200, body: index });
    for (const child of [amd64, arm64]) {
      registry.on('GET', `/v2/team/app/manifests/${child.manifestDigest}`, {
        status: 200,
        body: child.manifest,
      });
      registry.on('GET', `/v2/team/app/blobs/${child.configDigest}`, {
        status: 200,
        body: child.config,
      });
    }
    const { registry: registryClient, image } = client(registry);

    const metadata = await registryClient.getMetadata(image, 'v1', ['linux/arm64']);
    expect(metadata).toEqual({
      tag: 'v1',
      digest: digestOf(index),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      platforms: ['linux/amd64', 'linux/arm64/v8'],
      created: '2025-01-02T00:00:00Z',
      labels: { arch: 'arm' },
    });
    expect(registry.count('GET', `/v2/team/app/blobs/${amd64.configDigest}`)).toBe(0);
  });

  it('rejects a child manifest whose body does not match the digest the index names', async () => {
    const registry = await server();
    const child = syntheticImage({ created: '2025-01-01T00:00:00Z' });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        manifests: [
          {
            mediaType: OCI_MANIFEST,
            digest: child.manifestDigest,
            size: 1,
            platform: { os: 'linux', architecture: 'amd64' },
          },
        ],
      }),
    );
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/manifests/v1', { status: 200, body: index });
    registry.on('GET', `/v2/team/app/manifests/${child.manifestDigest}`, {
      status: 200,
      body: child.config,
    });
    const { registry: registryClient, image } = client(registry);

    const error = await rejection(registryClient.getMetadata(image, 'v1', ['linux/amd64']));
    expect(error.message).toContain(`expected ${child.manifestDigest}`);
  });
});

describe('HTTPS registry with plain-HTTP neighbours', () => {
  let certificates: ServerCertificates;
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(path.join(os.tmpdir(), 'scripted-tls-'));
    certificates = await createServerCertificates(directory);
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function tlsServer(): Promise<ScriptedServer> {
    const started = await startScriptedServer({
      tls: { certificatePem: certificates.serverCertPem, keyPem: certificates.serverKeyPem },
    });
    servers.push(started);
    return started;
  }

  it('does not send credentials to a plain-HTTP token realm', async () => {
    const registry = await tlsServer();
    const tokens = await server();
    tokens.on('GET', '/token', { status: 200, body: { token: 't' } });
    registry.on('GET', '/v2/', {
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="${tokens.origin}/token",service="s"` },
    });
    const { registry: registryClient, image } = client(registry, {
      insecureRegistries: [],
      caCertificates: certificates.caPem,
      credentials: [{ host: registry.host, username: 'u', password: 'secret-pw', source: 'test' }],
    });

    const error = await rejection(registryClient.listTags(image));
    expect(error.message).toContain(
      `refusing to send the credentials for ${registry.host} over plain HTTP`,
    );
    expect(tokens.requests).toHaveLength(0);
  });

  it('asks a plain-HTTP realm for an anonymous token (nothing secret is sent)', async () => {
    const registry = await tlsServer();
    const tokens = await server();
    tokens.on('GET', '/token', { status: 200, body: { token: 'anonymous-token' } });
    registry.on('GET', '/v2/', {
      status: 401,
      headers: { 'www-authenticate': `Bearer realm="${tokens.origin}/token",service="s"` },
    });
    registry.on('GET', '/v2/team/app/tags/list', (request) =>
      request.headers.authorization === 'Bearer anonymous-token'
        ? { status: 200, body: { tags: ['v1'] } }
        : { status: 401 },
    );
    const { registry: registryClient, image } = client(registry, {
      insecureRegistries: [],
      caCertificates: certificates.caPem,
    });

    expect(await registryClient.listTags(image)).toEqual(['v1']);
  });

  it("uses a vendor adapter's known challenge: the first request already carries a token", async () => {
    const registry = await tlsServer();
    const tokens = await tlsServer();
    tokens.on('GET', '/token', { status: 200, body: { token: 'preauth-token' } });
    registry.on('GET', '/v2/team/app/tags/list', (request) =>
      request.headers.authorization === 'Bearer preauth-token'
        ? { status: 200, body: { tags: ['v1'] } }
        : { status: 401 },
    );
    const vendor = {
      name: 'Scripted Hub',
      knownChallenge: {
        scheme: 'bearer',
        params: { realm: `${tokens.origin}/token`, service: 'hub' },
      },
      readRateLimit: (headers: Readonly<Record<string, string>>) =>
        vendorFor('docker.io').readRateLimit(headers),
    };
    const { registry: registryClient, image } = client(
      registry,
      { insecureRegistries: [], caCertificates: certificates.caPem },
      { vendorFor: () => vendor },
    );

    expect(await registryClient.listTags(image)).toEqual(['v1']);
    expect(registry.requests.map((request) => `${request.method} ${request.path}`)).toEqual([
      'GET /v2/team/app/tags/list',
    ]);
    expect(tokens.requests[0]?.query.get('service')).toBe('hub');
  });

  it('refuses a redirect from HTTPS to plain HTTP', async () => {
    const registry = await tlsServer();
    const storage = await server();
    registry.on('GET', '/v2/', { status: 200 });
    registry.on('GET', '/v2/team/app/tags/list', {
      status: 307,
      headers: { location: `${storage.origin}/tags` },
    });
    const { registry: registryClient, image } = client(registry, {
      insecureRegistries: [],
      caCertificates: certificates.caPem,
    });

    const error = await rejection(registryClient.listTags(image));
    expect(error.message).toContain('redirects from HTTPS to plain HTTP');
    expect(storage.requests).toHaveLength(0);
  });
});
