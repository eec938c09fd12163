import { isAlias, isMap, isScalar, isSeq, type Node, type YAMLMap, type YAMLSeq } from 'yaml';

import { ConfigurationError } from '../core/errors.js';
import { sameData } from './same-data.js';
import type { AppliedChange, ValueChange, WriteResult } from './types.js';
import { replaceScalar } from './values-file.js';
import {
  fillEmptyValue,
  insertIntoMap,
  insertIntoSeq,
  insertRootMap,
  type NewEntry,
  type NewMap,
  type NewNode,
} from './yaml-insert.js';
import { describeNode, findPair, isEmptyValue, scalarText } from './yaml-path.js';
import {
  applyEdit,
  keepingByteOrderMark,
  parseYamlSource,
  withoutByteOrderMark,
  type TextEdit,
  type YamlSource,
} from './yaml-source.js';

/**
 * The Argo CD override file `<chart>/.argocd-source-<app>.yaml`: Helm parameters that Argo CD
 * passes as `--set-string` (with `forcestring: true`). Parameters are matched by `name`, which is
 * the dotted Helm key (`frontend.tag`) as Argo CD writes it.
 *
 * A missing file (`undefined`) is created in the layout argocd-image-updater writes:
 * ```yaml
 * helm:
 *   parameters:
 *   - name: frontend.tag
 *     value: main-b99bc73
 *     forcestring: true
 * ```
 * An existing file keeps every byte except the changed `value` scalars; new parameters are
 * appended to the list in its style; other parameters and keys (`kustomize:`) are kept.
 */
export function editOverrideFile(
  text: string | undefined,
  changes: readonly ValueChange[],
  file: string,
): WriteResult {
  if (text === undefined) return editOverrideBody(undefined, changes, file);
  return keepingByteOrderMark(text, (body) => editOverrideBody(body, changes, file));
}

function editOverrideBody(
  text: string | undefined,
  changes: readonly ValueChange[],
  file: string,
): WriteResult {
  const startText = text ?? '';
  const original = parseYamlSource(startText, file);
  let source = original;
  const applied: AppliedChange[] = [];
  const byName = new Map<string, ValueChange>();
  for (const change of changes) byName.set(change.key, change);
  for (const change of byName.values()) {
    // Duplicate entries of one name take one edit each, re-parsed in between.
    let first: PlannedChange | undefined;
    for (let pass = 0; pass <= MAX_DUPLICATES; pass += 1) {
      const planned = planParameter(source, change);
      if (planned === undefined) break;
      first ??= planned;
      source = parseYamlSource(applyEdit(source.text, planned.edit), file);
    }
    if (first) applied.push({ key: change.key, from: first.from, to: change.value });
  }
  if (applied.length === 0) return { text: startText, changes: [] };
  verifyOverride(original, source, applied, file);
  return { text: source.text, changes: applied };
}

/**
 * The value of a Helm parameter in the override file (the last entry of that name, as Argo CD
 * applies them in order), or undefined when the file or parameter is missing.
 */
export function readOverrideParameter(
  text: string | undefined,
  name: string,
  file: string,
): string | undefined {
  if (text === undefined) return undefined;
  const source = parseYamlSource(withoutByteOrderMark(text), file);
  const parameters = findParameters(source, name, 'read');
  if (!isSeq(parameters)) return undefined;
  const entries = matchingEntries(source, parameters, name, 'read');
  const last = entries[entries.length - 1];
  if (!last) return undefined;
  const value = findPair(last, 'value')?.value as Node | null | undefined;
  if (isAlias(value) && source.doc) return scalarText(value.resolve(source.doc) ?? null);
  checkValueNode(source, name, value, 'read');
  return scalarText(value ?? null);
}

// Bounds the passes over duplicate entries of one parameter name.
const MAX_DUPLICATES = 1000;

/** The entry created for a new parameter. */
function parameterEntry(name: string, value: string): NewMap {
  return {
    kind: 'map',
    entries: [
      ['name', name],
      ['value', value],
      ['forcestring', true],
    ],
  };
}

interface PlannedChange {
  readonly edit: TextEdit;
  readonly from: string | undefined;
}

