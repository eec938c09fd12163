import { isMap, isNode, isScalar, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';

import { renderKey, renderScalar } from './scalar.js';
import {
  columnAt,
  contentEnd,
  firstKeyOffset,
  lineEndAt,
  type TextEdit,
  type YamlSource,
} from './yaml-source.js';

/** Content to add to a file: strings are written by the quoting rule, booleans as YAML booleans. */
export type NewNode = string | boolean | NewMap | NewSeq;

export interface NewMap {
  readonly kind: 'map';
  readonly entries: readonly NewEntry[];
}

export interface NewSeq {
  readonly kind: 'seq';
  readonly items: readonly NewNode[];
}

export type NewEntry = readonly [key: string, value: NewNode];

/** `{a: {b: value}}` for the segments `[a, b]`. */
export function nestedEntry(segments: readonly string[], value: string): NewEntry {
  const [first, ...rest] = segments;
  if (first === undefined) throw new Error('nestedEntry needs at least one segment');
  if (rest.length === 0) return [first, value];
  return [first, { kind: 'map', entries: [nestedEntry(rest, value)] }];
}

function renderLeaf(value: string | boolean): string {
  return typeof value === 'boolean' ? String(value) : renderScalar(value);
}

/** Flow style: `{name: a, value: "1"}`. */
export function renderFlow(node: NewNode): string {
  if (typeof node === 'string' || typeof node === 'boolean') return renderLeaf(node);
  if (node.kind === 'map') {
    return `{${node.entries.map(([key, value]) => `${renderKey(key)}: ${renderFlow(value)}`).join(', ')}}`;
  }
  return `[${node.items.map(renderFlow).join(', ')}]`;
}

/**
 * Block style lines (without line breaks) for map entries at `indent`. Nested maps are indented
 * by the file's step; sequences are written "indentless" (`- ` at the key's column), the layout
 * Argo CD and the SPEC use for `helm.parameters`.
 */
export function renderBlockEntries(
  entries: readonly NewEntry[],
  indent: number,
  step: number,
): string[] {
  const lines: string[] = [];
  const pad = ' '.repeat(indent);
  for (const [key, value] of entries) {
    if (typeof value === 'string' || typeof value === 'boolean') {
      lines.push(`${pad}${renderKey(key)}: ${renderLeaf(value)}`);
    } else if (value.kind === 'map') {
      lines.push(
        `${pad}${renderKey(key)}:`,
        ...renderBlockEntries(value.entries, indent + step, step),
      );
    } else {
      lines.push(`${pad}${renderKey(key)}:`);
      for (const item of value.items)
        lines.push(...renderBlockItem(item, indent, indent + 2, step));
    }
  }
  return lines;
}

/** One `- ` item of a block sequence: the dash at `dashColumn`, the item's content at `itemColumn`. */
export function renderBlockItem(
  item: NewNode,
  dashColumn: number,
  itemColumn: number,
  step: number,
): string[] {
  const dash = `${' '.repeat(dashColumn)}-${' '.repeat(Math.max(1, itemColumn - dashColumn - 1))}`;
  if (typeof item === 'string' || typeof item === 'boolean') return [`${dash}${renderLeaf(item)}`];
  if (item.kind === 'seq') return [`${dash}${renderFlow(item)}`];
  const lines = renderBlockEntries(item.entries, itemColumn, step);
  if (lines[0] !== undefined) lines[0] = dash + lines[0].slice(itemColumn);
  return lines;
}

/** Adds entries at the end of an existing map, in its style (block with its indentation, or flow). */
export function insertIntoMap(
  source: YamlSource,
  map: YAMLMap,
  entries: readonly NewEntry[],
): TextEdit {
  const { text } = source;
  if (map.flow) {
    const last = map.items[map.items.length - 1];
    const flowText = entries.map(([key, value]) => `${renderKey(key)}: ${renderFlow(value)}`);
    if (last === undefined) {
      const open = map.range?.[0] ?? 0;
      return { start: open + 1, end: open + 1, text: flowText.join(', ') };
    }
    const at = flowPairEnd(last, text);
    return { start: at, end: at, text: `, ${flowText.join(', ')}` };
  }
  const indent = columnAt(text, firstKeyOffset(map) ?? map.range?.[0] ?? 0);
  const lines = renderBlockEntries(entries, indent, source.indentStep);
  return appendLines(source, contentEnd(map, text), lines);
}

/**
 * New lines after the block content ending at `end`: at the end of that line (after its comment,
 * before its line break), or, when the content ends with its own line breaks (a `|+` block
 * scalar keeps its trailing blank lines), at the start of the next line.
 */
function appendLines(source: YamlSource, end: number, lines: readonly string[]): TextEdit {
  const { text, eol } = source;
  if (end > 0 && text[end - 1] === '\n') {
    return { start: end, end, text: lines.join(eol) + eol };
  }
  const at = lineEndAt(text, end);
  return { start: at, end: at, text: eol + lines.join(eol) };
}

function flowPairEnd(pair: Pair, text: string): number {
  if (isNode(pair.value) && pair.value.range && !isEmptyScalar(pair.value)) {
    return contentEnd(pair.value, text);
  }
  const keyEnd = isNode(pair.key) ? contentEnd(pair.key, text) : 0;
  // `{a: }`: after the colon, so the new entry does not land between the key and its colon.
  const colon = /^\s*:/.exec(text.slice(keyEnd));
  return colon ? keyEnd + colon[0].length : keyEnd;
}

function isEmptyScalar(node: Node): boolean {
  return isScalar(node) && node.value === null && node.source === '';
}

/** Appends an item to an existing sequence, in its style. */
export function insertIntoSeq(source: YamlSource, seq: YAMLSeq, item: NewNode): TextEdit {
  const { text } = source;
  const last = seq.items[seq.items.length - 1];
  if (seq.flow) {
    if (!isNode(last)) {
      const open = seq.range?.[0] ?? 0;
      return { start: open + 1, end: open + 1, text: renderFlow(item) };
    }
    const at = contentEnd(last, text);
    return { start: at, end: at, text: `, ${renderFlow(item)}` };
  }
  const dashColumn = columnAt(text, seq.range?.[0] ?? 0);
  const first = seq.items[0];
  let firstOffset: number | undefined;
  if (isMap(first) && !first.flow) firstOffset = firstKeyOffset(first);
  else if (isNode(first)) firstOffset = first.range?.[0];
  const itemColumn = firstOffset === undefined ? dashColumn + 2 : columnAt(text, firstOffset);
  const lines = renderBlockItem(item, dashColumn, itemColumn, source.indentStep);
  return appendLines(source, contentEnd(seq, text), lines);
}

/**
 * Fills `key:` that has no value. A scalar goes on the key's line; a map or list goes below it
 * (block) or on the line (flow parent), leaving a comment after the colon where it is.
 */
export function fillEmptyValue(
  source: YamlSource,
  pair: Pair,
  parentFlow: boolean,
  value: NewNode,
): TextEdit {
  const { text } = source;
  const keyStart = isNode(pair.key) ? (pair.key.range?.[0] ?? 0) : 0;
  const colon = colonAfter(text, isNode(pair.key) ? contentEnd(pair.key, text) : keyStart);
  if (typeof value === 'string' || typeof value === 'boolean' || parentFlow) {
    const rendered = typeof value === 'object' ? renderFlow(value) : renderLeaf(value);
    return { start: colon + 1, end: colon + 1, text: ` ${rendered}` };
  }
  const keyColumn = columnAt(text, keyStart);
  const lines =
    value.kind === 'map'
      ? renderBlockEntries(value.entries, keyColumn + source.indentStep, source.indentStep)
      : value.items.flatMap((item) =>
          renderBlockItem(item, keyColumn, keyColumn + 2, source.indentStep),
        );
  const at = lineEndAt(text, colon);
  return { start: at, end: at, text: source.eol + lines.join(source.eol) };
}

/** The offset of the `:` that ends a key (a quoted key may be followed by spaces first). */
function colonAfter(text: string, keyEnd: number): number {
  const colon = text.indexOf(':', keyEnd);
  if (colon < 0) throw new Error(`no ':' after the key ending at offset ${keyEnd}`);
  return colon;
}

/**
 * Adds a top-level map to a document that has none (an empty file, only comments, or an empty
 * first document of several): after `---` when there is one, else at the end.
 */
export function insertRootMap(
  source: YamlSource,
  emptyRoot: Node | null,
  entries: readonly NewEntry[],
): TextEdit {
  const { text, eol } = source;
  const lines = renderBlockEntries(entries, 0, source.indentStep).join(eol);
  const after = emptyRoot?.range ? lineEndAt(text, emptyRoot.range[0]) : undefined;
  const at = after !== undefined && after > 0 && after < text.length ? after : text.length;
  if (at === 0 || text[at - 1] === '\n') return { start: at, end: at, text: lines + eol };
  return { start: at, end: at, text: eol + lines };
}
