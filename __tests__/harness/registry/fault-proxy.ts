/**
 * A plain-HTTP proxy on 127.0.0.1 in front of a registry that breaks chosen requests: canned
 * answers (429 with or without Retry-After, 503 …), connection resets, delays, truncated or
 * invalid bodies, a rewritten Docker-Content-Digest. Everything else passes through unchanged,
 * including the Host header, so the registry's upload Locations point back at the proxy.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export type FaultAction =
  /** Answer without asking the registry. */
  | { kind: 'respond'; status: number; headers?: Record<string, string>; body?: string | Buffer }
  /** Reset the client's connection (TCP RST) without an answer. */
  | { kind: 'reset' }
  /** Hold the request this long, then forward it; close() or the client hanging up cancels. */
  | { kind: 'delay'; ms: number }
  /**
   * Forward, then send the upstream status and headers (Content-Length of the whole body) but
   * only `bytes` of the body (default half) and reset the connection.
   */
  | { kind: 'truncate'; bytes?: number }
  /** Forward, then replace the body with text that is not JSON (Content-Length adjusted). */
  | { kind: 'invalid-json'; body?: string }
  /** Forward with `Docker-Content-Digest` replaced (or added). */
  | { kind: 'rewrite-digest'; digest: string };

export interface FaultRule {
  /** HTTP method to match, any when absent. */
  method?: string;
  /** Tested against the request target, path and query: `/v2/app/tags/list?n=100`. */
  path: RegExp;
  /** Let this many matching requests pass before the rule fires. Default 0. */
  after?: number;
  /** Fire for this many matching requests, then let them pass. Default: every one. */
  times?: number;
  action: FaultAction;
}

export interface ProxiedRequest {
  method: string;
  /** The path without the query. */
  path: string;
  /** The request target as received, query included. */
  target: string;
  /** The status the client was sent; 0 when the connection was reset before an answer. */
  status: number;
  /** The kind of fault applied, absent when the request passed through. */
  fault?: FaultAction['kind'];
  /** Index of the rule that fired, in the list given to setRules. */
  rule?: number;
  /** Whether the request carried an Authorization header (never its value). */
  authorization: boolean;
}

export interface FaultProxyOptions {
  /** CA PEM for an HTTPS upstream. */
  ca?: string;
  /** Bound on each upstream exchange. Default 30 000 ms. */
  upstreamTimeoutMs?: number;
  /**
   * A token realm (RunningRegistry.tokenServerUrl) to route through the proxy as well: requests
   * for its path go to the token server, and the realm in the registry's WWW-Authenticate
   * challenges is rewritten to point at the proxy, so rules can break token requests too.
   */
  tokenServerUrl?: string;
}

export interface FaultProxy {
  /** 'http://127.0.0.1:<port>' */
  readonly url: string;
  /** '127.0.0.1:<port>' */
  readonly host: string;
  /** Replace the rules (and their counters). */
  setRules(rules: FaultRule[]): void;
  /** Every request the proxy received, in arrival order; status filled in when answered. */
  readonly requests: ProxiedRequest[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEndHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const result: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) result[name] = value;
  }
  return result;
}

interface ArmedRule {
  rule: FaultRule;
  matched: number;
}

