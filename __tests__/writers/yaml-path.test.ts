import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../src/errors.js';
import { formatKeyPath, parseKeyPath } from '../../src/writers/yaml-path.js';

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
        `helm key "${key}" is not a dotted key path: ${reason}; write it like frontend.image, with \\. for a dot inside a key`,
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
