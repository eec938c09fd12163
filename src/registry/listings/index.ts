import { DOCKER_HUB_REGISTRY } from '../reference.js';
import { dockerHubListing } from './docker-hub.js';
import type { ListingAdapter } from './types.js';

export { ListingUnusable, type ListedTag, type ListingAdapter } from './types.js';

/** Where the listing APIs are served. Fixed in production; tests point them at 127.0.0.1. */
export interface ListingBaseUrls {
  readonly dockerHub: string;
}

export const LISTING_BASE_URLS: ListingBaseUrls = {
  dockerHub: 'https://hub.docker.com',
};

/** The listing adapter for a canonical registry name, or undefined when it has none. */
export function listingFor(
  registry: string,
  bases: ListingBaseUrls = LISTING_BASE_URLS,
): ListingAdapter | undefined {
  if (registry === DOCKER_HUB_REGISTRY) return dockerHubListing(bases.dockerHub);
  return undefined;
}
