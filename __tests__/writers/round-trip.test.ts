import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

import type { ValueChange } from '../../src/writers/types.js';
import { editValuesFile, readValue } from '../../src/writers/values-file.js';
import { lineDiff } from './line-diff.js';
import { seededRandom as random } from '../harness/seeded-random.js';

/**
 * Property tests: seeded random values files (nested maps, flow maps, lists, comments, quoting
 * styles, CRLF, indentation, documents) and random edits. The generator writes YAML by itself,
 * independently of the writers, and keeps a model of the data to compare with.
 */

type Model =
  | { kind: 'string'; value: string; style: 'plain' | 'single' | 'double' }
  | { kind: 'number'; text: string }
  | { kind: 'bool'; text: 'true' | 'false' }
  | { kind: 'null' }
  | { kind: 'map'; entries: [string, Model][]; flow: boolean }
  | { kind: 'list'; items: string[]; flow: boolean };

const KEYS = [
  'frontend',
  'backend',
  'image',
  'tag',
  'repository',
  'registry',
  'x-y',
  'ключ',
  'with space',
  'dotted.key',
  'a',
  'b2',
  'replicaCount',
  'resources',
];
const PLAIN_STRINGS = ['main-b99bc73', 'lyzhang1999/frontend', 'v1.2.3', 'café', 'a#b', 'x:y'];
const QUOTED_STRINGS = [...PLAIN_STRINGS, '2682590', 'yes', 'a: b', "it's", '', ' sp', '#', '~'];
const NEW_VALUES = [
  'main-2682590',
  '2682590',
  '1276e23',
  '0x1f',
  '0o17',
  '1e3',
  'true',
  'yes',
  'on',
  'off',
  'y',
  'null',
  '~',
  '1.20',
  '.inf',
  '',
  ' leading',
  'trailing ',
  'a: b',
  'x #y',
  '#x',
  "it's",
  'say "hi"',
  'back\\slash',
  'tab\there',
  'line\nbreak',
  '[list]',
  '{map}',
  '&anchor',
  '*alias',
  '- dash',
  '2001-12-14',
  '1:20',
  '1_000',
  'ünï 🚀',
  'repo:5000/x:tag@sha256:abc',
];

