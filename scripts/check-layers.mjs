// Fails when a module of src/ imports across the layers the wrong way. Layers, from the top:
//   edges (src/index.ts, src/cli.ts, action/, cli/) → job/ → config/, workspace/ →
//   registry/, strategy/, promotion/, verify/, writers/ → core/
// A module may import its own folder and any lower layer, never a higher one; folders of one
// layer may import each other. core/ imports nothing else from src/. `@actions/*` is imported
// only under action/ (the action edge), so the command line never loads it. `import type`
// counts too: a type is part of the layer that speaks it. Recorded exceptions are listed below
// with their reason; an exception that no longer occurs fails the check, so the list stays true.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = 'src';

/** Layer of each top-level folder (and entry file) of src/; higher imports lower. */
const LAYERS = {
  'index.ts': 5,
  'cli.ts': 5,
  action: 5,
  cli: 5,
  job: 4,
  config: 3,
  workspace: 3,
  registry: 2,
  strategy: 2,
  promotion: 2,
  verify: 2,
  writers: 2,
  core: 1,
};

/**
 * `from → to` pairs (paths under src/) that break a rule on purpose, with the reason.
 */
const EXCEPTIONS = new Map([
  [
    'src/workspace/github/octokit.ts → @actions/github',
    'the one Octokit factory (getOctokit, with its proxy-aware defaults) serves the GitHub workspace; ' +
      'only the action edge opens that workspace, so the command line never loads @actions/*',
  ],
  [
    'src/workspace/github/octokit.ts → @actions/github/lib/utils',
    'the same factory reads the defaults getOctokit merges its options over',
  ],
]);

const files = readdirSync(root, { recursive: true })
  .map((entry) => path.join(root, String(entry)).split(path.sep).join('/'))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));

const importPattern = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/g;
const dynamicPattern = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function folderOf(file) {
  return file.slice(root.length + 1).split('/')[0];
}

const problems = [];
const used = new Set();
const graph = new Map();
for (const file of files.sort()) {
  const from = folderOf(file);
  const layer = LAYERS[from];
  if (layer === undefined) {
    problems.push(`${file}: folder ${from}/ has no layer; add it to scripts/check-layers.mjs`);
    continue;
  }
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(importPattern), ...text.matchAll(dynamicPattern)].map(
    (match) => match[1],
  );
  graph.set(file, specifiers);
  for (const specifier of specifiers) {
    let target;
    let problem;
    if (specifier.startsWith('.')) {
      target = path.posix.join(path.posix.dirname(file), specifier.replace(/\.js$/, '.ts'));
      const to = folderOf(target);
      const targetLayer = LAYERS[to];
      if (to === from) continue;
      if (from === 'core')
        problem = `core/ imports ${target}; core/ imports nothing else from src/`;
      else if (targetLayer === undefined || targetLayer > layer)
        problem = `${from}/ (layer ${layer}) imports ${target} (${to}/, layer ${targetLayer ?? '?'}); a lower layer never imports a higher one`;
    } else if (specifier.startsWith('@actions/')) {
      target = specifier;
      if (from !== 'action') problem = `${specifier} is imported outside src/action/`;
    }
    if (problem === undefined) continue;
    const key = `${file} → ${target}`;
    if (EXCEPTIONS.has(key)) {
      used.add(key);
      continue;
    }
    problems.push(`${file}: ${problem}`);
  }
}
// What the exceptions above rely on: the command line's entry never reaches @actions/*.
const reached = new Set();
const pending = ['src/cli.ts'];
while (pending.length > 0) {
  const file = pending.pop();
  if (reached.has(file)) continue;
  reached.add(file);
  for (const specifier of graph.get(file) ?? []) {
    if (specifier.startsWith('@actions/'))
      problems.push(`${file} imports ${specifier}, and the command line (src/cli.ts) reaches it`);
    else if (specifier.startsWith('.'))
      pending.push(path.posix.join(path.posix.dirname(file), specifier.replace(/\.js$/, '.ts')));
  }
}

for (const key of EXCEPTIONS.keys()) {
  if (!used.has(key)) problems.push(`recorded exception no longer occurs: ${key}; remove it`);
}

if (problems.length > 0) {
  for (const problem of problems) console.error(problem);
  process.exit(1);
}
console.log(
  `layers respected by ${files.length} modules of ${root}/ (${EXCEPTIONS.size} recorded exceptions); ` +
    `the command line reaches ${reached.size} of them and no @actions/* package`,
);
