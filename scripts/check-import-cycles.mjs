// Fails when the modules of src/ import each other in a cycle. Relative imports only (packages
// cannot import back into src/); `import type` counts too, as a cycle in types is still a
// design knot.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = 'src';
const files = readdirSync(root, { recursive: true })
  .map((entry) => path.join(root, String(entry)))
  .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'));

const importPattern = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"](\.[^'"]+)['"]/g;
const graph = new Map();
for (const file of files) {
  const text = readFileSync(file, 'utf8');
  const targets = [];
  for (const match of text.matchAll(importPattern)) {
    targets.push(path.join(path.dirname(file), match[1].replace(/\.js$/, '.ts')));
  }
  graph.set(file, targets);
}

const state = new Map(); // undefined: new, 1: on the current path, 2: done
const cycles = [];
function visit(file, trail) {
  state.set(file, 1);
  for (const next of graph.get(file) ?? []) {
    if (!graph.has(next)) continue;
    if (state.get(next) === 1) cycles.push([...trail.slice(trail.indexOf(next)), next]);
    else if (state.get(next) === undefined) visit(next, [...trail, next]);
  }
  state.set(file, 2);
}
for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file, [file]);

if (cycles.length > 0) {
  for (const cycle of cycles) console.error(`import cycle: ${cycle.join(' → ')}`);
  process.exit(1);
}
console.log(`no import cycles among ${graph.size} modules of ${root}/`);
