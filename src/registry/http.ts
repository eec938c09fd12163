import http from 'node:http';
import https from 'node:https';
import { RegistryError, RequestBudgetSpent, errorMessage } from '../core/errors.js';
import { RequestBudget } from './budget.js';
import { HostSlots } from './host-slots.js';
import type { Logger } from '../core/logging.js';
import { imageKey } from './reference.js';
import { backoffDelay, isRetryableStatus, parseRetryAfter, type RetryPolicy } from './retry.js';
import type { ImageReference, RegistryUsage } from './types.js';

/** One HTTP exchange as the registry layer sees it: status, lower-cased headers, the whole body. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The URL that answered, after redirects. */
  readonly url: URL;
  /** Attempts made, retries included. */
  readonly attempts: number;
}

export interface HttpRequest {
  /** The image the request is made for: usage, budget and messages are counted against it. */
  readonly image: ImageReference;
  readonly method: 'GET' | 'HEAD' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** The body of a POST (the OAuth2 form of an identity-token exchange). */
  readonly body?: Buffer;
  /** Largest body read for a 2xx answer; larger bodies fail the request. */
  readonly maxBytes: number;
  /** Attempts for this request when fewer than the policy's (a probe that has a fallback). */
  readonly maxAttempts?: number;
  /**
   * Called for every attempt once it has its host slot, just before it is sent; throws (a
   * RequestBudgetSpent) to refuse it. The rate-limit reserve is checked here.
   */
  readonly admit?: () => void;
}

export interface HttpOptions {
  readonly logger: Logger;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly random: () => number;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly requestBudget: number;
  /** Connections per origin. */
  readonly concurrency: number;
  /** Full CA list for verified TLS; undefined keeps Node's defaults (which include NODE_EXTRA_CA_CERTS). */
  readonly ca: readonly string[] | undefined;
  /** Hosts (`host` or `host:port`) where TLS is not verified and plain HTTP is allowed. */
  readonly insecureHosts: readonly string[];
  readonly maxRedirects: number;
}

const ERROR_BODY_LIMIT = 64 * 1024;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

// Node's codes for a certificate chain it cannot verify.
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);
const OTHER_CERTIFICATE_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

class ResponseTooLarge extends Error {
  override readonly name = 'ResponseTooLarge';
}
class RequestTimedOut extends Error {
  override readonly name = 'RequestTimedOut';
}

/** The code of a network error, looking through wrapping errors (`cause`). */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_CONNECT' && code !== 'UND_ERR') return code;
    current = current.cause;
  }
  return undefined;
}

