import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import {
  isPlainSafe,
  quoteDouble,
  quoteSingle,
  renderKey,
  renderScalar,
} from '../../src/writers/scalar.js';

// Values that must be quoted because YAML 1.1 or 1.2 (or the syntax) would not read them back.
const NEEDS_QUOTES = [
  '2682590',
  '1276e23',
  '0x1f',
  '0o17',
  '017',
  '1e3',
  '1_000',
  '1:20',
  '0b101',
  'true',
  'False',
  'yes',
  'No',
  'on',
  'OFF',
  'y',
  'N',
  'null',
  'Null',
  '~',
  '1.20',
  '.inf',
  '-.Inf',
  '.nan',
  '+1',
  '.5',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '',
  ' lead',
  'trail ',
  'a: b',
  'x #y',
  'ends:',
  '#comment',
  ':colon',
  '- dash',
  '-',
  '?',
  '[a]',
  '{a}',
  'a,b',
  '&anchor',
  '*alias',
  '!tag',
  '|',
  '>',
  "'quoted'",
  '"quoted"',
  '%directive',
  '@at',
  '`tick',
  '=',
  '<<',
  'line\nbreak',
  'tab\there',
  'bell\u0007',
  'nbsp\u00a0',
];

const PLAIN = [
  'main-b99bc73',
  'latest',
  'v1.4.2',
  '1.4.2',
  'lyzhang1999/frontend',
  'ghcr.io/owner/app:main-1',
  'registry.local:5000/team/app:1.2@sha256:abc',
  'sha256:0123456789abcdef',
  'a#b',
  'a:b',
  'main_1',
  'café',
  '🚀',
  'NaN',
];

describe('isPlainSafe', () => {
  it.each(NEEDS_QUOTES)('%j needs quotes', (value) => {
    expect(isPlainSafe(value)).toBe(false);
  });

  it.each(PLAIN)('%j can be plain', (value) => {
    expect(isPlainSafe(value)).toBe(true);
  });
});

describe('renderScalar', () => {
  it.each([
    ['main-1', 'plain', 'main-1'],
    ['2682590', 'plain', '"2682590"'],
    ['main-1', 'single', "'main-1'"],
    ["it's", 'single', "'it''s'"],
    ['line\nbreak', 'single', '"line\\nbreak"'],
    ['main-1', 'double', '"main-1"'],
    ['a"b\\c', 'double', '"a\\"b\\\\c"'],
    ['tab\t', 'double', '"tab\\t"'],
    ['bell\u0007', 'plain', '"bell\\x07"'],
    ['\u2028', 'plain', '"\\u2028"'],
  ] as const)('%j in style %s is %s', (value, style, expected) => {
    expect(renderScalar(value, style)).toBe(expected);
  });

  it.each([...NEEDS_QUOTES, ...PLAIN, 'emoji 🚀 "q"', '\ud800', 'x\u0085y', '\ufeffbom'])(
    '%j reads back as the same string in YAML 1.1 and 1.2, in every style, block and flow',
    (value) => {
      const rendered = [renderScalar(value, 'plain'), quoteDouble(value), quoteSingle(value)];
      for (const text of rendered) {
        if (text === undefined) continue;
        for (const version of ['1.1', '1.2'] as const) {
          expect(parse(`k: ${text}\n`, { version })).toEqual({ k: value });
          expect(parse(`{k: ${text}}\n`, { version })).toEqual({ k: value });
        }
      }
    },
  );

  it('refuses single quotes for values they cannot hold', () => {
    expect(quoteSingle('a\nb')).toBeUndefined();
    expect(quoteSingle('a\u0000')).toBeUndefined();
  });
});

describe('renderKey', () => {
  it.each([
    ['frontend', 'frontend'],
    ['kubernetes.io/ingress.class', 'kubernetes.io/ingress.class'],
    ['true', '"true"'],
    ['a: b', '"a: b"'],
    ['', '""'],
  ])('%j is written %s', (key, expected) => {
    expect(renderKey(key)).toBe(expected);
  });
});
