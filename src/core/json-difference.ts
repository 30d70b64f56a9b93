// Where two JSON values part: what a saved configuration and the one asked for now disagree on, named
// as a dotted path with both values, so a refusal to resume or to reuse can say which field changed.

/** The first field (a dotted path) where two JSON values differ, with both values. */
export function firstDifference(saved: unknown, now: unknown, at = ""): string {
  if (typeof saved === "object" && saved !== null && typeof now === "object" && now !== null) {
    const a = saved as Record<string, unknown>;
    const b = now as Record<string, unknown>;
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], at ? `${at}.${k}` : k);
      if (d) return d;
    }
    return "";
  }
  return JSON.stringify(saved) === JSON.stringify(now) ? "" : `${at}: saved ${JSON.stringify(saved) ?? "absent"}, now ${JSON.stringify(now) ?? "absent"}`;
}
