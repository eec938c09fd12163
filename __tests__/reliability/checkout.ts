/**
 * A chart checkout in a temporary directory for the reliability suites, an exact snapshot of it
 * (to prove that nothing was written), and the command-line entry run in this process with its
 * output captured.
 */
import {
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import { main } from '../../src/cli/command-line.js';

/** Creates a directory holding `files` (path → content). */
export async function makeCheckout(files: Readonly<Record<string, string>>): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'reliability-'));
  for (const [name, content] of Object.entries(files)) {
    const full = path.join(dir, name);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, content);
  }
  return dir;
}

export function removeCheckout(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/**
 * Every entry under `dir`: file bytes as hex-free strings, symlinks as `-> target`, directories
 * as `<dir>`. Two equal snapshots mean nothing was created, removed or rewritten (a temporary
 * file left behind shows up as an extra entry).
 */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const entries: Record<string, string> = {};
  const walk = async (relative: string): Promise<void> => {
    const names = (await readdir(path.join(dir, relative))).sort();
    for (const name of names) {
      const child = relative === '' ? name : `${relative}/${name}`;
      const full = path.join(dir, child);
      const stats = await lstat(full);
      if (stats.isSymbolicLink()) entries[child] = `-> ${await readlink(full)}`;
      else if (stats.isDirectory()) {
        entries[child] = '<dir>';
        await walk(child);
      } else entries[child] = (await readFile(full)).toString('base64');
    }
  };
  await walk('');
  return entries;
}

export interface CliRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the command-line entry (`src/cli/command-line.ts`, what `dist/cli.js` bundles) in this
 * process, capturing what it writes. Tests in one file run one after another, so swapping the
 * stream writers for the duration of one call is safe.
 */
export async function runCli(argv: readonly string[], now?: () => Date): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write.bind(process.stdout);
  const stderrWrite = process.stderr.write.bind(process.stderr);
  const capture =
    (sink: string[]) =>
    (chunk: string | Uint8Array): boolean => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    };
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  try {
    const exitCode = await main(argv, undefined, now);
    return { exitCode, stdout: out.join(''), stderr: err.join('') };
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
}
