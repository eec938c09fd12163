import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';

import { ConfigurationError } from '../core/errors.js';

/** One step of a key path: a map key, or (a number) the index of a list element. */
export type KeySegment = string | number;

/**
 * Helm keys are dotted paths into nested maps, the syntax of `helm --set` and of Argo CD's
 * parameters: `frontend.image.tag`. A dot inside a key is written `\.` and a backslash `\\`
 * (`ingress.annotations.kubernetes\.io/ingress\.class`). A list element is `[index]` after a key,
 * as in `helm --set` and argocd-image-updater: `images[1].tag`, `matrix[0][2]`.
 */
export function parseKeyPath(key: string, file: string): KeySegment[] {
  const invalid = (reason: string): ConfigurationError =>
    new ConfigurationError(
      `helm key "${key}" is not a dotted key path: ${reason}; write it like frontend.image, with \\. for a dot inside a key and [1] for a list element`,
      { source: file },
    );
  if (key.length === 0) throw invalid('it is empty');
  const segments: KeySegment[] = [];
  let current = '';
  // Whether the part being read has had a key or an index yet (`a.` or `.a` leave it empty).
  let part = 1;
  let partHasContent = false;
  for (let index = 0; index < key.length; index += 1) {
    const char = key[index];
    if (char === '\\') {
      const next = key[index + 1];
      if (next !== '.' && next !== '\\') {
        throw invalid(`the backslash at position ${index + 1} escapes neither "." nor "\\"`);
      }
      current += next;
      partHasContent = true;
      index += 1;
    } else if (char === '.') {
      if (!partHasContent) throw invalid(`part ${part} is empty`);
      if (current !== '') segments.push(current);
      current = '';
      part += 1;
      partHasContent = false;
    } else if (char === '[') {
      const match = /^\[(0|[1-9][0-9]{0,8})\]/.exec(key.slice(index));
      if (!match) {
        throw invalid(`the [ at position ${index + 1} does not start a list index such as [0]`);
      }
      if (!partHasContent) throw invalid(`the index at position ${index + 1} follows no key`);
      if (current !== '') segments.push(current);
      current = '';
      segments.push(Number(match[1]));
      const next = key[index + match[0].length];
      if (next !== undefined && next !== '.' && next !== '[') {
        throw invalid(
          `the index ${match[0]} at position ${index + 1} is followed by "${next}", not "." or "["`,
        );
      }
      index += match[0].length - 1;
    } else if (char === ']') {
      throw invalid(`the ] at position ${index + 1} closes no list index`);
    } else {
      current += char;
      partHasContent = true;
    }
  }
  if (!partHasContent) throw invalid(`part ${part} is empty`);
  if (current !== '') segments.push(current);
  return segments;
}

/** The dotted spelling of `segments`, escaping dots and backslashes inside keys. */
export function formatKeyPath(segments: readonly KeySegment[]): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else {
      const escaped = segment.replaceAll('\\', '\\\\').replaceAll('.', '\\.');
      text += text === '' ? escaped : `.${escaped}`;
    }
  }
  return text;
}

/** A map key as Helm sees it: Go's YAML reader turns scalar keys into their string form. */
export function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  if (typeof key.value === 'string') return key.value;
  // The merge key `<<` is a symbol; it is not a key a path can name.
  if (key.value === null || key.value === undefined || typeof key.value === 'symbol') {
    return undefined;
  }
  return key.source ?? primitiveText(key.value);
}

function primitiveText(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  return undefined;
}

/** The pair written directly in `map` under `segment` (the last one wins, as in Helm). */
export function findPair(map: YAMLMap, segment: string): Pair | undefined {
  let found: Pair | undefined;
  for (const pair of map.items) {
    if (keyText(pair.key) === segment) found = pair;
  }
  return found;
}

/** A `<<` merge pair (parsed with `merge: true`, its key's value is a symbol). */
export function isMergePair(pair: Pair): boolean {
  return isScalar(pair.key) && typeof pair.key.value === 'symbol';
}

/**
 * The value a merge key (`<<: *base` or `<<: [*a, *b]`) gives `segment`, when `map` has no
 * such key of its own. Earlier sources win, as in YAML 1.1.
 */
export function findMerged(map: YAMLMap, segment: string, doc: Document): Pair | undefined {
  for (const pair of map.items) {
    if (!isMergePair(pair)) continue;
    const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
    for (const source of sources) {
      const resolved = isAlias(source) ? source.resolve(doc) : source;
      if (isMap(resolved)) {
        const inner = findPair(resolved, segment) ?? findMerged(resolved, segment, doc);
        if (inner) return inner;
      }
    }
  }
  return undefined;
}

/** A value node that is an implicit null: `key:` with nothing after it. */
export function isEmptyValue(node: unknown): boolean {
  return node === null || (isScalar(node) && node.value === null && node.source === '');
}

/** Where a dotted path leads in a document, the way Helm reads it (aliases and merges followed). */
export type PathLookup =
  /** The value node at the path (an alias already resolved); null for `key:` with no value. */
  | { readonly kind: 'found'; readonly node: Node | null }
  /** A key on the way, or the last one, is absent (or an intermediate map is empty). */
  | { readonly kind: 'missing' }
  /**
   * `path[index - 1]` (the document root for 0) holds `node`, which is not a map (for a key) or
   * not a list (for an index).
   */
  | { readonly kind: 'blocked'; readonly index: number; readonly node: Node | null }
  /** `path[index]` is an index past the end of the list `node`. */
  | { readonly kind: 'out-of-range'; readonly index: number; readonly node: YAMLSeq };

export function lookupPath(doc: Document, path: readonly KeySegment[]): PathLookup {
  let node: unknown = doc.contents;
  for (const [index, segment] of path.entries()) {
    if (isAlias(node)) node = node.resolve(doc);
    if (typeof segment === 'number') {
      if (!isSeq(node)) return { kind: 'blocked', index, node: (node ?? null) as Node | null };
      if (segment >= node.items.length) return { kind: 'out-of-range', index, node };
      node = node.items[segment];
      continue;
    }
    if (node === undefined || isEmptyValue(node)) return { kind: 'missing' };
    if (!isMap(node)) return { kind: 'blocked', index, node: node as Node | null };
    const pair = findPair(node, segment) ?? findMerged(node, segment, doc);
    if (!pair) return { kind: 'missing' };
    node = pair.value;
  }
  if (isAlias(node)) node = node.resolve(doc);
  return { kind: 'found', node: (node ?? null) as Node | null };
}

/** What a node is, for messages. */
export function describeNode(node: Node | null | undefined): string {
  if (isMap(node)) return 'a map';
  if (isSeq(node)) return 'a list';
  if (isAlias(node)) return `an alias (*${node.source})`;
  if (isScalar(node)) {
    if (node.value === null) return 'null';
    return typeof node.value === 'string' ? 'a string' : `a ${typeof node.value}`;
  }
  return 'nothing';
}

/**
 * A scalar's value as the chart author wrote it: strings as they are, other scalars in their
 * source spelling (`2682590`, `1.20`, not `1.2`), null as undefined.
 */
export function scalarText(node: Node | null | undefined): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  if (typeof node.value === 'string') return node.value;
  return node.source ?? primitiveText(node.value);
}
