import { describe, expect, it } from 'vitest';

import { ConfigurationError } from '../../src/core/errors.js';
import { editOverrideFile, readOverrideParameter } from '../../src/writers/override-file.js';
import { lineDiff } from './line-diff.js';

const FILE = 'helm/.argocd-source-example.yaml';

const EXISTING = [
  'helm:',
  '  parameters:',
  '  - name: frontend.image',
  '    value: lyzhang1999/frontend',
  '    forcestring: true',
  '  - name: frontend.tag',
  '    value: "2682590"',
  '    forcestring: true',
  'kustomize:',
  '  images: []',
  '',
].join('\n');

describe('editOverrideFile', () => {
  it('creates a missing file in the layout of the SPEC', () => {
    const result = editOverrideFile(
      undefined,
      [
        { key: 'frontend.image', value: 'lyzhang1999/frontend' },
        { key: 'frontend.tag', value: 'main-b99bc73' },
      ],
      FILE,
    );
    expect(result.text).toBe(
      [
        'helm:',
        '  parameters:',
        '  - name: frontend.image',
        '    value: lyzhang1999/frontend',
        '    forcestring: true',
        '  - name: frontend.tag',
        '    value: main-b99bc73',
        '    forcestring: true',
        '',
      ].join('\n'),
    );
    expect(result.changes).toEqual([
      { key: 'frontend.image', from: undefined, to: 'lyzhang1999/frontend' },
      { key: 'frontend.tag', from: undefined, to: 'main-b99bc73' },
    ]);
  });

  it('quotes values that would not read back as strings in a new file', () => {
    const result = editOverrideFile(undefined, [{ key: 'frontend.tag', value: '2682590' }], FILE);
    expect(result.text).toBe(
      'helm:\n  parameters:\n  - name: frontend.tag\n    value: "2682590"\n    forcestring: true\n',
    );
  });

  it('updates a parameter in place, keeps its quotes and the kustomize key', () => {
    const result = editOverrideFile(EXISTING, [{ key: 'frontend.tag', value: '1276e23' }], FILE);
    expect(lineDiff(EXISTING, result.text)).toEqual({
      removed: [[7, '    value: "2682590"\n']],
      added: [[7, '    value: "1276e23"\n']],
    });
  });

  it('appends a new parameter after the last one, in the same list style', () => {
    const result = editOverrideFile(EXISTING, [{ key: 'backend.tag', value: 'main-1' }], FILE);
    expect(lineDiff(EXISTING, result.text)).toEqual({
      removed: [],
      added: [
        [9, '  - name: backend.tag\n'],
        [10, '    value: main-1\n'],
        [11, '    forcestring: true\n'],
      ],
    });
  });

  it.each([
    [
      'an indented list',
      'helm:\n  parameters:\n    - name: a\n      value: x\n',
      'helm:\n  parameters:\n    - name: a\n      value: x\n    - name: b\n      value: v\n      forcestring: true\n',
    ],
    [
      'a flow list',
      'helm:\n  parameters: [{name: a, value: x}]\n',
      'helm:\n  parameters: [{name: a, value: x}, {name: b, value: v, forcestring: true}]\n',
    ],
    [
      'an empty flow list',
      'helm:\n  parameters: []\n',
      'helm:\n  parameters: [{name: b, value: v, forcestring: true}]\n',
    ],
    [
      'a helm map without parameters',
      'helm:\n  valueFiles:\n  - values.yaml\n',
      'helm:\n  valueFiles:\n  - values.yaml\n  parameters:\n  - name: b\n    value: v\n    forcestring: true\n',
    ],
    [
      'an empty parameters key',
      'helm:\n  parameters:\n',
      'helm:\n  parameters:\n  - name: b\n    value: v\n    forcestring: true\n',
    ],
    [
      'a file with only kustomize',
      'kustomize:\n  images: []\n',
      'kustomize:\n  images: []\nhelm:\n  parameters:\n  - name: b\n    value: v\n    forcestring: true\n',
    ],
    [
      'CRLF and no final newline',
      'helm:\r\n  parameters:\r\n  - name: a\r\n    value: x',
      'helm:\r\n  parameters:\r\n  - name: a\r\n    value: x\r\n  - name: b\r\n    value: v\r\n    forcestring: true',
    ],
    [
      'an empty file',
      '',
      'helm:\n  parameters:\n  - name: b\n    value: v\n    forcestring: true\n',
    ],
  ])('appends to %s', (_name, before, after) => {
    const result = editOverrideFile(before, [{ key: 'b', value: 'v' }], FILE);
    expect(result.text).toBe(after);
    expect(readOverrideParameter(result.text, 'b', FILE)).toBe('v');
  });

  it('adds a value to a parameter that has none', () => {
    const result = editOverrideFile(
      'helm:\n  parameters:\n  - name: b\n    forcestring: true\n',
      [{ key: 'b', value: 'v' }],
      FILE,
    );
    expect(result.text).toBe(
      'helm:\n  parameters:\n  - name: b\n    forcestring: true\n    value: v\n',
    );
  });

  it('sets every duplicate entry of a name and reports the last one as the old value', () => {
    const before =
      'helm:\n  parameters:\n  - name: b\n    value: old1\n  - name: b\n    value: old2\n';
    const result = editOverrideFile(before, [{ key: 'b', value: 'new' }], FILE);
    expect(result).toEqual({
      text: 'helm:\n  parameters:\n  - name: b\n    value: new\n  - name: b\n    value: new\n',
      changes: [{ key: 'b', from: 'old2', to: 'new' }],
    });
  });

  it('leaves the text identical when every value is current', () => {
    expect(editOverrideFile(EXISTING, [{ key: 'frontend.tag', value: '2682590' }], FILE)).toEqual({
      text: EXISTING,
      changes: [],
    });
    expect(editOverrideFile(undefined, [], FILE)).toEqual({ text: '', changes: [] });
  });
});

