// Edit distance and the "did you mean" hint every error message about a misspelt name ends with.

/** Levenshtein distance between two strings (by character) or two token lists. */
export function editDistance<T>(a: readonly T[] | string, b: readonly T[] | string): number {
  const A = typeof a === "string" ? [...a] : a;
  const B = typeof b === "string" ? [...b] : b;
  let prev = Array.from({ length: B.length + 1 }, (_, j) => j);
  for (let i = 1; i <= A.length; i++) {
    const cur = [i];
    for (let j = 1; j <= B.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (A[i - 1] === B[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[B.length]!;
}

/** `; did you mean "x"?` for the closest option within a third of the word's length (min 2), else "". */
export function didYouMean(word: string, options: readonly string[]): string {
  // No option is this long; an edit distance against a huge word would only cost time and memory.
  if (word.length > 64) return "";
  let best = "";
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best && bestD <= Math.max(2, Math.floor(word.length / 3)) ? `; did you mean ${JSON.stringify(best)}?` : "";
}

/** Text as HTML: the five characters that could start markup or end an attribute, escaped. */
export const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A value as it is quoted in an error message: JSON, cut to `max` characters (a 100 MB value is not echoed). */
export function quote(v: unknown, max = 80): string {
  const s = typeof v === "string" && v.length > max * 4 ? JSON.stringify(v.slice(0, max)) : (JSON.stringify(v) ?? String(v));
  const length = typeof v === "string" ? v.length : s.length;
  return s.length <= max ? s : `${s.slice(0, max)}… (${length.toLocaleString("en-US")} characters)`;
}
