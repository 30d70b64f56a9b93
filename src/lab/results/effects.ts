// Paired effects of tuned models against the base on an evaluation set's rows: one row per
// (direction, side, metric) with Δ, its crossed cluster-bootstrap interval (prompts × training runs),
// the verdict, the equivalence bound and the minimum detectable effect. The one path from evaluation
// rows to a claimed effect: transfer, probe and the demo all print these.

import * as E from "../../eval";
import { EvalSet, GenRow, UndRow } from "../evaluation/sets";
import { EvalSetDef, evalSetDef } from "../worlds";

type Row = GenRow | UndRow;

/** A set by name (one of the worlds' in the list) or by its definition (any world's, listed or not). */
export type SetRef = EvalSet | EvalSetDef;
const defOf = (set: SetRef): EvalSetDef => (typeof set === "string" ? evalSetDef(set) : set);

export function setMetrics(set: SetRef): { metric: string; better: "higher" | "lower" }[] {
  return defOf(set).metrics.map(({ metric, better }) => ({ metric, better }));
}

/** The pairing key: a generation image is (prompt, sampling seed), an answer is its question. */
const pairKey = (r: Row) => ("seed" in r && typeof r.seed === "number" ? `${r.id}|${r.seed}` : r.id);

export interface TunedRows {
  run: string;
  rows: readonly Row[];
}

/** The paired cells of one metric: every tuned run's item against the base's same item. */
export function pairedCells(set: SetRef, metric: string, base: readonly Row[], tuned: readonly TunedRows[]): E.PairedCell[] {
  const name = defOf(set).name;
  const m = defOf(set).metrics.find((x) => x.metric === metric);
  if (!m)
    throw new Error(
      `paired: no metric "${metric}" for set ${name} (allowed: ${setMetrics(set)
        .map((x) => x.metric)
        .join(", ")})`,
    );
  const byKey = new Map(base.map((r) => [pairKey(r), r]));
  const cells: E.PairedCell[] = [];
  for (const t of tuned) {
    for (const r of t.rows) {
      const b = byKey.get(pairKey(r));
      if (!b) throw new Error(`paired: ${name} item ${pairKey(r)} of run ${t.run} has no base item (evaluate both on the same prompts and seeds)`);
      const tv = m.value(r);
      const bv = m.value(b);
      if (tv === null || bv === null) continue;
      cells.push({ cluster: r.id, run: t.run, tuned: tv, base: bv });
    }
  }
  return cells;
}

export interface EffectRow {
  direction: string;
  set: EvalSet;
  metric: string;
  base: number;
  tuned: number;
  delta: number;
  lo: number;
  hi: number;
  verdict: E.PairedEffect["verdict"];
  /** Which direction of Δ is a gain: "higher" (accuracy) or "lower" (MAD). */
  better: "higher" | "lower";
  bound: number;
  mde: number;
  statement: string;
  runs: number;
  prompts: number;
  n: number;
}

/** Every metric's paired effect of tuned runs on a set. */
export function effectRows(direction: string, set: SetRef, base: readonly Row[], tuned: readonly TunedRows[]): EffectRow[] {
  return effectRowsOf(direction, set, (metric) => pairedCells(set, metric, base, tuned));
}

/** A set's paired cells per metric in compact form (E.CellGrid): what a trend over several conditions reads. */
export interface GridRow extends E.CellGrid {
  direction: string;
  set: EvalSet;
  metric: string;
}

export function effectGrids(direction: string, set: SetRef, base: readonly Row[], tuned: readonly TunedRows[]): GridRow[] {
  return setMetrics(set).map(({ metric }) => ({ direction, set: defOf(set).name as EvalSet, metric, ...E.cellGrid(pairedCells(set, metric, base, tuned)) }));
}

/** One run's rows at two points (two steps of one training run: `from` plays the base). */
export interface RunPair {
  run: string;
  from: readonly Row[];
  to: readonly Row[];
}

/**
 * Every metric's paired change between two points of several runs (e.g. epoch 0 → the middle epoch of
 * each joint run): each run's items against its own earlier items, runs pooled in one crossed bootstrap.
 */
export function changeRows(direction: string, set: SetRef, pairs: readonly RunPair[]): EffectRow[] {
  return effectRowsOf(direction, set, (metric) => pairs.flatMap((p) => pairedCells(set, metric, p.from, [{ run: p.run, rows: p.to }])));
}

function effectRowsOf(direction: string, set: SetRef, cellsOf: (metric: string) => E.PairedCell[]): EffectRow[] {
  return setMetrics(set).map(({ metric, better }) => {
    const cells = cellsOf(metric);
    const e = E.pairedEffect(cells, { better });
    const mean = (f: (c: E.PairedCell) => number) => E.mean(cells.map(f));
    return {
      direction,
      set: defOf(set).name as EvalSet,
      metric,
      base: mean((c) => c.base),
      tuned: mean((c) => c.tuned),
      delta: e.estimate,
      lo: e.lo,
      hi: e.hi,
      verdict: e.verdict,
      better,
      bound: e.bound,
      mde: e.mde,
      statement: e.statement,
      runs: e.runs,
      prompts: e.clusters,
      n: e.n,
    };
  });
}

export interface StrengthRow {
  direction: string;
  set: EvalSet;
  metric: string;
  strength: number | null;
  lo: number | null;
  hi: number | null;
  note: string;
}

/** Table 6's strength on one side: the transfer runs' paired Δ over the direct runs' paired Δ. */
export function strengthRows(
  direction: string,
  set: SetRef,
  base: readonly Row[],
  transfer: readonly TunedRows[],
  direct: readonly TunedRows[],
): StrengthRow[] {
  return setMetrics(set).map(({ metric, better }) => {
    const s = E.strengthInterval(pairedCells(set, metric, base, transfer), pairedCells(set, metric, base, direct), { better });
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    return { direction, set: defOf(set).name as EvalSet, metric, strength: num(s.estimate), lo: num(s.lo), hi: num(s.hi), note: s.note };
  });
}
