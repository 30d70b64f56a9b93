// What a long verb tells its caller while it runs (progress, evaluations, stages) and how the caller
// stops it: the kernel draws live charts from these, the CLI a progress bar, a sweep worker nothing.

import type { MetricRow } from "./store/run-store";

export class InterruptedError extends Error {
  override name = "KeyboardInterrupt";
}

export interface Progress {
  run: string;
  step: number;
  steps: number;
  loss: number;
  elapsed_s: number;
  eta_s: number;
}

export interface Hooks {
  /** After every optimizer step. */
  onStep?: (p: Progress) => void;
  /** Each row of the training-loss curve as the run records it (the mean over its last 5 steps). */
  onLoss?: (row: MetricRow) => void;
  /** After every held-out evaluation: the new rows and every metric row of the run so far. */
  onEval?: (rows: MetricRow[], all: MetricRow[]) => void;
  /** Start of a stage of a multi-run verb ("training und seed 0", "evaluating baseline", …). */
  onStage?: (s: string) => void;
  /** Aborting stops a training after its current step, with a checkpoint and the run marked interrupted. */
  signal?: AbortSignal;
}