export async function startFaultProxy(
  upstreamUrl: string,
  options: FaultProxyOptions = {},
): Promise<FaultProxy> {
  const upstream = new URL(upstreamUrl);
  const tokenServer = options.tokenServerUrl ? new URL(options.tokenServerUrl) : undefined;
  const httpAgent = new http.Agent({ keepAlive: true });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    ...(options.ca ? { ca: options.ca } : {}),
  });
  let proxyUrl = '';
  const upstreamTimeoutMs = options.upstreamTimeoutMs ?? 30_000;
  const requests: ProxiedRequest[] = [];
  const pendingDelays = new Set<() => void>();
  let armed: ArmedRule[] = [];

  const selectRule = (
    method: string,
    target: string,
  ): { index: number; rule: FaultRule } | undefined => {
    for (const [index, entry] of armed.entries()) {
      const { rule } = entry;
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) continue;
      rule.path.lastIndex = 0;
      if (!rule.path.test(target)) continue;
      const position = entry.matched++;
      const after = rule.after ?? 0;
      if (position >= after && (rule.times === undefined || position < after + rule.times)) {
        return { index, rule };
      }
    }
    return undefined;
  };

  /** The token server for its realm path, the registry for everything else. */
  const destination = (target: string): URL =>
    tokenServer && target.split('?')[0] === tokenServer.pathname ? tokenServer : upstream;

  /** Challenges name the proxy's token path instead of the token server. */
  const rewriteRealm = (headers: http.OutgoingHttpHeaders): void => {
    const challenge = headers['www-authenticate'];
    if (!tokenServer || typeof challenge !== 'string') return;
    headers['www-authenticate'] = challenge
      .split(`realm="${tokenServer.href}"`)
      .join(`realm="${proxyUrl}${tokenServer.pathname}"`);
  };

  const forward = (
    request: http.IncomingMessage,
  ): Promise<{
    status: number;
    headers: http.IncomingHttpHeaders;
    response: http.IncomingMessage;
  }> =>
    new Promise((resolve, reject) => {
      const target = destination(request.url ?? '/');
      const secure = target.protocol === 'https:';
      const outgoing = (secure ? https : http).request(
        {
          protocol: target.protocol,
          hostname: target.hostname,
          port: target.port,
          method: request.method,
          path: request.url,
          headers: endToEndHeaders(request.headers),
          agent: secure ? httpsAgent : httpAgent,
          timeout: upstreamTimeoutMs,
        },
        (response) =>
          resolve({ status: response.statusCode ?? 502, headers: response.headers, response }),
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error('upstream timed out')));
      outgoing.on('error', reject);
      request.pipe(outgoing);
    });

  const readBody = async (response: http.IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };

  const handle = async (
    request: http.IncomingMessage,
    response: http.ServerResponse,
    record: ProxiedRequest,
  ): Promise<void> => {
    const chosen = selectRule(record.method, record.target);
    const action = chosen?.rule.action;
    if (chosen && action) {
      record.fault = action.kind;
      record.rule = chosen.index;
    }

    if (action?.kind === 'respond') {
      const body = action.body ?? '';
      response.writeHead(action.status, {
        'Content-Length': Buffer.byteLength(body),
        ...action.headers,
      });
      response.end(body);
      record.status = action.status;
      return;
    }
    if (action?.kind === 'reset') {
      request.socket.resetAndDestroy();
      return;
    }
    if (action?.kind === 'delay') {
      const completed = await new Promise<boolean>((resolve) => {
        const cancel = (): void => {
          clearTimeout(timer);
          pendingDelays.delete(cancel);
          resolve(false);
        };
        const timer = setTimeout(() => {
          pendingDelays.delete(cancel);
          resolve(true);
        }, action.ms);
        pendingDelays.add(cancel);
        response.once('close', cancel);
      });
      if (!completed || response.destroyed) return;
    }

    const answer = await forward(request);
    const headers = endToEndHeaders(answer.headers);
    rewriteRealm(headers);
    if (action?.kind === 'rewrite-digest') headers['docker-content-digest'] = action.digest;

    if (action?.kind === 'truncate' || action?.kind === 'invalid-json') {
      const body = await readBody(answer.response);
      if (action.kind === 'truncate') {
        const keep = Math.min(action.bytes ?? Math.floor(body.length / 2), body.length);
        headers['content-length'] = String(body.length);
        response.writeHead(answer.status, headers);
        record.status = answer.status;
        response.write(body.subarray(0, keep), () => response.socket?.resetAndDestroy());
        return;
      }
      const replacement = action.body ?? '{"tags": ["broken",';
      headers['content-length'] = String(Buffer.byteLength(replacement));
      response.writeHead(answer.status, headers);
      record.status = answer.status;
      response.end(replacement);
      return;
    }

    response.writeHead(answer.status, headers);
    record.status = answer.status;
    answer.response.pipe(response);
  };

  const server = http.createServer((request, response) => {
    const target = request.url ?? '/';
    const record: ProxiedRequest = {
      method: request.method ?? 'GET',
      path: target.split('?')[0] ?? target,
      target,
      status: 0,
      authorization: request.headers.authorization !== undefined,
    };
    requests.push(record);
    handle(request, response, record).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      const message = `fault proxy could not reach ${destination(record.target).host}: ${error instanceof Error ? error.message : String(error)}`;
      record.status = 502;
      response.writeHead(502, {
        'Content-Type': 'text/plain',
        'Content-Length': Buffer.byteLength(message),
      });
      response.end(message);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  proxyUrl = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url: proxyUrl,
    host: `127.0.0.1:${port}`,
    requests,
    setRules: (rules) => {
      armed = rules.map((rule) => ({ rule, matched: 0 }));
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const cancel of [...pendingDelays]) cancel();
        server.closeAllConnections();
        server.close(() => {
          httpAgent.destroy();
          httpsAgent.destroy();
          resolve();
        });
      });
      return closing;
    },
  };
}
