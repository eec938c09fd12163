import {
  isAlias,
  isCollection,
  isMap,
  isNode,
  isScalar,
  isSeq,
  parseAllDocuments,
  Document,
  Scalar,
  type Node,
  type YAMLSeq,
} from 'yaml';

import { ConfigurationError } from '../core/errors.js';
import { renderScalar, type QuoteStyle } from './scalar.js';
import type { AppliedChange, ValueChange, WriteResult } from './types.js';
import { sameData } from './same-data.js';
import { fillEmptyValue, insertIntoMap, insertRootMap, nestedEntry } from './yaml-insert.js';
import {
  describeNode,
  findMerged,
  findPair,
  formatKeyPath,
  isEmptyValue,
  type KeySegment,
  lookupPath,
  parseKeyPath,
  scalarText,
} from './yaml-path.js';
import {
  applyEdit,
  keepingByteOrderMark,
  MAX_ALIAS_COUNT,
  PARSE_OPTIONS,
  parseYamlSource,
  type TextEdit,
  withoutByteOrderMark,
  type YamlSource,
} from './yaml-source.js';

/**
 * Sets dotted keys in a Helm values file and changes nothing else: only the bytes of the changed
 * scalars differ (missing keys are added as new lines). See docs/write-back.md.
 *
 * Throws a ConfigurationError naming the file and key when the file is not valid YAML, is too
 * large, is an alias bomb, or when a key cannot be set (it runs into a scalar, a list or an
 * alias, or holds a map or an alias); the caller then keeps the file as it was.
 */
export function editValuesFile(
  text: string,
  changes: readonly ValueChange[],
  file: string,
): WriteResult {
  return keepingByteOrderMark(text, (body) => editValuesBody(body, changes, file));
}

function editValuesBody(text: string, changes: readonly ValueChange[], file: string): WriteResult {
  const original = parseYamlSource(text, file);
  let source = original;
  const applied: AppliedChange[] = [];
  for (const change of lastChangePerKey(changes)) {
    const path = parseKeyPath(change.key, file);
    const planned = planChange(source, path, change, file);
    if (planned === undefined) continue;
    applied.push({ key: change.key, from: planned.from, to: change.value });
    source = parseYamlSource(applyEdit(source.text, planned.edit), file);
  }
  if (applied.length === 0) return { text, changes: [] };
  verifyValues(original, source, applied, file);
  return { text: source.text, changes: applied };
}

/**
 * The current value of a dotted key as Helm sees it: through aliases and merge keys, strings
 * as written, other scalars in their source spelling (`2682590`). Undefined when the key is
 * missing or null. Throws like `editValuesFile` when the path cannot hold a value.
 */
export function readValue(text: string, key: string, file: string): string | undefined {
  const source = parseYamlSource(withoutByteOrderMark(text), file);
  const path = parseKeyPath(key, file);
  if (!source.doc) return undefined;
  const found = lookupPath(source.doc, path);
  if (found.kind === 'missing') return undefined;
  if (found.kind === 'blocked') {
    throw pathError(source, key, path, found.index, found.node, 'read');
  }
  if (found.kind === 'out-of-range')
    throw outOfRange(source, key, path, found.index, found.node, 'read');
  const node = found.node;
  if (isCollection(node)) {
    throw new ConfigurationError(
      `cannot read ${key}: it holds ${describeNode(node)}, not a single value; point the helm key at a single value inside it`,
      { source: file, line: source.lineOf(node.range?.[0] ?? 0) },
    );
  }
  return scalarText(node);
}

// One change per key, the last one winning, in first-seen order.
function lastChangePerKey(changes: readonly ValueChange[]): ValueChange[] {
  const byKey = new Map<string, ValueChange>();
  for (const change of changes) byKey.set(change.key, change);
  return [...byKey.values()];
}

interface PlannedChange {
  readonly edit: TextEdit;
  readonly from: string | undefined;
}

