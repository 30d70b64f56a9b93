// What a world is to the lab: the task name the verbs take, its evaluation sets (a generation set of
// GenEval-style prompts and, where it has one, an understanding set of questions), each with how it is
// drawn, judged and summarized, and its training pairs (the same images through both objectives). A
// world's scenes, templates and parsers live in src/tasks; this file gathers what the lab does with them.

import type * as T from "../../tasks";
import type * as U from "../../umm";
import type { EvalOptions, EvalResult, GenRow, Summary, UndRow } from "../eval-core";

/** One evaluation set: its name, its side, how a model is evaluated on it and how rows are summarized. */
export interface EvalSetDef<R extends GenRow | UndRow = GenRow | UndRow, O extends EvalOptions = EvalOptions> {
  name: string;
  side: "gen" | "und";
  evaluate(model: U.UnifiedModel, opts: O): Promise<EvalResult<R>>;
  /** Also for rows pooled over several runs: a generation prompt's images stay one bootstrap cluster. */
  summarize(rows: readonly R[]): Summary;
}

/** The counting data fields of a training spec (src/lab/verbs/fields.ts), defaults left out. */
export type PoolData = Pick<T.TrainOptions, "captions" | "counts" | "plain">;

export interface World {
  /** The verbs' `task` value. */
  task: string;
  help: string;
  gen: EvalSetDef<GenRow>;
  /** The understanding set its runs are measured on (absent: none of its own, e.g. composition). */
  und: EvalSetDef<UndRow>;
  /**
   * The training pairs of a LoRA run, drawn from data seed 0: `n` pairs and words to spell into the
   * image tokens of a pair (text rendering). A mixture world (C.5) names its parts instead.
   */
  pairs?: (n: number, data: PoolData) => { pairs: T.SamplePair[]; spell: (p: T.SamplePair) => string[] };
  /** C.5's mixture: the worlds whose pools it joins, half each (the first gets the odd pair). */
  mixture?: readonly [string, string];
  /** Whether the counting data fields (captions, counts, plain) shape its pairs (they join the run's key). */
  countingData: boolean;
}

export function defineWorld<W extends World>(w: W): W {
  return w;
}
