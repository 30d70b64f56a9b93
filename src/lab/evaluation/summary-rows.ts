// The evaluation sets a task is measured on, and a summary as metric rows of the run store.

import { METRICS, MetricInfo } from "../../core/metrics";
import type { Summary } from "./core";
import type { MetricRow } from "../store/run-store";
import { EvalSet, TrainTask, WORLD_LIST } from "../worlds";

/** The set each task's generation side is measured on, from its world. */
export const GEN_SET = Object.fromEntries(WORLD_LIST.map((w) => [w.task, w.gen.name])) as Record<TrainTask, EvalSet>;
/** The set each task's understanding side is measured on (compose: counting's questions). */
export const UND_SET = Object.fromEntries(WORLD_LIST.map((w) => [w.task, w.und.name])) as Record<TrainTask, EvalSet>;

/**
 * Metric rows of a summary: every metric whose record (src/core/metrics.ts) names a summary key present
 * here — an interval (accuracy, MAD, CER, composition's parts, class share) or a point value (WER, BLEU,
 * excluded, unparsed, …).
 */
export function summaryRows(run: string, step: number, side: string, s: Summary): MetricRow[] {
  const out: MetricRow[] = [];
  const held = s as unknown as Record<string, unknown>;
  for (const [metric, info] of Object.entries(METRICS as Record<string, MetricInfo>)) {
    const v = info.summary ? held[info.summary] : undefined;
    if (typeof v === "number") out.push({ run, step, side, metric, value: v, lo: null, hi: null, n: s.n });
    else if (v && typeof v === "object") {
      const iv = v as { estimate: number; lo?: number; hi?: number };
      out.push({ run, step, side, metric, value: Number.isFinite(iv.estimate) ? iv.estimate : null, lo: iv.lo ?? null, hi: iv.hi ?? null, n: s.n });
    }
  }
  return out;
}