function pick<T>(next: () => number, items: readonly T[]): T {
  const item = items[Math.floor(next() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

function generateMap(next: () => number, depth: number, flowAllowed: boolean): Model {
  const count = 1 + Math.floor(next() * (depth === 0 ? 5 : 4));
  const entries: [string, Model][] = [];
  const used = new Set<string>();
  for (let index = 0; index < count; index += 1) {
    const key = pick(next, KEYS);
    if (used.has(key)) continue;
    used.add(key);
    entries.push([key, generateValue(next, depth + 1, flowAllowed)]);
  }
  const scalarOnly = entries.every(([, value]) => value.kind !== 'map' && value.kind !== 'list');
  return { kind: 'map', entries, flow: flowAllowed && depth > 0 && scalarOnly && next() < 0.3 };
}

function generateValue(next: () => number, depth: number, flowAllowed: boolean): Model {
  const roll = next();
  if (depth < 4 && roll < 0.3) return generateMap(next, depth, flowAllowed);
  if (roll < 0.38) {
    const items = Array.from({ length: 1 + Math.floor(next() * 3) }, () =>
      pick(next, PLAIN_STRINGS),
    );
    return { kind: 'list', items, flow: next() < 0.5 };
  }
  if (roll < 0.45) return { kind: 'number', text: pick(next, ['42', '0', '1.5', '2682590']) };
  if (roll < 0.5) return { kind: 'bool', text: next() < 0.5 ? 'true' : 'false' };
  if (roll < 0.55) return { kind: 'null' };
  const style = pick(next, ['plain', 'single', 'double'] as const);
  const value = pick(next, style === 'plain' ? PLAIN_STRINGS : QUOTED_STRINGS);
  return { kind: 'string', value, style };
}

interface RenderOptions {
  readonly step: number;
  readonly eol: string;
  readonly comments: boolean;
  readonly next: () => number;
}

function scalarSource(model: Model): string {
  switch (model.kind) {
    case 'string':
      if (model.style === 'plain') return model.value;
      if (model.style === 'double') return JSON.stringify(model.value);
      return `'${model.value.replaceAll("'", "''")}'`;
    case 'number':
    case 'bool':
      return model.text;
    case 'null':
      return '';
    case 'list':
      return `[${model.items.join(', ')}]`;
    case 'map':
      return `{${model.entries.map(([key, value]) => `${key}: ${scalarSource(value)}`).join(', ')}}`;
  }
}

function renderMap(
  model: Model & { kind: 'map' },
  indent: number,
  options: RenderOptions,
): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  const comment = (): string =>
    options.comments && options.next() < 0.3 ? ` # note ${Math.floor(options.next() * 100)}` : '';
  for (const [key, value] of model.entries) {
    if (options.comments && options.next() < 0.2) lines.push(`${pad}# about ${key}\t`);
    if (options.comments && options.next() < 0.1) lines.push('');
    if (value.kind === 'map' && !value.flow) {
      lines.push(`${pad}${key}:${comment()}`);
      lines.push(...renderMap(value, indent + options.step, options));
    } else if (value.kind === 'list' && !value.flow) {
      lines.push(`${pad}${key}:`);
      const dash = options.next() < 0.5 ? pad : ' '.repeat(indent + options.step);
      for (const item of value.items) lines.push(`${dash}- ${item}`);
    } else if (value.kind === 'null') {
      lines.push(`${pad}${key}:${comment()}`);
    } else {
      lines.push(`${pad}${key}: ${scalarSource(value)}${comment()}`);
    }
  }
  return lines;
}

function toData(model: Model): unknown {
  switch (model.kind) {
    case 'string':
      return model.value;
    case 'number':
      return Number(model.text);
    case 'bool':
      return model.text === 'true';
    case 'null':
      return null;
    case 'list':
      return [...model.items];
    case 'map':
      return Object.fromEntries(model.entries.map(([key, value]) => [key, toData(value)]));
  }
}

/** Paths of scalars that can be edited, and of maps and empty values that can take new keys. */
function targets(model: Model, path: string[] = []): { leaves: string[][]; maps: string[][] } {
  const leaves: string[][] = [];
  const maps: string[][] = [];
  if (model.kind === 'map') {
    maps.push(path);
    for (const [key, value] of model.entries) {
      const inner = targets(value, [...path, key]);
      leaves.push(...inner.leaves);
      maps.push(...inner.maps);
    }
  } else if (model.kind === 'null') {
    leaves.push(path);
    maps.push(path);
  } else if (model.kind !== 'list') {
    leaves.push(path);
  }
  return { leaves, maps };
}

const escapeSegment = (segment: string): string => segment.replaceAll('.', '\\.');
const isPrefix = (a: readonly string[], b: readonly string[]): boolean =>
  a.length <= b.length && a.every((segment, index) => b[index] === segment);

function setIn(data: Record<string, unknown>, path: readonly string[], value: string): void {
  let node = data;
  path.forEach((segment, index) => {
    if (index === path.length - 1) {
      node[segment] = value;
      return;
    }
    const child = node[segment];
    if (typeof child !== 'object' || child === null) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  });
}

function getIn(data: unknown, path: readonly string[]): unknown {
  let node = data;
  for (const segment of path) node = (node as Record<string, unknown> | undefined)?.[segment];
  return node;
}

interface Scenario {
  readonly text: string;
  readonly data: Record<string, unknown>;
  readonly edits: { path: string[]; value: string }[];
  readonly tail: string;
}

function scenario(seed: number): Scenario {
  const next = random(seed);
  const model = generateMap(next, 0, true) as Model & { kind: 'map' };
  const options: RenderOptions = {
    step: next() < 0.7 ? 2 : 4,
    eol: next() < 0.25 ? '\r\n' : '\n',
    comments: next() < 0.7,
    next,
  };
  const lines = renderMap(model, 0, options);
  if (options.comments && next() < 0.5) lines.unshift('# generated values');
  if (next() < 0.2) lines.unshift('---');
  const tail = next() < 0.2 ? `---${options.eol}other: doc${options.eol}` : '';
  const finalNewline = tail !== '' || next() < 0.8;
  const text = lines.join(options.eol) + (finalNewline ? options.eol : '') + tail;

  const { leaves, maps } = targets(model);
  const edits: { path: string[]; value: string }[] = [];
  const count = 1 + Math.floor(next() * 4);
  for (let attempt = 0; attempt < 20 && edits.length < count; attempt += 1) {
    let path: string[];
    if (next() < 0.6 && leaves.length > 0) {
      path = pick(next, leaves);
    } else {
      const parent = pick(next, maps);
      const fresh = Array.from({ length: 1 + Math.floor(next() * 2) }, (_, index) =>
        index === 0 ? `new${edits.length}` : pick(next, ['tag', 'image.name', 'x']),
      );
      path = [...parent, ...fresh];
      if (getIn(toData(model), [...parent, fresh[0] ?? '']) !== undefined) continue;
    }
    if (edits.some((edit) => isPrefix(edit.path, path) || isPrefix(path, edit.path))) continue;
    edits.push({ path, value: pick(next, NEW_VALUES) });
  }
  return { text, data: toData(model) as Record<string, unknown>, edits, tail };
}

const SEEDS = Array.from({ length: 400 }, (_, index) => index + 1);

describe('round trip on random values files', () => {
  it.each(SEEDS)('seed %i', (seed) => {
    const { text, data, edits, tail } = scenario(seed);
    // The generator must produce what it thinks it produced.
    const [document] = parseAllDocuments(text, { merge: true });
    expect(document?.errors).toEqual([]);
    expect(document?.toJS()).toEqual(data);

    const changes: ValueChange[] = edits.map((edit) => ({
      key: edit.path.map(escapeSegment).join('.'),
      value: edit.value,
    }));
    const result = editValuesFile(text, changes, `seed-${seed}.yaml`);

    // Re-reading gives the intended values; everything else is the same data.
    const expected = structuredClone(data);
    for (const edit of edits) setIn(expected, edit.path, edit.value);
    const [edited] = parseAllDocuments(result.text, { merge: true });
    expect(edited?.errors).toEqual([]);
    expect(edited?.toJS()).toEqual(expected);
    for (const change of changes) {
      expect(readValue(result.text, change.key, 'f')).toBe(change.value);
    }

    // A YAML 1.1 reader (Helm's) reads every written value as the same string.
    const yaml11: unknown = parse(result.text.slice(0, result.text.length - tail.length), {
      version: '1.1',
      merge: true,
    });
    for (const edit of edits) expect(getIn(yaml11, edit.path)).toBe(edit.value);

    // Only lines naming an edited key differ; the rest is byte-identical and in order.
    // A missing final newline stays missing; a line appended after the last one gives that line
    // a line break, so both sides are compared as if they had one.
    const eol = /\r?\n/.exec(text)?.[0] ?? '\n';
    const finalNewline = text.length === 0 || text.endsWith('\n');
    expect(result.text.length === 0 || result.text.endsWith('\n')).toBe(finalNewline);
    const diff = finalNewline
      ? lineDiff(text, result.text)
      : lineDiff(text + eol, result.text + eol);
    const segments = edits.flatMap((edit) => edit.path);
    for (const [, line] of [...diff.removed, ...diff.added]) {
      expect(
        segments.some((segment) => line.includes(segment)),
        `changed line ${JSON.stringify(line)} names no edited key`,
      ).toBe(true);
    }
    // Each edit rewrites at most the one line that holds its key (or its parent flow map).
    expect(diff.removed.length).toBeLessThanOrEqual(edits.length);
    expect(result.text.endsWith(tail)).toBe(true);

    // The change set lists exactly the keys whose value changed.
    const changed = edits.filter((edit) => getIn(data, edit.path) !== edit.value);
    expect(result.changes.map((change) => change.to)).toEqual(changed.map((edit) => edit.value));
  });
});
