import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

import { editOverrideFile, readOverrideParameter } from '../../src/writers/override-file.js';
import { formatKeyPath, type KeySegment } from '../../src/writers/yaml-path.js';
import { editValuesFile, readValue } from '../../src/writers/values-file.js';
import { lineDiff } from './line-diff.js';

/**
 * Property tests with fast-check: random values files built from a small model (nested maps,
 * lists of maps and of scalars, flow collections, quoting styles, comments, CRLF, a byte order
 * mark) and random edits of their scalars, list elements included. A failure shrinks to a
 * minimal file and edit. The seeded corpus in round-trip.test.ts stays as a fixed regression set.
 */

type Scalar =
  | {
      readonly kind: 'string';
      readonly value: string;
      readonly style: 'plain' | 'single' | 'double';
    }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'null' };

type Value =
  | Scalar
  | { readonly kind: 'map'; readonly entries: readonly (readonly [string, Value])[] }
  | { readonly kind: 'flow-map'; readonly entries: readonly (readonly [string, Scalar])[] }
  | { readonly kind: 'list'; readonly items: readonly Value[]; readonly indented: boolean }
  | { readonly kind: 'flow-list'; readonly items: readonly Scalar[] };

const KEYS = ['image', 'tag', 'name', 'repository', 'images', 'x-y', 'ключ', 'with space', 'a'];
const PLAIN = ['main-b99bc73', 'team/web', 'v1.2.3', 'café', 'a#b', 'x:y'];
const QUOTED = [...PLAIN, '2682590', 'yes', 'a: b', "it's", '', '#', '~'];
const NEW_VALUES = [
  'main-2682590',
  '2682590',
  '1276e23',
  'true',
  'yes',
  'null',
  '~',
  '1.20',
  '',
  ' leading',
  'a: b',
  'x #y',
  "it's",
  'say "hi"',
  'line\nbreak',
  '[list]',
  '*alias',
  '- dash',
  'ünï 🚀',
  'repo:5000/x:tag@sha256:abc',
];

const scalar: fc.Arbitrary<Scalar> = fc.oneof(
  fc.record({
    kind: fc.constant('string' as const),
    style: fc.constant('plain' as const),
    value: fc.constantFrom(...PLAIN),
  }),
  fc.record({
    kind: fc.constant('string' as const),
    style: fc.constantFrom('single' as const, 'double' as const),
    value: fc.constantFrom(...QUOTED),
  }),
  fc.record({ kind: fc.constant('number' as const), text: fc.constantFrom('42', '0', '1.5') }),
  fc.constant({ kind: 'null' as const }),
);

const entries = <T>(value: fc.Arbitrary<T>, max: number) =>
  fc.uniqueArray(fc.tuple(fc.constantFrom(...KEYS), value), {
    minLength: 1,
    maxLength: max,
    selector: ([key]) => key,
  });

