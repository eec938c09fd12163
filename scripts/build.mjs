// Builds dist/: TypeScript is compiled to ESM first (tsc honours NodeNext and "type": "module"),
// then @vercel/ncc bundles the action entry and the command-line entry with their dependencies.
// Everything is built in a private directory and moved into place at the end, so two builds
// at once cannot mix their files.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit' });
const bin = (name) => path.join('node_modules/.bin', name);
const work = path.join('.build', String(process.pid));
const out = path.join(work, 'dist');

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
try {
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
  try {
    // Removes .build when no other build is using it.
    rmdirSync('.build');
  } catch {
    // another build is still running, or .build is already gone
  }
}
