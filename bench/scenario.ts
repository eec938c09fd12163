/**
 * One benchmark scenario: some images with some tags in the real registry, and the command-line
 * entry run cold (empty cache directory), warm (the cold run's cache, after new pushes) and for a
 * repository_dispatch of one new tag, next to skopeo and the raw 32-way client on the same data.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { RequestCounts, RunningRegistry } from '../__tests__/harness/registry/index.js';
import {
  measureNodeCommand,
  measureNodeStart,
  measureProcess,
  spread,
  type Spread,
} from './measure.js';
import { resolveNewestRaw } from './raw-client.js';
import type { RepositoryTags } from './tags.js';

export interface ScenarioPlan {
  readonly name: string;
  readonly repositories: readonly RepositoryTags[];
  readonly tagsPerImage: number;
  readonly newTagsPerImage: number;
  readonly repeats: number;
  /** Tags of the first image that `skopeo inspect` is run on, one by one. */
  readonly inspectSample: number;
}

export interface BenchEnvironment {
  readonly registry: RunningRegistry;
  readonly cli: string;
  readonly workDirectory: string;
  readonly pushConcurrency: number;
  readonly cliTimeoutMs: number;
  readonly log: (line: string) => void;
}

export interface CliRun {
  readonly wallMs: number;
  readonly maxRssKb: number | undefined;
  /** What the registry served, from its access log. */
  readonly registryRequests: number;
  readonly registryByKind: Readonly<Record<string, number>>;
  readonly registryByStatus: Readonly<Record<number, number>>;
  /** The CLI's own count: the sum of `registryUsage[*].requests` in its JSON report. */
  readonly cliRequests: number | undefined;
  /** Why the run does not count as a correct resolve; undefined when it does. */
  readonly problem: string | undefined;
  /** The CLI's log (kept only for the `--verbose` diagnosis run). */
  readonly stderr?: string;
}

/**
 * Why a cold run made more requests than the minimum, from one extra `--verbose` run: the
 * retries it logged by cause, and the paths it fetched more than once.
 */
export interface ExcessDiagnosis {
  readonly minimum: number;
  readonly registryRequests: number;
  readonly cliRequests: number | undefined;
  readonly retriesByCause: Readonly<Record<string, number>>;
  readonly repeatedPathsByKind: Readonly<Record<string, number>>;
  readonly wallMs: number;
}

export interface RunSeries {
  readonly runs: readonly CliRun[];
  readonly wall: Spread;
  readonly maxRssKb: number | undefined;
  readonly registryRequests: Spread;
  readonly cliRequests: Spread;
  readonly problems: readonly string[];
}

export interface SkopeoFigures {
  readonly listTags: Spread;
  readonly listTagsRequests: number;
  readonly inspectPerTagMs: number;
  readonly inspectSampled: number;
  readonly inspectTotalTags: number;
  /** Per-tag mean × every tag of every image; exact when every tag was inspected. */
  readonly inspectAllMs: number;
  readonly inspectRequestsPerTag: number;
}

export interface RawFigures {
  readonly wall: Spread;
  readonly requests: number;
  readonly registryRequests: number;
  readonly problem: string | undefined;
}

export interface ScenarioResult {
  readonly name: string;
  readonly images: number;
  readonly tagsPerImage: number;
  readonly newTagsPerImage: number;
  readonly repeats: number;
  readonly pushSeconds: number;
  readonly nodeStart: Spread;
  /** `node <cli> --help`: loading the bundle, no registry work (compile cache primed). */
  readonly cliLoad: { readonly wall: Spread; readonly maxRssKb: number | undefined };
  /** The same with Node's compile cache off: the first run on a machine. */
  readonly cliLoadUncached: { readonly wall: Spread; readonly maxRssKb: number | undefined };
  readonly skopeo: SkopeoFigures;
  readonly raw: RawFigures;
  readonly cold: RunSeries;
  readonly warm: RunSeries;
  readonly dispatch: RunSeries;
  /** Present when the cold runs made more requests than tag lists + manifest + config per tag. */
  readonly coldExcess: ExcessDiagnosis | undefined;
}

