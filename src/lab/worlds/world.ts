// What a world is to the lab: the task name the verbs take, its evaluation sets (a generation set of
// GenEval-style prompts and, where it has one, an understanding set of questions), each with how it is
// drawn, judged and summarized, and its training pairs (the same images through both objectives). A
// pretrained world's scenes, templates and parsers live in src/tasks/worlds (pretraining and the tokenizers
// draw them too); a new world may keep them in its own file here.

import type * as T from "../../tasks";
import type * as U from "../../umm";
import type { EvalOptions, EvalResult, GenRow, Summary, UndRow } from "../evaluation/core";

/** One evaluation set: its name, its side, how a model is evaluated on it and how rows are summarized. */
export interface EvalSetDef<R extends GenRow | UndRow = GenRow | UndRow, O extends EvalOptions = EvalOptions, N extends string = string> {
  /** The set's name (`counting-gen`): declared `as const`, so the list of sets is typed from the worlds. */
  name: N;
  side: "gen" | "und";
  evaluate(model: U.UnifiedModel, opts: O): Promise<EvalResult<R>>;
  /** Also for rows pooled over several runs: a generation prompt's images stay one bootstrap cluster. */
  summarize(rows: readonly R[]): Summary;
  /**
   * The per-item values of its metrics that paired effects compare (src/lab/results/effects.ts), and whether a
   * larger value is better; null leaves an item out of its pair (as the summary leaves it out).
   */
  metrics: readonly SetMetric[];
  /** The validation score a run trained on this side keeps its best step by (default: accuracy). */
  select?: (s: Summary) => number | undefined;
}

export interface SetMetric {
  metric: string;
  better: "higher" | "lower";
  value: (r: GenRow | UndRow) => number | null;
}

/** Per-item accuracy: what every set's `accuracy` metric compares. */
export const ACCURACY: SetMetric = { metric: "accuracy", better: "higher", value: (r) => (r.correct ? 1 : 0) };
/** Per-item absolute count error (counting's MAD). */
export const MAD: SetMetric = { metric: "mad", better: "lower", value: (r) => r.absError ?? null };

/** Which data a run trains on: its own draw (data seed = training seed) or the one draw every run shares (seed 0). */
export const DATA_SEEDS = ["per-run", "shared"] as const;
/** What a run is validated on: prompts no test reads, or the first map's validation (test prompts, other seeds). */
export const VAL_PROMPTS = ["disjoint", "overlap"] as const;

/** How a run's data are drawn and where it is validated (the training spec's `dataSeed` and `valPrompts`). */
export interface Protocol {
  dataSeed: (typeof DATA_SEEDS)[number];
  valPrompts: (typeof VAL_PROMPTS)[number];
}

/** The counting data fields of a training spec (src/lab/verbs/fields.ts), defaults left out. */
export type PoolData = Pick<T.CountingPoolOptions, "captions" | "counts" | "plain" | "questions">;

export interface World {
  /** The verbs' `task` value. */
  task: string;
  help: string;
  gen: EvalSetDef<GenRow>;
  /** The understanding set its runs are measured on (a mixture names one of its parts' sets). */
  und: EvalSetDef<UndRow>;
  /**
   * The training pairs of a LoRA run: `n` pairs drawn from data seed `seed`; `heldOut` true when the run is
   * validated on the "val" split, so a world whose validation items come from its training pool (text's
   * held-out words) leaves them out.
   */
  pairs?: (n: number, data: PoolData, seed: number, heldOut: boolean) => { pairs: T.SamplePair[]; spell: (p: T.SamplePair) => string[] };
  /**
   * The protocol a run of this world follows when its spec names none — the one its runs were first made
   * under, kept out of run keys so those runs keep their names (default: data seed 0 for every run, and
   * validation on "val-overlap"). A spec's `dataSeed` and `valPrompts` (src/lab/training/spec.ts) default to
   * the sound protocol, per-run data and disjoint validation prompts.
   */
  firstProtocol?: Protocol;
  /**
   * Made-up words the world teaches, each naming a shape: outside the base's vocabulary, so any prompt
   * that uses one (`%generate`, grids) spells it letter by letter, and a counting prompt with it is judged
   * by the shape it names.
   */
  taught?: readonly { word: string; cls: T.ObjectClass }[];
  /** The two metrics a run's validation curves draw, left and right axis (default accuracy and MAD). */
  curves?: readonly [string, string];
  /** C.5's mixture: the worlds whose pools it joins, half each (the first gets the odd pair). */
  mixture?: readonly [string, string];
  /**
   * Whether Table 11's distribution shift (the feature network's Fréchet distance, trained on scene
   * images) applies to its generated images; word strips have no such features.
   */
  imageFeatures: boolean;
  /** Whether the counting data fields (captions, counts, plain) shape its pairs (they join the run's key). */
  countingData: boolean;
}

export function defineWorld<W extends World>(w: W): W {
  return w;
}
