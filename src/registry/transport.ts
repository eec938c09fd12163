import { RegistryError, RequestBudgetSpent } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { RegistryAuth } from './auth.js';
import { parseChallenges, preferredChallenge, type AuthChallenge } from './challenge.js';
import type { CredentialStore } from './credentials.js';
import type { HttpResponse, RegistryHttp } from './http.js';
import type { ImageReference } from './types.js';
import type { RateLimit, RegistryVendor } from './vendors.js';

export interface TransportOptions {
  readonly http: RegistryHttp;
  readonly auth: RegistryAuth;
  readonly credentials: CredentialStore;
  readonly logger: Logger;
  readonly vendorFor: (registry: string) => RegistryVendor;
}

export interface RegistryRequest {
  readonly image: ImageReference;
  readonly method: 'GET' | 'HEAD';
  /** A path with query on the image's registry (`/v2/…`), or an absolute URL on that same host. */
  readonly target: string | URL;
  readonly accept?: readonly string[];
  readonly maxBytes: number;
  /** What is asked for, for a 404 message: `tag v1`, `the tag list`, `blob sha256:…`. */
  readonly subject: string;
}

/** What the run knows about one registry host: where it answers and how it wants auth. */
interface HostState {
  readonly origin: string;
  challenge: AuthChallenge | undefined;
}

const PING_BODY_LIMIT = 64 * 1024;

/**
 * Registry requests with auth by challenge: the host is asked once (`GET /v2/`, or the vendor
 * adapter already knows the challenge), every request carries the answer, and a 401 with a new
 * challenge is answered and retried once. Non-2xx answers become RegistryErrors that say what
 * to do.
 */
export class RegistryTransport {
  private readonly hosts = new Map<string, Promise<HostState>>();
  /** The latest rate-limit reading per registry, and how many pulls were admitted before it. */
  private readonly rateLimits = new Map<string, { reading: RateLimit; afterPulls: number }>();
  /** Manifest GETs (pulls) admitted per registry so far, attempts included. */
  private readonly pullsAdmitted = new Map<string, number>();
  private readonly lowRateLimitWarned = new Set<string>();

  constructor(private readonly options: TransportOptions) {}

  /** The last rate-limit reading of a registry (canonical name), when it reports one. */
  rateLimit(registry: string): RateLimit | undefined {
    return this.rateLimits.get(registry)?.reading;
  }

  /** The origin (`https://host`) the image's registry answers on. */
  async origin(image: ImageReference): Promise<string> {
    return (await this.hostState(image)).origin;
  }

  /** Sends a request and returns its 2xx response; anything else is a RegistryError. */
  async send(request: RegistryRequest): Promise<HttpResponse> {
    const { image } = request;
    const { http, auth, credentials } = this.options;
    const state = await this.hostState(image);
    const url = new URL(request.target, state.origin);
    if (url.host !== new URL(state.origin).host) {
      throw new RegistryError(
        `${image.original}: refusing to send a request for ${image.registry} to another host (${url.host})`,
        { image: image.original, path: url.pathname },
      );
    }
    const pull = request.method === 'GET' && String(request.target).includes('/manifests/');
    let admittedAfter = 0;
    const admit = (): void => {
      const admitted = this.pullsAdmitted.get(image.registry) ?? 0;
      if (pull) {
        this.checkRateLimitReserve(request);
        this.pullsAdmitted.set(image.registry, admitted + 1);
      }
      admittedAfter = admitted + (pull ? 1 : 0);
    };
    const credential = await credentials.find(image.registry);
    let answeredNewChallenge = false;
    for (;;) {
      const authorization = await auth.authorization(image, state.challenge, credential);
      const headers: Record<string, string> = {};
      if (request.accept) headers['accept'] = request.accept.join(', ');
      if (authorization) headers['authorization'] = authorization;
      const response = await http.send({
        image,
        method: request.method,
        url,
        headers,
        maxBytes: request.maxBytes,
        admit,
      });
      this.noteRateLimit(image, response, admittedAfter);
      if (response.status >= 200 && response.status < 300) return response;
      if (response.status === 401 && !answeredNewChallenge) {
        const challenge = preferredChallenge(
          parseChallenges(response.headers['www-authenticate'] ?? ''),
        );
        const answerable =
          challenge?.scheme === 'bearer' || (challenge?.scheme === 'basic' && credential);
        if (challenge && answerable) {
          answeredNewChallenge = true;
          state.challenge = challenge;
          auth.forget(image);
          this.options.logger.debug(`${image.host}: answering a new ${challenge.scheme} challenge`);
          continue;
        }
      }
      throw this.statusError(request, url, response, credential?.source);
    }
  }