const SKOPEO_TIMEOUT_MS = 120_000;

function imageReference(env: BenchEnvironment, repository: string): string {
  return `${env.registry.host}/${repository}`;
}

function alias(index: number): string {
  return `img${index}`;
}

/** Pushes history tags until every repository holds `count`. */
async function fillRepositories(plan: ScenarioPlan, env: BenchEnvironment): Promise<number> {
  const started = performance.now();
  for (const repository of plan.repositories) {
    const missing = plan.tagsPerImage - repository.size;
    if (missing <= 0) continue;
    const images = repository
      .history(missing)
      .map(({ tag, created }) => ({ tag, image: { created } }));
    // History is written straight into the registry's storage (identical files to an HTTP
    // push, see the harness's seed test); the new tags of each scenario are pushed over HTTP.
    await env.registry.seed(repository.repository, images);
  }
  return (performance.now() - started) / 1000;
}

function totalRequests(counts: RequestCounts): number {
  return counts.total;
}

interface CliReport {
  decisions?: { alias?: string; chosen?: string }[];
  errors?: { message?: string }[];
  registryUsage?: Record<string, { requests?: number }>;
}

/** Runs the CLI once in fresh copies of the chart and cache directories. */
async function runCli(
  env: BenchEnvironment,
  plan: ScenarioPlan,
  start: { chart: string | undefined; cache: string | undefined },
  extraArgs: readonly string[],
  expected: ReadonlyMap<string, string>,
  keep?: { chart: string; cache: string },
  keepLog = false,
): Promise<CliRun> {
  const runDirectory = await mkdtemp(path.join(env.workDirectory, 'run-'));
  const chart = keep?.chart ?? path.join(runDirectory, 'chart');
  const cache = keep?.cache ?? path.join(runDirectory, 'cache');
  try {
    if (start.chart) await cp(start.chart, chart, { recursive: true });
    else await mkdir(chart, { recursive: true });
    if (start.cache) await cp(start.cache, cache, { recursive: true });
    const images = plan.repositories
      .map((repository, index) => `${alias(index)}=${imageReference(env, repository.repository)}`)
      .join(',');
    const args = [
      env.cli,
      '--dir',
      chart,
      '--cache-dir',
      cache,
      '--json',
      '--images',
      images,
      '--app-name',
      'bench',
      '--insecure-registries',
      env.registry.host,
      // The default budget (5 000) is below a cold 5 000-tag resolve; the bench measures the resolve.
      '--request-budget',
      '1000000',
      ...extraArgs,
    ];
    await env.registry.resetRequestCounts();
    const measured = await measureProcess(process.execPath, args, {
      timeoutMs: env.cliTimeoutMs,
      rss: true,
    });
    const counts = await env.registry.requestCounts();
    let report: CliReport | undefined;
    try {
      report = JSON.parse(measured.stdout) as CliReport;
    } catch {
      report = undefined;
    }
    const cliRequests = report?.registryUsage
      ? Object.values(report.registryUsage).reduce((sum, usage) => sum + (usage.requests ?? 0), 0)
      : undefined;
    return {
      wallMs: measured.wallMs,
      maxRssKb: measured.maxRssKb,
      registryRequests: totalRequests(counts),
      registryByKind: counts.byKind,
      registryByStatus: counts.byStatus,
      cliRequests,
      problem: cliProblem(measured, report, expected),
      ...(keepLog ? { stderr: measured.stderr } : {}),
    };
  } finally {
    if (!keep) await rm(runDirectory, { recursive: true, force: true });
  }
}

