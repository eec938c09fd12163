/**
 * Global setup of the integration tests: the tests that run the bundle (`dist/index.js`,
 * `dist/cli.js`) must never run a stale one. The build's inputs (src/, the build script, the
 * lock file, the TypeScript configs) and its outputs are hashed; when they match what the last
 * build here recorded, nothing happens (a few milliseconds). Otherwise — sources edited, another
 * branch checked out, dist/ replaced, or no build recorded yet — the bundle is rebuilt first. A
 * committed dist/ is not trusted on its own: branches commit sources without rebuilding it.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const INPUTS = [
  'src',
  'scripts/build.mjs',
  'package-lock.json',
  'tsconfig.json',
  'tsconfig.build.json',
];
const OUTPUTS = ['dist/index.js', 'dist/cli.js', 'dist/action.js', 'dist/cli-bundle.js'];
const STAMP = path.join(ROOT, 'node_modules/.cache/helm-image-updater/dist-stamp.json');

function filesUnder(relative: string): string[] {
  const full = path.join(ROOT, relative);
  let stats;
  try {
    stats = statSync(full);
  } catch {
    return [];
  }
  if (!stats.isDirectory()) return [relative];
  return readdirSync(full, { recursive: true })
    .map((entry) => path.join(relative, String(entry)))
    .filter((file) => statSync(path.join(ROOT, file)).isFile());
}

/** One hash over the paths and bytes of the given files and directories. */
export function hashFiles(paths: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of paths.flatMap(filesUnder).sort()) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(path.join(ROOT, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

function readStamp(): { inputs: string; outputs: string } | undefined {
  try {
    return JSON.parse(readFileSync(STAMP, 'utf8')) as { inputs: string; outputs: string };
  } catch {
    return undefined;
  }
}

function writeStamp(): void {
  mkdirSync(path.dirname(STAMP), { recursive: true });
  writeFileSync(STAMP, JSON.stringify({ inputs: hashFiles(INPUTS), outputs: hashFiles(OUTPUTS) }));
}

export default function freshDist(): void {
  const stamp = readStamp();
  if (stamp?.inputs === hashFiles(INPUTS) && stamp.outputs === hashFiles(OUTPUTS)) return;
  process.stderr.write('dist/ is older than its sources: rebuilding it before the tests run\n');
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  writeStamp();
}
