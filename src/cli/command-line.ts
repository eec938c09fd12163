/**
 * The local entry: the action's logic on a checkout, for GitLab CI, other CI systems and a
 * developer's machine. Flags are the action's inputs, plus --dir, --dry-run, --json and
 * --cache-dir.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { INPUT_NAMES, defaultInputs, type InputName } from '../config/inputs.js';
import { errorMessage } from '../core/errors.js';
import { unitLabel, type JobReport } from '../job/job.js';
import { createLocalWorkspace } from '../workspace/local/workspace.js';
import { createConsoleLogger } from '../core/logging.js';
import { loadCache, saveCache } from '../registry/cache.js';
import { outcomeFailed, runPipeline } from '../job/run.js';
import { outcomeRecord } from '../job/outcome.js';

/** Inputs that only make sense with the GitHub API; the CLI writes to --dir instead. */
const GITHUB_ONLY = new Set<string>(['token', 'repository', 'base-branch', 'cache']);

const CLI_FLAGS = {
  dir: { type: 'string', description: 'Chart repository checkout to read and write (default: .)' },
  'dry-run': { type: 'boolean', description: 'Print the plan; write nothing' },
  json: {
    type: 'boolean',
    description:
      'Print one JSON object {decisions, updates, pullRequests, errors, registryUsage, incomplete} on stdout',
  },
  'cache-dir': {
    type: 'string',
    description: 'Directory that keeps tag metadata between runs (only new tags are fetched)',
  },
  'event-name': {
    type: 'string',
    description:
      'Act as if started by this event (repository_dispatch, registry_package, workflow_run, ...)',
  },
  'event-path': { type: 'string', description: 'JSON file with the event payload' },
  verbose: { type: 'boolean', description: 'Debug output (request URLs, pages)' },
  help: { type: 'boolean', description: 'Show this help' },
} as const;

function usage(): string {
  const defaults = defaultInputs();
  const lines = [
    'Usage: helm-image-updater [flags]',
    '',
    'Resolves the newest allowed tag of every configured image and writes it into the chart',
    'checkout in --dir (the Argo CD override file or values files).',
    '',
    'Action inputs (same names and defaults as in action.yml):',
  ];
  for (const name of INPUT_NAMES) {
    if (GITHUB_ONLY.has(name)) continue;
    const value = defaults[name];
    lines.push(`  --${name}${value ? ` (default: ${value})` : ''}`);
  }
  lines.push('', 'Command-line flags:');
  for (const [name, flag] of Object.entries(CLI_FLAGS)) {
    lines.push(`  --${name.padEnd(14)} ${flag.description}`);
  }
  lines.push('', 'Exit status: 0 when every image resolved, 1 when any failed, 2 for bad flags.');
  return lines.join('\n');
}

/** Where the command line writes: stdout for the report, stderr for the log. */
export interface CliStreams {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** `now` is the clock of soak times, promotion windows and min-age; tests inject one. */
export async function main(
  argv: readonly string[],
  streams: CliStreams = { stdout: process.stdout, stderr: process.stderr },
  now: () => Date = () => new Date(),
): Promise<number> {
  const inputOptions = Object.fromEntries(
    INPUT_NAMES.filter((name) => !GITHUB_ONLY.has(name)).map((name) => [
      name,
      { type: 'string' as const },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: {
        ...inputOptions,
        ...Object.fromEntries(
          Object.entries(CLI_FLAGS).map(([name, flag]) => [name, { type: flag.type }]),
        ),
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    streams.stderr.write(`${errorMessage(error)}\n\n${usage()}\n`);
    return 2;
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    streams.stdout.write(`${usage()}\n`);
    return 0;
  }
  const logger = createConsoleLogger({ verbose: values.verbose === true, stream: streams.stderr });
  const raw: Record<InputName, string> = { ...defaultInputs() };
  for (const name of INPUT_NAMES) {
    const value = values[name];
    if (typeof value === 'string') raw[name] = value;
  }
  const dir = path.resolve(typeof values.dir === 'string' ? values.dir : '.');
  const cacheDir =
    typeof values['cache-dir'] === 'string' ? path.resolve(values['cache-dir']) : undefined;
  const dryRun = values['dry-run'] === true;
  const eventPath = values['event-path'];

  const outcome = await runPipeline({
    inputs: raw,
    env: process.env,
    logger,
    now,
    dryRun,
    readEvent: async () => ({
      name: typeof values['event-name'] === 'string' ? values['event-name'] : 'workflow_dispatch',
      payload:
        typeof eventPath === 'string'
          ? (JSON.parse(await readFile(eventPath, 'utf8')) as unknown)
          : {},
    }),
    openWorkspace: () => createLocalWorkspace(dir, logger),
    restoreCache: async () => {
      if (cacheDir === undefined) return undefined;
      const store = await loadCache(cacheDir, logger);
      return { store, save: () => saveCache(store, cacheDir, logger) };
    },
  });
  if (outcome.kind === 'failed') logger.error(outcome.message);
  if (values.json) {
    streams.stdout.write(`${JSON.stringify(outcomeRecord(outcome), null, 2)}\n`);
  } else if (outcome.kind === 'finished') {
    streams.stdout.write(textReport(outcome.report, dryRun));
  }
  return outcomeFailed(outcome) ? 1 : 0;
}

function textReport(report: JobReport, dryRun: boolean): string {
  const lines: string[] = [];
  for (const { target, environment, decision } of report.decisions) {
    const where = unitLabel({ target, environment });
    const change = decision.changed
      ? `${decision.current ?? '(none)'} → ${decision.chosen ?? '(none)'}`
      : `${decision.current ?? '(none)'} (kept)`;
    lines.push(`${where}  ${decision.alias} (${decision.image}): ${change}`);
    lines.push(`    ${decision.reason}`);
  }
  if (report.updates.length > 0) {
    lines.push('', dryRun ? 'Would change:' : 'Changed:');
    for (const update of report.updates) {
      lines.push(`  ${update.file}  ${update.key}: ${update.from ?? '(new)'} → ${update.to}`);
    }
  } else {
    lines.push('', 'No change.');
  }
  for (const error of report.errors) {
    lines.push(
      `error: ${[error.target, error.environment, error.image].filter(Boolean).join('/')}: ${error.message}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
