/**
 * Timing and peak memory of child processes. Wall time is taken by this process around the whole
 * child (spawn to close); peak RSS comes from GNU time (`/usr/bin/time -v`) when it is installed,
 * else from a preload that writes `process.resourceUsage().maxRSS` of a Node child at exit.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

const GNU_TIME = '/usr/bin/time';
const OUTPUT_LIMIT = 64 * 1024 * 1024;

export interface MeasuredRun {
  readonly wallMs: number;
  /** Peak resident set size in KiB; undefined when it could not be measured. */
  readonly maxRssKb: number | undefined;
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface MeasureOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly timeoutMs: number;
  /** Measure peak RSS (GNU time, or the Node preload when the command is this Node). */
  readonly rss?: boolean;
}

/** How peak RSS is measured on this machine, for the results file. */
export function rssMethod(): string {
  return hasGnuTime()
    ? '`/usr/bin/time -v` (Maximum resident set size)'
    : '`process.resourceUsage().maxRSS` written at exit by a `--import` preload';
}

function hasGnuTime(): boolean {
  try {
    accessSync(GNU_TIME, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A preload for Node children when GNU time is missing: the child reports its own peak RSS. */
function rssPreload(file: string): string {
  const source =
    `import { writeFileSync } from 'node:fs';` +
    `process.on('exit', () => writeFileSync(${JSON.stringify(file)}, String(process.resourceUsage().maxRSS)));`;
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

export async function measureProcess(
  command: string,
  args: readonly string[],
  options: MeasureOptions,
): Promise<MeasuredRun> {
  const rssFile = path.join(os.tmpdir(), `helm-image-updater-bench-rss-${randomUUID()}`);
  let file = command;
  let fileArgs = [...args];
  let readRss: () => Promise<number | undefined> = () => Promise.resolve(undefined);
  if (options.rss && hasGnuTime()) {
    file = GNU_TIME;
    fileArgs = ['-v', '-o', rssFile, command, ...args];
    readRss = async () => {
      const text = await readFile(rssFile, 'utf8');
      const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
      return match?.[1] === undefined ? undefined : Number(match[1]);
    };
  } else if (options.rss && command === process.execPath) {
    fileArgs = ['--import', rssPreload(rssFile), ...args];
    readRss = async () => Number(await readFile(rssFile, 'utf8'));
  }

  const started = performance.now();
  const result = await new Promise<Omit<MeasuredRun, 'maxRssKb'>>((resolve, reject) => {
    const child = spawn(file, fileArgs, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size <= OUTPUT_LIMIT) into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not be started: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        wallMs: performance.now() - started,
        exitCode: code,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        timedOut,
      });
    });
  });
  let maxRssKb: number | undefined;
  try {
    maxRssKb = await readRss();
  } catch {
    maxRssKb = undefined;
  } finally {
    await rm(rssFile, { force: true });
  }
  return { ...result, maxRssKb };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const upper = sorted[middle] ?? Number.NaN;
  if (sorted.length % 2 === 1) return upper;
  return ((sorted[middle - 1] ?? upper) + upper) / 2;
}

/** Median with the spread, e.g. `412 ms (398–440)`. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly samples: number;
}

export function spread(values: readonly number[]): Spread {
  return {
    median: median(values),
    min: values.length === 0 ? Number.NaN : Math.min(...values),
    max: values.length === 0 ? Number.NaN : Math.max(...values),
    samples: values.length,
  };
}

/** `node -e 0`: what any Node program pays before its first line. */
export function measureNodeStart(repeats: number): Promise<Spread> {
  return measureNodeCommand(['-e', '0'], repeats).then((result) => result.wall);
}

/**
 * A Node command run `repeats` times, e.g. `node dist/cli.js --help`: the cost of loading the
 * bundle without any registry work. Peak RSS is the highest seen.
 */
export async function measureNodeCommand(
  args: readonly string[],
  repeats: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ wall: Spread; maxRssKb: number | undefined }> {
  const samples: number[] = [];
  let maxRssKb: number | undefined;
  for (let run = 0; run < repeats; run++) {
    const measured = await measureProcess(process.execPath, args, {
      timeoutMs: 60_000,
      rss: true,
      env,
    });
    if (measured.exitCode !== 0) {
      throw new Error(
        `node ${args.join(' ')} exited ${measured.exitCode}: ${measured.stderr.trim()}`,
      );
    }
    samples.push(measured.wallMs);
    if (measured.maxRssKb !== undefined) maxRssKb = Math.max(maxRssKb ?? 0, measured.maxRssKb);
  }
  return { wall: spread(samples), maxRssKb };
}
