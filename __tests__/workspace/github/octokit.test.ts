import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../../src/workspace/github/octokit.js';
import { startGitHubServer, type RunningGitHub } from '../../harness/github/index.js';
import { clientFor, recordingLogger, settingsFor } from './github-fixture.js';

const servers: RunningGitHub[] = [];
const stalls: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    expect(server.violations).toEqual([]);
    await server.close();
  }
  for (const stall of stalls.splice(0)) {
    stall.closeAllConnections();
    await new Promise<void>((resolve) => stall.close(() => resolve()));
  }
});

async function start(): Promise<RunningGitHub> {
  const server = await startGitHubServer({ files: { 'README.md': '# charts\n' } });
  servers.push(server);
  return server;
}

function statuses(server: RunningGitHub, operationId: string): number[] {
  return server.requests
    .filter((request) => request.operationId === operationId)
    .map((request) => request.status);
}

describe('createGitHubClient', () => {
  it('talks to settings.apiUrl, not to GITHUB_API_URL, and masks the token', async () => {
    const server = await start();
    const logger = recordingLogger();
    const client = clientFor(settingsFor(server), logger);
    const response = await client.rest.repos.get({ owner: server.owner, repo: server.repo });
    expect(response.data.default_branch).toBe('main');
    expect(logger.secrets).toEqual([server.token]);
  });

  it('waits out a secondary rate limit on create-blob as retry-after says, with a warning', async () => {
    const server = await start();
    const logger = recordingLogger();
    const client = clientFor(settingsFor(server), logger);
    server.addFaults({
      method: 'POST',
      path: /\/git\/blobs$/,
      status: 403,
      headers: { 'retry-after': '2' },
      times: 2,
    });

    const blob = await client.rest.git.createBlob({
      owner: server.owner,
      repo: server.repo,
      content: 'aGVsbG8=',
      encoding: 'base64',
    });

    expect(blob.status).toBe(201);
    expect(server.requests.filter((request) => request.path.endsWith('/git/blobs'))).toHaveLength(
      3,
    );
    expect(statuses(server, 'git/create-blob')).toEqual([403, 403, 201]);
    const warnings = logger.warnings();
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/secondary rate limit.*retrying in 2s \(attempt 1 of 3\)/);
  });

  it('gives up on a secondary rate limit after a bounded number of retries', async () => {
    const server = await start();
    const logger = recordingLogger();
    const client = clientFor(settingsFor(server), logger);
    server.addFaults({
      method: 'POST',
      path: /\/git\/blobs$/,
      status: 429,
      headers: { 'retry-after': '1' },
      times: 10,
    });

    await expect(
      client.rest.git.createBlob({
        owner: server.owner,
        repo: server.repo,
        content: 'eA==',
        encoding: 'base64',
      }),
    ).rejects.toMatchObject({ status: 429 });
    expect(statuses(server, 'git/create-blob')).toEqual([429, 429, 429, 429]);
    expect(logger.warnings().at(-1)).toContain('giving up');
  });

  it('does not wait for a primary rate limit that resets too late', async () => {
    const server = await start();
    const logger = recordingLogger();
    const client = clientFor(settingsFor(server), logger);
    server.addFaults({
      method: 'GET',
      path: /\/git\/ref\//,
      status: 403,
      body: {
        message: 'API rate limit exceeded for installation ID 1.',
        documentation_url: 'https://docs.github.com/rest',
        status: '403',
      },
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      },
    });
    await expect(
      client.rest.git.getRef({ owner: server.owner, repo: server.repo, ref: 'heads/main' }),
    ).rejects.toMatchObject({ status: 403 });
    expect(statuses(server, 'git/get-ref')).toEqual([403]);
    expect(logger.warnings()[0]).toMatch(/rate limit is exhausted.*too late for this run/);
  });

  it('waits once for a primary rate limit that resets soon', async () => {
    const server = await start();
    const logger = recordingLogger();
    const client = clientFor(settingsFor(server), logger);
    server.addFaults({
      method: 'GET',
      path: /\/git\/ref\//,
      status: 403,
      body: {
        message: 'API rate limit exceeded for installation ID 1.',
        documentation_url: 'https://docs.github.com/rest',
        status: '403',
      },
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)),
      },
    });
    const response = await client.rest.git.getRef({
      owner: server.owner,
      repo: server.repo,
      ref: 'heads/main',
    });
    expect(response.status).toBe(200);
    expect(statuses(server, 'git/get-ref')).toEqual([403, 200]);
  });

  it.each([
    { status: 502, retried: true },
    { status: 503, retried: true },
    { status: 404, retried: false },
    { status: 405, retried: false },
    { status: 409, retried: false },
    { status: 422, retried: false },
  ])('a $status answer is retried: $retried', async ({ status, retried }) => {
    const server = await start();
    const client = clientFor(settingsFor(server), recordingLogger());
    server.addFaults({ method: 'GET', path: /\/git\/ref\//, status });
    const attempt = client.rest.git.getRef({
      owner: server.owner,
      repo: server.repo,
      ref: 'heads/main',
    });
    if (retried) {
      expect((await attempt).status).toBe(200);
      expect(statuses(server, 'git/get-ref')).toEqual([status, 200]);
    } else {
      await expect(attempt).rejects.toMatchObject({ status });
      expect(statuses(server, 'git/get-ref')).toEqual([status]);
    }
  });

  it('bounds every request with a timeout', async () => {
    // A server that accepts the request and never answers.
    const stall = createServer(() => undefined);
    stalls.push(stall);
    await new Promise<void>((resolve) => stall.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(stall.address() as AddressInfo).port}`;
    const client = createGitHubClient(
      {
        token: 'ghs_x',
        owner: 'acme',
        repo: 'charts',
        baseBranch: undefined,
        apiUrl: url,
        graphqlUrl: `${url}/graphql`,
      },
      { logger: recordingLogger(), fast: true, timeoutMs: 200 },
    );
    const started = Date.now();
    await expect(client.rest.repos.get({ owner: 'acme', repo: 'charts' })).rejects.toThrow();
    // The first attempt and the bounded retries each time out.
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