  /**
   * The host's origin and challenge, discovered once for every image on the host. Images that
   * waited on a discovery that failed get the failure in their own name, not in the name of the
   * image that happened to ask first.
   */
  private async hostState(image: ImageReference): Promise<HostState> {
    let state = this.hosts.get(image.host);
    if (!state) {
      state = this.discover(image);
      this.hosts.set(image.host, state);
      // A failed discovery is not remembered: the next image asks again.
      state.catch(() => this.hosts.delete(image.host));
    }
    try {
      return await state;
    } catch (error) {
      throw inTheNameOf(image, error);
    }
  }

  private async discover(image: ImageReference): Promise<HostState> {
    const { http, logger } = this.options;
    const vendor = this.options.vendorFor(image.registry);
    const insecure = http.isInsecure(image.host);
    if (!insecure && vendor.knownChallenge) {
      return { origin: `https://${image.host}`, challenge: vendor.knownChallenge };
    }
    // Insecure hosts may speak TLS without a trusted certificate, or plain HTTP: try in that order.
    const origins = insecure
      ? [`https://${image.host}`, `http://${image.host}`]
      : [`https://${image.host}`];
    let lastError: unknown;
    for (const origin of origins) {
      let response: HttpResponse;
      try {
        response = await http.send({
          image,
          method: 'GET',
          url: new URL('/v2/', origin),
          headers: {},
          maxBytes: PING_BODY_LIMIT,
          // An insecure host that fails over HTTPS gets its plain-HTTP chance at once.
          ...(insecure && origin.startsWith('https:') ? { maxAttempts: 1 } : {}),
        });
      } catch (error) {
        lastError = error;
        logger.debug(
          `${origin}/v2/ did not answer: ${error instanceof Error ? error.message : String(error)}`,
        );
        continue;
      }
      if (response.status >= 500) {
        throw this.statusError(
          {
            image,
            method: 'GET',
            target: '/v2/',
            maxBytes: PING_BODY_LIMIT,
            subject: 'the API root /v2/',
          },
          response.url,
          response,
          undefined,
        );
      }
      const challenge =
        response.status === 401
          ? preferredChallenge(parseChallenges(response.headers['www-authenticate'] ?? ''))
          : undefined;
      logger.debug(
        `${image.host}: ${origin}, ${challenge ? `${challenge.scheme} auth` : 'no auth'}`,
      );
      return { origin, challenge };
    }
    throw lastError;
  }

  /**
   * Manifest GETs are what registries such as Docker Hub count as pulls. When the last reading
   * says the limit is nearly spent, stop reading metadata rather than use up the pulls the
   * cluster needs to start the images: the image keeps its current value, with a warning.
   */
  private checkRateLimitReserve(request: RegistryRequest): void {
    const { image } = request;
    const last = this.rateLimits.get(image.registry);
    if (!last) return;
    const rateLimit = last.reading;
    const reserve =
      rateLimit.limit === undefined ? 5 : Math.max(1, Math.floor(rateLimit.limit / 20));
    // Pulls admitted after the request that brought the reading are not in it yet.
    const since = (this.pullsAdmitted.get(image.registry) ?? 0) - last.afterPulls;
    const remaining = rateLimit.remaining - since;
    if (remaining > reserve) return;
    throw new RequestBudgetSpent(
      `${image.original}: ${image.registry} pull rate limit is nearly spent (${remaining}${rateLimit.limit === undefined ? '' : ` of ${rateLimit.limit}`} remaining); no more metadata is read in this run so the remaining pulls stay for deployments. Authenticate to raise the limit, or keep the metadata cache between runs`,
      { image: image.original, path: String(request.target) },
    );
  }

