import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { editOverrideFile, readOverrideParameter } from '../../src/writers/override-file.js';
import { editValuesFile, readValue } from '../../src/writers/values-file.js';
import { lineDiff } from './line-diff.js';

const root = fileURLToPath(
  new URL('../../__fixtures__/writers/kubernetes-example/', import.meta.url),
);
const fixture = (path: string): string => readFileSync(root + path, 'utf8');

describe('golden edits of the kubernetes-example fixtures', () => {
  it('updates both tags of helm/.argocd-source-example.yaml and only their value lines', () => {
    const before = fixture('helm/.argocd-source-example.yaml');
    const result = editOverrideFile(
      before,
      [
        { key: 'frontend.image', value: 'lyzhang1999/frontend' },
        { key: 'frontend.tag', value: 'main-b99bc73' },
        { key: 'backend.image', value: 'lyzhang1999/backend' },
        { key: 'backend.tag', value: 'main-b99bc73' },
      ],
      'helm/.argocd-source-example.yaml',
    );
    expect(lineDiff(before, result.text)).toEqual({
      removed: [
        [7, '    value: "2682590"\n'],
        [13, '    value: "2682590"\n'],
      ],
      added: [
        [7, '    value: "main-b99bc73"\n'],
        [13, '    value: "main-b99bc73"\n'],
      ],
    });
    expect(result.changes).toEqual([
      { key: 'frontend.tag', from: '2682590', to: 'main-b99bc73' },
      { key: 'backend.tag', from: '2682590', to: 'main-b99bc73' },
    ]);
    expect(readOverrideParameter(result.text, 'frontend.tag', 'f')).toBe('main-b99bc73');
  });

  it('reads the current parameters of the override file', () => {
    const text = fixture('helm/.argocd-source-example.yaml');
    expect(readOverrideParameter(text, 'backend.tag', 'f')).toBe('2682590');
    expect(readOverrideParameter(text, 'backend.image', 'f')).toBe('lyzhang1999/backend');
    expect(readOverrideParameter(text, 'database.uri', 'f')).toBeUndefined();
  });

  it.each([
    ['frontend.tag', 3, "  tag: '1276e23'\n", "  tag: 'main-b99bc73'\n"],
    ['backend.tag', 8, "  tag: '1276e23'\n", "  tag: 'main-b99bc73'\n"],
    ['database.uri', 13, '  uri: pg-service\n', '  uri: main-b99bc73\n'],
  ])('helm/values.yaml: %s changes line %i only', (key, line, oldLine, newLine) => {
    const before = fixture('helm/values.yaml');
    const result = editValuesFile(before, [{ key, value: 'main-b99bc73' }], 'helm/values.yaml');
    expect(lineDiff(before, result.text)).toEqual({
      removed: [[line, oldLine]],
      added: [[line, newLine]],
    });
    // The last line is two spaces with no final newline, and stays that way.
    expect(result.text.endsWith('password: postgres\n  ')).toBe(true);
  });

  it('reads the quoted tag of helm/values.yaml as written', () => {
    expect(readValue(fixture('helm/values.yaml'), 'frontend.tag', 'helm/values.yaml')).toBe(
      '1276e23',
    );
  });

  it.each(['dev', 'prod', 'staging', 'test'])(
    'helm-env/env/%s/values.yaml: the tag edit changes one line and keeps the missing final newline',
    (environment) => {
      const file = `helm-env/env/${environment}/values.yaml`;
      const before = fixture(file);
      const result = editValuesFile(before, [{ key: 'frontend.tag', value: 'main-b99bc73' }], file);
      expect(lineDiff(before, result.text)).toEqual({
        removed: [[3, '  tag: latest-env']],
        added: [[3, '  tag: main-b99bc73']],
      });
      expect(result.changes).toEqual([
        { key: 'frontend.tag', from: 'latest-env', to: 'main-b99bc73' },
      ]);
    },
  );

  it('returns the identical text and no change when the values are already current', () => {
    const values = fixture('helm/values.yaml');
    expect(
      editValuesFile(values, [{ key: 'frontend.tag', value: '1276e23' }], 'helm/values.yaml'),
    ).toEqual({ text: values, changes: [] });
    const override = fixture('helm/.argocd-source-example.yaml');
    expect(
      editOverrideFile(override, [{ key: 'backend.tag', value: '2682590' }], 'override'),
    ).toEqual({ text: override, changes: [] });
  });
});
