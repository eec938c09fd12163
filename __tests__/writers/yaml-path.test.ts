import { describe, expect, it } from 'vitest';
import { isScalar, parseDocument } from 'yaml';

import { ConfigurationError } from '../../src/core/errors.js';
import { formatKeyPath, lookupPath, parseKeyPath } from '../../src/writers/yaml-path.js';

describe('parseKeyPath', () => {
  it.each([
    ['frontend', ['frontend']],
    ['frontend.tag', ['frontend', 'tag']],
    ['a.b.c.d', ['a', 'b', 'c', 'd']],
    ['kubernetes\\.io/ingress\\.class', ['kubernetes.io/ingress.class']],
    [
      'ingress.annotations.cert-manager\\.io/issuer',
      ['ingress', 'annotations', 'cert-manager.io/issuer'],
    ],
    ['back\\\\slash.x', ['back\\slash', 'x']],
    ['a\\\\.b', ['a\\', 'b']],
    ['ключ.tag', ['ключ', 'tag']],
    ['with space.tag', ['with space', 'tag']],
  ])('%s is %j', (key, segments) => {
    expect(parseKeyPath(key, 'f')).toEqual(segments);
    expect(parseKeyPath(formatKeyPath(segments), 'f')).toEqual(segments);
  });

  it.each([
    ['', 'it is empty'],
    ['.a', 'part 1 is empty'],
    ['a.', 'part 2 is empty'],
    ['a..b', 'part 2 is empty'],
    ['a\\b', 'the backslash at position 2 escapes neither "." nor "\\"'],
    ['a\\', 'the backslash at position 2 escapes neither "." nor "\\"'],
  ])('%j is refused: %s', (key, reason) => {
    expect(() => parseKeyPath(key, 'values.yaml')).toThrow(
      new ConfigurationError(
        `helm key "${key}" is not a dotted key path: ${reason}; write it like frontend.image, with \\. for a dot inside a key and [1] for a list element`,
        { source: 'values.yaml' },
      ),
    );
  });
});

describe('formatKeyPath', () => {
  it.each([
    [['frontend', 'tag'], 'frontend.tag'],
    [['a.b', 'c'], 'a\\.b.c'],
    [['a\\b'], 'a\\\\b'],
  ])('%j is %s', (segments, key) => {
    expect(formatKeyPath(segments)).toBe(key);
  });
});

describe('lookupPath', () => {
  const describeLookup = (text: string, key: string): string => {
    const doc = parseDocument(text, { merge: true });
    const found = lookupPath(doc, parseKeyPath(key, 'f'));
    if (found.kind === 'found')
      return `found ${isScalar(found.node) ? String(found.node.value) : String(found.node)}`;
    if (found.kind === 'blocked') return `blocked at ${found.index}`;
    return 'missing';
  };

  it.each([
    ['a:\n  tag: v1\n', 'a.tag', 'found v1'],
    ['a:\n  tag:\n', 'a.tag', 'found null'],
    ['a:\n  image: x\n', 'a.tag', 'missing'],
    ['a:\n', 'a.tag', 'missing'],
    ['b: 1\n', 'a.tag', 'missing'],
    ['a: x\n', 'a.tag', 'blocked at 1'],
    ['a: [1]\n', 'a.tag', 'blocked at 1'],
    ['- 1\n', 'a.tag', 'blocked at 0'],
    ['t: &t v2\na:\n  tag: *t\n', 'a.tag', 'found v2'],
    ['m: &m {tag: v3}\na: *m\n', 'a.tag', 'found v3'],
    ['m: &m {tag: v4}\na:\n  <<: *m\n', 'a.tag', 'found v4'],
    ['m: &m {tag: v4}\na:\n  <<: *m\n  tag: v5\n', 'a.tag', 'found v5'],
    ['"a.b":\n  tag: v6\n', 'a\\.b.tag', 'found v6'],
  ])('%j at %s is %s', (text, key, expected) => {
    expect(describeLookup(text, key)).toBe(expected);
  });
});

describe('parseKeyPath with list indices', () => {
  it.each([
    ['images[1].tag', ['images', 1, 'tag']],
    ['images[0]', ['images', 0]],
    ['matrix[0][12].x', ['matrix', 0, 12, 'x']],
    ['a\\.b[3]', ['a.b', 3]],
    ['a.b[10].c.d', ['a', 'b', 10, 'c', 'd']],
  ])('%s is %j, and formats back', (key, segments) => {
    expect(parseKeyPath(key, 'f')).toEqual(segments);
    expect(formatKeyPath(segments)).toBe(key);
  });

  it.each([
    ['[0].tag', 'the index at position 1 follows no key'],
    ['a.[0]', 'the index at position 3 follows no key'],
    ['a[x].tag', 'the [ at position 2 does not start a list index such as [0]'],
    ['a[-1]', 'the [ at position 2 does not start a list index such as [0]'],
    ['a[01]', 'the [ at position 2 does not start a list index such as [0]'],
    ['a[1', 'the [ at position 2 does not start a list index such as [0]'],
    ['a[1]b', 'the index [1] at position 2 is followed by "b", not "." or "["'],
    ['a]', 'the ] at position 2 closes no list index'],
    ['a[1].', 'part 2 is empty'],
  ])('%j is refused: %s', (key, reason) => {
    expect(() => parseKeyPath(key, 'values.yaml')).toThrow(
      `helm key "${key}" is not a dotted key path: ${reason};`,
    );
  });
});

describe('lookupPath with list indices', () => {
  it.each([
    ['a:\n  - tag: v1\n  - tag: v2\n', 'a[1].tag', 'found v2'],
    ['a: [x, y]\n', 'a[0]', 'found x'],
    ['a: [x]\n', 'a[1]', 'out of range at 1'],
    ['a: {b: 1}\n', 'a[0]', 'blocked at 1'],
    ['l: &l [p, q]\na: *l\n', 'a[1]', 'found q'],
  ])('%j at %s is %s', (text, key, expected) => {
    const found = lookupPath(parseDocument(text, { merge: true }), parseKeyPath(key, 'f'));
    const described =
      found.kind === 'found'
        ? `found ${isScalar(found.node) ? String(found.node.value) : String(found.node)}`
        : found.kind === 'missing'
          ? 'missing'
          : `${found.kind === 'blocked' ? 'blocked' : 'out of range'} at ${found.index}`;
    expect(described).toBe(expected);
  });
});
