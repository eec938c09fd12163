/**
 * `npm run bench -- --github-requests`: GitHub API requests (reads and writes) of one run, for
 * 1, 4 and 50 publication units, when nothing changed and when one unit changed. The whole
 * pipeline runs in this process, as the action runs it, against a real registry and the
 * git-backed GitHub API server, which records every request by method and path.
 *
 * Layout: one values target per unit (`env/u<N>/values.yaml`), all using image `app`; unit 0
 * also uses image `solo`. First run: every unit gets `app` main-2 (N pull requests). Then:
 * - no-op: the same run again, nothing new in the registry;
 * - one change: `solo` gets main-2, which only unit 0 uses.
 */
import { readFile, writeFile } from 'node:fs/promises';

import { defaultInputs } from '../src/config/inputs.js';
import { silentLogger } from '../src/core/logging.js';
import { runPipeline } from '../src/job/run.js';
import { createGitHubClient } from '../src/workspace/github/octokit.js';
import { createGitHubWorkspace } from '../src/workspace/github/workspace.js';
import { startGitHubServer, type RecordedRequest } from '../__tests__/harness/github/index.js';
import { startRegistry } from '../__tests__/harness/registry/index.js';

const UNITS = [1, 4, 50] as const;
const BEGIN = '<!-- github-requests:begin -->';
const END = '<!-- github-requests:end -->';

export interface RequestCount {
  readonly reads: number;
  readonly writes: number;
  /** `METHOD operationId` → count, for the detail table. */
  readonly byOperation: Readonly<Record<string, number>>;
}

export interface GitHubRequestsRow {
  readonly units: number;
  readonly noop: RequestCount;
  readonly oneChange: RequestCount;
}

function count(requests: readonly RecordedRequest[]): RequestCount {
  const byOperation: Record<string, number> = {};
  let reads = 0;
  let writes = 0;
  for (const request of requests) {
    const isRead =
      request.method === 'GET' ||
      (request.method === 'POST' && request.operationId === 'graphql/query');
    if (isRead) reads += 1;
    else writes += 1;
    const key = `${request.method} ${request.operationId ?? request.path}`;
    byOperation[key] = (byOperation[key] ?? 0) + 1;
  }
  return { reads, writes, byOperation };
}

function configFile(units: number, app: string, solo: string): string {
  const targets = Array.from({ length: units }, (_, index) =>
    [
      `  - name: u${index}`,
      `    type: values`,
      `    files: env/u${index}/values.yaml`,
      `    images: [${index === 0 ? 'app, solo' : 'app'}]`,
    ].join('\n'),
  );
  return `images:\n  app: { repository: ${app} }\n  solo: { repository: ${solo} }\ntargets:\n${targets.join('\n')}\n`;
}

async function measure(units: number): Promise<GitHubRequestsRow> {
  const registry = await startRegistry();
  const app = `${registry.host}/bench/app`;
  const solo = `${registry.host}/bench/solo`;
  const files: Record<string, string> = {
    '.github/helm-image-updater.yml': configFile(units, app, solo),
  };
  for (let index = 0; index < units; index += 1) {
    files[`env/u${index}/values.yaml`] =
      `app:\n  image: ${app}\n  tag: main-1\n` +
      (index === 0 ? `solo:\n  image: ${solo}\n  tag: main-1\n` : '');
  }
  const github = await startGitHubServer({ files });
  try {
    for (const repository of ['bench/app', 'bench/solo'])
      await registry.push(repository, 'main-1', { created: '2024-01-01T00:00:00Z' });
    await registry.push('bench/app', 'main-2', { created: '2024-01-02T00:00:00Z' });
    const settings = {
      token: github.token,
      owner: github.owner,
      repo: github.repo,
      baseBranch: undefined,
      apiUrl: github.url,
      graphqlUrl: `${github.url}/graphql`,
    };
    const run = async (): Promise<readonly RecordedRequest[]> => {
      const before = github.requests.length;
      const outcome = await runPipeline({
        inputs: { ...defaultInputs(), 'insecure-registries': registry.host, cache: 'false' },
        env: {},
        logger: silentLogger,
        now: () => new Date('2024-02-01T00:00:00Z'),
        readEvent: () => Promise.resolve({ name: 'schedule', payload: {} }),
        openWorkspace: () =>
          createGitHubWorkspace({
            client: createGitHubClient(settings, { logger: silentLogger, fast: true }),
            settings,
            logger: silentLogger,
          }),
        restoreCache: () => Promise.resolve(undefined),
      });
      if (outcome.kind !== 'finished' || outcome.report.errors.length > 0)
        throw new Error(`bench run failed: ${JSON.stringify(outcome)}`);
      return github.requests.slice(before);
    };
    await run();
    const noop = count(await run());
    await registry.push('bench/solo', 'main-2', { created: '2024-01-02T00:00:00Z' });
    const oneChange = count(await run());
    if (github.violations.length > 0)
      throw new Error(`OpenAPI violations: ${github.violations.join('; ')}`);
    return { units, noop, oneChange };
  } finally {
    await Promise.allSettled([github.close(), registry.close()]);
  }
}

export function renderGitHubRequests(rows: readonly GitHubRequestsRow[], command: string): string {
  const lines = [
    BEGIN,
    '## GitHub requests per run',
    '',
    `\`${command}\`: one values target per unit, a scheduled run through the whole pipeline`,
    'against the git-backed GitHub API server (reads = GET and GraphQL queries; writes = the rest).',
    'No-op: nothing new in the registry, every pull request already holds its value. One change:',
    'a new tag of an image only unit 0 uses.',
    '',
    '| units | no-op reads | no-op writes | one change reads | one change writes |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${row.units} | ${row.noop.reads} | ${row.noop.writes} | ${row.oneChange.reads} | ${row.oneChange.writes} |`,
    ),
    '',
  ];
  for (const row of rows) {
    lines.push(`<details><summary>${row.units} unit(s): requests by operation</summary>`, '');
    lines.push('| operation | no-op | one change |', '| --- | ---: | ---: |');
    const keys = [
      ...new Set([...Object.keys(row.noop.byOperation), ...Object.keys(row.oneChange.byOperation)]),
    ].sort();
    for (const key of keys)
      lines.push(
        `| \`${key}\` | ${row.noop.byOperation[key] ?? 0} | ${row.oneChange.byOperation[key] ?? 0} |`,
      );
    lines.push('', '</details>', '');
  }
  lines.push(END);
  return lines.join('\n');
}

export async function runGitHubRequestsBench(out: string, command: string): Promise<void> {
  const rows: GitHubRequestsRow[] = [];
  for (const units of UNITS) {
    const row = await measure(units);
    process.stderr.write(
      `${units} unit(s): no-op ${row.noop.reads} reads, ${row.noop.writes} writes; one change ${row.oneChange.reads} reads, ${row.oneChange.writes} writes\n`,
    );
    rows.push(row);
  }
  await writeGitHubRequestsSection(out, renderGitHubRequests(rows, command));
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return '';
  }
}

/** The section as the results file holds it, so a full run can keep it. */
export async function readGitHubRequestsSection(file: string): Promise<string | undefined> {
  const text = await readText(file);
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  return start >= 0 && end > start ? text.slice(start, end + END.length) : undefined;
}

/** Replaces the section in the results file (appends it the first time); nothing else changes. */
export async function writeGitHubRequestsSection(file: string, section: string): Promise<void> {
  const text = await readText(file);
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${text.slice(0, start)}${section}${text.slice(end + END.length)}`
      : `${text.trimEnd()}\n\n${section}\n`;
  await writeFile(file, next);
}
