/**
 * Column names from a header row, the same for every format: a blank name at 1-based position n becomes
 * `column_n`; a repeated name gets `_2`, `_3`, … (unique against every other name in the header).
 */
export function uniqueHeader(raw: readonly (string | null | undefined)[]): string[] {
  const base = raw.map((h, i) => (h === null || h === undefined || h.trim() === '' ? `column_${i + 1}` : h));
  const taken = new Set<string>();
  const seen = new Map<string, number>();
  const firstOf = new Map<string, number>();
  base.forEach((name, i) => {
    if (!firstOf.has(name)) firstOf.set(name, i);
  });
  return base.map((name, i) => {
    if (firstOf.get(name) === i && !taken.has(name)) {
      taken.add(name);
      return name;
    }
    let k = seen.get(name) ?? 2;
    while (taken.has(`${name}_${k}`) || (firstOf.has(`${name}_${k}`) && firstOf.get(`${name}_${k}`)! > i)) k++;
    seen.set(name, k + 1);
    taken.add(`${name}_${k}`);
    return `${name}_${k}`;
  });
}
