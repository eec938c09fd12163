import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { editOverrideFile, readOverrideParameter } from '../../src/writers/override-file.js';
import type { ValueChange } from '../../src/writers/types.js';
import { lineDiff } from './line-diff.js';
import { seededRandom as random } from '../harness/seeded-random.js';

/**
 * Property tests for the override file: seeded random parameter lists in the styles found in
 * the wild (indentless and indented block lists, flow lists, comments, other keys, CRLF, no final
 * newline), written by this test itself, and random parameter updates.
 */

function pick<T>(next: () => number, items: readonly T[]): T {
  const item = items[Math.floor(next() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

const NAMES = ['frontend.image', 'frontend.tag', 'backend.image', 'backend.tag', 'a.b\\.c', 'x'];
const VALUES = ['main-b99bc73', '2682590', '1276e23', 'yes', '~', '', 'a: b', "it's", '1.20'];
const WRITTEN: Record<string, string> = {
  'main-b99bc73': 'main-b99bc73',
  '2682590': '"2682590"',
  '1276e23': "'1276e23'",
  yes: '"yes"',
  '~': "'~'",
  '': '""',
  'a: b': '"a: b"',
  "it's": "'it''s'",
  '1.20': '"1.20"',
};

interface Scenario {
  readonly text: string;
  readonly parameters: { name: string; value: string }[];
  readonly changes: ValueChange[];
}

function scenario(seed: number): Scenario {
  const next = random(seed);
  const eol = next() < 0.25 ? '\r\n' : '\n';
  const names = NAMES.filter(() => next() < 0.5);
  const parameters = names.map((name) => ({ name, value: pick(next, VALUES) }));
  const lines: string[] = [];
  if (next() < 0.3) lines.push('# written by argocd-image-updater');
  if (next() < 0.3) lines.push('kustomize:', '  images: []');
  lines.push('helm:');
  if (next() < 0.3) lines.push('  valueFiles:', '  - values.yaml');
  const style = pick(next, ['indentless', 'indented', 'flow'] as const);
  if (style === 'flow') {
    const items = parameters.map((p) => `{name: ${p.name}, value: ${WRITTEN[p.value] ?? ''}}`);
    lines.push(`  parameters: [${items.join(', ')}]`);
  } else {
    lines.push('  parameters:');
    const dash = style === 'indentless' ? '  ' : '    ';
    for (const parameter of parameters) {
      if (next() < 0.2) lines.push(`${dash}# ${parameter.name}`);
      lines.push(`${dash}- name: ${parameter.name}`);
      lines.push(
        `${dash}  value: ${WRITTEN[parameter.value] ?? ''}${next() < 0.2 ? ' # pin' : ''}`,
      );
      if (next() < 0.7) lines.push(`${dash}  forcestring: true`);
    }
    if (parameters.length === 0) lines[lines.length - 1] = '  parameters: []';
  }
  if (next() < 0.2) lines.push('# end');
  const text = lines.join(eol) + (next() < 0.8 ? eol : '');
  const changes = NAMES.filter(() => next() < 0.4).map((name) => ({
    key: name,
    value: pick(next, VALUES),
  }));
  return { text, parameters, changes };
}

describe('round trip on random override files', () => {
  it.each(Array.from({ length: 200 }, (_, index) => index + 1))('seed %i', (seed) => {
    const { text, parameters, changes } = scenario(seed);
    const before = parse(text) as { helm: { parameters: { name: string; value: string }[] } };
    expect(before.helm.parameters.map((p) => ({ name: p.name, value: p.value }))).toEqual(
      parameters,
    );

    const result = editOverrideFile(text, changes, `seed-${seed}.yaml`);
    for (const change of changes) {
      expect(readOverrideParameter(result.text, change.key, 'f')).toBe(change.value);
      for (const version of ['1.1', '1.2'] as const) {
        const data = parse(result.text, { version }) as typeof before;
        const entry = data.helm.parameters.find((p) => p.name === change.key);
        expect(entry?.value).toBe(change.value);
      }
    }
    // Parameters that were not changed keep their values, in order, before the new ones.
    const after = parse(result.text) as typeof before;
    const expected = parameters.map((p) => ({
      name: p.name,
      value: changes.find((change) => change.key === p.name)?.value ?? p.value,
    }));
    const added = changes.filter((change) => !parameters.some((p) => p.name === change.key));
    expect(after.helm.parameters.map((p) => ({ name: p.name, value: p.value }))).toEqual([
      ...expected,
      ...added.map((change) => ({ name: change.key, value: change.value })),
    ]);

    // With the value scalars masked, nothing is removed and only new entries are added: every
    // other line is byte-identical and in place.
    const eol = /\r?\n/.exec(text)?.[0] ?? '\n';
    const mask = (source: string): string =>
      (source.endsWith('\n') ? source : source + eol).replace(/^(\s+value: ).*$/gm, '$1…');
    if (!text.includes('parameters: [')) {
      const diff = lineDiff(mask(text), mask(result.text));
      expect(diff.removed).toEqual([]);
      for (const [, line] of diff.added) expect(line).toMatch(/^\s+(- name|value|forcestring): /);
    }
    expect(result.text.endsWith('\n')).toBe(text.endsWith('\n'));
    const changedCount = changes.filter(
      (change) => parameters.find((p) => p.name === change.key)?.value !== change.value,
    ).length;
    expect(result.changes).toHaveLength(changedCount);
    if (changedCount === 0) expect(result.text).toBe(text);
  });
});