describe('readOverrideParameter', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['kustomize: {}\n', undefined],
    ['helm:\n  parameters:\n  - name: other\n    value: x\n', undefined],
    ['helm:\n  parameters:\n  - name: b\n    value: 2682590\n', '2682590'],
    ['helm:\n  parameters:\n  - name: b\n    value: x\n  - name: b\n    value: y\n', 'y'],
    ['helm:\n  parameters:\n  - {name: b, value: "1.20"}\n', '1.20'],
  ])('%j reads as %j', (text, expected) => {
    expect(readOverrideParameter(text, 'b', FILE)).toBe(expected);
  });
});

describe('override file errors', () => {
  it.each([
    [
      'a top level that is a list',
      '- a\n',
      `${FILE}:1: cannot set helm parameter b: the top level of the document is a list, expected the layout helm: parameters: - name: … value: …`,
    ],
    [
      'helm that is not a map',
      'helm: x\n',
      `${FILE}:1: cannot set helm parameter b: helm is a string, expected the layout helm: parameters: - name: … value: …`,
    ],
    [
      'parameters that is not a list',
      'helm:\n  parameters: {a: 1}\n',
      `${FILE}:2: cannot set helm parameter b: helm.parameters is a map, expected the layout helm: parameters: - name: … value: …`,
    ],
    [
      'an entry that is not a map',
      'helm:\n  parameters:\n  - x\n',
      `${FILE}:3: cannot set helm parameter b: an entry of helm.parameters is a string, expected a map with name and value`,
    ],
    [
      'a value that is a list',
      'helm:\n  parameters:\n  - name: b\n    value: [1]\n',
      `${FILE}:4: cannot set helm parameter b: its value is a list, not a single value`,
    ],
    [
      'a value that is an alias',
      't: &t q\nhelm:\n  parameters:\n  - name: b\n    value: *t\n',
      `${FILE}:5: cannot set helm parameter b: its value is an alias (*t), not a single value; write the value in place of the alias`,
    ],
    [
      'invalid YAML',
      'helm: [\n',
      `${FILE}:2: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; fix the file, nothing was changed`,
    ],
  ])('%s', (_name, text, message) => {
    let result: unknown;
    let thrown: unknown;
    try {
      result = editOverrideFile(text, [{ key: 'b', value: 'v' }], FILE);
    } catch (error) {
      thrown = error;
    }
    expect(result).toBeUndefined();
    expect(thrown).toBeInstanceOf(ConfigurationError);
    expect((thrown as Error).message).toBe(message);
  });
});

describe('a UTF-8 byte order mark in an override file', () => {
  it('survives an edit and an appended parameter', () => {
    const before = '\uFEFFhelm:\n  parameters:\n  - name: a.tag\n    value: x\n';
    const result = editOverrideFile(
      before,
      [
        { key: 'a.tag', value: 'y1' },
        { key: 'b.tag', value: 'z1' },
      ],
      'helm/.argocd-source-a.yaml',
    );
    expect(result.text).toBe(
      '\uFEFFhelm:\n  parameters:\n  - name: a.tag\n    value: y1\n  - name: b.tag\n    value: z1\n    forcestring: true\n',
    );
    expect(readOverrideParameter(result.text, 'b.tag', 'f')).toBe('z1');
  });
});