function cliProblem(
  measured: Awaited<ReturnType<typeof measureProcess>>,
  report: CliReport | undefined,
  expected: ReadonlyMap<string, string>,
): string | undefined {
  const stderrTail = measured.stderr.trim().split('\n').slice(-3).join(' | ');
  if (measured.timedOut) return `timed out; stderr: ${stderrTail}`;
  if (!report) {
    return `exit ${measured.exitCode}, no JSON on stdout; stderr: ${stderrTail || '(empty)'}`;
  }
  const errors = (report.errors ?? []).map((error) => error.message ?? '?');
  if (measured.exitCode !== 0 || errors.length > 0) {
    return `exit ${measured.exitCode}: ${errors.join('; ') || stderrTail}`;
  }
  for (const [image, tag] of expected) {
    const decision = report.decisions?.find((entry) => entry.alias === image);
    if (decision?.chosen !== tag) {
      return `${image}: chose ${decision?.chosen ?? '(nothing)'}, the newest build is ${tag}`;
    }
  }
  return undefined;
}

function series(runs: readonly CliRun[]): RunSeries {
  const rss = runs.map((run) => run.maxRssKb).filter((value) => value !== undefined);
  return {
    runs,
    wall: spread(runs.map((run) => run.wallMs)),
    maxRssKb: rss.length === 0 ? undefined : Math.max(...rss),
    registryRequests: spread(runs.map((run) => run.registryRequests)),
    cliRequests: spread(runs.map((run) => run.cliRequests).filter((value) => value !== undefined)),
    problems: [...new Set(runs.map((run) => run.problem).filter((value) => value !== undefined))],
  };
}

function newestByAlias(plan: ScenarioPlan): Map<string, string> {
  return new Map(
    plan.repositories.map((repository, index) => [alias(index), repository.newest().tag]),
  );
}

async function measureSkopeo(plan: ScenarioPlan, env: BenchEnvironment): Promise<SkopeoFigures> {
  const listSamples: number[] = [];
  let listTagsRequests = 0;
  for (let run = 0; run < plan.repeats; run++) {
    await env.registry.resetRequestCounts();
    const started = performance.now();
    // One image after the other, as a script looping over the images would.
    for (const repository of plan.repositories) {
      const measured = await measureProcess(
        'skopeo',
        [
          'list-tags',
          '--tls-verify=false',
          `docker://${imageReference(env, repository.repository)}`,
        ],
        { timeoutMs: SKOPEO_TIMEOUT_MS },
      );
      if (measured.exitCode !== 0) {
        throw new Error(`skopeo list-tags failed: ${measured.stderr.trim()}`);
      }
    }
    listSamples.push(performance.now() - started);
    listTagsRequests = totalRequests(await env.registry.requestCounts());
  }

  const first = plan.repositories[0];
  if (!first) throw new Error(`scenario ${plan.name} has no image`);
  const sample = first.tags().slice(0, plan.inspectSample);
  await env.registry.resetRequestCounts();
  const started = performance.now();
  for (const tag of sample) {
    const measured = await measureProcess(
      'skopeo',
      [
        'inspect',
        '--no-tags',
        '--tls-verify=false',
        `docker://${imageReference(env, first.repository)}:${tag}`,
      ],
      { timeoutMs: SKOPEO_TIMEOUT_MS },
    );
    if (measured.exitCode !== 0) {
      throw new Error(`skopeo inspect ${tag} failed: ${measured.stderr.trim()}`);
    }
  }
  const inspectMs = performance.now() - started;
  const inspectRequests = totalRequests(await env.registry.requestCounts());
  const totalTags = plan.repositories.reduce((sum, repository) => sum + repository.size, 0);
  const perTag = inspectMs / Math.max(1, sample.length);
  return {
    listTags: spread(listSamples),
    listTagsRequests,
    inspectPerTagMs: perTag,
    inspectSampled: sample.length,
    inspectTotalTags: totalTags,
    inspectAllMs: perTag * totalTags,
    inspectRequestsPerTag: inspectRequests / Math.max(1, sample.length),
  };
}

