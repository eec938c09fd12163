import {
  isAlias,
  isCollection,
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node,
  type YAMLMap,
} from 'yaml';

import { ConfigurationError } from '../core/errors.js';
import { MAX_FILE_BYTES } from '../core/files.js';

/**
 * Alias expansions allowed when the document is resolved. Values files rarely use more than a
 * handful; a billion-laughs file needs far more and is refused rather than expanded.
 */
export const MAX_ALIAS_COUNT = 100;

/** Options shared by every parse: Helm's reader honours merge keys and rejects duplicate keys. */
export const PARSE_OPTIONS = { merge: true, uniqueKeys: true, prettyErrors: false } as const;

/** A validated YAML file: its first document (the one Helm reads) and what edits need. */
export interface YamlSource {
  readonly text: string;
  readonly file: string;
  /** The first document, or undefined for an empty file. */
  readonly doc: Document.Parsed | undefined;
  /** The first document resolved to plain data (aliases and merges applied). */
  readonly data: unknown;
  /** Line break of the file (the first one found; `\n` when there is none). */
  readonly eol: string;
  /** Indentation step of nested block maps (the first one found; 2 when there is none). */
  readonly indentStep: number;
  /** 1-based line of an offset. */
  lineOf(offset: number): number;
}

/**
 * Parses a values or override file and refuses what cannot be edited safely: a file above
 * `MAX_FILE_BYTES`, YAML errors in any document (with their line), and alias bombs in the first
 * document. Multi-document files are accepted; only the first document is read and edited,
 * like Helm does.
 */
export function parseYamlSource(text: string, file: string): YamlSource {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_FILE_BYTES) {
    throw new ConfigurationError(
      `the file is ${bytes} bytes, above the ${MAX_FILE_BYTES}-byte limit for values and override files; nothing was changed`,
      { source: file },
    );
  }
  const lineCounter = new LineCounter();
  const lineOf = (offset: number): number => lineCounter.linePos(offset).line;
  const parsed = parseAllDocuments(text, { ...PARSE_OPTIONS, lineCounter });
  const docs = Array.isArray(parsed) ? parsed : [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      throw new ConfigurationError(
        `not valid YAML: ${firstLine(error.message)}; fix the file, nothing was changed`,
        { source: file, line: lineOf(error.pos[0]) },
      );
    }
  }
  const doc = docs[0];
  let data: unknown;
  try {
    data = doc?.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new ConfigurationError(
        `its aliases expand to more than ${MAX_ALIAS_COUNT} nodes, which looks like an alias bomb; it was not expanded and nothing was changed`,
        { source: file },
      );
    }
    throw error;
  }
  return {
    text,
    file,
    doc,
    data,
    eol: /\r\n|\n/.exec(text)?.[0] ?? '\n',
    indentStep: doc ? detectIndentStep(doc.contents, text) : 2,
    lineOf,
  };
}

function firstLine(message: string): string {
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '');
}

/** 0-based column of an offset. */
export function columnAt(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

/** Offset of the end of the line holding `offset`, before its `\r\n` or `\n`. */
export function lineEndAt(text: string, offset: number): number {
  const newline = text.indexOf('\n', offset);
  if (newline < 0) return text.length;
  return newline > 0 && text[newline - 1] === '\r' ? newline - 1 : newline;
}

/** Offset just after the last character that belongs to `node`'s value (no trailing comment). */
export function contentEnd(node: Node, text: string): number {
  if (isMap(node) && !node.flow) {
    const last = node.items[node.items.length - 1];
    if (last !== undefined) {
      const value = last.value;
      if (isNode(value) && value.range) return contentEnd(value, text);
      if (isNode(last.key)) return contentEnd(last.key, text);
    }
  }
  if (isSeq(node) && !node.flow) {
    const last = node.items[node.items.length - 1];
    if (isNode(last)) return contentEnd(last, text);
  }
  const range = node.range ?? [0, 0, 0];
  let end = range[1];
  // A block scalar with keep chomping (`|+`) owns its trailing blank lines: it ends after them.
  if (isScalar(node) && /^[|>][0-9]?\+/.test(text.slice(range[0], range[0] + 3))) return end;
  // Other block scalars own their trailing line breaks; the value ends on its last content line.
  while (end > range[0] && /[\r\n]/.test(text[end - 1] ?? '')) end -= 1;
  return end;
}

/** One replacement in the text; edits are applied one at a time and the text re-parsed. */
export interface TextEdit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export function applyEdit(text: string, edit: TextEdit): string {
  return text.slice(0, edit.start) + edit.text + text.slice(edit.end);
}

function detectIndentStep(root: unknown, text: string): number {
  let step: number | undefined;
  const visit = (node: unknown, column: number): void => {
    if (step !== undefined || !isMap(node) || node.flow) return;
    for (const pair of node.items) {
      const value = pair.value;
      if (isMap(value) && !value.flow && value.items[0] && isScalar(value.items[0].key)) {
        const childColumn = columnAt(text, value.items[0].key.range?.[0] ?? 0);
        if (childColumn > column) {
          step = childColumn - column;
          return;
        }
      }
      if (isMap(value)) visit(value, columnAt(text, firstKeyOffset(value) ?? 0));
    }
  };
  if (isMap(root)) visit(root, columnAt(text, firstKeyOffset(root) ?? 0));
  return step ?? 2;
}

/** Offset of the first key of a map (where its indentation can be read). */
export function firstKeyOffset(map: YAMLMap): number | undefined {
  const key = map.items[0]?.key;
  if (isScalar(key) || isAlias(key) || isCollection(key)) return key.range?.[0];
  return undefined;
}

const BYTE_ORDER_MARK = '\uFEFF';

/** The text without a leading UTF-8 byte order mark (YAML allows one; offsets below ignore it). */
export function withoutByteOrderMark(text: string): string {
  return text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
}

/** Runs an edit on the text after its byte order mark, and puts the mark back in front. */
export function keepingByteOrderMark<T extends { readonly text: string }>(
  text: string,
  edit: (body: string) => T,
): T {
  if (!text.startsWith(BYTE_ORDER_MARK)) return edit(text);
  const result = edit(text.slice(1));
  return { ...result, text: BYTE_ORDER_MARK + result.text };
}
