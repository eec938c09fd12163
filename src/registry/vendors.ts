import type { AuthChallenge } from './challenge.js';
import { DOCKER_HUB_REGISTRY } from './reference.js';

/** A registry's pull-rate allowance as its response headers report it. */
export interface RateLimit {
  readonly remaining: number;
  readonly limit: number | undefined;
  /** The window the numbers apply to (`w=21600` is six hours). */
  readonly windowSeconds: number | undefined;
}

/** What differs between registries, kept out of the transport's main path. */
export interface RegistryVendor {
  readonly name: string;
  /**
   * A challenge known without asking, so the first request of a run carries a token instead of
   * costing a 401 round trip. Undefined: ask `GET /v2/`.
   */
  readonly knownChallenge: AuthChallenge | undefined;
  /** Reads the rate-limit headers of a response, when the registry sends them. */
  readRateLimit(headers: Readonly<Record<string, string>>): RateLimit | undefined;
}

/** Parses `100;w=21600` (Docker Hub, IETF RateLimit draft) into a count and a window. */
export function parseRateLimitHeader(
  value: string | undefined,
): { count: number; windowSeconds?: number } | undefined {
  if (value === undefined) return undefined;
  const [countText = '', ...parameters] = value.split(';').map((part) => part.trim());
  if (!/^\d+$/.test(countText)) return undefined;
  const window = parameters.find((parameter) => /^w=\d+$/.test(parameter));
  return window === undefined
    ? { count: Number(countText) }
    : { count: Number(countText), windowSeconds: Number(window.slice(2)) };
}

function readStandardRateLimit(headers: Readonly<Record<string, string>>): RateLimit | undefined {
  const remaining = parseRateLimitHeader(headers['ratelimit-remaining']);
  if (remaining === undefined) return undefined;
  const limit = parseRateLimitHeader(headers['ratelimit-limit']);
  return {
    remaining: remaining.count,
    limit: limit?.count,
    windowSeconds: remaining.windowSeconds ?? limit?.windowSeconds,
  };
}

/** Docker Hub: API on registry-1.docker.io, tokens from auth.docker.io, `ratelimit-*` headers on manifest requests. */
const dockerHub: RegistryVendor = {
  name: 'Docker Hub',
  knownChallenge: {
    scheme: 'bearer',
    params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' },
  },
  readRateLimit: readStandardRateLimit,
};

/** GHCR: anonymous tokens for public images from ghcr.io/token; GITHUB_TOKEN for private ones. */
const ghcr: RegistryVendor = {
  name: 'GitHub Container Registry',
  knownChallenge: {
    scheme: 'bearer',
    params: { realm: 'https://ghcr.io/token', service: 'ghcr.io' },
  },
  readRateLimit: readStandardRateLimit,
};

/** Any other OCI registry: learn the challenge from `GET /v2/`. */
const generic: RegistryVendor = {
  name: 'OCI registry',
  knownChallenge: undefined,
  readRateLimit: readStandardRateLimit,
};

/** The adapter for a canonical registry name (see registryKey). */
export function vendorFor(registry: string): RegistryVendor {
  if (registry === DOCKER_HUB_REGISTRY) return dockerHub;
  if (registry === 'ghcr.io') return ghcr;
  return generic;
}