const { map } = fc.letrec<{ map: Value; value: Value }>((tie) => ({
  map: fc.record({ kind: fc.constant('map' as const), entries: entries(tie('value'), 4) }),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    tie('map'),
    fc.record({ kind: fc.constant('flow-map' as const), entries: entries(scalar, 3) }),
    fc.record({
      kind: fc.constant('list' as const),
      items: fc.array(
        fc.oneof(
          scalar,
          fc.record({ kind: fc.constant('map' as const), entries: entries(scalar, 3) }),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      indented: fc.boolean(),
    }),
    fc.record({
      kind: fc.constant('flow-list' as const),
      items: fc.array(scalar, { minLength: 1, maxLength: 3 }),
    }),
  ),
}));

function scalarSource(value: Scalar): string {
  if (value.kind === 'number') return value.text;
  if (value.kind === 'null') return '';
  if (value.style === 'plain') return value.value;
  if (value.style === 'double') return JSON.stringify(value.value);
  return `'${value.value.replaceAll("'", "''")}'`;
}

function flowScalar(value: Scalar): string {
  return value.kind === 'null' ? 'null' : scalarSource(value);
}

interface Layout {
  readonly step: 2 | 4;
  readonly eol: '\n' | '\r\n';
  readonly bom: boolean;
  readonly comments: boolean;
  readonly finalNewline: boolean;
}

function renderEntries(
  list: readonly (readonly [string, Value])[],
  indent: number,
  layout: Layout,
  first = '',
): string[] {
  const lines: string[] = [];
  list.forEach(([key, value], index) => {
    const pad = index === 0 && first !== '' ? first : ' '.repeat(indent);
    const note = layout.comments ? `  # ${key}` : '';
    if (value.kind === 'map') {
      lines.push(`${pad}${key}:${note}`);
      lines.push(...renderEntries(value.entries, indent + layout.step, layout));
    } else if (value.kind === 'list') {
      lines.push(`${pad}${key}:`);
      const dash = ' '.repeat(value.indented ? indent + layout.step : indent);
      for (const item of value.items) {
        if (item.kind === 'map') {
          lines.push(...renderEntries(item.entries, dash.length + 2, layout, `${dash}- `));
        } else {
          lines.push(`${dash}- ${scalarSource(item as Scalar)}`);
        }
      }
    } else if (value.kind === 'flow-map') {
      const inner = value.entries.map(([k, v]) => `${k}: ${flowScalar(v)}`).join(', ');
      lines.push(`${pad}${key}: {${inner}}${note}`);
    } else if (value.kind === 'flow-list') {
      lines.push(`${pad}${key}: [${value.items.map(flowScalar).join(', ')}]${note}`);
    } else if (value.kind === 'null') {
      lines.push(`${pad}${key}:${note}`);
    } else {
      lines.push(`${pad}${key}: ${scalarSource(value)}${note}`);
    }
  });
  return lines;
}

function render(root: Value, layout: Layout): string {
  if (root.kind !== 'map') throw new Error('the root is a map');
  const lines = renderEntries(root.entries, 0, layout);
  if (layout.comments) lines.unshift('# generated values');
  const body = lines.join(layout.eol) + (layout.finalNewline ? layout.eol : '');
  return (layout.bom ? '\uFEFF' : '') + body;
}

/** Every scalar's path, list elements by index, with `null` leaves (which can take a value). */
function leaves(value: Value, path: KeySegment[] = []): KeySegment[][] {
  switch (value.kind) {
    case 'map':
    case 'flow-map':
      return value.entries.flatMap(([key, inner]) => leaves(inner, [...path, key]));
    case 'list':
    case 'flow-list':
      // An empty list element (`- ` with nothing) cannot take a value; it is not a target.
      return value.items.flatMap((item, index) =>
        item.kind === 'null' ? [] : leaves(item, [...path, index]),
      );
    default:
      return [path];
  }
}

function getIn(data: unknown, path: readonly KeySegment[]): unknown {
  let node = data;
  for (const segment of path) node = (node as Record<string | number, unknown> | null)?.[segment];
  return node;
}

function setIn(data: unknown, path: readonly KeySegment[], value: string): void {
  let node = data as Record<string | number, unknown>;
  path.forEach((segment, index) => {
    if (index === path.length - 1) node[segment] = value;
    else node = node[segment] as Record<string | number, unknown>;
  });
}

const layout: fc.Arbitrary<Layout> = fc.record({
  step: fc.constantFrom(2 as const, 4 as const),
  eol: fc.constantFrom('\n' as const, '\r\n' as const),
  bom: fc.boolean(),
  comments: fc.boolean(),
  finalNewline: fc.boolean(),
});

/** A file and up to three edits of distinct scalars in it. */
const scenario = fc
  .tuple(map, layout)
  .chain(([root, fileLayout]) => {
    const paths = leaves(root);
    const edits =
      paths.length === 0
        ? fc.constant([])
        : fc.uniqueArray(fc.tuple(fc.nat(paths.length - 1), fc.constantFrom(...NEW_VALUES)), {
            minLength: 1,
            maxLength: 3,
            selector: ([index]) => index,
          });
    return fc.tuple(fc.constant(root), fc.constant(fileLayout), edits).map(([r, l, chosen]) => ({
      root: r,
      layout: l,
      edits: chosen.map(([index, value]) => ({ path: paths[index] ?? [], value })),
    }));
  })
  .filter(({ edits }) => edits.length > 0);

describe('values writer properties (fast-check)', () => {
  it('sets exactly the edited scalars, list elements included, and keeps every other line', () => {
    fc.assert(
      fc.property(scenario, ({ root, layout: fileLayout, edits }) => {
        const text = render(root, fileLayout);
        const [original] = parseAllDocuments(text, { merge: true });
        expect(original?.errors).toEqual([]);
        const data: unknown = original?.toJS();
        const changes = edits.map((edit) => ({ key: formatKeyPath(edit.path), value: edit.value }));

        const result = editValuesFile(text, changes, 'values.yaml');

        // The intended data: the edits applied, nothing else.
        const expected = structuredClone(data);
        for (const edit of edits) setIn(expected, edit.path, edit.value);
        const [edited] = parseAllDocuments(result.text, { merge: true });
        expect(edited?.errors).toEqual([]);
        expect(edited?.toJS()).toEqual(expected);
        for (const change of changes) {
          expect(readValue(result.text, change.key, 'values.yaml')).toBe(change.value);
        }
        // A YAML 1.1 reader (Helm's) reads every written value as the same string.
        const yaml11: unknown = parse(result.text.replace(/^\uFEFF/, ''), { version: '1.1' });
        for (const edit of edits) expect(getIn(yaml11, edit.path)).toBe(edit.value);

        // The byte order mark and the final newline are as they were; at most one line per
        // edit differs, and every other line is byte-identical and in order.
        expect(result.text.startsWith('\uFEFF')).toBe(fileLayout.bom);
        expect(result.text.endsWith(fileLayout.eol)).toBe(
          fileLayout.finalNewline || text.length === 0,
        );
        const diff = lineDiff(text + fileLayout.eol, result.text + fileLayout.eol);
        expect(diff.removed.length).toBeLessThanOrEqual(edits.length);
        expect(diff.added.length).toBeLessThanOrEqual(edits.length);

        // The change set lists exactly the values that changed; a second run changes nothing.
        const changed = edits.filter((edit) => getIn(data, edit.path) !== edit.value);
        expect(result.changes.map((change) => change.to).sort()).toEqual(
          changed.map((edit) => edit.value).sort(),
        );
        const again = editValuesFile(result.text, changes, 'values.yaml');
        expect(again.changes).toEqual([]);
        expect(again.text).toBe(result.text);
      }),
      { numRuns: 300 },
    );
  });

  it('an index past the end of a list is refused and never becomes a key', () => {
    fc.assert(
      fc.property(map, layout, fc.nat(5), (root, fileLayout, extra) => {
        fc.pre(root.kind === 'map' && root.entries.some(([, v]) => v.kind === 'list'));
        const text = render(root, fileLayout);
        const [key, list] = (root.kind === 'map' ? root.entries : []).find(
          ([, v]) => v.kind === 'list',
        ) as [string, Value & { kind: 'list' }];
        const change = { key: formatKeyPath([key, list.items.length + extra]), value: 'v' };
        expect(() => editValuesFile(text, [change], 'values.yaml')).toThrow(/is past its end/);
      }),
      { numRuns: 100 },
    );
  });
});

describe('override writer properties (fast-check)', () => {
  const parameterName = fc
    .array(fc.constantFrom('frontend', 'images[1]', 'tag', 'a\\.b', 'x-y'), {
      minLength: 1,
      maxLength: 3,
    })
    .map((parts) => parts.join('.'));

  it('sets every named parameter and keeps the others, and a byte order mark survives', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(parameterName, fc.constantFrom(...NEW_VALUES)), {
          minLength: 1,
          maxLength: 4,
          selector: ([name]) => name,
        }),
        fc.boolean(),
        (parameters, bom) => {
          const created = editOverrideFile(
            undefined,
            parameters.map(([key, value]) => ({ key, value })),
            'f',
          );
          const text = (bom ? '\uFEFF' : '') + created.text;
          const [firstName] = parameters[0] ?? ['frontend'];
          const result = editOverrideFile(text, [{ key: firstName, value: 'main-9' }], 'f');
          expect(result.text.startsWith('\uFEFF')).toBe(bom);
          expect(readOverrideParameter(result.text, firstName, 'f')).toBe('main-9');
          for (const [name, value] of parameters.slice(1)) {
            expect(readOverrideParameter(result.text, name, 'f')).toBe(value);
          }
          const diff = lineDiff(text, result.text);
          expect(diff.removed.length).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
