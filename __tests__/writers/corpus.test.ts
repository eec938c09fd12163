import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import type { ValueChange } from '../../src/writers/types.js';
import { editValuesFile, readValue } from '../../src/writers/values-file.js';

const corpus = fileURLToPath(new URL('../../__fixtures__/values-corpus/', import.meta.url));

interface CorpusCase {
  readonly name: string;
  readonly description: string;
  readonly changes: readonly ValueChange[];
  readonly input: string;
  readonly expected: string;
}

function loadCase(name: string): CorpusCase {
  const read = (file: string): string => readFileSync(`${corpus}${name}/${file}`, 'utf8');
  const spec = JSON.parse(read('changes.json')) as {
    description: string;
    changes: ValueChange[];
  };
  return {
    name,
    description: spec.description,
    changes: spec.changes,
    input: read('input.yaml'),
    expected: read('expected.yaml'),
  };
}

const cases = readdirSync(corpus, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => loadCase(entry.name))
  .sort((a, b) => a.name.localeCompare(b.name));

describe('values corpus', () => {
  it('holds at least 20 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
  });

  describe.each(cases)('$name: $description', (corpusCase) => {
    it('produces the expected file byte for byte', () => {
      const result = editValuesFile(corpusCase.input, corpusCase.changes, corpusCase.name);
      expect(result.text).toBe(corpusCase.expected);
    });

    it('reads every changed key back as the new string, in YAML 1.2 and 1.1', () => {
      for (const change of corpusCase.changes) {
        expect(readValue(corpusCase.expected, change.key, corpusCase.name)).toBe(change.value);
      }
      for (const version of ['1.1', '1.2'] as const) {
        const [first] = corpusCase.expected.split(/^---$/m).filter((part) => part.trim() !== '');
        const data: unknown = parse(first ?? '', { version, merge: true });
        for (const change of corpusCase.changes) {
          const segments = change.key.split(/(?<!\\)\./).map((part) => part.replace(/\\\./g, '.'));
          let node: unknown = data;
          for (const segment of segments) node = (node as Record<string, unknown>)[segment];
          expect(node, `${change.key} in YAML ${version}`).toBe(change.value);
        }
      }
    });

    it('is idempotent: applying the changes again changes nothing', () => {
      const again = editValuesFile(corpusCase.expected, corpusCase.changes, corpusCase.name);
      expect(again).toEqual({ text: corpusCase.expected, changes: [] });
    });
  });
});
