/**
 * Pulls of a cold newest-build run through Docker Hub's tag listing: a Docker-Hub-shaped listing
 * on 127.0.0.1 (the test harness's, checked against Docker Hub's published OpenAPI description)
 * with 2 000 tags, beside the real registry that serves their manifests and configs. The same
 * resolve runs with listings on and off (every tag read); both must choose the newest build.
 *
 * In-process: the production listing URL (https://hub.docker.com) is fixed, so the command-line
 * bundle cannot be pointed at a local listing; the client and resolver are the ones it bundles.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../src/core/logging.js';
import { resolveImage } from '../src/job/resolve.js';
import { createRegistryClient } from '../src/registry/client.js';
import type { ImageReference } from '../src/registry/types.js';
import {
  startDockerHubListing,
  type DockerHubListing,
  type HubTag,
} from '../__tests__/harness/listings/docker-hub-server.js';
import type { RunningRegistry } from '../__tests__/harness/registry/index.js';
import { seededRandom } from '../__tests__/harness/seeded-random.js';

const TAGS = 2000;
const REPOSITORY = 'bench/hub';
const MINUTE = 60_000;
const START = Date.parse('2026-01-01T00:00:00Z');
const BEGIN = '<!-- hub-listing:begin -->';
const END = '<!-- hub-listing:end -->';

interface RunFigures {
  readonly chosen: string | undefined;
  readonly listingRequests: number;
  readonly manifestGets: number;
  readonly blobGets: number;
  readonly tagListGets: number;
  readonly registryRequests: number;
  readonly wallMs: number;
}

export interface HubListingResult {
  readonly tags: number;
  readonly expected: string;
  readonly listed: RunFigures;
  readonly listedWithCurrent: RunFigures;
  readonly scanned: RunFigures;
  readonly repeats: number;
}

/** CI-like history: builds 10–120 minutes apart, each pushed 1–10 minutes after it was built. */
function history(): { tags: HubTag[]; created: Date[]; expected: string; older: string } {
  const random = seededRandom(0x4b5);
  const tags: HubTag[] = [];
  const created: Date[] = [];
  let time = START;
  const names = new Set<string>();
  while (names.size < TAGS) {
    names.add(
      `main-${Math.floor(random() * 0x10000000)
        .toString(16)
        .padStart(7, '0')}`,
    );
  }
  for (const name of names) {
    time += (10 + Math.floor(random() * 110)) * MINUTE;
    created.push(new Date(time));
    tags.push({
      name,
      pushedAt: new Date(time + (1 + Math.floor(random() * 9)) * MINUTE),
      digest: '',
    });
  }
  const expected = tags[tags.length - 1]?.name ?? '';
  const older = tags[Math.floor(TAGS / 2)]?.name ?? '';
  return { tags, created, expected, older };
}

