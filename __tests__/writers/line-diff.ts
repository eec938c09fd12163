/**
 * A byte-exact line diff for tests: lines are split after `\n`, so a `\r`, trailing whitespace
 * or a missing final newline is part of the line it belongs to.
 */
export interface LineDiff {
  /** Lines of `before` that are not in the common subsequence, as `[1-based line, text]`. */
  readonly removed: readonly (readonly [number, string])[];
  /** Lines of `after` that are not in the common subsequence. */
  readonly added: readonly (readonly [number, string])[];
}

export function splitLines(text: string): string[] {
  if (text.length === 0) return [];
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/** Longest-common-subsequence diff (quadratic; fine for test files). */
export function lineDiff(before: string, after: string): LineDiff {
  const a = splitLines(before);
  const b = splitLines(after);
  const lengths: number[][] = Array.from({ length: a.length + 1 }, () =>
    new Array<number>(b.length + 1).fill(0),
  );
  for (let i = a.length - 1; i >= 0; i -= 1) {
    const row = lengths[i] as number[];
    const below = lengths[i + 1] as number[];
    for (let j = b.length - 1; j >= 0; j -= 1) {
      row[j] = a[i] === b[j] ? (below[j + 1] ?? 0) + 1 : Math.max(below[j] ?? 0, row[j + 1] ?? 0);
    }
  }
  const removed: [number, string][] = [];
  const added: [number, string][] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i += 1;
      j += 1;
    } else if (
      j >= b.length ||
      (i < a.length && (lengths[i + 1]?.[j] ?? 0) >= (lengths[i]?.[j + 1] ?? 0))
    ) {
      removed.push([i + 1, a[i] ?? '']);
      i += 1;
    } else {
      added.push([j + 1, b[j] ?? '']);
      j += 1;
    }
  }
  return { removed, added };
}
