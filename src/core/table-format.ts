// What a results table is (an Arquero table) and how its cells print: three decimals for a non-integer,
// "–" for a missing value. Shared by the lab's tables and the figures and reports that draw them.

import type * as aq from "arquero";

export type Table = ReturnType<typeof aq.from>;

/** A cell as printed: three decimals (or `digits`) for a non-integer number, "–" for null/undefined. */
export function formatCell(v: unknown, digits = 3): string {
  return typeof v === "number" && !Number.isInteger(v) ? v.toFixed(digits) : v === null || v === undefined ? "–" : String(v);
}

/** Every column of a table printed with formatCell (Arquero's toMarkdown/toHTML `format` option). */
export function tableFormat(t: Table, digits = 3): Record<string, (v: unknown) => string> {
  return Object.fromEntries(t.columnNames().map((c) => [c, (v: unknown) => formatCell(v, digits)]));
}
