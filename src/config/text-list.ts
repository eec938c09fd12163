/** `a, b\nc` → `['a', 'b', 'c']`: the list syntax of inputs and annotations. Empty items are dropped. */
export function splitList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