async function measureRaw(plan: ScenarioPlan, env: BenchEnvironment): Promise<RawFigures> {
  const expected = new Map(
    plan.repositories.map((repository) => [repository.repository, repository.newest().tag]),
  );
  const samples: number[] = [];
  let requests = 0;
  let registryRequests = 0;
  let problem: string | undefined;
  for (let run = 0; run < plan.repeats; run++) {
    await env.registry.resetRequestCounts();
    const result = await resolveNewestRaw(
      env.registry.url,
      plan.repositories.map((repository) => repository.repository),
      { connections: 32, platform: 'linux/amd64' },
    );
    registryRequests = totalRequests(await env.registry.requestCounts());
    samples.push(result.wallMs);
    requests = result.requests;
    for (const [repository, tag] of expected) {
      const found = result.newest.get(repository)?.tag;
      if (found !== tag)
        problem ??= `${repository}: raw client found ${found ?? '(nothing)'}, expected ${tag}`;
    }
  }
  return { wall: spread(samples), requests, registryRequests, problem };
}

export async function runScenario(
  plan: ScenarioPlan,
  env: BenchEnvironment,
): Promise<ScenarioResult> {
  const { log } = env;
  log(`── ${plan.name}: pushing to ${plan.tagsPerImage} tags per image`);
  const pushSeconds = await fillRepositories(plan, env);
  log(`   pushed in ${pushSeconds.toFixed(1)} s`);

  const nodeStart = await measureNodeStart(5);
  const cliLoad = await measureNodeCommand([env.cli, '--help'], 5);
  const cliLoadUncached = await measureNodeCommand([env.cli, '--help'], 5, {
    ...process.env,
    NODE_DISABLE_COMPILE_CACHE: '1',
  });
  log(
    `   node -e 0: ${nodeStart.median.toFixed(0)} ms; cli --help: ${cliLoad.wall.median.toFixed(0)} ms (${cliLoadUncached.wall.median.toFixed(0)} ms without the compile cache)`,
  );
  const skopeo = await measureSkopeo(plan, env);
  log(
    `   skopeo list-tags: ${skopeo.listTags.median.toFixed(0)} ms; inspect ${skopeo.inspectPerTagMs.toFixed(0)} ms/tag`,
  );
  const raw = await measureRaw(plan, env);
  log(`   raw 32-way client: ${raw.wall.median.toFixed(0)} ms, ${raw.requests} requests`);

  // Cold: empty cache every time; the first run's chart and cache are the warm runs' start.
  const template = await mkdtemp(path.join(env.workDirectory, 'template-'));
  const kept = { chart: path.join(template, 'chart'), cache: path.join(template, 'cache') };
  const coldExpected = newestByAlias(plan);
  const coldRuns: CliRun[] = [];
  for (let run = 0; run < plan.repeats; run++) {
    coldRuns.push(
      await runCli(
        env,
        plan,
        { chart: undefined, cache: undefined },
        [],
        coldExpected,
        run === 0 ? kept : undefined,
      ),
    );
  }
  const cold = series(coldRuns);
  // The minimum: /v2/ once, a tag list per image, manifest + config per distinct image.
  const minimum = 1 + raw.registryRequests;
  let coldExcess: ExcessDiagnosis | undefined;
  if (cold.registryRequests.max > minimum) {
    log(`   cold runs made more than the ${minimum} requests needed; one --verbose run to see why`);
    const verbose = await runCli(
      env,
      plan,
      { chart: undefined, cache: undefined },
      ['--verbose'],
      coldExpected,
      undefined,
      true,
    );
    coldExcess = diagnoseExcess(verbose, minimum);
  }
  log(
    `   cold: ${cold.wall.median.toFixed(0)} ms, ${cold.registryRequests.median} requests ${cold.problems.join('; ')}`,
  );

  const newTags: string[] = [];
  for (const repository of plan.repositories) {
    const fresh = repository.newer(plan.newTagsPerImage);
    await env.registry.pushMany(
      repository.repository,
      fresh.map(({ tag, created }) => ({ tag, image: { created } })),
      env.pushConcurrency,
    );
    newTags.push(repository.newest().tag);
  }

  const warmExpected = newestByAlias(plan);
  const warmRuns: CliRun[] = [];
  for (let run = 0; run < plan.repeats; run++) {
    warmRuns.push(await runCli(env, plan, kept, [], warmExpected));
  }
  const warm = series(warmRuns);
  log(
    `   warm: ${warm.wall.median.toFixed(0)} ms, ${warm.registryRequests.median} requests ${warm.problems.join('; ')}`,
  );

  const first = plan.repositories[0];
  const dispatchTag = newTags[0];
  if (!first || dispatchTag === undefined) throw new Error(`scenario ${plan.name} has no image`);
  const eventFile = path.join(template, 'event.json');
  await writeFile(
    eventFile,
    JSON.stringify({
      action: 'image-pushed',
      client_payload: { image: imageReference(env, first.repository), tag: dispatchTag },
    }),
  );
  const dispatchRuns: CliRun[] = [];
  for (let run = 0; run < plan.repeats; run++) {
    dispatchRuns.push(
      await runCli(
        env,
        plan,
        kept,
        ['--event-name', 'repository_dispatch', '--event-path', eventFile],
        new Map([[alias(0), dispatchTag]]),
      ),
    );
  }
  const dispatch = series(dispatchRuns);
  log(
    `   dispatch: ${dispatch.wall.median.toFixed(0)} ms, ${dispatch.registryRequests.median} requests ${dispatch.problems.join('; ')}`,
  );
  await rm(template, { recursive: true, force: true });

  return {
    name: plan.name,
    images: plan.repositories.length,
    tagsPerImage: plan.tagsPerImage,
    newTagsPerImage: plan.newTagsPerImage,
    repeats: plan.repeats,
    pushSeconds,
    nodeStart,
    cliLoad,
    cliLoadUncached,
    skopeo,
    raw,
    cold,
    warm,
    dispatch,
    coldExcess,
  };
}

