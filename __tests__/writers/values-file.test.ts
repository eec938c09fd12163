import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../src/core/errors.js';
import { MAX_FILE_BYTES } from '../../src/core/files.js';
import { editValuesFile, readValue } from '../../src/writers/values-file.js';
import { lineDiff } from './line-diff.js';

const FILE = 'env/dev/values.yaml';

const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'frontend:',
  '  tag: x',
  '',
].join('\n');

describe('editValuesFile', () => {
  it.each([
    ['plain stays plain', 'a:\n  tag: main-1\n', 'main-2', 'a:\n  tag: main-2\n'],
    ['plain number becomes quoted', 'a:\n  tag: 1\n', '2682590', 'a:\n  tag: "2682590"\n'],
    ['single quotes are kept', "a:\n  tag: 'x'\n", 'main-2', "a:\n  tag: 'main-2'\n"],
    ['double quotes are kept', 'a:\n  tag: "x"\n', 'main-2', 'a:\n  tag: "main-2"\n'],
    ['anchor kept', 'a:\n  tag: &t x\nb: *t\n', 'y1', 'a:\n  tag: &t y1\nb: *t\n'],
    ['comment kept', 'a:\n  tag: x    # note\n', 'y1', 'a:\n  tag: y1    # note\n'],
    ['CRLF kept', 'a:\r\n  tag: x\r\n', 'y1', 'a:\r\n  tag: y1\r\n'],
    ['created key', 'a:\n  image: x\n', 'v', 'a:\n  image: x\n  tag: v\n'],
    ['created key, CRLF', 'a:\r\n  image: x\r\n', 'v', 'a:\r\n  image: x\r\n  tag: v\r\n'],
    ['created map', 'b: 1\n', 'v', 'b: 1\na:\n  tag: v\n'],
    ['created in flow map', 'a: {image: x}\n', 'v', 'a: {image: x, tag: v}\n'],
    ['created in empty flow map', 'a: {}\n', 'yes', 'a: {tag: "yes"}\n'],
    ['filled empty value', 'a:\n  tag:\n', 'v', 'a:\n  tag: v\n'],
    ['filled empty map', 'a:\nb: 1\n', 'v', 'a:\n  tag: v\nb: 1\n'],
    ['explicit null replaced', 'a:\n  tag: ~\n', 'v', 'a:\n  tag: v\n'],
    ['trailing spaces kept', 'a:\n  tag: x  \n  b: 1\n', 'v', 'a:\n  tag: v  \n  b: 1\n'],
  ])('%s', (_name, before, value, after) => {
    const result = editValuesFile(before, [{ key: 'a.tag', value }], FILE);
    expect(result.text).toBe(after);
    expect(readValue(result.text, 'a.tag', FILE)).toBe(value);
  });

  it('reports from and to for each change, and nothing for unchanged keys', () => {
    const before = 'a:\n  image: x\n  tag: main-1\n';
    const result = editValuesFile(
      before,
      [
        { key: 'a.image', value: 'x' },
        { key: 'a.tag', value: 'main-2' },
        { key: 'a.digest', value: 'sha256:abc' },
      ],
      FILE,
    );
    expect(result.changes).toEqual([
      { key: 'a.tag', from: 'main-1', to: 'main-2' },
      { key: 'a.digest', from: undefined, to: 'sha256:abc' },
    ]);
  });

  it('applies the last change when one key is given twice', () => {
    const result = editValuesFile(
      'a:\n  tag: x\n',
      [
        { key: 'a.tag', value: 'y' },
        { key: 'a.tag', value: 'z' },
      ],
      FILE,
    );
    expect(result).toEqual({
      text: 'a:\n  tag: z\n',
      changes: [{ key: 'a.tag', from: 'x', to: 'z' }],
    });
  });

  it('creates several keys under one new map without repeating it', () => {
    const result = editValuesFile(
      'x: 1\n',
      [
        { key: 'frontend.image', value: 'lyzhang1999/frontend' },
        { key: 'frontend.tag', value: 'main-1' },
      ],
      FILE,
    );
    expect(result.text).toBe('x: 1\nfrontend:\n  image: lyzhang1999/frontend\n  tag: main-1\n');
  });

  it.each([
    [
      'after a keep-chomped block scalar',
      'a:\n  s: |+\n    keep\n\nb: 1\n',
      'a:\n  s: |+\n    keep\n\n  tag: v\nb: 1\n',
    ],
    [
      'after a clipped block scalar',
      'a:\n  s: |\n    clip\n\nb: 1\n',
      'a:\n  s: |\n    clip\n  tag: v\n\nb: 1\n',
    ],
    ['after a trailing comment', 'a:\n  x: 1 # c\nb: 1\n', 'a:\n  x: 1 # c\n  tag: v\nb: 1\n'],
    [
      'after an empty value with a comment',
      'a:\n  x: # c\nb: 1\n',
      'a:\n  x: # c\n  tag: v\nb: 1\n',
    ],
    ['in a multi-line flow map', 'a: {\n  x: 1 # c\n}\n', 'a: {\n  x: 1, tag: v # c\n}\n'],
    ['in a flow map after an empty value', 'a: {x: }\n', 'a: {x:, tag: v }\n'],
    ['in a flow map with a trailing comma', 'a: {x: 1, }\n', 'a: {x: 1, tag: v, }\n'],
    ['before a document end marker', 'a:\n  x: 1\n...\n', 'a:\n  x: 1\n  tag: v\n...\n'],
    ['after a byte order mark', '\ufeffa:\n  x: 1\n', '\ufeffa:\n  x: 1\n  tag: v\n'],
  ])('adds a key %s', (_name, before, after) => {
    const result = editValuesFile(before, [{ key: 'a.tag', value: 'v' }], FILE);
    expect(result.text).toBe(after);
  });

  it('edits only the first of several documents', () => {
    const before = 'a:\n  tag: x\n---\na:\n  tag: x\n';
    const result = editValuesFile(before, [{ key: 'a.tag', value: 'v2' }], FILE);
    expect(lineDiff(before, result.text)).toEqual({
      removed: [[2, '  tag: x\n']],
      added: [[2, '  tag: v2\n']],
    });
  });

  it('returns the same string and no changes for an empty change list', () => {
    const before = 'a: 1 # c\n';
    expect(editValuesFile(before, [], FILE)).toEqual({ text: before, changes: [] });
  });
});

