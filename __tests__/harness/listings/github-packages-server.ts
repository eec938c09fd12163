/**
 * GitHub's Packages API for container packages on 127.0.0.1:
 * `GET /orgs/{org}/packages/container/{package_name}/versions` and the `/users/{username}/…`
 * form, `page`/`per_page` with `Link: rel="next"`, newest version first. Every request and answer
 * is checked against GitHub's published OpenAPI description (`@octokit/openapi`, the same check
 * as the git-backed GitHub API server); anything that does not match lands in `violations`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadGitHubContract } from '../github/openapi-contract.js';

export interface PackageVersion {
  /** The manifest digest (the version's `name`). */
  digest: string;
  tags: string[];
  createdAt: Date;
}

export interface PackagesRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The Authorization header as sent (tests check which token went where). */
  readonly authorization: string | undefined;
  readonly status: number;
}

export interface GitHubPackagesListing {
  readonly url: string;
  readonly requests: PackagesRequest[];
  readonly violations: string[];
  /** Versions of `owner/name`; `kind` says whether the owner is an organisation or a user. */
  setPackage(owner: string, name: string, kind: 'org' | 'user', versions: PackageVersion[]): void;
  close(): Promise<void>;
}

export async function startGitHubPackagesListing(token: string): Promise<GitHubPackagesListing> {
  const contract = loadGitHubContract();
  const packages = new Map<string, { kind: 'org' | 'user'; versions: PackageVersion[] }>();
  const requests: PackagesRequest[] = [];
  const violations: string[] = [];
  let base = '';

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    const record = {
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
      status: 0,
    };
    requests.push(record);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      record.status = status;
      if (match) {
        for (const problem of contract.checkResponse(match, status, 'application/json', body))
          violations.push(`${url.pathname} → ${status}: ${problem}`);
      }
      const text = JSON.stringify(body);
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(text);
    };
    const match = contract.match(request.method ?? 'GET', url.pathname);
    if (!match) {
      violations.push(`undocumented request ${request.method ?? ''} ${url.pathname}`);
      send(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      return;
    }
    for (const problem of contract.checkRequest(match, url.searchParams, undefined, false))
      violations.push(`${url.pathname}: ${problem}`);
    if (request.headers.authorization !== `Bearer ${token}`) {
      send(401, {
        message: 'Requires authentication',
        documentation_url: 'https://docs.github.com/rest',
      });
      return;
    }
    const owner = match.pathParams['org'] ?? match.pathParams['username'] ?? '';
    const kind = match.pathParams['org'] !== undefined ? 'org' : 'user';
    const found = packages.get(`${owner}/${match.pathParams['package_name'] ?? ''}`);
    if (match.pathParams['package_type'] !== 'container' || !found || found.kind !== kind) {
      send(404, {
        message: 'Package not found.',
        documentation_url: 'https://docs.github.com/rest',
      });
      return;
    }
    const perPage = Math.min(Number(url.searchParams.get('per_page') ?? '30'), 100);
    const page = Number(url.searchParams.get('page') ?? '1');
    const slice = found.versions.slice((page - 1) * perPage, page * perPage);
    const headers: Record<string, string> = {};
    if (page * perPage < found.versions.length) {
      const next = new URL(url.pathname, base);
      next.searchParams.set('per_page', String(perPage));
      next.searchParams.set('page', String(page + 1));
      headers['link'] = `<${next.toString()}>; rel="next"`;
    }
    const packagePath = `${kind === 'org' ? 'orgs' : 'users'}/${owner}/packages/container/${encodeURIComponent(match.pathParams['package_name'] ?? '')}`;
    send(
      200,
      slice.map((version, index) => ({
        id: 9000 + (page - 1) * perPage + index,
        name: version.digest,
        url: `${base}/${packagePath}/versions/${9000 + index}`,
        package_html_url: `https://github.com/${owner}/packages/container/package/${match.pathParams['package_name'] ?? ''}`,
        created_at: version.createdAt.toISOString(),
        updated_at: version.createdAt.toISOString(),
        metadata: { package_type: 'container', container: { tags: version.tags } },
      })),
      headers,
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    requests,
    violations,
    setPackage(owner, name, kind, versions) {
      packages.set(`${owner}/${name}`, {
        kind,
        versions: [...versions].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()),
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