function planChange(
  source: YamlSource,
  path: readonly KeySegment[],
  change: ValueChange,
  file: string,
): PlannedChange | undefined {
  const doc = source.doc;
  const root = doc?.contents ?? null;
  if (isEmptyValue(root)) {
    return {
      edit: insertRootMap(source, root, [
        nestedEntry(mapKeys(source, change.key, path, 0), change.value),
      ]),
      from: undefined,
    };
  }
  let node: unknown = root;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (typeof segment === 'number') {
      if (!isSeq(node)) throw pathError(source, change.key, path, index, node as Node, 'set');
      if (segment >= node.items.length)
        throw outOfRange(source, change.key, path, index, node, 'set');
      const item = (node.items[segment] ?? null) as Node | null;
      if (last) return planScalarEdit(source, item, change, file, undefined);
      node = item;
      continue;
    }
    if (!isMap(node)) throw pathError(source, change.key, path, index, node as Node, 'set');
    const map = node;
    const pair = findPair(map, segment);
    if (!pair) {
      if (index < path.length - 1 && doc && findMerged(map, segment, doc)) {
        const prefix = formatKeyPath(path.slice(0, index + 1));
        throw new ConfigurationError(
          `cannot set ${change.key}: ${prefix} comes from a merge key (<<), and adding it here would hide the rest of the merged map; write ${prefix} out in the file first`,
          { source: file, line: source.lineOf(map.range?.[0] ?? 0) },
        );
      }
      const rest = mapKeys(source, change.key, path, index);
      const from = doc
        ? scalarText(findMerged(map, segment, doc)?.value as Node | null)
        : undefined;
      return { edit: insertIntoMap(source, map, [nestedEntry(rest, change.value)]), from };
    }
    const value = pair.value as Node | null;
    if (last) {
      const fill = (): TextEdit => fillEmptyValue(source, pair, map.flow ?? false, change.value);
      return planScalarEdit(source, value, change, file, fill);
    }
    if (isEmptyValue(value)) {
      const entry = nestedEntry(mapKeys(source, change.key, path, index + 1), change.value);
      const created = { kind: 'map', entries: [entry] } as const;
      return { edit: fillEmptyValue(source, pair, map.flow ?? false, created), from: undefined };
    }
    node = value;
  }
  throw new Error(`unreachable: empty key path for ${change.key}`);
}

/**
 * The keys from `path[index]` on, which are about to be created as nested maps. A list index
 * among them is an error: the list is missing, and an element cannot be made up.
 */
function mapKeys(
  source: YamlSource,
  key: string,
  path: readonly KeySegment[],
  index: number,
): string[] {
  const rest = path.slice(index);
  const position = rest.findIndex((segment) => typeof segment === 'number');
  if (position < 0) return rest as string[];
  const list = formatKeyPath(path.slice(0, index + position));
  throw new ConfigurationError(
    `cannot set ${key}: ${list} is not in the file, and a list element cannot be created; add the list ${list} to the file, or correct the helm key`,
    { source: source.file },
  );
}

function planScalarEdit(
  source: YamlSource,
  value: Node | null,
  change: ValueChange,
  file: string,
  fillEmpty: (() => TextEdit) | undefined,
): PlannedChange | undefined {
  const line = (node: Node): number => source.lineOf(node.range?.[0] ?? 0);
  if (isEmptyValue(value) && fillEmpty) return { edit: fillEmpty(), from: undefined };
  if (isAlias(value)) {
    throw new ConfigurationError(
      `cannot set ${change.key}: its value is ${describeNode(value)}, and editing the anchor would change every alias of it; write a value in place of the alias`,
      { source: file, line: line(value) },
    );
  }
  if (!isScalar(value) || (value.value === null && value.source === '')) {
    throw new ConfigurationError(
      `cannot set ${change.key}: it holds ${describeNode(value)}, not a single value; point the helm key at a single value inside it`,
      { source: file, line: value ? line(value) : undefined },
    );
  }
  if (value.tag !== undefined && value.tag !== 'tag:yaml.org,2002:str') {
    throw new ConfigurationError(
      `cannot set ${change.key}: its value has the explicit tag ${value.tag.replace('tag:yaml.org,2002:', '!!')}, which cannot hold the string ${change.value}; remove the tag`,
      { source: file, line: line(value) },
    );
  }
  const from = scalarText(value);
  // Unchanged only when it already is that string: a plain `2682590` is a number to Helm, and
  // writing it quoted is the fix even though it is spelled the same.
  if (typeof value.value === 'string' && value.value === change.value) return undefined;
  return { edit: replaceScalar(source, value, change.value), from };
}

/** Replaces a scalar's own bytes, keeping its anchor, tag, comment and quote style. */
export function replaceScalar(source: YamlSource, scalar: Scalar, value: string): TextEdit {
  const range = scalar.range ?? [0, 0, 0];
  let end = range[1];
  // A block scalar (`|`, `>`) owns its final line break; keep it after the new one-line value.
  while (end > range[0] && /[\r\n]/.test(source.text[end - 1] ?? '')) end -= 1;
  return { start: range[0], end, text: renderScalar(value, quoteStyleOf(scalar)) };
}