describe('readValue', () => {
  it.each([
    ['a:\n  tag: main-1\n', 'main-1'],
    ['a:\n  tag: 2682590\n', '2682590'],
    ['a:\n  tag: 1.20\n', '1.20'],
    ['a:\n  tag: "1.20"\n', '1.20'],
    ['a:\n  tag:\n', undefined],
    ['a:\n  tag: null\n', undefined],
    ['a:\n  image: x\n', undefined],
    ['b: 1\n', undefined],
    ['', undefined],
    ['t: &t v1\na:\n  tag: *t\n', 'v1'],
    ['base: &b {tag: v2}\na:\n  <<: *b\n', 'v2'],
    ['a:\n  tag: v1\n---\na:\n  tag: v2\n', 'v1'],
  ])('%j reads as %j', (text, expected) => {
    expect(readValue(text, 'a.tag', FILE)).toBe(expected);
  });
});

describe('errors leave the file untouched and say what to do', () => {
  it.each([
    [
      'invalid YAML, with the line',
      'a: 1\nb: [\nc: 2\n',
      'a',
      `${FILE}:3: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; fix the file, nothing was changed`,
    ],
    [
      'duplicate keys',
      'a: 1\na: 2\n',
      'a',
      `${FILE}:2: not valid YAML: Map keys must be unique; fix the file, nothing was changed`,
    ],
    [
      'invalid YAML in a later document',
      'a: 1\n---\nb: [\n',
      'a',
      `${FILE}:4: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; fix the file, nothing was changed`,
    ],
    [
      'a path that runs into a scalar',
      'frontend:\n  tag: x\n',
      'frontend.tag.sub',
      `${FILE}:2: cannot set frontend.tag.sub: frontend.tag holds a string, not a map; change the helm key or the file`,
    ],
    [
      'a path that runs into a list',
      'frontend:\n  - a\n',
      'frontend.tag',
      `${FILE}:2: cannot set frontend.tag: frontend is a list; name an element of it with an index, e.g. frontend[0].tag`,
    ],
    [
      'a path that runs into an alias',
      'base: &b {tag: 1}\nfrontend: *b\n',
      'frontend.tag',
      `${FILE}:2: cannot set frontend.tag: frontend is an alias (*b), and editing through it would change the anchored map too; write the map out under frontend`,
    ],
    [
      'a value that is an alias',
      't: &t x\nfrontend:\n  tag: *t\n',
      'frontend.tag',
      `${FILE}:3: cannot set frontend.tag: its value is an alias (*t), and editing the anchor would change every alias of it; write a value in place of the alias`,
    ],
    [
      'a value that is a map',
      'frontend:\n  tag:\n    a: 1\n',
      'frontend.tag',
      `${FILE}:3: cannot set frontend.tag: it holds a map, not a single value; point the helm key at a single value inside it`,
    ],
    [
      'a value that is a list',
      'frontend:\n  tag: [a]\n',
      'frontend.tag',
      `${FILE}:2: cannot set frontend.tag: it holds a list, not a single value; point the helm key at a single value inside it`,
    ],
    [
      'a top level that is a list',
      '- a\n',
      'frontend.tag',
      `${FILE}:1: cannot set frontend.tag: the top level of the document is a list, not a map`,
    ],
    [
      'a map that only comes from a merge key',
      'base: &b\n  image: {repo: x}\nfrontend:\n  <<: *b\n',
      'frontend.image.tag',
      `${FILE}:4: cannot set frontend.image.tag: frontend.image comes from a merge key (<<), and adding it here would hide the rest of the merged map; write frontend.image out in the file first`,
    ],
    [
      'a value with a non-string tag',
      'frontend:\n  tag: !!int 5\n',
      'frontend.tag',
      `${FILE}:2: cannot set frontend.tag: its value has the explicit tag !!int, which cannot hold the string v; remove the tag`,
    ],
    [
      'an alias bomb',
      ALIAS_BOMB,
      'frontend.tag',
      `${FILE}: its aliases expand to more than 100 nodes, which looks like an alias bomb; it was not expanded and nothing was changed`,
    ],
    [
      'a file above MAX_FILE_BYTES',
      `a: 1\n${'#'.repeat(MAX_FILE_BYTES)}\n`,
      'a',
      `${FILE}: the file is ${MAX_FILE_BYTES + 6} bytes, above the ${MAX_FILE_BYTES}-byte limit for values and override files; nothing was changed`,
    ],
    [
      'an empty key',
      'a: 1\n',
      '',
      `${FILE}: helm key "" is not a dotted key path: it is empty; write it like frontend.image, with \\. for a dot inside a key and [1] for a list element`,
    ],
    [
      'an empty key segment',
      'a: 1\n',
      'a..b',
      `${FILE}: helm key "a..b" is not a dotted key path: part 2 is empty; write it like frontend.image, with \\. for a dot inside a key and [1] for a list element`,
    ],
  ])('%s', (_name, text, key, message) => {
    let result: unknown;
    let thrown: unknown;
    try {
      result = editValuesFile(text, [{ key, value: 'v' }], FILE);
    } catch (error) {
      thrown = error;
    }
    expect(result).toBeUndefined();
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as ConfigurationError).message).toBe(message);
    expect((thrown as ConfigurationError).location?.source).toBe(FILE);
  });

  it.each([
    ['a path that runs into a scalar', 'frontend:\n  tag: x\n', 'frontend.tag.sub'],
    ['a value that is a map', 'frontend:\n  tag:\n    a: 1\n', 'frontend.tag'],
    ['invalid YAML', 'a: [\n', 'a'],
    ['an alias bomb', ALIAS_BOMB, 'frontend.tag'],
  ])('readValue refuses %s too', (_name, text, key) => {
    expect(() => readValue(text, key, FILE)).toThrow(ConfigurationError);
  });

  it('measures the size limit in UTF-8 bytes, not characters', () => {
    const text = `a: "${'é'.repeat(MAX_FILE_BYTES / 2)}"\n`;
    expect(text.length).toBeLessThan(MAX_FILE_BYTES);
    expect(() => editValuesFile(text, [{ key: 'a', value: 'v' }], FILE)).toThrow(
      /above the 1048576-byte limit/,
    );
  });
});