/** Reads the `--verbose` log: `debug: GET host/path → 200 (…)` and `…: <cause>; retry 1 of 3 in … ms`. */
export function diagnoseExcess(run: CliRun, minimum: number): ExcessDiagnosis {
  const retriesByCause: Record<string, number> = {};
  const fetched = new Map<string, number>();
  for (const line of (run.stderr ?? '').split('\n')) {
    const retry = /^debug: (\S+) \S+?(\/v2\/\S*): (.+); retry \d+ of \d+ in \d+ ms$/.exec(line);
    if (retry?.[3] !== undefined) {
      const cause = retry[3].replace(/Retry-After \d+ s/, 'Retry-After N s');
      retriesByCause[cause] = (retriesByCause[cause] ?? 0) + 1;
      continue;
    }
    const answered = /^debug: (GET|HEAD) \S+?(\/v2\/\S*) → \d+/.exec(line);
    if (answered?.[1] !== undefined && answered[2] !== undefined) {
      const key = `${answered[1]} ${answered[2]}`;
      fetched.set(key, (fetched.get(key) ?? 0) + 1);
    }
  }
  const repeatedPathsByKind: Record<string, number> = {};
  for (const [key, times] of fetched) {
    if (times < 2) continue;
    const kind = /\/blobs\//.test(key)
      ? 'blob'
      : /\/manifests\//.test(key)
        ? 'manifest'
        : /\/tags\/list$/.test(key)
          ? 'tags'
          : 'other';
    const label = `${key.split(' ')[0] ?? ''} ${kind}`;
    repeatedPathsByKind[label] = (repeatedPathsByKind[label] ?? 0) + times - 1;
  }
  return {
    minimum,
    registryRequests: run.registryRequests,
    cliRequests: run.cliRequests,
    retriesByCause,
    repeatedPathsByKind,
    wallMs: run.wallMs,
  };
}

/** A scratch directory for one bench run (tmpfs when there is one, like the registry's data). */
export async function createWorkDirectory(): Promise<string> {
  const base = process.platform === 'linux' ? '/dev/shm' : os.tmpdir();
  try {
    return await mkdtemp(path.join(base, 'helm-image-updater-bench-'));
  } catch {
    return mkdtemp(path.join(os.tmpdir(), 'helm-image-updater-bench-'));
  }
}