function quoteStyleOf(scalar: Scalar): QuoteStyle {
  if (scalar.type === Scalar.QUOTE_SINGLE) return 'single';
  if (scalar.type === Scalar.QUOTE_DOUBLE) return 'double';
  return 'plain';
}

/**
 * The error for a path that runs into something that is not a map (for a key) or a list (for an
 * index) at `path[index]`'s parent.
 */
function pathError(
  source: YamlSource,
  key: string,
  path: readonly KeySegment[],
  index: number,
  node: Node | null | undefined,
  verb: 'set' | 'read',
): ConfigurationError {
  const location = {
    source: source.file,
    line: isNode(node) && node.range ? source.lineOf(node.range[0]) : undefined,
  };
  const wantsList = typeof path[index] === 'number';
  const expected = wantsList ? 'a list' : 'a map';
  if (index === 0) {
    return new ConfigurationError(
      `cannot ${verb} ${key}: the top level of the document is ${describeNode(node)}, not a map`,
      location,
    );
  }
  const prefix = formatKeyPath(path.slice(0, index));
  if (isAlias(node)) {
    return new ConfigurationError(
      `cannot ${verb} ${key}: ${prefix} is ${describeNode(node)}, and editing through it would change the anchored ${wantsList ? 'list' : 'map'} too; write the ${wantsList ? 'list' : 'map'} out under ${prefix}`,
      location,
    );
  }
  if (isSeq(node)) {
    return new ConfigurationError(
      `cannot ${verb} ${key}: ${prefix} is a list; name an element of it with an index, e.g. ${formatKeyPath([...path.slice(0, index), 0, ...path.slice(index)])}`,
      location,
    );
  }
  return new ConfigurationError(
    `cannot ${verb} ${key}: ${prefix} holds ${describeNode(node)}, not ${expected}; change the helm key or the file`,
    location,
  );
}

/** The error for an index past the end of a list. */
function outOfRange(
  source: YamlSource,
  key: string,
  path: readonly KeySegment[],
  index: number,
  list: YAMLSeq,
  verb: 'set' | 'read',
): ConfigurationError {
  const prefix = formatKeyPath(path.slice(0, index));
  const size = list.items.length;
  return new ConfigurationError(
    `cannot ${verb} ${key}: ${prefix} has ${size} element${size === 1 ? '' : 's'}, so [${String(path[index])}] is past its end (the first is [0]); correct the index or add the element to the file`,
    { source: source.file, line: list.range ? source.lineOf(list.range[0]) : undefined },
  );
}

/**
 * The last line of defence: the edited file must mean exactly the original with the changes
 * applied (checked on the data, aliases and merges resolved). A difference is a bug in this
 * writer, reported instead of writing a file that says something else.
 */
function verifyValues(
  original: YamlSource,
  edited: YamlSource,
  applied: readonly AppliedChange[],
  file: string,
): void {
  const [expected] = parseAllDocuments(original.text, PARSE_OPTIONS) as Document.Parsed[];
  const doc: Document = expected ?? new Document({});
  for (const change of applied) setExpected(doc, parseKeyPath(change.key, file), change.to);
  const want: unknown = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  if (!sameData(want, edited.data)) {
    throw new Error(
      `editing ${file} (${applied.map((change) => change.key).join(', ')}) would have changed other values too; the file was left unchanged. This is a bug in helm-image-updater, please report it with the file`,
    );
  }
}

function setExpected(doc: Document, path: readonly KeySegment[], value: string): void {
  if (isEmptyValue(doc.contents)) doc.contents = doc.createNode({});
  let node: unknown = doc.contents;
  for (const [index, segment] of path.entries()) {
    const last = index === path.length - 1;
    if (typeof segment === 'number') {
      if (!isSeq(node)) return;
      const item: unknown = node.items[segment];
      if (last) {
        if (isScalar(item)) item.value = value;
        return;
      }
      node = item;
      continue;
    }
    if (!isMap(node)) return;
    const pair = findPair(node, segment);
    if (!pair || isEmptyValue(pair.value)) {
      const [, nested] = nestedEntry(path.slice(index) as string[], value);
      const created = doc.createNode(typeof nested === 'string' ? nested : toPlain(nested));
      if (pair) pair.value = created;
      else node.items.push(doc.createPair(segment, created));
      return;
    }
    if (last) {
      if (isScalar(pair.value)) pair.value.value = value;
      return;
    }
    node = pair.value;
  }
}

function toPlain(node: ReturnType<typeof nestedEntry>[1]): unknown {
  if (typeof node !== 'object') return node;
  if (node.kind === 'seq') return node.items.map(toPlain);
  return Object.fromEntries(node.entries.map(([key, value]) => [key, toPlain(value)]));
}
