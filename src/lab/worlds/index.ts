// The list of worlds the lab trains and measures. Every task list is derived from it: the verbs'
// `task` field, the training tasks, the evaluation sets and which set each task is measured on.
// To add a world: its scenes, templates and parser in src/tasks (new words need a new base: the
// vocabulary is fixed at pretraining), a file here with defineWorld, and a line in WORLD_LIST.

import composition from "./composition";
import counting from "./counting";
import spatial from "./spatial";
import text from "./text";
import { TaskError } from "../../core/errors";
import type { EvalSetDef, World } from "./world";

export const WORLD_LIST = [counting, spatial, text, composition] as const satisfies readonly World[];

/** The verbs' task names: every world's (`compose` is C.5's mixture). */
export type TrainTask = (typeof WORLD_LIST)[number]["task"];
export const TRAIN_TASKS = WORLD_LIST.map((w) => w.task) as TrainTask[];
/** The capabilities a transfer study trains and measures: the worlds that are not mixtures. */
export const CAPABILITY_TASKS = WORLD_LIST.filter((w) => !("mixture" in w)).map((w) => w.task) as Exclude<TrainTask, "compose">[];

/** Every evaluation set, each once, in the worlds' order. */
export const EVAL_SETS = ["counting-gen", "counting-und", "spatial-gen", "spatial-und", "text-gen", "text-und", "composition-gen"] as const;
export type EvalSet = (typeof EVAL_SETS)[number];

const bySet = new Map<string, EvalSetDef>();
for (const w of WORLD_LIST) for (const s of [w.gen, w.und] as EvalSetDef[]) bySet.set(s.name, s);
// The list above and the worlds' sets must agree: a world added without its sets here fails at load.
for (const name of bySet.keys()) if (!(EVAL_SETS as readonly string[]).includes(name)) throw new Error(`worlds: set ${name} is missing from EVAL_SETS`);
for (const name of EVAL_SETS) if (!bySet.has(name)) throw new Error(`worlds: EVAL_SETS names ${name}, which no world has`);

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

export type { World, EvalSetDef, PoolData } from "./world";
export { defineWorld } from "./world";
