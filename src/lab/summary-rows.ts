// The evaluation sets a task is measured on, and a summary as metric rows of the run store.

import type { EvalSet, Summary } from "./evaluate";
import type { MetricRow } from "./run-store";
import type { TrainTask } from "./train";

export const GEN_SET: Record<TrainTask, EvalSet> = { counting: "counting-gen", spatial: "spatial-gen", text: "text-gen", compose: "composition-gen" };
export const UND_SET: Record<TrainTask, EvalSet> = { counting: "counting-und", spatial: "spatial-und", text: "text-und", compose: "counting-und" };

/** Metric rows of a summary: accuracy, MAD and CER with their intervals, and the point metrics. */
export function summaryRows(run: string, step: number, side: string, s: Summary): MetricRow[] {
  const out: MetricRow[] = [];
  for (const k of ["accuracy", "mad", "cer"] as const) {
    const v = s[k];
    if (v) out.push({ run, step, side, metric: k, value: Number.isFinite(v.estimate) ? v.estimate : null, lo: v.lo ?? null, hi: v.hi ?? null, n: s.n });
  }
  for (const [k, name] of [
    ["wer", "wer"],
    ["editDistance", "edit_distance"],
    ["bleu", "bleu"],
    ["meteor", "meteor"],
    ["f1", "f1"],
    ["excluded", "excluded"],
    ["unparsed", "unparsed"],
  ] as const) {
    const v = s[k];
    if (typeof v === "number") out.push({ run, step, side, metric: name, value: v, lo: null, hi: null, n: s.n });
  }
  return out;
}
