// The list of worlds the lab trains and measures. Every task list is derived from it: the verbs'
// `task` field, the training tasks, the evaluation sets and which set each task is measured on.
// To add a world: a file here with defineWorld (its scenes, pairs, sets and metrics; its words must be
// in the base's vocabulary, which is fixed at pretraining) and a line in WORLD_LIST.

import composition from "./composition";
import counting from "./counting";
import newWord from "./new-word";
import spatial from "./spatial";
import text from "./text";
import { TaskError } from "../../core/errors";
import type * as T from "../../tasks";
import type { EvalSetDef, World } from "./world";

export const WORLD_LIST = [counting, spatial, text, composition, newWord] as const satisfies readonly World[];

/** The verbs' task names: every world's (`compose` is C.5's mixture). */
export type TrainTask = (typeof WORLD_LIST)[number]["task"];
export const TRAIN_TASKS = WORLD_LIST.map((w) => w.task) as TrainTask[];
/** The capabilities a transfer study trains and measures: the worlds that are not mixtures. */
export const CAPABILITY_TASKS = WORLD_LIST.filter((w) => !("mixture" in w)).map((w) => w.task) as Exclude<TrainTask, "compose">[];

/** Every evaluation set, each once, in the worlds' order. */
export type EvalSet = (typeof WORLD_LIST)[number]["gen" | "und"]["name"];
const bySet = new Map<string, EvalSetDef>();
for (const w of WORLD_LIST) for (const s of [w.gen, w.und] as EvalSetDef[]) bySet.set(s.name, s);
export const EVAL_SETS = [...bySet.keys()] as EvalSet[];

/** Every world's taught words (made-up words that name a shape), by word. */
export const TAUGHT_WORDS: Readonly<Record<string, T.ObjectClass>> = Object.fromEntries(
  (WORLD_LIST as readonly World[]).flatMap((w) => (w.taught ?? []).map((t) => [t.word, t.cls] as const)),
);

/** The metrics a task's validation curves draw (its world's `curves`; accuracy and MAD by default). */
export function curveMetrics(task: unknown): readonly [string, string] {
  const w = (WORLD_LIST as readonly World[]).find((x) => x.task === task);
  return w?.curves ?? ["accuracy", "mad"];
}

export function world(task: string): World {
  const w = (WORLD_LIST as readonly World[]).find((x) => x.task === task);
  if (!w) throw new TaskError(`task: ${JSON.stringify(task)} is not a world (allowed: ${TRAIN_TASKS.join(", ")})`);
  return w;
}

export function evalSetDef(set: string): EvalSetDef {
  const d = bySet.get(set);
  if (!d) throw new TaskError(`set: ${JSON.stringify(set)} is not allowed (allowed: ${EVAL_SETS.join(", ")})`);
  return d;
}

export type { World, EvalSetDef, PoolData, Protocol, SetMetric } from "./world";
export { defineWorld, ACCURACY, DATA_SEEDS, MAD, VAL_PROMPTS } from "./world";
