/**
 * Structural equality of data read from YAML (`Document.toJS()`): plain objects compare without
 * regard to key order (a merge key may place keys differently), arrays in order, `Map`s and
 * `Set`s (`!!omap`, `!!set`) by content, dates by time, everything else with `Object.is`.
 */
export function sameData(left: unknown, right: unknown): boolean {
  if (Object.is(left, right)) return true;
  if (typeof left !== 'object' || typeof right !== 'object' || left === null || right === null) {
    return false;
  }
  if (left instanceof Date || right instanceof Date) {
    return left instanceof Date && right instanceof Date && left.getTime() === right.getTime();
  }
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false;
    return left.every((item, index) => sameData(item, right[index]));
  }
  if (left instanceof Map || right instanceof Map) {
    if (!(left instanceof Map) || !(right instanceof Map) || left.size !== right.size) return false;
    const rightEntries = [...right.entries()];
    return [...left.entries()].every(([key, value], index) => {
      const other = rightEntries[index];
      return other !== undefined && sameData(key, other[0]) && sameData(value, other[1]);
    });
  }
  if (left instanceof Set || right instanceof Set) {
    if (!(left instanceof Set) || !(right instanceof Set)) return false;
    return sameData([...left], [...right]);
  }
  const leftKeys = Object.keys(left);
  const rightRecord = right as Record<string, unknown>;
  if (leftKeys.length !== Object.keys(right).length) return false;
  return leftKeys.every(
    (key) =>
      Object.prototype.hasOwnProperty.call(right, key) &&
      sameData((left as Record<string, unknown>)[key], rightRecord[key]),
  );
}
