/**
 * `npm run bench`: the bundled command-line entry against a real registry on 127.0.0.1, cold,
 * warm and on a repository_dispatch, next to skopeo and a raw 32-way client; writes
 * bench/results.md. See bench/README.md.
 */
import { execFile } from 'node:child_process';
import { cp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { startRegistry } from '../__tests__/harness/registry/index.js';
import {
  readHubListingSection,
  renderHubListing,
  runHubListingBench,
  writeHubListingSection,
} from './hub-listing.js';
import {
  readGitHubRequestsSection,
  runGitHubRequestsBench,
  writeGitHubRequestsSection,
} from './github-requests.js';
import { rssMethod } from './measure.js';
import { evaluateTargets, renderResults, type BenchRun } from './report.js';
import {
  createWorkDirectory,
  runScenario,
  type ScenarioPlan,
  type ScenarioResult,
} from './scenario.js';
import {
  measureActionStartup,
  measureInstalledLoad,
  type InstalledLoadResult,
  type StartupResult,
} from './startup.js';
import { RepositoryTags } from './tags.js';

const execFileAsync = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface ScenarioShape {
  readonly images: number;
  readonly tags: number;
  /** Repositories are shared within a group and grow from one scenario to the next. */
  readonly group: 'single' | 'multi';
  readonly repeats?: number;
}

const FULL: readonly ScenarioShape[] = [
  { images: 1, tags: 100, group: 'single' },
  { images: 1, tags: 1000, group: 'single' },
  { images: 1, tags: 2000, group: 'single' },
  { images: 1, tags: 5000, group: 'single' },
  { images: 10, tags: 1000, group: 'multi' },
  // For the RSS target; once each, it is by far the longest.
  { images: 10, tags: 5000, group: 'multi', repeats: 1 },
];
const QUICK: readonly ScenarioShape[] = [
  { images: 1, tags: 100, group: 'single' },
  { images: 1, tags: 2000, group: 'single' },
  { images: 10, tags: 200, group: 'multi' },
];

const USAGE = `Usage: npm run bench -- [--quick] [--no-xl] [--only 1x2000,10x5000] [--repeat N] [--out FILE] [--cli FILE]
       npm run bench -- --hub-listing [--repeat N] [--out FILE]
       npm run bench -- --github-requests [--out FILE]

  --quick      1×100, 1×2 000 and 10×200 tags (a few minutes)
  --no-xl      skip 10 × 5 000 tags (the RSS scenario)
  --only LIST  only these scenarios of the full set, as <images>x<tags>, comma separated
  --repeat N   runs per measurement, median reported (default 3)
  --out FILE   results file (default bench/results.md)
  --cli FILE   the command-line bundle to measure (default dist/cli.js, built when stale)
  --startup-only  only the start-up figures: dist/index.js to its first request, and --help of
               dist/cli.js against the package installed from its tarball
  --hub-listing  only the cold newest-build run through a Docker-Hub-shaped listing (2 000 tags);
               replaces its own section of the results file and nothing else
  --github-requests  only GitHub requests (reads, writes) of a no-op and a one-change run at
               1, 4 and 50 units; replaces its own section of the results file`;

function readOptions(): {
  quick: boolean;
  xl: boolean;
  only: Set<string> | undefined;
  repeat: number;
  out: string;
  cli: string | undefined;
  startupOnly: boolean;
  hubListing: boolean;
  githubRequests: boolean;
} {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      'no-xl': { type: 'boolean', default: false },
      only: { type: 'string' },
      repeat: { type: 'string', default: '3' },
      out: { type: 'string', default: path.join(root, 'bench', 'results.md') },
      cli: { type: 'string' },
      'startup-only': { type: 'boolean', default: false },
      'hub-listing': { type: 'boolean', default: false },
      'github-requests': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 15) {
    throw new Error(`--repeat must be a whole number from 1 to 15, got ${values.repeat}`);
  }
  return {
    quick: values.quick,
    xl: !values['no-xl'],
    only:
      values.only === undefined
        ? undefined
        : new Set(values.only.split(',').map((name) => name.trim().toLowerCase())),
    repeat,
    out: path.resolve(values.out),
    cli: values.cli === undefined ? undefined : path.resolve(values.cli),
    startupOnly: values['startup-only'],
    hubListing: values['hub-listing'],
    githubRequests: values['github-requests'],
  };
}

