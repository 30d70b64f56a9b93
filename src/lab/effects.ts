// Paired effects of tuned models against the base on an evaluation set's rows: one row per
// (direction, side, metric) with Δ, its crossed cluster-bootstrap interval (prompts × training runs),
// the verdict, the equivalence bound and the minimum detectable effect. The one path from evaluation
// rows to a claimed effect: transfer, probe and the demo all print these.

import * as E from "../eval";
import { EvalSet, GenRow, UndRow } from "./evaluate";

type Row = GenRow | UndRow;

/** Per-item values of a set's metrics, and whether a larger value is better. */
const METRICS: Partial<Record<EvalSet, { metric: string; better: "higher" | "lower"; value: (r: Row) => number | null }[]>> = {
  "counting-gen": [
    { metric: "accuracy", better: "higher", value: (r) => (r.correct ? 1 : 0) },
    { metric: "mad", better: "lower", value: (r) => r.absError ?? null },
  ],
  "counting-und": [
    { metric: "accuracy", better: "higher", value: (r) => (r.correct ? 1 : 0) },
    { metric: "mad", better: "lower", value: (r) => r.absError ?? null },
  ],
  // An image whose objects the judge cannot place is left out of its pair (as the summary leaves it out).
  "spatial-gen": [{ metric: "accuracy", better: "higher", value: (r) => ((r as GenRow).excluded ? null : r.correct ? 1 : 0) }],
  "spatial-und": [{ metric: "accuracy", better: "higher", value: (r) => (r.correct ? 1 : 0) }],
  "composition-gen": [{ metric: "accuracy", better: "higher", value: (r) => (r.correct ? 1 : 0) }],
  "text-gen": [{ metric: "accuracy", better: "higher", value: (r) => (r.correct ? 1 : 0) }],
  "text-und": [{ metric: "accuracy", better: "higher", value: (r) => (r.correct ? 1 : 0) }],
};

export function setMetrics(set: EvalSet): { metric: string; better: "higher" | "lower" }[] {
  return (METRICS[set] ?? []).map(({ metric, better }) => ({ metric, better }));
}

/** The pairing key: a generation image is (prompt, sampling seed), an answer is its question. */
const pairKey = (r: Row) => ("seed" in r && typeof r.seed === "number" ? `${r.id}|${r.seed}` : r.id);

export interface TunedRows {
  run: string;
  rows: readonly Row[];
}

/** The paired cells of one metric: every tuned run's item against the base's same item. */
export function pairedCells(set: EvalSet, metric: string, base: readonly Row[], tuned: readonly TunedRows[]): E.PairedCell[] {
  const m = (METRICS[set] ?? []).find((x) => x.metric === metric);
  if (!m) throw new Error(`paired: no metric "${metric}" for set ${set} (allowed: ${setMetrics(set).map((x) => x.metric).join(", ")})`);
  const byKey = new Map(base.map((r) => [pairKey(r), r]));
  const cells: E.PairedCell[] = [];
  for (const t of tuned) {
    for (const r of t.rows) {
      const b = byKey.get(pairKey(r));
      if (!b) throw new Error(`paired: ${set} item ${pairKey(r)} of run ${t.run} has no base item (evaluate both on the same prompts and seeds)`);
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
export function effectRows(direction: string, set: EvalSet, base: readonly Row[], tuned: readonly TunedRows[]): EffectRow[] {
  return setMetrics(set).map(({ metric, better }) => {
    const cells = pairedCells(set, metric, base, tuned);
    const e = E.pairedEffect(cells, { better });
    const mean = (f: (c: E.PairedCell) => number) => E.mean(cells.map(f));
    return {
      direction,
      set,
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
export function strengthRows(direction: string, set: EvalSet, base: readonly Row[], transfer: readonly TunedRows[], direct: readonly TunedRows[]): StrengthRow[] {
  return setMetrics(set).map(({ metric, better }) => {
    const s = E.strengthInterval(pairedCells(set, metric, base, transfer), pairedCells(set, metric, base, direct), { better });
    const num = (x: number) => (Number.isFinite(x) ? x : null);
    return { direction, set, metric, strength: num(s.estimate), lo: num(s.lo), hi: num(s.hi), note: s.note };
  });
}