async function resolveOnce(
  registry: RunningRegistry,
  hub: DockerHubListing,
  listings: boolean,
  current: string | undefined,
): Promise<RunFigures> {
  const client = createRegistryClient({
    settings: {
      credentials: [],
      caCertificates: undefined,
      insecureRegistries: [registry.host],
      concurrency: 8,
      requestBudget: 1_000_000,
      timeoutMs: 30_000,
      cache: false,
      listings,
    },
    logger: silentLogger,
    listingBaseUrls: { dockerHub: hub.url },
  });
  const reference: ImageReference = {
    registry: 'docker.io',
    host: registry.host,
    repository: REPOSITORY,
    tag: undefined,
    digest: undefined,
    original: `docker.io/${REPOSITORY}`,
  };
  await registry.resetRequestCounts();
  const hubBefore = hub.requests.length;
  const started = performance.now();
  try {
    const decision = await resolveImage({
      image: {
        alias: 'hub',
        repository: `docker.io/${REPOSITORY}`,
        policy: {
          strategy: 'newest-build',
          constraint: undefined,
          allowTags: { kind: 'any' },
          ignoreTags: [],
          platforms: ['linux/amd64'],
          allowDowngrade: false,
          minAgeSeconds: 0,
        },
        helm: { imageName: 'hub.image', imageTag: 'hub.tag', imageSpec: undefined },
      },
      reference,
      current,
      client,
      logger: silentLogger,
      now: () => new Date(),
    });
    const wallMs = performance.now() - started;
    const counts = await registry.requestCounts();
    return {
      chosen: decision.chosen,
      listingRequests: hub.requests.length - hubBefore,
      manifestGets: counts.byKind['GET manifest'] ?? 0,
      blobGets: counts.byKind['GET blob'] ?? 0,
      tagListGets: counts.byKind['GET tags'] ?? 0,
      registryRequests: counts.total,
      wallMs,
    };
  } finally {
    await client.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function measure(repeats: number, run: () => Promise<RunFigures>): Promise<RunFigures> {
  const runs: RunFigures[] = [];
  for (let index = 0; index < repeats; index += 1) runs.push(await run());
  const first = runs[0] as RunFigures;
  for (const other of runs) {
    if (other.chosen !== first.chosen || other.manifestGets !== first.manifestGets) {
      throw new Error('repeated runs disagree: the walk is not deterministic');
    }
  }
  return { ...first, wallMs: median(runs.map((figures) => figures.wallMs)) };
}

export async function runHubListingBench(
  registry: RunningRegistry,
  repeats: number,
  log: (line: string) => void,
): Promise<HubListingResult> {
  const hub = await startDockerHubListing();
  try {
    const { tags, created, expected, older } = history();
    const pushed = await registry.seed(
      REPOSITORY,
      tags.map((tag, index) => ({ tag: tag.name, image: { created: created[index] ?? null } })),
    );
    hub.setTags(
      REPOSITORY,
      tags.map((tag, index) => ({ ...tag, digest: pushed[index]?.digest ?? '' })),
    );
    const listed = await measure(repeats, () => resolveOnce(registry, hub, true, undefined));
    const listedWithCurrent = await measure(repeats, () => resolveOnce(registry, hub, true, older));
    const scanned = await measure(repeats, () => resolveOnce(registry, hub, false, undefined));
    for (const [name, figures] of [
      ['listing', listed],
      ['listing, with a current tag', listedWithCurrent],
      ['full scan', scanned],
    ] as const) {
      if (figures.chosen !== expected) {
        throw new Error(
          `${name} chose ${String(figures.chosen)}, not the newest build ${expected}`,
        );
      }
    }
    if (hub.violations.length > 0) {
      throw new Error(`the listing left its published description: ${hub.violations.join('; ')}`);
    }
    log(
      `hub listing, 1 × ${TAGS}: ${listed.listingRequests} listing requests, ${listed.manifestGets} manifest GETs ` +
        `(full scan ${scanned.manifestGets}); ${listed.wallMs.toFixed(0)} ms vs ${scanned.wallMs.toFixed(0)} ms`,
    );
    return { tags: TAGS, expected, listed, listedWithCurrent, scanned, repeats };
  } finally {
    await hub.close();
  }
}

function row(name: string, figures: RunFigures): string {
  return `| ${name} | ${figures.chosen ?? '—'} | ${figures.listingRequests} | ${figures.manifestGets} | ${figures.blobGets} | ${figures.tagListGets} | ${figures.registryRequests} | ${figures.wallMs.toFixed(0)} ms |`;
}

export function renderHubListing(result: HubListingResult, command: string): string {
  const { listed } = result;
  const verdict = (met: boolean): string => (met ? '**met**' : '**not met**');
  return [
    BEGIN,
    '## Docker Hub: a cold newest-build run through the tag listing',
    '',
    `Command: \`${command}\`. One image with ${result.tags.toLocaleString('en-US').replace(',', ' ')} tags \`main-<7 hex>\`, built 10–120 minutes apart and each pushed 1–10 minutes after its build (seeded). ` +
      "The listing is the harness's Docker-Hub-shaped server on 127.0.0.1, every request and answer checked against Docker Hub's published OpenAPI description; " +
      'manifests and configs come from the real registry (its access log counts them). In-process (client and resolver of the bundle, no process start-up): ' +
      `the production listing URL cannot be pointed elsewhere. Wall times are medians of ${result.repeats}. Docker Hub counts each manifest GET as a pull; listing requests and blob GETs are not pulls.`,
    '',
    '| target | figure | verdict |',
    '|---|---|---|',
    `| Cold run, 2 000 tags: ≤ 25 listing requests | ${listed.listingRequests} | ${verdict(listed.listingRequests <= 25)} |`,
    `| Cold run, 2 000 tags: ≤ 5 manifest GETs | ${listed.manifestGets} (${result.listedWithCurrent.manifestGets} when the chart already holds an older tag) | ${verdict(listed.manifestGets <= 5)} |`,
    `| Chooses the same tag as the full scan | ${listed.chosen ?? '—'} = ${result.scanned.chosen ?? '—'} | ${verdict(listed.chosen === result.scanned.chosen)} |`,
    '',
    '| run | chosen | listing requests | manifest GETs (pulls) | blob GETs | tag-list GETs | registry requests | wall time |',
    '|---|---|---|---|---|---|---|---|',
    row('listing, nothing written yet', listed),
    row('listing, chart holds an older tag', result.listedWithCurrent),
    row('full scan (`registry-listings: false`)', result.scanned),
    END,
  ].join('\n');
}

/** Replaces the section between the markers in the results file (or appends it). */
export async function writeHubListingSection(file: string, section: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = '# Benchmark results\n';
  }
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next =
    begin >= 0 && end > begin
      ? `${text.slice(0, begin)}${section}${text.slice(end + END.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}

/** The section a previous `--hub-listing` run wrote, if any. */
export async function readHubListingSection(file: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  const begin = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  return begin >= 0 && end > begin ? text.slice(begin, end + END.length) : undefined;
}
