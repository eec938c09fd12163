/**
 * A small scripted HTTP server on 127.0.0.1 for what a real registry cannot show: Link
 * pagination, 429/5xx sequences, redirects to another host, foreign links, odd challenges.
 * Routes answer with a sequence of responses (the last one repeats); every request is recorded.
 */
import { createHash } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

export interface ScriptedResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** A string or Buffer is sent as is; anything else as JSON. */
  readonly body?: unknown;
  /** Never answer (for timeouts). */
  readonly hang?: boolean;
  /** Answer after this many milliseconds (to observe parallel requests). */
  readonly delayMs?: number;
}

export type ScriptedHandler = (request: RecordedRequest) => ScriptedResponse;

export interface ScriptedServer {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`, or `https://` with TLS. */
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** The most requests that were open at the same time. */
  readonly maxInFlight: () => number;
  /** Answers `method path` with each response in turn, the last one for every later request. */
  on(method: string, path: string, ...responses: (ScriptedResponse | ScriptedHandler)[]): void;
  /** Requests received for `method path`. */
  count(method: string, path: string): number;
  close(): Promise<void>;
}

/** With `tls`, the server speaks HTTPS with that certificate (e.g. from the harness's test CA). */
export async function startScriptedServer(
  options: { tls?: { certificatePem: string; keyPem: string } } = {},
): Promise<ScriptedServer> {
  const routes = new Map<
    string,
    { responses: (ScriptedResponse | ScriptedHandler)[]; served: number }
  >();
  const requests: RecordedRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let inFlight = 0;
  let maxInFlight = 0;

  const handler = (incoming: IncomingMessage, outgoing: ServerResponse): void => {
    const url = new URL(incoming.url ?? '/', 'http://127.0.0.1');
    const recorded: RecordedRequest = {
      method: incoming.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: incoming.headers,
    };
    requests.push(recorded);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    outgoing.on('close', () => {
      inFlight -= 1;
    });
    const route = routes.get(`${recorded.method} ${recorded.path}`);
    let response: ScriptedResponse;
    if (!route) {
      response = {
        status: 404,
        body: { errors: [{ code: 'NAME_UNKNOWN', message: `no script for ${recorded.path}` }] },
      };
    } else {
      const next = route.responses[Math.min(route.served, route.responses.length - 1)];
      route.served += 1;
      response = typeof next === 'function' ? next(recorded) : (next ?? { status: 500 });
    }
    if (response.hang) {
      hanging.add(outgoing);
      return;
    }
    const body =
      response.body === undefined
        ? Buffer.alloc(0)
        : typeof response.body === 'string' || Buffer.isBuffer(response.body)
          ? Buffer.from(response.body)
          : Buffer.from(JSON.stringify(response.body));
    const answer = (): void => {
      outgoing.writeHead(response.status, {
        'content-length': String(body.length),
        ...response.headers,
      });
      outgoing.end(recorded.method === 'HEAD' ? undefined : body);
    };
    if (response.delayMs) setTimeout(answer, response.delayMs);
    else answer();
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.certificatePem, key: options.tls.keyPem }, handler)
    : createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    host: `127.0.0.1:${port}`,
    port,
    origin: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    maxInFlight: () => maxInFlight,
    on(method, path, ...responses) {
      routes.set(`${method} ${path}`, { responses, served: 0 });
    },
    count(method, path) {
      return requests.filter((request) => request.method === method && request.path === path)
        .length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const response of hanging) response.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A synthetic single-platform image: config bytes, manifest bytes and their digests. */
export function syntheticImage(options: {
  created?: string;
  labels?: Record<string, string>;
  platform?: string;
}): { config: Buffer; configDigest: string; manifest: Buffer; manifestDigest: string } {
  const [os = 'linux', architecture = 'amd64', variant] = (options.platform ?? 'linux/amd64').split(
    '/',
  );
  const config = Buffer.from(
    JSON.stringify({
      created: options.created,
      os,
      architecture,
      ...(variant ? { variant } : {}),
      config: { Labels: options.labels ?? {} },
      rootfs: { type: 'layers', diff_ids: [] },
    }),
  );
  const configDigest = digestOf(config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [],
    }),
  );
  return { config, configDigest, manifest, manifestDigest: digestOf(manifest) };
}

export function digestOf(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`;
}
