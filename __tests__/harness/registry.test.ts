/**
 * Self-test of the registry harness: what it pushes is checked with skopeo, an independent client,
 * against the real registry in every mode; the fault proxy is checked with plain HTTP requests.
 */
import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { parseAccessLogLine, requestKind } from './registry/access-log.js';
import { parsePlatform } from './registry/image-build.js';
import { parseScope } from './registry/token-server.js';
import {
  MANIFEST_ACCEPT,
  startFaultProxy,
  startRegistry,
  type FaultProxy,
  type ImageSpec,
  type RegistryOptions,
  type RunningRegistry,
} from './registry/index.js';

const execFileAsync = promisify(execFile);
const REQUEST_TIMEOUT_MS = 10_000;

interface SkopeoAccess {
  /** `user:password`, or undefined for anonymous access. */
  creds?: string;
}

/** Runs skopeo asynchronously: the token server lives in this process and must keep answering. */
async function skopeo(
  registry: RunningRegistry,
  args: string[],
  access: SkopeoAccess = {},
  globalArgs: string[] = [],
): Promise<string> {
  const [command, ...rest] = args;
  const transport = registry.caFile
    ? ['--cert-dir', path.dirname(registry.caFile)]
    : ['--tls-verify=false'];
  const credentials = access.creds ? ['--creds', access.creds] : ['--no-creds'];
  const { stdout } = await execFileAsync(
    'skopeo',
    [...globalArgs, command ?? 'inspect', ...transport, ...credentials, ...rest],
    { timeout: 30_000 },
  );
  return stdout;
}

interface SkopeoInspect {
  Digest: string;
  Created?: string;
  Labels: Record<string, string> | null;
  Architecture: string;
  Os: string;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

describe('harness parsing', () => {
  it.each([
    ['/v2/', 'base'],
    ['/v2/_catalog', 'catalog'],
    ['/v2/team/app/tags/list', 'tags'],
    ['/v2/a/b/c/manifests/main-1', 'manifest'],
    ['/v2/team/app/manifests/sha256:abc', 'manifest'],
    ['/v2/team/app/blobs/sha256:abc', 'blob'],
    ['/v2/team/app/blobs/uploads/', 'upload'],
    ['/v2/team/app/blobs/uploads/0f1e-uuid', 'upload'],
    ['/debug/vars', 'other'],
  ])('classifies %s as %s', (requestPath, kind) => {
    expect(requestKind(requestPath)).toBe(kind);
  });

  it.each([
    [
      '127.0.0.1 - - [22/Nov/2026:00:21:51 +0000] "GET /v2/foo/tags/list?n=10 HTTP/1.1" 404 111 "" "curl/7.88.1"',
      { method: 'GET', path: '/v2/foo/tags/list', status: 404, userAgent: 'curl/7.88.1' },
    ],
    [
      '127.0.0.1 - admin [22/Nov/2026:00:21:51 +0000] "HEAD /v2/a/manifests/x HTTP/1.1" 200 0 "" ""',
      { method: 'HEAD', path: '/v2/a/manifests/x', status: 200, userAgent: '' },
    ],
    ['time="2026-11-22T00:21:51Z" level=warning msg="something"', undefined],
  ])('parses the access log line %s', (line, expected) => {
    expect(parseAccessLogLine(line)).toEqual(expected);
  });

  it.each([
    ['repository:team/app:pull', { type: 'repository', name: 'team/app', actions: ['pull'] }],
    [
      'repository:team/app:pull,push',
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
    ],
    ['registry:catalog:*', { type: 'registry', name: 'catalog', actions: ['*'] }],
    [
      'repository:127.0.0.1:5000/app:pull',
      { type: 'repository', name: '127.0.0.1:5000/app', actions: ['pull'] },
    ],
    ['repository:app', undefined],
    ['pull', undefined],
  ])('parses the token scope %s', (scope, expected) => {
    expect(parseScope(scope)).toEqual(expected);
  });

  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  ])('parses the platform %s', (platform, expected) => {
    expect(parsePlatform(platform)).toEqual(expected);
  });