describe('list indices in helm keys', () => {
  const IMAGES = [
    '# two images, one list',
    'images:',
    '  - name: web   # the front',
    '    repository: team/web',
    '    tag: "1.0"',
    '  - name: worker',
    '    repository: team/worker',
    "    tag: '2.0'   # pinned",
    'other: [a, {tag: x}]',
    '',
  ].join('\n');

  it.each([
    ['images[1].tag', 'main-2', IMAGES.replace("tag: '2.0'", "tag: 'main-2'")],
    ['images[0].tag', 'main-1', IMAGES.replace('tag: "1.0"', 'tag: "main-1"')],
    ['other[1].tag', 'main-3', IMAGES.replace('{tag: x}', '{tag: main-3}')],
    ['other[0]', 'b', IMAGES.replace('[a,', '[b,')],
    [
      'images[1].digest',
      'sha256:1',
      IMAGES.replace('  # pinned\n', '  # pinned\n    digest: sha256:1\n'),
    ],
  ])('%s = %s edits that element and nothing else', (key, value, after) => {
    const result = editValuesFile(IMAGES, [{ key, value }], FILE);
    expect(result.text).toBe(after);
    expect(readValue(result.text, key, FILE)).toBe(value);
    // Never a new top-level key spelled like the path.
    expect(result.text).not.toContain('images[');
  });

  it('reads the current value of an element', () => {
    expect(readValue(IMAGES, 'images[1].tag', FILE)).toBe('2.0');
    expect(readValue(IMAGES, 'images[0].repository', FILE)).toBe('team/web');
  });

  it.each([
    [
      'an index past the end',
      'images[2].tag',
      `${FILE}:3: cannot set images[2].tag: images has 2 elements, so [2] is past its end (the first is [0]); correct the index or add the element to the file`,
    ],
    [
      'an index into a map',
      'images[0].tag[0]',
      `${FILE}:5: cannot set images[0].tag[0]: images[0].tag holds a string, not a list; change the helm key or the file`,
    ],
    [
      'an index into a scalar key',
      'other[0].tag',
      `${FILE}:9: cannot set other[0].tag: other[0] holds a string, not a map; change the helm key or the file`,
    ],
    [
      'a missing list',
      'sidecars[0].tag',
      `${FILE}: cannot set sidecars[0].tag: sidecars is not in the file, and a list element cannot be created; add the list sidecars to the file, or correct the helm key`,
    ],
    [
      'an element that is a map',
      'images[0]',
      `${FILE}:3: cannot set images[0]: it holds a map, not a single value; point the helm key at a single value inside it`,
    ],
  ])('%s is an error naming the file and key, and nothing is written', (_name, key, message) => {
    expect(() => editValuesFile(IMAGES, [{ key, value: 'v' }], FILE)).toThrow(
      new ConfigurationError(message.replace(`${FILE}: `, '').replace(/^[^ ]+:\d+: /, ''), {
        source: FILE,
        line: /:(\d+): /.exec(message) ? Number(/:(\d+): /.exec(message)?.[1]) : undefined,
      }),
    );
  });

  it('readValue refuses an index past the end too', () => {
    expect(() => readValue(IMAGES, 'images[5].tag', FILE)).toThrow(
      'cannot read images[5].tag: images has 2 elements, so [5] is past its end',
    );
  });

  it('an alias element is not edited through', () => {
    const text = 'base: &b {tag: x}\nimages:\n  - *b\n';
    expect(() => editValuesFile(text, [{ key: 'images[0].tag', value: 'v' }], FILE)).toThrow(
      'images[0] is an alias (*b), and editing through it would change the anchored map too',
    );
  });
});

describe('a UTF-8 byte order mark', () => {
  it.each([
    ['an edited value', '\uFEFFa:\n  tag: x\n', 'a.tag', '\uFEFFa:\n  tag: y1\n'],
    ['a created key', '\uFEFFa:\n  tag: x\n', 'b.tag', '\uFEFFa:\n  tag: x\nb:\n  tag: y1\n'],
    ['a file holding only the mark', '\uFEFF', 'a.tag', '\uFEFFa:\n  tag: y1\n'],
  ])('survives %s', (_name, before, key, after) => {
    const result = editValuesFile(before, [{ key, value: 'y1' }], FILE);
    expect(result.text).toBe(after);
    expect(readValue(result.text, key, FILE)).toBe('y1');
  });
});
