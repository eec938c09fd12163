import { parse } from 'yaml';

/** How a scalar is written in the file: the three styles a tag or repository can take. */
export type QuoteStyle = 'plain' | 'single' | 'double';

// Characters that start a YAML indicator; a plain scalar starting with one is misread or invalid.
const INDICATOR_FIRST = new Set([...'-?:,[]{}#&*!|>\'"%@`']);
// Flow indicators end a plain scalar inside `{...}` / `[...]`; quoting keeps one rule for both.
const FLOW_INDICATORS = /[,[\]{}]/;
// C0/C1 controls, DEL, line and paragraph separators, BOM and lone surrogates are not plain-safe.
const NOT_PRINTABLE =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u0084\u0086-\u009f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/u;
// `=` is the YAML 1.1 value key and `<<` the merge key: Go's YAML 1.1 reader gives them meaning.
const YAML11_SPECIAL = new Set(['=', '<<']);

/**
 * Whether `value` can be written without quotes: it must read back as exactly this string in
 * YAML 1.2 (the `yaml` package, the core schema) and in YAML 1.1 (the schema of Helm's Go
 * reader, where `yes`, `on`, `0b11`, `1_000`, `1:20` and timestamps are not strings), in block
 * and in flow context.
 */
export function isPlainSafe(value: string): boolean {
  if (value.length === 0) return false;
  if (/^\s|\s$/u.test(value)) return false;
  if (NOT_PRINTABLE.test(value)) return false;
  if (INDICATOR_FIRST.has(value[0] ?? '')) return false;
  if (FLOW_INDICATORS.test(value)) return false;
  if (value.includes(': ') || value.includes(' #') || value.endsWith(':')) return false;
  if (YAML11_SPECIAL.has(value)) return false;
  return readsBackAs(value);
}

function readsBackAs(value: string): boolean {
  for (const version of ['1.1', '1.2'] as const) {
    for (const source of [`k: ${value}\n`, `{k: ${value}}\n`]) {
      try {
        const parsed: unknown = parse(source, { version, uniqueKeys: false, merge: false });
        if (typeof parsed !== 'object' || parsed === null) return false;
        if ((parsed as Record<string, unknown>)['k'] !== value) return false;
      } catch {
        return false;
      }
    }
  }
  return true;
}

/** `value` as a YAML double-quoted scalar, escaping everything that is not printable. */
export function quoteDouble(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\t') out += '\\t';
    else if (char === '\r') out += '\\r';
    else if (NOT_PRINTABLE.test(char)) out += escapeCodePoint(code);
    else out += char;
  }
  return `${out}"`;
}

function escapeCodePoint(code: number): string {
  const hex = code.toString(16).toUpperCase();
  if (code <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (code <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

/**
 * `value` as a YAML single-quoted scalar, or undefined when that style cannot hold it on one
 * line (single quotes have no escapes, so line breaks and control characters need double quotes).
 */
export function quoteSingle(value: string): string | undefined {
  if (NOT_PRINTABLE.test(value)) return undefined;
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The text of a new value in the style the old one had: quoted values keep their quote style
 * (single falls back to double when it cannot hold the value); plain values stay plain when that
 * is safe and are double-quoted otherwise.
 */
export function renderScalar(value: string, previous: QuoteStyle = 'plain'): string {
  if (previous === 'single') return quoteSingle(value) ?? quoteDouble(value);
  if (previous === 'double') return quoteDouble(value);
  return isPlainSafe(value) ? value : quoteDouble(value);
}

/** A map key: plain when safe, else double-quoted. */
export function renderKey(key: string): string {
  return isPlainSafe(key) ? key : quoteDouble(key);
}