function planParameter(source: YamlSource, change: ValueChange): PlannedChange | undefined {
  const root = source.doc?.contents ?? null;
  const entry = parameterEntry(change.key, change.value);
  const parametersEntry: NewEntry = ['parameters', { kind: 'seq', items: [entry] }];
  if (isEmptyValue(root)) {
    return {
      edit: insertRootMap(source, root, [['helm', { kind: 'map', entries: [parametersEntry] }]]),
      from: undefined,
    };
  }
  const rootMap = root as YAMLMap;
  const helm = findParameters(source, change.key, 'set');
  if (helm === undefined) {
    // No `helm:` key (or an empty one): add it with the parameter.
    const helmPair = findPair(rootMap, 'helm');
    const helmValue: NewNode = { kind: 'map', entries: [parametersEntry] };
    const edit = helmPair
      ? fillEmptyValue(source, helmPair, rootMap.flow ?? false, helmValue)
      : insertIntoMap(source, rootMap, [['helm', helmValue]]);
    return { edit, from: undefined };
  }
  if (!isSeq(helm)) {
    // `helm:` is a map without `parameters` (or with an empty one).
    const parametersPair = findPair(helm, 'parameters');
    const seq: NewNode = { kind: 'seq', items: [entry] };
    const edit = parametersPair
      ? fillEmptyValue(source, parametersPair, helm.flow ?? false, seq)
      : insertIntoMap(source, helm, [parametersEntry]);
    return { edit, from: undefined };
  }
  const entries = matchingEntries(source, helm, change.key, 'set');
  if (entries.length === 0) return { edit: insertIntoSeq(source, helm, entry), from: undefined };
  // Argo CD applies parameters in order; every entry of the name gets the new value so that
  // no earlier duplicate disagrees with the last one. One edit per pass, re-parsed in between.
  for (const item of [...entries].reverse()) {
    const valuePair = findPair(item, 'value');
    if (!valuePair) {
      return { edit: insertIntoMap(source, item, [['value', change.value]]), from: undefined };
    }
    const value = valuePair.value as Node | null;
    checkValueNode(source, change.key, value, 'set');
    if (isEmptyValue(value)) {
      return {
        edit: fillEmptyValue(source, valuePair, item.flow ?? false, change.value),
        from: undefined,
      };
    }
    if (isScalar(value) && !(typeof value.value === 'string' && value.value === change.value)) {
      const last = entries[entries.length - 1];
      const lastFrom = last ? scalarText(findPair(last, 'value')?.value as Node | null) : undefined;
      return { edit: replaceScalar(source, value, change.value), from: lastFrom };
    }
  }
  return undefined;
}

/**
 * `helm.parameters` of the file: the list, a map (`helm:` without `parameters`), or undefined
 * (no `helm:` or an empty one). Throws when `helm` or `parameters` has another shape.
 */
function findParameters(
  source: YamlSource,
  name: string,
  verb: 'set' | 'read',
): YAMLSeq | YAMLMap | undefined {
  const root = source.doc?.contents ?? null;
  if (isEmptyValue(root)) return undefined;
  const fail = (what: string, node: Node | null | undefined): ConfigurationError =>
    new ConfigurationError(
      `cannot ${verb} helm parameter ${name}: ${what} is ${describeNode(node)}, expected the layout helm: parameters: - name: … value: …`,
      { source: source.file, line: node?.range ? source.lineOf(node.range[0]) : undefined },
    );
  if (!isMap(root)) throw fail('the top level of the document', root);
  const helm = findPair(root, 'helm')?.value as Node | null | undefined;
  if (helm === undefined || isEmptyValue(helm)) return undefined;
  if (!isMap(helm)) throw fail('helm', helm);
  const parameters = findPair(helm, 'parameters')?.value as Node | null | undefined;
  if (parameters === undefined || isEmptyValue(parameters)) return helm;
  if (!isSeq(parameters)) throw fail('helm.parameters', parameters);
  return parameters;
}

/** Entries of `parameters` whose `name` is `name`; an entry that is not a map is an error. */
function matchingEntries(
  source: YamlSource,
  parameters: YAMLSeq,
  name: string,
  verb: 'set' | 'read',
): YAMLMap[] {
  const found: YAMLMap[] = [];
  for (const item of parameters.items) {
    if (!isMap(item)) {
      const node = item as Node | null;
      throw new ConfigurationError(
        `cannot ${verb} helm parameter ${name}: an entry of helm.parameters is ${describeNode(node)}, expected a map with name and value`,
        { source: source.file, line: node?.range ? source.lineOf(node.range[0]) : undefined },
      );
    }
    if (scalarText(findPair(item, 'name')?.value as Node | null) === name) found.push(item);
  }
  return found;
}

function checkValueNode(
  source: YamlSource,
  name: string,
  value: Node | null | undefined,
  verb: 'set' | 'read',
): void {
  if (value === null || value === undefined || isScalar(value)) return;
  if (isAlias(value) && verb === 'read') return;
  throw new ConfigurationError(
    `cannot ${verb} helm parameter ${name}: its value is ${describeNode(value)}, not a single value${isAlias(value) ? '; write the value in place of the alias' : ''}`,
    { source: source.file, line: value.range ? source.lineOf(value.range[0]) : undefined },
  );
}

/** The edited file must be the original data with exactly these parameters set. */
function verifyOverride(
  original: YamlSource,
  edited: YamlSource,
  applied: readonly AppliedChange[],
  file: string,
): void {
  const want = structuredClone(original.data ?? {}) as Record<string, unknown>;
  for (const change of applied) {
    const helm = (want['helm'] ??= {}) as Record<string, unknown>;
    const parameters = (helm['parameters'] ??= []) as Record<string, unknown>[];
    const matching = parameters.filter((item) => String(item['name']) === change.key);
    if (matching.length === 0) {
      parameters.push({ name: change.key, value: change.to, forcestring: true });
    }
    for (const item of matching) item['value'] = change.to;
  }
  if (!sameData(want, edited.data)) {
    throw new Error(
      `editing ${file} (${applied.map((change) => change.key).join(', ')}) would have changed other values too; the file was left unchanged. This is a bug in helm-image-updater, please report it with the file`,
    );
  }
}