  it.each(['linux', 'linux/', 'linux/arm/v7/extra', 'linux/arm/'])(
    'rejects the platform %s',
    (platform) => {
      expect(() => parsePlatform(platform)).toThrow(/os\/arch/);
    },
  );
});

const modes: { name: string; options: RegistryOptions }[] = [
  { name: 'plain HTTP', options: {} },
  { name: 'TLS', options: { tls: true } },
  { name: 'basic auth', options: { auth: 'basic' } },
  { name: 'token auth', options: { auth: 'token' } },
  { name: 'token auth over TLS', options: { auth: 'token', tls: true, users: { ci: 'ci-pass' } } },
];

describe.each(modes)('registry harness with $name', ({ options }) => {
  let registry: RunningRegistry;
  let creds: string | undefined;

  beforeAll(async () => {
    registry = await startRegistry(options);
    const [user, password] = Object.entries(registry.users)[0] ?? [];
    creds = options.auth ? `${user}:${password}` : undefined;
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('reports where it listens', () => {
    expect(registry.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(registry.url).toBe(`${options.tls ? 'https' : 'http'}://${registry.host}`);
    expect(registry.caPem !== undefined).toBe(options.tls === true);
    expect(registry.tokenServerUrl !== undefined).toBe(options.auth === 'token');
  });

  it('pushes a single-arch image skopeo reads back with its date, labels and digest', async () => {
    const labels = { 'org.opencontainers.image.revision': 'abc123', team: 'platform' };
    const pushed = await registry.push('team/app', 'main-100', {
      created: new Date('2024-03-04T05:06:07Z'),
      labels,
    });
    const inspected = JSON.parse(
      await skopeo(
        registry,
        ['inspect', '--no-tags', `docker://${registry.host}/team/app:main-100`],
        {
          creds,
        },
      ),
    ) as SkopeoInspect;

    expect(inspected.Digest).toBe(pushed.digest);
    expect(inspected.Created).toBe('2024-03-04T05:06:07Z');
    expect(inspected.Labels).toEqual(labels);
    expect(inspected.Architecture).toBe('amd64');
    expect(pushed.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(pushed.childDigests).toEqual({});
  });

  it('pushes a two-platform manifest list whose children carry their own dates', async () => {
    const pushed = await registry.push('team/multi', 'main-200', {
      created: '2024-05-01T00:00:00Z',
      createdByPlatform: { 'linux/arm64/v8': '2024-05-02T00:00:00Z' },
      platforms: ['linux/amd64', 'linux/arm64/v8'],
      labels: { flavour: 'multi' },
      format: 'docker',
    });
    const reference = `docker://${registry.host}/team/multi:main-200`;
    const raw = await skopeo(registry, ['inspect', '--raw', reference], { creds });
    const index = JSON.parse(raw) as {
      mediaType: string;
      manifests: { digest: string; platform: { architecture: string; variant?: string } }[];
    };

    expect(sha256(raw)).toBe(pushed.digest);
    expect(index.mediaType).toBe('application/vnd.docker.distribution.manifest.list.v2+json');
    expect(
      Object.fromEntries(
        index.manifests.map((child) => [
          [child.platform.architecture, child.platform.variant].filter(Boolean).join('/'),
          child.digest,
        ]),
      ),
    ).toEqual({
      amd64: pushed.childDigests['linux/amd64'],
      'arm64/v8': pushed.childDigests['linux/arm64/v8'],
    });

    const perPlatform = async (arch: string, variant?: string): Promise<SkopeoInspect> =>
      JSON.parse(
        await skopeo(registry, ['inspect', '--no-tags', reference], { creds }, [
          '--override-os',
          'linux',
          '--override-arch',
          arch,
          ...(variant ? ['--override-variant', variant] : []),
        ]),
      ) as SkopeoInspect;
    const amd64 = await perPlatform('amd64');
    const arm64 = await perPlatform('arm64', 'v8');
    expect([amd64.Created, amd64.Architecture, amd64.Labels]).toEqual([
      '2024-05-01T00:00:00Z',
      'amd64',
      { flavour: 'multi' },
    ]);
    expect([arm64.Created, arm64.Architecture]).toEqual(['2024-05-02T00:00:00Z', 'arm64']);
  });

  it('pushes a single-platform index with BuildKit-style attestations', async () => {
    const pushed = await registry.push('team/attested', 'main-300', {
      created: '2024-06-01T12:00:00Z',
      index: true,
      attestations: true,
    });
    const reference = `docker://${registry.host}/team/attested:main-300`;
    const raw = await skopeo(registry, ['inspect', '--raw', reference], { creds });
    const index = JSON.parse(raw) as {
      mediaType: string;
      manifests: {
        digest: string;
        platform: { os: string; architecture: string };
        annotations?: Record<string, string>;
      }[];
    };
    expect(sha256(raw)).toBe(pushed.digest);
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json');
    expect(
      index.manifests.map((child) => [
        `${child.platform.os}/${child.platform.architecture}`,
        child.digest,
        child.annotations?.['vnd.docker.reference.digest'],
      ]),
    ).toEqual([
      ['linux/amd64', pushed.childDigests['linux/amd64'], undefined],
      [
        'unknown/unknown',
        pushed.attestationDigests['linux/amd64'],
        pushed.childDigests['linux/amd64'],
      ],
    ]);
    const inspected = JSON.parse(
      await skopeo(registry, ['inspect', '--no-tags', reference], { creds }, [
        '--override-arch',
        'amd64',
      ]),
    ) as SkopeoInspect;
    expect(inspected.Created).toBe('2024-06-01T12:00:00Z');
  });

  it('lists exactly the tags pushed', async () => {
    await registry.pushMany(
      'team/listed',
      ['main-1', 'main-2', 'release-1'].map((tag, position) => ({
        tag,
        image: { created: new Date(Date.UTC(2024, 0, position + 1)) },
      })),
    );
    const listed = JSON.parse(
      await skopeo(registry, ['list-tags', `docker://${registry.host}/team/listed`], { creds }),
    ) as { Tags: string[] };
    expect([...listed.Tags].sort()).toEqual(['main-1', 'main-2', 'release-1']);
  });

  it('counts the requests it served from the access log', async () => {
    await registry.resetRequestCounts();
    await skopeo(registry, ['list-tags', `docker://${registry.host}/team/listed`], { creds });
    const counts = await registry.requestCounts();
    expect(counts.byKind['GET tags']).toBe(1);
    expect(counts.total).toBe(Object.values(counts.byKind).reduce((sum, count) => sum + count, 0));
  });

  if (options.tls) {
    it('verifies TLS: a client without the CA is refused, one with it gets through', async () => {
      await expect(
        request(`${registry.url}/v2/`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) }),
      ).rejects.toThrow(/certificate/i);
      const trusting = new Agent({ connect: { ca: registry.caPem } });
      try {
        const response = await request(`${registry.url}/v2/`, {
          dispatcher: trusting,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        await response.body.dump();
        expect(response.statusCode).toBe(options.auth ? 401 : 200);
      } finally {
        await trusting.close();
      }
    });

    it('puts the fault proxy in front of the TLS registry with its CA', async () => {
      const proxy = await startFaultProxy(registry.url, { ca: registry.caPem });
      try {
        const response = await request(`${proxy.url}/v2/`, {
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        await response.body.dump();
        expect(response.statusCode).toBe(options.auth ? 401 : 200);
        expect(proxy.requests).toMatchObject([{ path: '/v2/', status: response.statusCode }]);
      } finally {
        await proxy.close();
      }
    });
  }

  if (options.auth) {
    it('refuses a client without credentials', async () => {
      await expect(
        skopeo(registry, ['list-tags', `docker://${registry.host}/team/listed`]),
      ).rejects.toThrow(/unauthorized|authentication required|401/i);
    });
  }

  if (options.auth === 'token') {
    it('issues ES256 tokens the registry accepts for the granted repository only', async () => {
      const agent = new Agent(registry.caPem ? { connect: { ca: registry.caPem } } : {});
      const [user, password] = Object.entries(registry.users)[0] ?? [];
      const get = async (url: string, authorization: string) => {
        const response = await request(url, {
          dispatcher: agent,
          headers: { Authorization: authorization },
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        return { status: response.statusCode, body: await response.body.text() };
      };
      try {
        const realm = new URL(registry.tokenServerUrl ?? '');
        realm.searchParams.set('service', registry.tokenService ?? '');
        realm.searchParams.set('scope', 'repository:team/app:pull,push');
        const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
        const answer = await get(realm.href, basic);
        expect(answer.status).toBe(200);
        const { token, expires_in: expiresIn } = JSON.parse(answer.body) as {
          token: string;
          expires_in: number;
        };
        const [header, claims] = token
          .split('.')
          .slice(0, 2)
          .map(
            (part) =>
              JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<
                string,
                unknown
              >,
          );
        expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' });
        expect(header?.x5c).toHaveLength(1);
        expect(claims).toMatchObject({
          sub: user,
          aud: registry.tokenService,
          access: [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }],
        });
        expect(Number(claims?.exp) - Number(claims?.iat)).toBe(expiresIn);

        const allowed = await get(`${registry.url}/v2/team/app/tags/list`, `Bearer ${token}`);
        const other = await get(`${registry.url}/v2/team/listed/tags/list`, `Bearer ${token}`);
        expect(allowed.status).toBe(200);
        expect(other.status).toBe(401);

        realm.searchParams.set('service', 'another-registry');
        expect((await get(realm.href, basic)).status).toBe(400);
      } finally {
        await agent.close();
      }
    });

    it('routes token requests through the fault proxy when asked', async () => {
      const proxy = await startFaultProxy(registry.url, {
        ...(registry.caPem ? { ca: registry.caPem } : {}),
        ...(registry.tokenServerUrl ? { tokenServerUrl: registry.tokenServerUrl } : {}),
      });
      const [user, password] = Object.entries(registry.users)[0] ?? [];
      const call = async (url: string, authorization?: string) => {
        const response = await request(url, {
          headers: authorization ? { Authorization: authorization } : {},
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        return {
          status: response.statusCode,
          challenge: response.headers['www-authenticate'],
          body: await response.body.text(),
        };
      };
      try {
        proxy.setRules([
          { path: /^\/token\b/, times: 1, action: { kind: 'respond', status: 503 } },
        ]);
        const tokensBefore = registry.tokenRequests.length;
        const challenged = await call(`${proxy.url}/v2/team/app/tags/list`);
        expect(challenged.status).toBe(401);
        const realm = /realm="([^"]+)"/.exec(String(challenged.challenge))?.[1];
        expect(realm).toBe(`${proxy.url}/token`);

        const tokenUrl = `${realm}?service=${registry.tokenService}&scope=repository:team/app:pull`;
        const basic = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
        expect((await call(tokenUrl, basic)).status).toBe(503);
        const granted = await call(tokenUrl, basic);
        expect(granted.status).toBe(200);
        const { token } = JSON.parse(granted.body) as { token: string };
        expect((await call(`${proxy.url}/v2/team/app/tags/list`, `Bearer ${token}`)).status).toBe(
          200,
        );
        // The refused request never reached the token server.
        expect(registry.tokenRequests.length).toBe(tokensBefore + 1);
        expect(proxy.requests.map((entry) => [entry.path, entry.status])).toEqual([
          ['/v2/team/app/tags/list', 401],
          ['/token', 503],
          ['/token', 200],
          ['/v2/team/app/tags/list', 200],
        ]);
      } finally {
        await proxy.close();
      }
    });

    it('records the token requests skopeo made, with the scope and who asked', () => {
      const [user] = Object.keys(registry.users);
      const authenticated = registry.tokenRequests.filter(
        (entry) => entry.scope === 'repository:team/app:pull',
      );
      expect(authenticated.length).toBeGreaterThan(0);
      expect(authenticated[0]).toMatchObject({
        service: registry.tokenService,
        authorization: 'basic',
        username: user,
        status: 200,
        granted: ['repository:team/app:pull'],
      });
      const anonymous = registry.tokenRequests.filter((entry) => entry.authorization === 'none');
      expect(anonymous.map((entry) => entry.status)).toEqual(anonymous.map(() => 401));
    });
  }
});

describe('token auth with anonymous pull', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry({ auth: 'token', anonymousPull: true });
    await registry.push('public/app', 'v1', { created: '2023-01-01T00:00:00Z' });
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('lets a client without credentials pull, and only pull', async () => {
    const listed = JSON.parse(
      await skopeo(registry, ['list-tags', `docker://${registry.host}/public/app`]),
    ) as { Tags: string[] };
    expect(listed.Tags).toEqual(['v1']);
    expect(registry.tokenRequests.at(-1)).toMatchObject({
      authorization: 'none',
      status: 200,
      granted: ['repository:public/app:pull'],
    });
  });

  it('refuses wrong credentials instead of treating them as anonymous', async () => {
    await expect(
      skopeo(registry, ['list-tags', `docker://${registry.host}/public/app`], {
        creds: 'admin:wrong',
      }),
    ).rejects.toThrow();
    expect(registry.tokenRequests.at(-1)).toMatchObject({
      authorization: 'basic',
      username: 'admin',
      status: 401,
    });
  });
});

describe('fault proxy in front of a plain registry', () => {
  let registry: RunningRegistry;
  let proxy: FaultProxy;
  const client = new Agent({ connections: 4 });
  let digest: string;

  const get = async (
    pathAndQuery: string,
    method: 'GET' | 'HEAD' = 'GET',
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<{ status: number; headers: Record<string, unknown>; body: string }> => {
    const response = await request(`${proxy.url}${pathAndQuery}`, {
      method,
      dispatcher: client,
      headers: { Accept: MANIFEST_ACCEPT },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: await response.body.text(),
    };
  };

  beforeAll(async () => {
    registry = await startRegistry();
    digest = (await registry.push('team/app', 'main-1', { created: '2024-01-01T00:00:00Z' }))
      .digest;
    await registry.push('team/app', 'main-2', { created: '2024-01-02T00:00:00Z' });
    proxy = await startFaultProxy(registry.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await client.close();
    await registry?.close();
  });

  it('passes unmatched requests through unchanged', async () => {
    proxy.setRules([{ path: /\/tags\/list/, action: { kind: 'respond', status: 503 } }]);
    const manifest = await get('/v2/team/app/manifests/main-1');
    expect(manifest.status).toBe(200);
    expect(sha256(manifest.body)).toBe(digest);
    expect(manifest.headers['docker-content-digest']).toBe(digest);
    expect(proxy.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/v2/team/app/manifests/main-1',
      status: 200,
    });
    expect(proxy.requests.at(-1)?.fault).toBeUndefined();
  });

  it('answers 429 with Retry-After for the first match only, then forwards', async () => {
    proxy.setRules([
      {
        method: 'GET',
        path: /\/tags\/list$/,
        times: 1,
        action: {
          kind: 'respond',
          status: 429,
          headers: { 'Retry-After': '2' },
          body: 'slow down',
        },
      },
    ]);
    const limited = await get('/v2/team/app/tags/list');
    const passed = await get('/v2/team/app/tags/list');
    expect([limited.status, limited.headers['retry-after'], limited.body]).toEqual([
      429,
      '2',
      'slow down',
    ]);
    expect(passed.status).toBe(200);
    expect((JSON.parse(passed.body) as { tags: string[] }).tags.sort()).toEqual([
      'main-1',
      'main-2',
    ]);
    expect(proxy.requests.slice(-2).map((entry) => [entry.status, entry.fault])).toEqual([
      [429, 'respond'],
      [200, undefined],
    ]);
  });

  it('fires only after the given number of matches', async () => {
    proxy.setRules([
      { path: /\/tags\/list/, after: 1, times: 1, action: { kind: 'respond', status: 503 } },
    ]);
    const statuses = [];
    for (let call = 0; call < 3; call++)
      statuses.push((await get('/v2/team/app/tags/list')).status);
    expect(statuses).toEqual([200, 503, 200]);
  });

  it('resets the connection', async () => {
    proxy.setRules([{ path: /\/tags\/list/, action: { kind: 'reset' } }]);
    await expect(get('/v2/team/app/tags/list')).rejects.toThrow();
    expect(proxy.requests.at(-1)).toMatchObject({ status: 0, fault: 'reset' });
  });

  it('delays longer than the client waits', async () => {
    proxy.setRules([{ path: /\/tags\/list/, action: { kind: 'delay', ms: 5_000 } }]);
    const started = Date.now();
    await expect(get('/v2/team/app/tags/list', 'GET', 300)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('delays and then forwards', async () => {
    proxy.setRules([{ path: /\/tags\/list/, action: { kind: 'delay', ms: 150 } }]);
    const started = Date.now();
    const answer = await get('/v2/team/app/tags/list');
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('truncates the body under a full Content-Length', async () => {
    proxy.setRules([{ path: /\/manifests\//, action: { kind: 'truncate', bytes: 10 } }]);
    await expect(get('/v2/team/app/manifests/main-1')).rejects.toThrow();
    expect(proxy.requests.at(-1)).toMatchObject({ status: 200, fault: 'truncate' });
  });

  it('replaces the body with invalid JSON', async () => {
    proxy.setRules([{ path: /\/tags\/list/, action: { kind: 'invalid-json' } }]);
    const answer = await get('/v2/team/app/tags/list');
    expect(answer.status).toBe(200);
    expect(() => JSON.parse(answer.body) as unknown).toThrow(SyntaxError);
  });

  it('rewrites Docker-Content-Digest', async () => {
    const forged = `sha256:${'0'.repeat(64)}`;
    proxy.setRules([
      { method: 'HEAD', path: /\/manifests\//, action: { kind: 'rewrite-digest', digest: forged } },
    ]);
    const head = await get('/v2/team/app/manifests/main-1', 'HEAD');
    const getAnswer = await get('/v2/team/app/manifests/main-1', 'GET');
    expect(head.headers['docker-content-digest']).toBe(forged);
    expect(getAnswer.headers['docker-content-digest']).toBe(digest);
  });

  it('carries a whole client session through (skopeo through the proxy)', async () => {
    proxy.setRules([]);
    const { stdout } = await execFileAsync(
      'skopeo',
      ['list-tags', '--tls-verify=false', '--no-creds', `docker://${proxy.host}/team/app`],
      { timeout: 30_000 },
    );
    expect((JSON.parse(stdout) as { Tags: string[] }).Tags.sort()).toEqual(['main-1', 'main-2']);
  });
});

describe('seeding the storage directly', () => {
  let registry: RunningRegistry;
  const images: { tag: string; image: ImageSpec }[] = [
    { tag: 'single', image: { created: '2024-01-01T00:00:00Z', labels: { a: 'b' } } },
    { tag: 'no-date', image: { created: null } },
    {
      tag: 'multi',
      image: {
        created: '2024-02-01T00:00:00Z',
        platforms: ['linux/amd64', 'linux/arm/v7'],
        format: 'docker',
      },
    },
    {
      tag: 'attested',
      image: { created: '2024-03-01T00:00:00Z', platforms: ['linux/arm64'], attestations: true },
    },
  ];
  const filesUnder = (directory: string): Record<string, string> =>
    Object.fromEntries(
      readdirSync(directory, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => {
          const file = path.join(entry.parentPath, entry.name);
          return [path.relative(directory, file), readFileSync(file, 'utf8')];
        }),
    );

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'basic' });
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('writes the same files a push over HTTP makes, and returns the same digests', async () => {
    const pushed = await registry.pushMany('compare/pushed', images, 1);
    const seeded = await registry.seed('compare/seeded', images);
    expect(seeded).toEqual(pushed);
    const repositories = path.join(
      registry.directory,
      'data/docker/registry/v2/repositories/compare',
    );
    const pushedFiles = filesUnder(path.join(repositories, 'pushed'));
    expect(Object.keys(pushedFiles).length).toBeGreaterThan(10);
    expect(filesUnder(path.join(repositories, 'seeded'))).toEqual(pushedFiles);
  });

  it('serves seeded images to skopeo like pushed ones', async () => {
    const creds = Object.entries(registry.users)
      .map(([user, password]) => `${user}:${password}`)
      .at(0);
    await registry.seed('seeded/app', images);
    const listed = JSON.parse(
      await skopeo(registry, ['list-tags', `docker://${registry.host}/seeded/app`], { creds }),
    ) as { Tags: string[] };
    expect([...listed.Tags].sort()).toEqual(images.map((entry) => entry.tag).sort());
    const single = JSON.parse(
      await skopeo(
        registry,
        ['inspect', '--no-tags', `docker://${registry.host}/seeded/app:single`],
        {
          creds,
        },
      ),
    ) as SkopeoInspect;
    expect([single.Created, single.Labels]).toEqual(['2024-01-01T00:00:00Z', { a: 'b' }]);
    const arm = JSON.parse(
      await skopeo(
        registry,
        ['inspect', '--no-tags', `docker://${registry.host}/seeded/app:multi`],
        { creds },
        ['--override-arch', 'arm', '--override-variant', 'v7'],
      ),
    ) as SkopeoInspect;
    expect([arm.Created, arm.Architecture]).toEqual(['2024-02-01T00:00:00Z', 'arm']);
  });

  it('moves a tag when it is seeded again with another image', async () => {
    const [first] = await registry.seed('seeded/moving', [
      { tag: 'latest', image: { created: '2024-01-01T00:00:00Z' } },
    ]);
    const [second] = await registry.seed('seeded/moving', [
      { tag: 'latest', image: { created: '2024-01-02T00:00:00Z' } },
    ]);
    const agent = new Agent({});
    try {
      const response = await request(`${registry.url}/v2/seeded/moving/manifests/latest`, {
        method: 'HEAD',
        dispatcher: agent,
        headers: {
          Accept: MANIFEST_ACCEPT,
          Authorization: registry.authorization('seeded/moving') ?? '',
        },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await response.body.dump();
      expect(second?.digest).not.toBe(first?.digest);
      expect(response.headers['docker-content-digest']).toBe(second?.digest);
    } finally {
      await agent.close();
    }
  });

  it('brings back a tag whose manifest was deleted over HTTP', async () => {
    const image = { created: '2024-04-01T00:00:00Z' };
    const [seeded] = await registry.seed('seeded/deleted', [{ tag: 'v1', image }]);
    const tags = async (): Promise<string[]> => {
      const response = await request(`${registry.url}/v2/seeded/deleted/tags/list`, {
        headers: { Authorization: registry.authorization('seeded/deleted') ?? '' },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return ((await response.body.json()) as { tags: string[] | null }).tags ?? [];
    };
    expect(await tags()).toEqual(['v1']);
    await registry.deleteManifest('seeded/deleted', seeded?.digest ?? '');
    expect(await tags()).toEqual([]);
    await registry.seed('seeded/deleted', [{ tag: 'v1', image }]);
    expect(await tags()).toEqual(['v1']);
  });

  it('refuses names the registry would not accept', async () => {
    await expect(registry.seed('Team/App', images)).rejects.toThrow(/repository name/);
    await expect(
      registry.seed('team/app', [{ tag: '-bad', image: { created: null } }]),
    ).rejects.toThrow(/tag/);
  });
});

describe('registry process lifecycle', () => {
  const refusesConnections = async (url: string): Promise<boolean> => {
    try {
      const response = await request(`${url}/v2/`, { signal: AbortSignal.timeout(2_000) });
      await response.body.dump();
      return false;
    } catch (error) {
      return /ECONNREFUSED/.test(String((error as { code?: unknown }).code ?? error));
    }
  };
  const waitFor = async (
    condition: () => Promise<boolean>,
    timeoutMs: number,
  ): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await condition()) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return condition();
  };

  it('close() stops the registry and removes its directory', async () => {
    const registry = await startRegistry();
    expect(existsSync(path.join(registry.directory, 'config.yml'))).toBe(true);
    await registry.close();
    expect(await refusesConnections(registry.url)).toBe(true);
    expect(existsSync(registry.directory)).toBe(false);
    await registry.close();
  });

  it(
    'stops the registry and cleans up when the test process is killed',
    { timeout: 60_000 },
    async () => {
      const script = path.join(
        mkdtempSync(path.join(os.tmpdir(), 'registry-orphan-')),
        'start.mts',
      );
      const harness = pathToFileURL(path.join(import.meta.dirname, 'registry/index.ts')).href;
      writeFileSync(
        script,
        [
          `import { startRegistry } from ${JSON.stringify(harness)};`,
          'const registry = await startRegistry();',
          'console.log(JSON.stringify({ url: registry.url, directory: registry.directory }));',
          'setInterval(() => undefined, 1_000);',
        ].join('\n'),
      );
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const started = await new Promise<{ url: string; directory: string }>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('the child did not start a registry')),
            30_000,
          );
          child.stdout.setEncoding('utf8');
          child.stdout.once('data', (line: string) => {
            clearTimeout(timer);
            resolve(JSON.parse(line) as { url: string; directory: string });
          });
        });
        expect(await refusesConnections(started.url)).toBe(false);
        child.kill('SIGKILL');
        expect(await waitFor(() => refusesConnections(started.url), 10_000)).toBe(true);
        expect(await waitFor(() => Promise.resolve(!existsSync(started.directory)), 10_000)).toBe(
          true,
        );
      } finally {
        child.kill('SIGKILL');
        rmSync(path.dirname(script), { recursive: true, force: true });
      }
    },
  );
});

describe('pushMany at benchmark scale', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.close();
  });

  it('pushes 2 000 tags and the registry lists them all', { timeout: 300_000 }, async () => {
    const images = Array.from({ length: 2_000 }, (_, position) => ({
      tag: `main-${String(position).padStart(4, '0')}`,
      image: { created: new Date(Date.UTC(2024, 0, 1) + position * 60_000) },
    }));
    const started = performance.now();
    const pushed = await registry.pushMany('bench/app', images, 16);
    const seconds = (performance.now() - started) / 1000;
    const counts = await registry.requestCounts();
    console.log(
      `pushMany: 2 000 tags in ${seconds.toFixed(2)} s (${(2_000 / seconds).toFixed(0)} tags/s, ` +
        `${counts.total} registry requests)`,
    );

    expect(new Set(pushed.map((image) => image.digest)).size).toBe(2_000);
    const listed = JSON.parse(
      await skopeo(registry, ['list-tags', `docker://${registry.host}/bench/app`]),
    ) as { Tags: string[] };
    expect(listed.Tags.length).toBe(2_000);
    expect(new Set(listed.Tags)).toEqual(new Set(images.map((image) => image.tag)));
  });

  it('seeds 20 000 tags and the registry serves them', { timeout: 300_000 }, async () => {
    const images = Array.from({ length: 20_000 }, (_, position) => ({
      tag: `main-${position.toString(16).padStart(7, '0')}`,
      image: {
        created: new Date(Date.UTC(2024, 0, 1) + ((position * 7919) % 20_000) * 60_000),
        platforms: position % 2 === 0 ? ['linux/amd64'] : ['linux/amd64', 'linux/arm64'],
      },
    }));
    const started = performance.now();
    const seeded = await registry.seed('bench/seeded', images);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `seed: 20 000 tags (half of them two-platform) in ${seconds.toFixed(2)} s ` +
        `(${(20_000 / seconds).toFixed(0)} tags/s)`,
    );

    const listed = JSON.parse(
      await skopeo(registry, ['list-tags', `docker://${registry.host}/bench/seeded`]),
    ) as { Tags: string[] };
    expect(listed.Tags.length).toBe(20_000);
    const agent = new Agent({ connections: 8 });
    try {
      const sample = [0, 1, 9_999, 10_000, 19_999];
      const reported = await Promise.all(
        sample.map(async (position) => {
          const response = await request(
            `${registry.url}/v2/bench/seeded/manifests/${images[position]?.tag}`,
            {
              method: 'HEAD',
              dispatcher: agent,
              headers: { Accept: MANIFEST_ACCEPT },
              signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            },
          );
          await response.body.dump();
          return response.headers['docker-content-digest'];
        }),
      );
      expect(reported).toEqual(sample.map((position) => seeded[position]?.digest));
    } finally {
      await agent.close();
    }
  });
});
