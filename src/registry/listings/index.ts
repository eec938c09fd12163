import { DOCKER_HUB_REGISTRY } from '../reference.js';
import { dockerHubListing } from './docker-hub.js';
import { ghcrListing } from './ghcr.js';
import { googleListing, isGoogleRegistry } from './google.js';
import type { ListingAdapter } from './types.js';

export { ListingUnusable, type ListedTag, type ListingAdapter } from './types.js';

/** Where the listing APIs are served. Fixed in production; tests point them at 127.0.0.1. */
export interface ListingBaseUrls {
  readonly dockerHub: string;
  readonly github: string;
}

export const LISTING_BASE_URLS: ListingBaseUrls = {
  dockerHub: 'https://hub.docker.com',
  github: 'https://api.github.com',
};

/**
 * The listing adapter for a canonical registry name, or undefined when it has none.
 * `githubToken` is the workflow's GITHUB_TOKEN, for GHCR's listing through GitHub's API.
 */
export function listingFor(
  registry: string,
  bases: ListingBaseUrls = LISTING_BASE_URLS,
  githubToken?: string,
): ListingAdapter | undefined {
  if (registry === DOCKER_HUB_REGISTRY) return dockerHubListing(bases.dockerHub);
  if (registry === 'ghcr.io') return ghcrListing(bases.github, githubToken);
  if (isGoogleRegistry(registry)) return googleListing;
  return undefined;
}