async function newestModification(directory: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(directory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const info = await stat(path.join(entry.parentPath, entry.name));
    newest = Math.max(newest, info.mtimeMs);
  }
  return newest;
}

/** dist/ as the action ships it, rebuilt when missing or older than src/. */
async function ensureBundle(): Promise<void> {
  const dist = path.join(root, 'dist');
  const sourceTime = Math.max(
    await newestModification(path.join(root, 'src')),
    (await stat(path.join(root, 'scripts', 'build.mjs'))).mtimeMs,
  );
  let bundleTime: number;
  try {
    bundleTime = Math.min(
      (await stat(path.join(dist, 'cli.js'))).mtimeMs,
      (await stat(path.join(dist, 'index.js'))).mtimeMs,
    );
  } catch {
    bundleTime = 0;
  }
  if (bundleTime >= sourceTime) return;
  console.log(
    bundleTime === 0 ? 'dist/ is missing: npm run bundle' : 'dist/ is stale: npm run bundle',
  );
  await execFileAsync('npm', ['run', 'bundle'], { cwd: root, timeout: 600_000 });
}

async function gitCommit(): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root });
    const { stdout: dirty } = await execFileAsync('git', ['status', '--porcelain', '--', 'src'], {
      cwd: root,
    });
    return `${stdout.trim()}${dirty.trim() ? ' (src/ has uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

function repositoriesFor(
  group: 'single' | 'multi',
  pool: Map<string, RepositoryTags>,
  images: number,
) {
  return Array.from({ length: images }, (_, index) => {
    const name = group === 'single' ? 'bench/single' : `bench/multi-${index}`;
    let repository = pool.get(name);
    if (!repository) {
      repository = new RepositoryTags(name, 0x5eed + pool.size * 7919);
      pool.set(name, repository);
    }
    return repository;
  });
}

function scenarioName(shape: ScenarioShape): string {
  return `${shape.images} × ${shape.tags.toLocaleString('en-US').replace(',', ' ')}`;
}

async function main(): Promise<void> {
  const options = readOptions();
  const started = Date.now();
  const loadBefore = os.loadavg();
  const log = (line: string): void => console.log(line);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  if (options.githubRequests) {
    await runGitHubRequestsBench(options.out, command);
    log(`Wrote the GitHub requests section of ${path.relative(process.cwd(), options.out)}.`);
    return;
  }
  if (options.hubListing) {
    const hubRegistry = await startRegistry();
    try {
      const result = await runHubListingBench(hubRegistry, options.repeat, log);
      await writeHubListingSection(options.out, renderHubListing(result, command));
    } finally {
      await hubRegistry.close();
    }
    log(`Wrote the Docker Hub listing section of ${path.relative(process.cwd(), options.out)}.`);
    return;
  }

  let cliSource = options.cli;
  let actionSource: string | undefined;
  if (!cliSource) {
    await ensureBundle();
    cliSource = path.join(root, 'dist', 'cli.js');
    actionSource = path.join(root, 'dist', 'index.js');
  }
  const workDirectory = await createWorkDirectory();
  // Every program the bench starts keeps Node's compile cache here, not in a shared /tmp cache
  // that other runs (or the test suite) primed.
  process.env.NODE_COMPILE_CACHE = path.join(workDirectory, 'node-compile-cache');
  // A private copy: another `npm run bundle` replacing dist/ mid-run must not change what is measured.
  const bundle = path.join(workDirectory, 'dist');
  await cp(path.dirname(cliSource), bundle, { recursive: true });
  const cli = path.join(bundle, path.basename(cliSource));
  const action = actionSource ? path.join(bundle, path.basename(actionSource)) : undefined;

  const registry = await startRegistry();
  const scenarios: ScenarioResult[] = [];
  let startup: StartupResult | undefined;
  let startupError: string | undefined;
  let installedLoad: InstalledLoadResult | undefined;
  let installedLoadError: string | undefined;
  try {
    if (action) {
      try {
        startup = await measureActionStartup(action, 5);
        log(
          `dist/index.js to first request: ${startup.toFirstRequest.median.toFixed(0)} ms (${startup.firstRequest})`,
        );
      } catch (error) {
        startupError = error instanceof Error ? error.message : String(error);
        log(`start-up measurement failed: ${startupError}`);
      }
    }
    try {
      installedLoad = await measureInstalledLoad(cli, 9);
      log(
        `--help without the compile cache: dist/cli.js ${installedLoad.bundle.median.toFixed(0)} ms, installed package ${installedLoad.installed.median.toFixed(0)} ms`,
      );
    } catch (error) {
      installedLoadError = error instanceof Error ? error.message : String(error);
      log(`installed-package measurement failed: ${installedLoadError}`);
    }
    const shapes = (options.startupOnly ? [] : options.quick ? QUICK : FULL).filter(
      (shape) =>
        (options.xl || !(shape.images === 10 && shape.tags === 5000)) &&
        (options.only === undefined || options.only.has(`${shape.images}x${shape.tags}`)),
    );
    if (shapes.length === 0 && !options.startupOnly) {
      throw new Error('no scenario selected; see --help');
    }
    const pool = new Map<string, RepositoryTags>();
    for (const shape of shapes) {
      const plan: ScenarioPlan = {
        name: scenarioName(shape),
        repositories: repositoriesFor(shape.group, pool, shape.images),
        tagsPerImage: shape.tags,
        newTagsPerImage: 5,
        repeats: Math.min(options.repeat, shape.repeats ?? options.repeat),
        inspectSample: 50,
      };
      scenarios.push(
        await runScenario(plan, {
          registry,
          cli,
          workDirectory,
          pushConcurrency: 16,
          cliTimeoutMs: 15 * 60_000,
          log,
        }),
      );
    }
  } finally {
    await registry.close();
    await rm(workDirectory, { recursive: true, force: true });
  }

  const cpus = os.cpus();
  const { stdout: uname } = await execFileAsync('uname', ['-a']);
  const run: BenchRun = {
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    machine: uname.trim(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    node: process.version,
    commit: await gitCommit(),
    startedAt: new Date(started).toISOString(),
    loadBefore,
    loadAfter: os.loadavg(),
    durationSeconds: (Date.now() - started) / 1000,
    rssMethod: rssMethod(),
    startup,
    startupError,
    installedLoad,
    installedLoadError,
    scenarios,
  };
  // The Docker Hub listing section is measured by `--hub-listing`; a full run keeps it.
  const hubSection = await readHubListingSection(options.out);
  const githubSection = await readGitHubRequestsSection(options.out);
  await writeFile(options.out, renderResults(run));
  if (hubSection !== undefined) await writeHubListingSection(options.out, hubSection);
  if (githubSection !== undefined) await writeGitHubRequestsSection(options.out, githubSection);
  log('');
  for (const verdict of evaluateTargets(run)) {
    const mark = verdict.met === undefined ? 'n/a' : verdict.met ? 'met' : 'NOT MET';
    log(`${mark.padEnd(8)} ${verdict.target}: ${verdict.figure}`);
  }
  log(
    `\nWrote ${path.relative(process.cwd(), options.out)} in ${run.durationSeconds.toFixed(0)} s.`,
  );
}

await main();