  private noteRateLimit(image: ImageReference, response: HttpResponse, afterPulls: number): void {
    if (response.url.host !== image.host) return;
    const rateLimit = this.options.vendorFor(image.registry).readRateLimit(response.headers);
    if (!rateLimit) return;
    // Responses arrive out of order: keep the reading that counts the most pulls.
    const known = this.rateLimits.get(image.registry);
    if (known === undefined || afterPulls >= known.afterPulls) {
      this.rateLimits.set(image.registry, { reading: rateLimit, afterPulls });
    }
    const low =
      rateLimit.limit === undefined
        ? rateLimit.remaining <= 10
        : rateLimit.remaining <= rateLimit.limit / 10;
    if (low && !this.lowRateLimitWarned.has(image.registry)) {
      this.lowRateLimitWarned.add(image.registry);
      this.options.logger.warning(
        `${image.registry} pull rate limit is nearly spent: ${rateLimit.remaining}${rateLimit.limit === undefined ? '' : ` of ${rateLimit.limit}`} remaining${rateLimit.windowSeconds === undefined ? '' : ` per ${rateLimit.windowSeconds} s window`}; authenticate to raise it, or keep the metadata cache between runs`,
      );
    }
    this.options.logger.debug(
      `${image.registry} rate limit: ${rateLimit.remaining}${rateLimit.limit === undefined ? '' : ` of ${rateLimit.limit}`} pulls remaining${rateLimit.windowSeconds === undefined ? '' : ` per ${rateLimit.windowSeconds} s`}`,
    );
  }

  private statusError(
    request: RegistryRequest,
    url: URL,
    response: HttpResponse,
    credentialSource: string | undefined,
  ): RegistryError {
    const { image } = request;
    const status = response.status;
    const registryMessage = ociErrorSummary(response.body);
    const head = `${image.original}: ${request.method} ${url.pathname} returned ${status}${registryMessage ? ` (${registryMessage})` : ''}`;
    const attempts = response.attempts > 1 ? ` after ${response.attempts} attempts` : '';
    let advice: string;
    const insufficientScope = parseChallenges(response.headers['www-authenticate'] ?? '').some(
      (challenge) => challenge.params['error'] === 'insufficient_scope',
    );
    if (status === 401 && insufficientScope) {
      // Docker Hub answers this, not 404, for a repository that does not exist.
      advice = `no pull access to ${image.repository}: the repository does not exist on ${image.registry}, or it is private and ${
        credentialSource
          ? `the credentials from ${credentialSource} may not read it`
          : 'needs credentials (registry-credentials, docker login, or GITHUB_TOKEN for ghcr.io)'
      }`;
    } else if (status === 401) {
      advice = credentialSource
        ? `check the credentials for ${image.registry} (from ${credentialSource})`
        : `${image.registry} requires credentials: add them with registry-credentials (${image.registry}=user:password), docker login, or GITHUB_TOKEN for ghcr.io`;
    } else if (status === 403) {
      advice = credentialSource
        ? `access denied: the credentials for ${image.registry} (from ${credentialSource}) may not pull ${image.repository}`
        : `access denied to ${image.repository}: add credentials for ${image.registry}`;
    } else if (status === 404) {
      advice = `${request.subject} does not exist: check that the repository ${image.repository} and the tag exist on ${image.registry}`;
    } else if (status === 429) {
      const rateLimit = this.rateLimits.get(image.registry)?.reading;
      const remaining = rateLimit ? `, ${rateLimit.remaining} pulls remaining` : '';
      const retryAfter = response.headers['retry-after'];
      advice = `rate limited by ${image.registry}${attempts}${remaining}${retryAfter ? `, Retry-After ${retryAfter}` : ''}; authenticate to raise the limit, lower registry-concurrency, or try later`;
    } else if (status >= 500) {
      advice = `${image.registry} had a server error${attempts}; try again later`;
    } else {
      advice = `unexpected answer from ${image.registry}`;
    }
    return new RegistryError(`${head}: ${advice}`, {
      image: image.original,
      path: url.pathname,
      status,
    });
  }
}

/** `CODE: message` of the first entry of an OCI error body, shortened; undefined for other bodies. */
export function ociErrorSummary(body: Buffer): string | undefined {
  if (body.length === 0) return undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const errors = (parsed as { errors?: unknown }).errors;
    if (!Array.isArray(errors) || errors.length === 0) return undefined;
    const first = errors[0] as { code?: unknown; message?: unknown };
    const parts = [first.code, first.message].filter(
      (part): part is string => typeof part === 'string',
    );
    const summary = parts.join(': ');
    return summary.length > 200 ? `${summary.slice(0, 200)}…` : summary || undefined;
  } catch {
    return undefined;
  }
}

/** A host-wide failure restated for one image: its message and details name that image. */
function inTheNameOf(image: ImageReference, error: unknown): unknown {
  if (!(error instanceof RegistryError) || error.details.image === image.original) return error;
  const other = `${error.details.image}: `;
  const message = error.message.startsWith(other)
    ? `${image.original}: ${error.message.slice(other.length)}`
    : `${image.original}: ${error.message}`;
  return new RegistryError(message, { ...error.details, image: image.original }, { cause: error });
}
