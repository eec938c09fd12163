/**
 * The baseline: the fewest requests a cold newest-build resolve can make, with nothing but undici
 * and 32 requests in flight. Tag list, then per tag the manifest (the index child for a
 * multi-arch image) and the config, then the newest `created` wins. No auth, retries, cache or
 * filtering: a lower bound for what the action does on a cold run.
 */
import { Pool } from 'undici';

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');
const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
const REQUEST_TIMEOUT_MS = 30_000;

export interface RawResolveResult {
  /** Newest tag by build date, per repository. */
  readonly newest: ReadonlyMap<string, { tag: string; created: string }>;
  readonly requests: number;
  readonly bytes: number;
  readonly wallMs: number;
}

interface ManifestJson {
  mediaType?: string;
  config?: { digest?: string };
  manifests?: { digest?: string; platform?: { os?: string; architecture?: string } }[];
}

export async function resolveNewestRaw(
  baseUrl: string,
  repositories: readonly string[],
  options: { connections: number; platform: string },
): Promise<RawResolveResult> {
  const pool = new Pool(baseUrl, { connections: options.connections, pipelining: 1 });
  let requests = 0;
  let bytes = 0;
  const getJson = async <T>(path: string, accept?: string): Promise<{ body: T; type: string }> => {
    requests++;
    const response = await pool.request({
      method: 'GET',
      path,
      headers: accept ? { accept } : {},
      headersTimeout: REQUEST_TIMEOUT_MS,
      bodyTimeout: REQUEST_TIMEOUT_MS,
    });
    const text = await response.body.text();
    bytes += Buffer.byteLength(text);
    if (response.statusCode !== 200) {
      throw new Error(
        `GET ${baseUrl}${path} answered ${response.statusCode}: ${text.slice(0, 200)}`,
      );
    }
    const type = response.headers['content-type'];
    return { body: JSON.parse(text) as T, type: typeof type === 'string' ? type : '' };
  };

  const [wantedOs, wantedArchitecture] = options.platform.split('/');
  const started = performance.now();
  try {
    const newest = new Map<string, { tag: string; created: string }>();
    const work: { repository: string; tag: string }[] = [];
    await Promise.all(
      repositories.map(async (repository) => {
        const list = await getJson<{ tags?: string[] | null }>(`/v2/${repository}/tags/list`);
        for (const tag of list.body.tags ?? []) work.push({ repository, tag });
      }),
    );

    const createdOf = async (repository: string, tag: string): Promise<string | undefined> => {
      const manifest = await getJson<ManifestJson>(
        `/v2/${repository}/manifests/${tag}`,
        MANIFEST_ACCEPT,
      );
      let image = manifest.body;
      if (INDEX_TYPES.has(image.mediaType ?? manifest.type)) {
        const child = image.manifests?.find(
          (entry) =>
            entry.platform?.os === wantedOs && entry.platform?.architecture === wantedArchitecture,
        );
        if (!child?.digest) return undefined;
        image = (
          await getJson<ManifestJson>(
            `/v2/${repository}/manifests/${child.digest}`,
            MANIFEST_ACCEPT,
          )
        ).body;
      }
      if (!image.config?.digest) return undefined;
      const config = await getJson<{ created?: string }>(
        `/v2/${repository}/blobs/${image.config.digest}`,
      );
      return config.body.created;
    };

    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < work.length) {
        const item = work[next++];
        if (!item) continue;
        const created = await createdOf(item.repository, item.tag);
        if (created === undefined) continue;
        const best = newest.get(item.repository);
        if (!best || Date.parse(created) > Date.parse(best.created)) {
          newest.set(item.repository, { tag: item.tag, created });
        }
      }
    };
    await Promise.all(Array.from({ length: options.connections }, worker));
    return { newest, requests, bytes, wallMs: performance.now() - started };
  } finally {
    await pool.close();
  }
}
