// CSV in and out: RFC 4180 quoting, one header line. Tables we write for people to open (a results
// table, a sweep's results) go to spreadsheets, where a cell starting with = + - @ is run as a formula:
// such text cells get a leading apostrophe (OWASP's CSV-injection advice); numbers are written as numbers.

import { SpecError } from "./fields";

/** One cell: quoted when it holds a quote, comma or line break. */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A text cell a spreadsheet would run as a formula, made inert. */
export function spreadsheetSafe(v: unknown): unknown {
  return typeof v === "string" && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
}

/** Rows as CSV under `columns`; `forSpreadsheets` neutralises formula-like text cells. */
export function toCsv(columns: readonly string[], rows: readonly object[], opts: { forSpreadsheets?: boolean } = {}): string {
  const cell = (v: unknown) => csvCell(opts.forSpreadsheets ? spreadsheetSafe(v) : v);
  return [columns.map(cell).join(","), ...rows.map((r) => columns.map((c) => cell((r as Record<string, unknown>)[c])).join(","))].join("\n") + "\n";
}

/**
 * Parses a CSV with a header line (RFC 4180 quoting). A column named twice — `value,"value"` included,
 * since names are compared after unquoting — is an error naming `where` and the column.
 */
export function parseCsv(text: string, where = "CSV"): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") (row.push(cell), (cell = ""));
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
    } else cell += c;
  }
  if (cell !== "" || row.length) (row.push(cell), rows.push(row));
  const [head, ...body] = rows.filter((r) => !(r.length === 1 && r[0] === ""));
  if (!head) return [];
  const names = head.map((h) => h.trim());
  const dup = names.find((h, i) => names.indexOf(h) !== i);
  if (dup !== undefined) throw new SpecError(`${where}:1: column "${dup}" appears twice in the header`);
  return body.map((r) => Object.fromEntries(names.map((h, i) => [h, r[i] ?? ""])));
}
