import {
  ListingUnusable,
  MAX_LISTING_PAGES,
  isRecord,
  listingJson,
  listingTime,
  type ListedTag,
  type ListingAdapter,
} from './types.js';

const NAME = 'Docker Hub tags API';

/**
 * Docker Hub's tag listing, `GET /v2/namespaces/{namespace}/repositories/{repository}/tags`
 * on hub.docker.com, 100 tags a page: `name`, `tag_last_pushed` and `digest` per tag. Asked
 * anonymously (it answers for public repositories); registry credentials are never sent to it.
 * Listing requests are not pulls. `next` is followed only on the listing's own origin and path.
 */
export function dockerHubListing(baseUrl: string): ListingAdapter {
  return {
    name: NAME,
    async list(image, fetch) {
      const [namespace, ...rest] = image.repository.split('/');
      const repository = rest.join('/');
      if (namespace === undefined || namespace === '' || repository === '' || rest.length !== 1) {
        throw new ListingUnusable(`${NAME} has no listing for ${image.repository}`);
      }
      const first = new URL(
        `/v2/namespaces/${encodeURIComponent(namespace)}/repositories/${encodeURIComponent(repository)}/tags`,
        baseUrl,
      );
      first.searchParams.set('page_size', '100');
      const tags: ListedTag[] = [];
      let url: URL | undefined = first;
      for (let page = 1; url !== undefined; page += 1) {
        if (page > MAX_LISTING_PAGES) {
          throw new ListingUnusable(`${NAME} has more than ${MAX_LISTING_PAGES} pages`);
        }
        const body = listingJson(await fetch(url), NAME);
        if (!isRecord(body) || !Array.isArray(body['results'])) {
          throw new ListingUnusable(`${NAME} answered without a results array`);
        }
        for (const entry of body['results'] as unknown[]) {
          if (!isRecord(entry) || typeof entry['name'] !== 'string') {
            throw new ListingUnusable(`${NAME} listed a tag without a name`);
          }
          tags.push({
            tag: entry['name'],
            pushedAt: listingTime(entry['tag_last_pushed'], NAME, 'tag_last_pushed'),
            digest: typeof entry['digest'] === 'string' ? entry['digest'] : undefined,
          });
        }
        url = nextPage(body['next'], first);
      }
      return tags;
    },
  };
}

/** The `next` link when it stays on the listing's origin and path; ListingUnusable otherwise. */
function nextPage(next: unknown, first: URL): URL | undefined {
  if (next === null || next === undefined || next === '') return undefined;
  if (typeof next !== 'string') {
    throw new ListingUnusable(`${NAME}: next is not a link`);
  }
  let url: URL;
  try {
    url = new URL(next, first);
  } catch {
    throw new ListingUnusable(`${NAME}: next ${JSON.stringify(next)} is not a URL`);
  }
  if (url.origin !== first.origin || url.pathname !== first.pathname) {
    throw new ListingUnusable(`${NAME}: next points to ${url.origin}${url.pathname}, not followed`);
  }
  return url;
}
