import {
  ListingUnusable,
  MAX_LISTING_PAGES,
  isRecord,
  listingJson,
  type ListedTag,
  type ListingAdapter,
} from './types.js';

const NAME = 'Google tags/list extension';

/** Google Artifact Registry (`<region>-docker.pkg.dev`) and Container Registry (`gcr.io`, `<region>.gcr.io`). */
export function isGoogleRegistry(registry: string): boolean {
  return (
    /^(?:[a-z0-9-]+\.)?gcr\.io$/.test(registry) || /^[a-z0-9-]+-docker\.pkg\.dev$/.test(registry)
  );
}

/**
 * GAR and GCR answer the registry's own `GET /v2/<name>/tags/list` with a `manifest` map beside
 * `tags`: per manifest digest its `tag` list, `timeCreatedMs` and `timeUploadedMs` (milliseconds
 * as strings). The upload time is the push time. It is the request a listing of tags makes
 * anyway, sent through the registry transport with the registry's own credentials, on its host;
 * a `Link: rel="next"` is followed there too.
 */
export const googleListing: ListingAdapter = {
  name: NAME,
  async list(image, _fetch, registry) {
    if (registry === undefined) throw new ListingUnusable(`${NAME} needs the registry transport`);
    const tags: ListedTag[] = [];
    let target: string | undefined = `/v2/${image.repository}/tags/list`;
    for (let page = 1; target !== undefined; page += 1) {
      if (page > MAX_LISTING_PAGES) {
        throw new ListingUnusable(`${NAME} has more than ${MAX_LISTING_PAGES} pages`);
      }
      const response = await registry(target);
      const body = listingJson(response, NAME);
      const manifests = isRecord(body) ? body['manifest'] : undefined;
      if (!isRecord(manifests))
        throw new ListingUnusable(`${NAME}: the answer has no manifest map`);
      for (const [digest, entry] of Object.entries(manifests)) {
        if (!isRecord(entry) || !Array.isArray(entry['tag'])) {
          throw new ListingUnusable(`${NAME}: manifest ${digest} has no tag list`);
        }
        const uploaded = entry['timeUploadedMs'];
        if (typeof uploaded !== 'string' || !/^\d{1,15}$/.test(uploaded)) {
          throw new ListingUnusable(
            `${NAME}: timeUploadedMs ${JSON.stringify(uploaded)} of ${digest} is not milliseconds`,
          );
        }
        for (const tag of entry['tag'] as unknown[]) {
          if (typeof tag === 'string') tags.push({ tag, pushedAt: Number(uploaded), digest });
        }
      }
      target = nextTarget(response.headers['link']);
    }
    return tags;
  },
};

function nextTarget(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(header);
  return match?.[1];
}
