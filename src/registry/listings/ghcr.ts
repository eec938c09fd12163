import {
  ListingUnusable,
  MAX_LISTING_PAGES,
  isRecord,
  listingJson,
  listingTime,
  type ListedTag,
  type ListingAdapter,
  type ListingFetch,
} from './types.js';

const NAME = 'GitHub Packages API';

/**
 * GHCR through GitHub's Packages API:
 * `GET /orgs/{org}/packages/container/{name}/versions` (then `/users/{username}/…` when the
 * owner is not an organisation), 100 versions a page for an organisation (the user form documents
 * no page size), `Link: rel="next"` followed on the same origin and path. Each version is one manifest digest (`name`) with the tags on it
 * (`metadata.container.tags`) and `created_at`, the time that digest was first pushed. It needs
 * the workflow's `GITHUB_TOKEN` with `packages: read`, sent only to the fixed API origin.
 */
export function ghcrListing(apiBase: string, token: string | undefined): ListingAdapter {
  return {
    name: NAME,
    async list(image, fetch) {
      if (token === undefined || token.length === 0) {
        throw new ListingUnusable(`${NAME} needs GITHUB_TOKEN (packages: read)`);
      }
      const [owner, ...rest] = image.repository.split('/');
      if (owner === undefined || owner === '' || rest.length === 0) {
        throw new ListingUnusable(`${NAME} has no package for ${image.repository}`);
      }
      const packageName = encodeURIComponent(rest.join('/'));
      const authorized: ListingFetch = (url) => fetch(url, { authorization: `Bearer ${token}` });
      for (const kind of ['orgs', 'users'] as const) {
        const first = new URL(
          `/${kind}/${encodeURIComponent(owner)}/packages/container/${packageName}/versions`,
          apiBase,
        );
        // GitHub documents page and per_page for the organisation form only.
        if (kind === 'orgs') first.searchParams.set('per_page', '100');
        const firstResponse = await authorized(first);
        // Not an organisation: GitHub answers 404 on /orgs for a user.
        if (firstResponse.status === 404 && kind === 'orgs') continue;
        const tags: ListedTag[] = [];
        let response = firstResponse;
        for (let page = 1; ; page += 1) {
          const body = listingJson(response, NAME);
          if (!Array.isArray(body)) throw new ListingUnusable(`${NAME} answered without a list`);
          for (const version of body as unknown[]) tags.push(...tagsOf(version));
          const next = nextLink(response.headers['link'], first);
          if (next === undefined) return tags;
          if (page >= MAX_LISTING_PAGES) {
            throw new ListingUnusable(`${NAME} has more than ${MAX_LISTING_PAGES} pages`);
          }
          response = await authorized(next);
        }
      }
      throw new ListingUnusable(`${NAME} knows no container package ${image.repository}`);
    },
  };
}

function tagsOf(version: unknown): ListedTag[] {
  if (!isRecord(version) || typeof version['name'] !== 'string') {
    throw new ListingUnusable(`${NAME} listed a version without a name`);
  }
  const metadata = version['metadata'];
  const container = isRecord(metadata) ? metadata['container'] : undefined;
  const tags = isRecord(container) ? container['tags'] : undefined;
  if (!Array.isArray(tags)) throw new ListingUnusable(`${NAME} listed a version without tags`);
  const pushedAt = listingTime(version['created_at'], NAME, 'created_at');
  return tags
    .filter((tag): tag is string => typeof tag === 'string')
    .map((tag) => ({ tag, pushedAt, digest: version['name'] as string }));
}

/** The `rel="next"` target of a Link header when it stays on the listing's origin and path. */
function nextLink(header: string | undefined, first: URL): URL | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(part);
    if (!match?.[1]) continue;
    let url: URL;
    try {
      url = new URL(match[1], first);
    } catch {
      throw new ListingUnusable(`${NAME}: next link ${JSON.stringify(match[1])} is not a URL`);
    }
    if (url.origin !== first.origin || url.pathname !== first.pathname) {
      throw new ListingUnusable(
        `${NAME}: next points to ${url.origin}${url.pathname}, not followed`,
      );
    }
    return url;
  }
  return undefined;
}
