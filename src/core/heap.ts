import { setFlagsFromString } from 'node:v8';

/**
 * V8 flags that bound how far the heap grows past what a run keeps alive. Both are read at every
 * garbage collection, so setting them after start-up takes effect; the action cannot pass Node
 * flags (the runner starts `node dist/index.js`), and the command line should not need them.
 * See docs/adr/0005-heap-growth.md for the measurements.
 */
export const HEAP_FLAGS: readonly string[] = [
  // The young generation stays near its initial size instead of doubling up to 2 × 64 MB once
  // enough data has survived (tag metadata, which a run keeps, always survives).
  '--semi-space-growth-factor=1',
  // After a full collection, the old generation may grow 20 % past what survived, not the
  // several times V8 allows a fast-allocating program.
  '--heap-growing-percent=20',
];

/**
 * Applies HEAP_FLAGS, unless HELM_IMAGE_UPDATER_V8_DEFAULTS is set to anything but an empty
 * string (V8's own sizing, for a Node whose V8 no longer knows a flag). Returns what was set.
 */
export function boundHeapGrowth(
  env: Readonly<Record<string, string | undefined>>,
  setFlag: (flag: string) => void = setFlagsFromString,
): readonly string[] {
  if (env['HELM_IMAGE_UPDATER_V8_DEFAULTS']) return [];
  for (const flag of HEAP_FLAGS) setFlag(flag);
  return HEAP_FLAGS;
}
