import { RegistryError } from '../core/errors.js';
import type { Logger } from '../core/logging.js';
import type { HttpResponse } from './http.js';
import type { RegistryTransport } from './transport.js';
import type { ImageReference } from './types.js';

export interface TagListOptions {
  /** `n` asked for per page; registries may answer with fewer and a `Link`. */
  readonly pageSize: number;
  /** Pages followed at most; a repository with more is listed partially, with a warning. */
  readonly maxPages: number;
}

export const DEFAULT_TAG_LIST_OPTIONS: TagListOptions = { pageSize: 1000, maxPages: 100 };

const TAG_PAGE_LIMIT = 16 * 1024 * 1024;

/** One entry of a `Link` header (RFC 8288). */
export interface LinkValue {
  readonly target: string;
  /** Lower-cased relation types. */
  readonly rel: readonly string[];
}

/** Parses `<url>; rel="next", <url2>; rel=prev`; a comma inside `<…>` or quotes does not split. */
export function parseLinkHeader(header: string): LinkValue[] {
  const links: LinkValue[] = [];
  let position = 0;
  while (position < header.length) {
    const open = header.indexOf('<', position);
    if (open < 0) break;
    const close = header.indexOf('>', open);
    if (close < 0) break;
    const target = header.slice(open + 1, close).trim();
    // Parameters run to the next comma outside quotes.
    let end = close + 1;
    let quoted = false;
    while (end < header.length && (quoted || header[end] !== ',')) {
      if (header[end] === '"') quoted = !quoted;
      end += 1;
    }
    const parameters = header.slice(close + 1, end);
    const relMatch = /;\s*rel\s*=\s*(?:"([^"]*)"|([^;\s,]+))/i.exec(parameters);
    const rel = (relMatch?.[1] ?? relMatch?.[2] ?? '')
      .toLowerCase()
      .split(/\s+/)
      .filter((value) => value.length > 0);
    links.push({ target, rel });
    position = end + 1;
  }
  return links;
}

/** The `rel="next"` target of a Link header, resolved against the URL that sent it. */
export function nextPageUrl(linkHeader: string | undefined, current: URL): URL | undefined {
  if (linkHeader === undefined) return undefined;
  const next = parseLinkHeader(linkHeader).find((link) => link.rel.includes('next'));
  if (!next) return undefined;
  try {
    return new URL(next.target, current);
  } catch {
    return undefined;
  }
}

/**
 * Every tag of a repository: `GET /v2/<name>/tags/list?n=<page>`, then `Link: rel="next"` pages
 * while they stay on the registry's own host (a link elsewhere is refused with a warning and is
 * never sent credentials), up to the page cap.
 */
export async function listTags(
  transport: RegistryTransport,
  image: ImageReference,
  logger: Logger,
  options: TagListOptions = DEFAULT_TAG_LIST_OPTIONS,
): Promise<string[]> {
  const origin = new URL(await transport.origin(image));
  const tags: string[] = [];
  const seenPages = new Set<string>();
  let url: URL | undefined = new URL(
    `/v2/${image.repository}/tags/list?n=${options.pageSize}`,
    origin,
  );
  for (let page = 1; url !== undefined; page += 1) {
    if (page > options.maxPages) {
      logger.warning(
        `${image.original}: stopped listing tags after ${options.maxPages} pages (${tags.length} tags); newer tags may be missing. Delete old tags or narrow the repository`,
      );
      break;
    }
    seenPages.add(url.href);
    const request = {
      image,
      method: 'GET',
      accept: ['application/json'],
      maxBytes: TAG_PAGE_LIMIT,
      subject: 'the repository',
    } as const;
    let response: HttpResponse;
    try {
      response = await transport.send({ ...request, target: url });
    } catch (error) {
      // A registry with a lower page maximum answers 400 PAGINATION_NUMBER_INVALID (distribution 3):
      // ask again without `n` and let it choose, following its Link pages.
      if (page !== 1 || !(error instanceof RegistryError) || error.details.status !== 400)
        throw error;
      logger.debug(
        `${image.original}: n=${options.pageSize} refused; listing with the registry's page size`,
      );
      url = new URL(`/v2/${image.repository}/tags/list`, origin);
      seenPages.add(url.href);
      response = await transport.send({ ...request, target: url });
    }
    tags.push(...readTagPage(image, url, response.body));
    const next = nextPageUrl(response.headers['link'], response.url);
    if (next === undefined) break;
    if (next.host !== origin.host || next.protocol !== origin.protocol) {
      logger.warning(
        `${image.original}: the tag list links its next page to another host (${next.host}); not followed, so credentials stay with ${origin.host}. Listed ${tags.length} tags`,
      );
      break;
    }
    if (seenPages.has(next.href)) {
      logger.warning(
        `${image.original}: the tag list links back to a page already read; stopped at ${tags.length} tags`,
      );
      break;
    }
    logger.debug(`${image.original}: tag page ${page + 1} at ${next.pathname}${next.search}`);
    url = next;
  }
  return [...new Set(tags)];
}

function readTagPage(image: ImageReference, url: URL, body: Buffer): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new RegistryError(
      `${image.original}: the tag list at ${url.pathname} is not valid JSON`,
      {
        image: image.original,
        path: url.pathname,
      },
    );
  }
  const tags =
    typeof parsed === 'object' && parsed !== null ? (parsed as { tags?: unknown }).tags : undefined;
  // A repository without tags answers `"tags": null` on some registries.
  if (tags === null || tags === undefined) return [];
  if (!Array.isArray(tags)) {
    throw new RegistryError(
      `${image.original}: the tag list at ${url.pathname} has no "tags" array`,
      {
        image: image.original,
        path: url.pathname,
      },
    );
  }
  return tags.filter((tag): tag is string => typeof tag === 'string');
}
