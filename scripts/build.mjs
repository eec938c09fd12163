// Builds dist/: TypeScript is compiled to ESM first (tsc honours NodeNext and "type": "module"),
// then @vercel/ncc bundles the action entry and the command-line entry with their dependencies.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const run = (command, args) => execFileSync(command, args, { stdio: 'inherit' });
const bin = (name) => `node_modules/.bin/${name}`;

rmSync('.build', { recursive: true, force: true });
rmSync('dist', { recursive: true, force: true });
run(bin('tsc'), ['-p', 'tsconfig.build.json']);
run(bin('ncc'), ['build', '.build/index.js', '-o', 'dist', '--license', 'licenses.txt', '-q']);
run(bin('ncc'), ['build', '.build/cli.js', '-o', '.build/cli-bundle', '-q']);

const cli = readFileSync('.build/cli-bundle/index.js', 'utf8');
const shebang = '#!/usr/bin/env node\n';
writeFileSync('dist/cli.js', cli.startsWith('#!') ? cli : shebang + cli);
chmodSync('dist/cli.js', 0o755);
mkdirSync('dist', { recursive: true });
copyFileSync('.build/cli-bundle/package.json', 'dist/package.json');
rmSync('.build', { recursive: true, force: true });
