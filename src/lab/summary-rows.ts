// The evaluation sets a task is measured on, and a summary as metric rows of the run store.

import type { Summary } from "./eval-core";
import type { MetricRow } from "./run-store";
import { EvalSet, TrainTask, WORLD_LIST } from "./worlds";

/** The set each task's generation side is measured on, from its world. */
export const GEN_SET = Object.fromEntries(WORLD_LIST.map((w) => [w.task, w.gen.name])) as Record<TrainTask, EvalSet>;
/** The set each task's understanding side is measured on (compose: counting's questions). */
export const UND_SET = Object.fromEntries(WORLD_LIST.map((w) => [w.task, w.und.name])) as Record<TrainTask, EvalSet>;

/** Metric rows of a summary: accuracy, MAD, CER and composition's parts with their intervals, and the point metrics. */
export function summaryRows(run: string, step: number, side: string, s: Summary): MetricRow[] {
  const out: MetricRow[] = [];
  for (const [k, metric] of [
    ["accuracy", "accuracy"],
    ["mad", "mad"],
    ["cer", "cer"],
    ["countAccuracy", "count_accuracy"],
    ["placed", "placed"],
    ["classShare", "class_share"],
  ] as const) {
    const v = s[k];
    if (v) out.push({ run, step, side, metric, value: Number.isFinite(v.estimate) ? v.estimate : null, lo: v.lo ?? null, hi: v.hi ?? null, n: s.n });
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