/** True for errors that say the far end does not speak TLS (an insecure host on plain HTTP). */
export function isTlsProtocolMismatch(error: unknown): boolean {
  const code = networkErrorCode(error);
  if (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    code === 'EPROTO' ||
    code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG'
  ) {
    return true;
  }
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    if (/wrong version number|packet length too long/i.test(current.message)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * Sends registry requests with bounded retries (429, 5xx, connection errors; `Retry-After`
 * honoured), manual redirects that drop `Authorization` when the host changes, a per-request
 * timeout, a run-wide request budget, and usage counted per image.
 */
export class RegistryHttp {
  /** Keep-alive connections: plain HTTP, verified TLS, and TLS without verification. */
  private readonly plainAgent: http.Agent;
  private readonly secureAgent: https.Agent;
  private readonly insecureAgent: https.Agent;
  private readonly counts = new Map<string, { requests: number; bytes: number }>();
  private readonly budget: RequestBudget;
  private readonly slots: HostSlots;
  /** `insecure-registries` as host or host:port, lower case; asked on every request. */
  private readonly insecureHosts: ReadonlySet<string>;

  constructor(private readonly options: HttpOptions) {
    this.insecureHosts = new Set(
      options.insecureHosts
        // Entries may be written as URLs (`http://host:5000/`): the host part only.
        .map(
          (entry) =>
            entry
              .trim()
              .toLowerCase()
              .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
              .split('/')[0] ?? '',
        )
        .filter((host) => host.length > 0),
    );
    this.budget = new RequestBudget(options.requestBudget);
    const connections = Math.max(1, options.concurrency);
    this.slots = new HostSlots(connections);
    const common = { keepAlive: true, maxSockets: connections };
    this.plainAgent = new http.Agent(common);
    this.secureAgent = new https.Agent(
      options.ca === undefined ? common : { ...common, ca: [...options.ca] },
    );
    this.insecureAgent = new https.Agent({ ...common, rejectUnauthorized: false });
  }

  usage(): ReadonlyMap<string, RegistryUsage> {
    return new Map([...this.counts].map(([key, value]) => [key, { ...value }]));
  }

  /** Requests sent so far in this run. */
  requestsSpent(): number {
    return this.budget.requestsSpent();
  }

  /** The images (`registry/repository`) this run will resolve: each gets an equal share. */
  shareBudget(images: readonly ImageReference[]): void {
    this.budget.plan(images.map(imageKey));
  }

  /** The image is resolved: what it did not use of its share goes to the others. */
  releaseShare(image: ImageReference): void {
    this.budget.finish(imageKey(image));
  }

  private takeBudget(request: HttpRequest, key: string, url: URL): void {
    const refusal = this.budget.take(key);
    if (refusal === undefined) return;
    const total = this.options.requestBudget;
    const why =
      refusal === 'spent'
        ? `the request budget of ${total} registry requests for this run is spent`
        : `this image has used ${refusal.used} of the ${total} requests of the run's request budget, and the rest is kept for ${refusal.owedTo} other image${refusal.owedTo === 1 ? '' : 's'}`;
    throw new RequestBudgetSpent(
      `${request.image.original}: ${why}; raise request-budget, narrow allow-tags, or keep the metadata cache between runs`,
      { image: request.image.original, path: url.pathname },
    );
  }

  isInsecure(host: string): boolean {
    const lower = host.toLowerCase();
    return this.insecureHosts.has(lower) || this.insecureHosts.has(lower.replace(/:\d+$/, ''));
  }

  close(): Promise<void> {
    this.plainAgent.destroy();
    this.secureAgent.destroy();
    this.insecureAgent.destroy();
    return Promise.resolve();
  }

  /**
   * Sends the request, retrying what is worth retrying. Returns the final response whatever its
   * status (the caller turns statuses into errors); throws a RegistryError for network failures,
   * an exhausted budget, or a retry limit reached on a retryable status.
   */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const { now, sleep, random, logger } = this.options;
    const retry = {
      ...this.options.retry,
      maxAttempts: Math.min(this.options.retry.maxAttempts, request.maxAttempts ?? Infinity),
    };
    const started = now();
    for (let attempt = 1; ; attempt += 1) {
      let waitMs: number;
      let lastProblem: string;
      try {
        const response = { ...(await this.followRedirects(request)), attempts: attempt };
        if (!isRetryableStatus(response.status)) return response;
        const retryAfter = parseRetryAfter(response.headers['retry-after'], now());
        lastProblem = `${response.status}${retryAfter === undefined ? '' : ` (Retry-After ${Math.ceil(retryAfter / 1000)} s)`}`;
        if (retryAfter !== undefined && retryAfter > retry.maxRetryAfterMs) {
          logger.debug(
            `${request.method} ${request.url.pathname}: Retry-After ${retryAfter} ms is over the cap; not waiting`,
          );
          return response;
        }
        waitMs = retryAfter ?? backoffDelay(attempt, retry, random);
        if (attempt >= retry.maxAttempts || now() - started + waitMs > retry.maxTotalMs)
          return response;
      } catch (error) {
        if (error instanceof RegistryError || !this.isRetryableNetworkError(error)) {
          throw this.networkError(request, error);
        }
        lastProblem = errorMessage(error);
        waitMs = backoffDelay(attempt, retry, random);
        if (attempt >= retry.maxAttempts || now() - started + waitMs > retry.maxTotalMs) {
          throw this.networkError(request, error, attempt);
        }
      }
      logger.debug(
        `${request.method} ${request.url.host}${request.url.pathname}: ${lastProblem}; retry ${attempt} of ${retry.maxAttempts - 1} in ${waitMs} ms`,
      );
      await sleep(waitMs);
    }
  }

  private isRetryableNetworkError(error: unknown): boolean {
    if (error instanceof ResponseTooLarge) return false;
    if (error instanceof RequestTimedOut) return true;
    const code = networkErrorCode(error);
    if (code === undefined) return false;
    if (UNTRUSTED_CERTIFICATE_CODES.has(code) || OTHER_CERTIFICATE_CODES.has(code)) return false;
    if (code === 'ENOTFOUND' || isTlsProtocolMismatch(error)) return false;
    return true;
  }

  private networkError(request: HttpRequest, error: unknown, attempts?: number): RegistryError {
    if (error instanceof RegistryError) return error;
    const host = request.url.host;
    const details = { image: request.image.original, path: request.url.pathname };
    const code = networkErrorCode(error);
    const prefix = `${request.image.original}: ${request.method} ${request.url.pathname} on ${host}`;
    if (code !== undefined && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
      return new RegistryError(
        `${prefix} failed: the TLS certificate is signed by an unknown authority (${code}). Pass the registry's CA certificate with ca-file (PEM) or NODE_EXTRA_CA_CERTS, or list ${host} in insecure-registries to skip verification`,
        details,
        { cause: error },
      );
    }
    if (code !== undefined && OTHER_CERTIFICATE_CODES.has(code)) {
      return new RegistryError(
        `${prefix} failed: the TLS certificate is not valid for this host (${code}); fix the registry's certificate or use the host name it was issued for`,
        details,
        { cause: error },
      );
    }
    if (error instanceof ResponseTooLarge) {
      return new RegistryError(`${prefix} failed: ${error.message}`, details, { cause: error });
    }
    if (error instanceof RequestTimedOut) {
      return new RegistryError(
        `${prefix} timed out after ${this.options.timeoutMs} ms${attempts ? ` (${attempts} attempts)` : ''}; check that the registry is reachable from the runner, or lower registry-concurrency if it is overloaded`,
        details,
        { cause: error },
      );
    }
    if (isTlsProtocolMismatch(error) && request.url.protocol === 'https:') {
      return new RegistryError(
        `${prefix} failed: the registry answered in plain HTTP, not TLS. If ${host} is meant to be reached over plain HTTP, list it in insecure-registries`,
        details,
        { cause: error },
      );
    }
    const tried = attempts ? ` after ${attempts} attempts` : '';
    return new RegistryError(
      `${prefix} failed${tried}: ${code ?? errorMessage(error)}; check that the registry host is right and reachable`,
      details,
      { cause: error },
    );
  }

  private async followRedirects(request: HttpRequest): Promise<Omit<HttpResponse, 'attempts'>> {
    let url = request.url;
    let headers = { ...request.headers };
    for (let hop = 0; ; hop += 1) {
      const response = await this.exchange(request, url, headers);
      const location = response.headers['location'];
      if (!REDIRECT_STATUSES.has(response.status) || location === undefined) return response;
      if (hop >= this.options.maxRedirects) {
        throw new RegistryError(
          `${request.image.original}: ${request.method} ${request.url.pathname} was redirected more than ${this.options.maxRedirects} times; the registry or its storage is misconfigured`,
          { image: request.image.original, path: request.url.pathname, status: response.status },
        );
      }
      const next = new URL(location, url);
      if (next.protocol === 'http:' && url.protocol === 'https:' && !this.isInsecure(next.host)) {
        throw new RegistryError(
          `${request.image.original}: ${request.url.pathname} redirects from HTTPS to plain HTTP (${next.host}); refused. List ${next.host} in insecure-registries if that is intended`,
          { image: request.image.original, path: request.url.pathname, status: response.status },
        );
      }
      if (next.host !== request.url.host) {
        // Blob storage and CDNs get no registry credentials: presigned URLs carry their own.
        const { authorization: _dropped, ...rest } = headers;
        headers = rest;
      }
      this.options.logger.debug(
        `${request.method} ${url.host}${url.pathname} → ${response.status} redirect to ${next.host}`,
      );
      url = next;
    }
  }

  private async exchange(
    request: HttpRequest,
    url: URL,
    headers: Record<string, string>,
  ): Promise<Omit<HttpResponse, 'attempts'>> {
    const key = imageKey(request.image);
    // Budget and rate-limit reserve are checked when the request has its slot, not when it was
    // queued: thousands of queued reads then cannot all pass a check made before any was sent.
    const release = await this.slots.acquire(url.host);
    try {
      request.admit?.();
      this.takeBudget(request, key, url);
      const count = this.counts.get(key) ?? { requests: 0, bytes: 0 };
      count.requests += 1;
      this.counts.set(key, count);
      const response = await this.transfer(request, url, headers);
      count.bytes += response.body.length;
      this.options.logger.debug(
        `${request.method} ${url.host}${url.pathname} → ${response.status} (${response.body.length} bytes)`,
      );
      return { ...response, url };
    } finally {
      release();
    }
  }

  /**
   * One request and its answer, read whole: status, headers and body (up to the request's limit
   * for a 2xx answer, the first 64 KiB of any other). One timer covers connecting, the headers
   * and the body; when it fires, or a 2xx body is too large, the connection is closed.
   */
  private transfer(
    request: HttpRequest,
    url: URL,
    headers: Record<string, string>,
  ): Promise<Omit<HttpResponse, 'attempts' | 'url'>> {
    const secure = url.protocol === 'https:';
    const agent = !secure
      ? this.plainAgent
      : this.isInsecure(url.host)
        ? this.insecureAgent
        : this.secureAgent;
    return new Promise((resolve, reject) => {
      const sent = (secure ? https : http).request(url, {
        method: request.method,
        headers: { 'user-agent': 'helm-image-updater', ...headers },
        agent,
      });
      let settled = false;
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        sent.destroy();
        reject(error);
      };
      const answer = (response: http.IncomingMessage, body: Buffer): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          status: response.statusCode ?? 0,
          headers: flattenHeaders(response.headers),
          body,
        });
      };
      const timer = setTimeout(
        () => fail(new RequestTimedOut('timed out')),
        this.options.timeoutMs,
      );
      // Kept for the whole exchange: an error after the answer began must find a listener.
      sent.on('error', fail);
      sent.on('response', (response) => {
        response.on('error', fail);
        const status = response.statusCode ?? 0;
        if (request.method === 'HEAD' || REDIRECT_STATUSES.has(status)) {
          // Nothing to read; a connection dropping now does not change the answer.
          answer(response, EMPTY_BODY);
          response.resume();
          return;
        }
        const success = status >= 200 && status < 300;
        const limit = success ? request.maxBytes : ERROR_BODY_LIMIT;
        const chunks: Buffer[] = [];
        let total = 0;
        response.on('data', (chunk: Buffer) => {
          if (settled) return;
          total += chunk.length;
          if (total <= limit) {
            chunks.push(chunk);
          } else if (!success) {
            // An error answer is only shown: its beginning is enough.
            chunks.push(chunk.subarray(0, chunk.length - (total - limit)));
            answer(response, Buffer.concat(chunks));
            sent.destroy();
          } else {
            fail(
              new ResponseTooLarge(
                `the response of ${url.host}${url.pathname} is larger than ${limit} bytes`,
              ),
            );
          }
        });
        response.on('end', () => answer(response, Buffer.concat(chunks)));
        // A connection closed before the body ended (Node also emits 'error' for it).
        response.on('close', () => {
          if (!response.complete) fail(connectionClosed());
        });
      });
      sent.end(request.body);
    });
  }
}

const EMPTY_BODY = Buffer.alloc(0);

function connectionClosed(): Error {
  return Object.assign(new Error('the connection closed before the answer was complete'), {
    code: 'ECONNRESET',
  });
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
