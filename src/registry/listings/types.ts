import type { HttpResponse } from '../http.js';
import type { ImageReference, ListedTag } from '../types.js';

export type { ListedTag } from '../types.js';

/**
 * Sends a GET to a listing URL and returns the answer (any status); the adapter judges it.
 * `headers` carry what the listing's own API needs (a GitHub token for GitHub's API).
 */
export type ListingFetch = (
  url: URL,
  headers?: Readonly<Record<string, string>>,
) => Promise<HttpResponse>;

/** Sends a GET for a path (or same-host URL) to the image's registry with its credentials; non-2xx throws. */
export type RegistryFetch = (target: string) => Promise<HttpResponse>;

/** A listing API that orders a repository's tags by push time. */
export interface ListingAdapter {
  /** For messages: `Docker Hub tags API`. */
  readonly name: string;
  /**
   * Every tag of the repository with its push time. Throws ListingUnusable when the listing
   * cannot be trusted to be complete (an error status, a body of another shape, too many pages,
   * a pagination link to another origin); the caller then uses the OCI tag list.
   */
  list(image: ImageReference, fetch: ListingFetch, registry?: RegistryFetch): Promise<ListedTag[]>;
}

/** Why a listing was not used; the caller logs it at debug level and falls back. */
export class ListingUnusable extends Error {
  override readonly name = 'ListingUnusable';
}

/** At most this many listing pages per image (2 500 tags at 100 a page). */
export const MAX_LISTING_PAGES = 25;

/** Reads a JSON body, or throws ListingUnusable naming the listing. */
export function listingJson(response: HttpResponse, name: string): unknown {
  if (response.status !== 200) {
    throw new ListingUnusable(`${name} answered ${response.status} for ${response.url.pathname}`);
  }
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    throw new ListingUnusable(`${name} answered with a body that is not JSON`);
  }
}

/** An RFC 3339 time in milliseconds; undefined for null or missing, ListingUnusable for garbage. */
export function listingTime(value: unknown, name: string, field: string): number | undefined {
  if (value === null || value === undefined) return undefined;
  const time = typeof value === 'string' ? Date.parse(value) : NaN;
  if (Number.isNaN(time)) {
    throw new ListingUnusable(`${name}: ${field} ${JSON.stringify(value)} is not a time`);
  }
  return time;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
