// Tracebacks in the cell's own terms. Node reports a runtime error at lines of the JavaScript that tslab
// compiled the cell to ("evalmachine.<anonymous>:7") and lists the kernel's and tslab's own frames; users
// expect their cell's lines and their code only, as ipykernel shows "Cell In[3], line 3, in f".
//
// tslab gives no source map, so the compiled lines are aligned to the cell's lines by content: TypeScript's
// emit keeps statements in order and mostly line for line (types removed, a wrapper added around cells
// with top-level await), so an order-preserving alignment of similar lines recovers the mapping.

import { editDistance } from "../src/eval/metrics";

/** A TypeScript line with its type annotations removed, roughly (only for comparing lines). */
function withoutTypes(line: string): string {
  return line.replace(/\s*:\s*[^,()=;{}?]+(?=[,)=;{])/g, "").replace(/\s+as\s+[\w$.<>[\]]+/g, "");
}

/**
 * Similarity of a compiled line and a cell line in [0, 1]: equal, one inside the other (TypeScript splits
 * `if (c) throw e;` over two lines), or close in edit distance with or without the cell line's types.
 */
function similarity(compiled: string, cell: string): number {
  const x = compiled.trim().replace(/\s+/g, " ");
  const y = cell.trim().replace(/\s+/g, " ");
  if (!x || !y) return 0;
  if (x === y) return 1;
  const shorter = Math.min(x.length, y.length);
  if (shorter >= 6 && (y.includes(x) || x.includes(y))) return 0.9;
  const close = (a: string, b: string) => 1 - editDistance(a, b) / Math.max(a.length, b.length);
  return Math.max(close(x, y), close(x, withoutTypes(y).trim()));
}

/**
 * A compiled line as the statement it came from: tslab's module scaffolding (the `__esModule` marker,
 * `exports.x = x;` after each declaration) matches nothing; a last expression stored for display
 * (`exports.tsLastExpr = f(2);`) reads as the expression, a name from an earlier cell (`exports.f`) as the name.
 */
export function statementOf(compiled: string): string {
  const t = compiled.trim();
  if (/^Object\.defineProperty\(exports, "__esModule"/.test(t)) return "";
  if (/^exports\.[\w$]+ = (exports\.[\w$]+ = )*void 0;$/.test(t)) return "";
  const own = /^exports\.([\w$]+) = ([\w$]+);$/.exec(t);
  if (own && own[1] === own[2]) return "";
  // Names declared by earlier cells are read as `exports.name`.
  return t.replace(/^exports\.tsLastExpr = /, "").replace(/\bexports\./g, "");
}

/** Below this similarity two lines are not the same statement. */
const MIN_SIMILARITY = 0.5;
/** Larger cells are aligned by exact line matches only (the full alignment is quadratic). */
const MAX_PAIRS = 250_000;

/**
 * For each compiled line, the index of the cell line it came from (null before the first match): an
 * order-preserving alignment that maximises the summed similarity of matched lines (gaps are free).
 */
export function alignLines(compiled: readonly string[], cell: readonly string[]): (number | null)[] {
  const n = compiled.length;
  const m = cell.length;
  const sim = (i: number, j: number) => {
    if (n * m > MAX_PAIRS) return cell[j]!.trim() && compiled[i]!.trim() === cell[j]!.trim() ? 1 : 0;
    const s = similarity(compiled[i]!, cell[j]!);
    return s >= MIN_SIMILARITY ? s : 0;
  };
  // score[i][j]: best alignment of compiled[i..] with cell[j..]. Several compiled lines may come from one
  // cell line (a match may stay on j); the order is kept.
  const score = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  const s = Array.from({ length: n }, () => new Float64Array(m));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      s[i]![j] = sim(i, j);
      const match = s[i]![j]! > 0 ? s[i]![j]! + Math.max(score[i + 1]![j]!, score[i + 1]![j + 1]!) : 0;
      score[i]![j] = Math.max(match, score[i + 1]![j]!, score[i]![j + 1]!);
    }
  }
  const map: (number | null)[] = new Array(n).fill(null);
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const here = s[i]![j]!;
    if (here > 0 && score[i]![j] === here + Math.max(score[i + 1]![j]!, score[i + 1]![j + 1]!)) {
      map[i] = j;
      // On a tie, one compiled line per cell line.
      if (score[i + 1]![j]! <= score[i + 1]![j + 1]!) j++;
      i++;
    } else if (score[i]![j] === score[i + 1]![j]) i++;
    else j++;
  }
  // Lines the compiler added (wrappers, helper declarations) belong to the statement before them.
  let last: number | null = null;
  for (let k = 0; k < n; k++) {
    if (map[k] !== null) last = map[k]!;
    else map[k] = last;
  }
  return map;
}

/** Frames of the kernel, tslab and Node's own machinery: not the user's code. */
const INTERNAL = [/\bnode:/, /[\\/]tslab[\\/]/, /[\\/]kernel[\\/](kernel|main)\.[jt]s/, /^\s*at (async )?Promise\b/, /sigintHandlersWrap/];
const CELL_FRAME = /^\s*at (?:async )?(?:(.+?) \()?(\S+?):(\d+)(?::\d+)?\)?$/;

/** A code part of a cell as it ran: its source, the JavaScript it compiled to, the cell's In[n]. */
export interface CellScript {
  cell: string;
  compiled: string;
  count: number;
}

/** The script name a cell's code part runs under (what stack frames show). */
export function cellScriptName(count: number, part: number): string {
  return `tl-cell-${count}-${part}.js`;
}

/**
 * The traceback lines for a runtime error raised in cells: the error, then its frames, innermost first —
 * a frame in a cell (this one or an earlier one) as `Cell In[n], line L, in f` with the line's source,
 * frames in other files as they are, the kernel's and tslab's frames left out.
 */
export function cellTraceback(name: string, message: string, stack: string, scripts: ReadonlyMap<string, CellScript>): string[] {
  const out = [`${name}: ${message}`];
  const maps = new Map<string, (number | null)[]>();
  for (const line of stack.split("\n")) {
    if (!/^\s*at /.test(line)) continue;
    const frame = CELL_FRAME.exec(line);
    const script = frame ? scripts.get(frame[2]!) : undefined;
    if (frame && script) {
      if (!maps.has(frame[2]!)) maps.set(frame[2]!, alignLines(script.compiled.split("\n").map(statementOf), script.cell.split("\n")));
      const map = maps.get(frame[2]!)!;
      const at = Number(frame[3]);
      // Past the compiled code: the call of tslab's wrapper around the cell, not the user's code.
      if (at > map.length) continue;
      const where = map[at - 1];
      const fn = frame[1] && !/^(eval|Object\.<anonymous>)$/.test(frame[1]) ? `, in ${frame[1].replace(/^Proxy\./, "")}` : "";
      if (where === null || where === undefined) {
        out.push(`  Cell In[${script.count}]${fn}`);
        continue;
      }
      out.push(`  Cell In[${script.count}], line ${where + 1}${fn}`);
      out.push(`      ${script.cell.split("\n")[where]!.trim()}`);
      continue;
    }
    if (INTERNAL.some((re) => re.test(line))) continue;
    out.push(`  ${line.trim()}`);
  }
  return out;
}
