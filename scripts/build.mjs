// Builds dist/: TypeScript is compiled to ESM first (tsc honours NodeNext and "type": "module"),
// then @vercel/ncc bundles the action entry and the command-line entry with their dependencies.
// ncc names modules after their paths, so the build directory is fixed: the same sources give
// the same bytes. A lock directory keeps two builds at once from mixing their files.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit' });
const bin = (name) => path.join('node_modules/.bin', name);
const work = '.build';
const lock = '.build.lock';
const out = path.join(work, 'dist');

function acquireLock() {
  const deadline = Date.now() + 5 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      // A lock older than ten minutes belongs to a build that died.
      if (Date.now() - statSync(lock).mtimeMs > 10 * 60_000) rmSync(lock, { recursive: true });
      if (Date.now() > deadline)
        throw new Error(`${lock} is held by another build`, { cause: error });
      execFileSync('sleep', ['0.5']);
    }
  }
}

acquireLock();
try {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  run(bin('tsc'), ['-p', 'tsconfig.build.json', '--outDir', path.join(work, 'js')]);
  run(bin('ncc'), [
    'build',
    path.join(work, 'js/index.js'),
    '-o',
    out,
    '--license',
    'licenses.txt',
    '-q',
    '-m',
  ]);
  run(bin('ncc'), [
    'build',
    path.join(work, 'js/cli.js'),
    '-o',
    path.join(work, 'cli'),
    '-q',
    '-m',
  ]);
  const cli = readFileSync(path.join(work, 'cli/index.js'), 'utf8');
  writeFileSync(
    path.join(out, 'cli.js'),
    cli.startsWith('#!') ? cli : `#!/usr/bin/env node\n${cli}`,
  );
  chmodSync(path.join(out, 'cli.js'), 0o755);
  rmSync('dist', { recursive: true, force: true });
  renameSync(out, 'dist');
} finally {
  rmSync(work, { recursive: true, force: true });
  rmSync(lock, { recursive: true, force: true });
}
