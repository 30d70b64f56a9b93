// Grouping rows by a key, in first-seen order (linear: one pass, one map).

export function byKey<R>(rows: readonly R[], key: (r: R) => string): R[][] {
  const m = new Map<string, R[]>();
  for (const r of rows) {
    const k = key(r);
    const g = m.get(k);
    if (g) g.push(r);
    else m.set(k, [r]);
  }
  return [...m.values()];
}
