/**
 * A Docker-Hub-shaped tag listing on 127.0.0.1: `GET /v2/namespaces/{ns}/repositories/{repo}/tags`
 * with `page` and `page_size`, newest push first, absolute `next` links. Every request and every
 * answer is checked against the excerpt of Docker Hub's published OpenAPI description kept in
 * `__fixtures__/listings/docker-hub-tags.openapi.yaml`; anything that does not match is recorded
 * in `violations`. Manifests and configs are not served here: they come from the real registry.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

const DESCRIPTION_FILE = path.join(
  import.meta.dirname,
  '../../../__fixtures__/listings/docker-hub-tags.openapi.yaml',
);
const TAGS_PATH = /^\/v2\/namespaces\/([^/]+)\/repositories\/([^/]+)\/tags$/;
const DOCUMENTED_QUERY = new Set(['page', 'page_size']);

export interface HubTag {
  name: string;
  /** `tag_last_pushed`; null as Docker Hub sends for tags it has no push record of. */
  pushedAt: Date | null;
  digest: string;
  /** `images[]`: one per platform. */
  platforms?: { os: string; architecture: string; variant?: string; digest: string }[];
}

export interface HubRequest {
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly authorization: boolean;
  readonly status: number;
}

/** Ways to make the listing misbehave, for the fallback tests. */
export type HubFault =
  | { kind: 'status'; status: 403 | 404 | 429 | 500 }
  | { kind: 'not-json' }
  | { kind: 'foreign-next'; next: string }
  /** `tag_last_pushed` as a number of seconds: outside the description, caught by its check. */
  | { kind: 'numeric-time' };

export interface DockerHubListing {
  /** The base URL to give the client in place of https://hub.docker.com. */
  readonly url: string;
  readonly requests: HubRequest[];
  /** Requests and answers that do not match the published description. */
  readonly violations: string[];
  setTags(repository: string, tags: HubTag[]): void;
  setFault(fault: HubFault | undefined): void;
  close(): Promise<void>;
}

interface Contract {
  readonly response: ValidateFunction;
  readonly error: ValidateFunction;
}

let contract: Contract | undefined;

/**
 * The published description, with one erratum: it declares `tag.images` as one `image` object,
 * while hub.docker.com answers with an array of them (one per platform), as its own docs show.
 */
function loadContract(): Contract {
  if (contract) return contract;
  const document = parse(readFileSync(DESCRIPTION_FILE, 'utf8')) as {
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  };
  const tag = document.components.schemas['tag'];
  if (!tag?.properties?.['images']) throw new Error('the description has no tag.images');
  tag.properties['images'] = { type: 'array', items: { $ref: '#/components/schemas/image' } };
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema({ ...document, $id: 'docker-hub' });
  contract = {
    response: ajv.compile({ $ref: 'docker-hub#/components/schemas/paginated_tags' }),
    error: ajv.compile({ $ref: 'docker-hub#/components/schemas/Error' }),
  };
  return contract;
}

export async function startDockerHubListing(): Promise<DockerHubListing> {
  const checks = loadContract();
  const repositories = new Map<string, HubTag[]>();
  const requests: HubRequest[] = [];
  const violations: string[] = [];
  let fault: HubFault | undefined;
  let base = '';

  const send = (
    response: http.ServerResponse,
    status: number,
    body: unknown,
    record: { status: number },
  ): void => {
    record.status = status;
    const validate = status === 200 ? checks.response : checks.error;
    if (!validate(body)) {
      violations.push(`response ${status}: ${JSON.stringify(validate.errors)}`);
    }
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', base);
    const query = Object.fromEntries(url.searchParams);
    const record = {
      path: url.pathname,
      query,
      authorization: request.headers.authorization !== undefined,
      status: 0,
    };
    requests.push(record);
    const match = TAGS_PATH.exec(url.pathname);
    if (request.method !== 'GET' || !match) {
      violations.push(`undocumented request ${request.method ?? ''} ${url.pathname}`);
      send(response, 404, { detail: 'Not Found' }, record);
      return;
    }
    for (const name of url.searchParams.keys()) {
      if (!DOCUMENTED_QUERY.has(name)) violations.push(`undocumented query parameter ${name}`);
    }
    for (const name of DOCUMENTED_QUERY) {
      const value = url.searchParams.get(name);
      if (value !== null && !/^-?\d+$/.test(value))
        violations.push(`${name}=${value} is not an integer`);
    }
    if (fault?.kind === 'status') {
      send(response, fault.status, { detail: 'refused', message: 'refused' }, record);
      return;
    }
    if (fault?.kind === 'not-json') {
      record.status = 200;
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>maintenance</html>');
      return;
    }
    const repository = `${decodeURIComponent(match[1] ?? '')}/${decodeURIComponent(match[2] ?? '')}`;
    const tags = repositories.get(repository);
    if (tags === undefined) {
      send(response, 404, { message: 'object not found', errinfo: {} }, record);
      return;
    }
    const pageSize = Math.min(Number(url.searchParams.get('page_size') ?? '10'), 100);
    const page = Number(url.searchParams.get('page') ?? '1');
    const slice = tags.slice((page - 1) * pageSize, page * pageSize);
    if (page > 1 && slice.length === 0) {
      send(response, 404, { detail: 'Invalid page.' }, record);
      return;
    }
    const more = page * pageSize < tags.length;
    const link = (number: number): string => {
      const next = new URL(url.pathname, base);
      next.searchParams.set('page', String(number));
      next.searchParams.set('page_size', String(pageSize));
      return next.toString();
    };
    const next = fault?.kind === 'foreign-next' ? fault.next : more ? link(page + 1) : null;
    send(
      response,
      200,
      {
        count: tags.length,
        next,
        previous: page > 1 ? link(page - 1) : null,
        results: slice.map((tag, index) => ({
          id: 1000 + index,
          creator: 1,
          last_updated: tag.pushedAt?.toISOString() ?? null,
          last_updater: 1,
          last_updater_username: 'ci',
          name: tag.name,
          repository: 1,
          full_size: 1024,
          status: 'active',
          tag_last_pulled: null,
          tag_last_pushed:
            fault?.kind === 'numeric-time'
              ? Math.floor((tag.pushedAt?.getTime() ?? 0) / 1000)
              : (tag.pushedAt?.toISOString() ?? null),
          digest: tag.digest,
          images: (tag.platforms ?? []).map((platform) => ({
            architecture: platform.architecture,
            os: platform.os,
            ...(platform.variant ? { variant: platform.variant } : {}),
            digest: platform.digest,
            size: 1024,
            status: 'active',
            last_pulled: null,
            last_pushed: tag.pushedAt?.toISOString() ?? null,
          })),
        })),
      },
      record,
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
    setTags(repository, tags) {
      // Docker Hub lists the most recently updated tags first.
      repositories.set(
        repository,
        [...tags].sort(
          (a, b) =>
            (b.pushedAt?.getTime() ?? 0) - (a.pushedAt?.getTime() ?? 0) ||
            (a.name < b.name ? -1 : 1),
        ),
      );
    },
    setFault(next) {
      fault = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
