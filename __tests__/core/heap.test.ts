/**
 * The heap flags set at start-up (src/core/heap.ts), on every Node the action runs on: each is a flag
 * V8 knows (an unknown one would print an error line on every run), and together they keep the
 * young generation near its initial size while a program keeps data alive.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { HEAP_FLAGS, boundHeapGrowth } from '../../src/core/heap.js';
import { nodeBinaries } from '../harness/action-runner.js';

// Keeps 300 000 small objects alive at a time while allocating 3 million, then prints the size
// of the young generation (new space) in MiB.
const PROGRAM = `
const v8 = require('node:v8');
for (const flag of JSON.parse(process.argv[1])) v8.setFlagsFromString(flag);
const kept = [];
for (let i = 0; i < 3e6; i++) {
  kept.push({ index: i, name: 'tag-' + i });
  if (kept.length > 3e5) kept.splice(0, 1e5);
}
const space = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
process.stdout.write(String(space.space_size / 1048576));
`;

function newSpaceMiB(node: string, flags: readonly string[]): { size: number; stderr: string } {
  const result = spawnSync(node, ['-e', PROGRAM, JSON.stringify(flags)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(result.status).toBe(0);
  return { size: Number(result.stdout), stderr: result.stderr };
}

describe.each(nodeBinaries())('heap flags on $name', ({ path: node }) => {
  it('are all known to V8', () => {
    for (const flag of HEAP_FLAGS) {
      const probe = spawnSync(
        node,
        ['-e', `require('node:v8').setFlagsFromString(${JSON.stringify(flag)})`],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(probe.status).toBe(0);
      expect(probe.stderr, flag).toBe('');
    }
  });

  it('keep the young generation from growing while data stays alive', () => {
    const defaults = newSpaceMiB(node, []);
    const bounded = newSpaceMiB(node, HEAP_FLAGS);
    expect(bounded.stderr).toBe('');
    // V8 grows it to its maximum by default (32 MiB on Node 20, 128 MiB on Node 24). Bounded,
    // it stays at its initial 2 MiB on an idle machine; under load V8 still grows it now and
    // then (3–18 MiB seen on Node 24 while the suite runs).
    expect(defaults.size).toBeGreaterThanOrEqual(16);
    expect(bounded.size).toBeLessThan(defaults.size / 2);
  });
});

describe('boundHeapGrowth', () => {
  it('sets every flag, or none when HELM_IMAGE_UPDATER_V8_DEFAULTS is set', () => {
    const set: string[] = [];
    expect(boundHeapGrowth({}, (flag) => set.push(flag))).toEqual(HEAP_FLAGS);
    expect(set).toEqual(HEAP_FLAGS);
    const none: string[] = [];
    expect(
      boundHeapGrowth({ HELM_IMAGE_UPDATER_V8_DEFAULTS: '1' }, (flag) => none.push(flag)),
    ).toEqual([]);
    expect(none).toEqual([]);
    // Empty counts as unset, like an input left blank.
    expect(boundHeapGrowth({ HELM_IMAGE_UPDATER_V8_DEFAULTS: '' }, () => undefined)).toEqual(
      HEAP_FLAGS,
    );
  });
});
