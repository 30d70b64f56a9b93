// What a training run is: one list of fields (name, type, range, default, help), read by the `train`
// verb, by every verb that trains several runs, and by the training loop. A field's range and default
// are stated here and nowhere else; `checkSpec` is the one check.

import { ArgsOf, validateFields } from "../../core/fields";
import { COUNTING_CAPTIONS, COUNT_DISTRIBUTIONS, COUNTING_QUESTIONS } from "../../tasks/vocab";
import { MAX_LORA_RANK } from "../../umm/lora";
import { DATA_SEEDS, Protocol, TRAIN_TASKS, VAL_PROMPTS, world } from "../worlds";

export const OBJECTIVES = ["und", "gen", "joint"] as const;
export type Objective = (typeof OBJECTIVES)[number];

/** The training knobs a multi-run verb passes on to each of its runs (task, objective and seed are the verb's to set). */
export const TRAINING_KNOBS = [
  { name: "rank", type: "integer", help: "LoRA rank r", default: 8, min: 1, max: MAX_LORA_RANK },
  { name: "alpha", type: "number", help: "LoRA alpha (scale alpha/r)", default: 16, min: 0.001, max: 10000 },
  {
    name: "steps",
    type: "integer",
    help: "optimizer steps per training run (select best keeps the best validation step of them)",
    default: 300,
    min: 1,
    max: 100000,
  },
  { name: "lr", type: "number", help: "AdamW learning rate", default: 5e-4, min: 1e-9, max: 0.5 },
  { name: "batch", type: "integer", help: "rows per step", default: 32, min: 2, max: 512 },
  {
    name: "captions",
    type: "string",
    help: "counting generation captions: every category with its count (Table 8), or the target class only",
    default: "every-category",
    choices: COUNTING_CAPTIONS,
  },
  {
    name: "counts",
    type: "string",
    help: "counting training counts: small (PixMo-like skew), uniform 0–20, eval (two…ten)",
    default: "small",
    choices: COUNT_DISTRIBUTIONS,
  },
  {
    name: "plain",
    type: "number",
    help: "share of counting training scenes holding the target class alone (GenEval's prompts name one class)",
    default: 0.5,
    min: 0,
    max: 1,
  },
  {
    name: "questions",
    type: "string",
    help: 'counting understanding questions: how-many (PixMo-Count), or choice ("Are there five circles or six circles?": the number word as input); only understanding runs read it',
    default: "how-many",
    choices: COUNTING_QUESTIONS,
  },
  {
    name: "dataSeed",
    type: "string",
    help: "which data each run trains on: per-run (default; data seed = training seed, so runs pooled over seeds pool over data draws and the interval carries their variance) or shared (data seed 0 for every run)",
    choices: DATA_SEEDS,
  },
  {
    name: "valPrompts",
    type: "string",
    help: "validation split runs are chosen on: disjoint (default; no test prompt or word is read while a checkpoint is chosen) or overlap (the test's generation prompts or draws that repeat them, with other sampling seeds; text's test words)",
    choices: VAL_PROMPTS,
  },
] as const;

/**
 * The protocol a run follows when its fields name none: each run its own data draw and validation prompts
 * disjoint from the test's, so selection never reads a test prompt and the interval carries the data's variance.
 */
export const DEFAULT_PROTOCOL: Protocol = { dataSeed: "per-run", valPrompts: "disjoint" };

/** The protocol of runs made before a spec could name one (a world may declare its own: `firstProtocol`). */
export const FIRST_PROTOCOL: Protocol = { dataSeed: "shared", valPrompts: "overlap" };

/** What a run's key holds of its protocol: the fields given (else the default) that differ from its world's first protocol, so older runs keep their names. */
export function keyedProtocol(task: string, given: { [K in keyof Protocol]?: Protocol[K] | undefined }): Partial<Protocol> {
  const first = world(task).firstProtocol ?? FIRST_PROTOCOL;
  const p: Protocol = { dataSeed: given.dataSeed ?? DEFAULT_PROTOCOL.dataSeed, valPrompts: given.valPrompts ?? DEFAULT_PROTOCOL.valPrompts };
  return {
    ...(p.dataSeed !== first.dataSeed ? { dataSeed: p.dataSeed } : {}),
    ...(p.valPrompts !== first.valPrompts ? { valPrompts: p.valPrompts } : {}),
  };
}

/** The protocol a run's spec stands for: a field its key left out is its world's first protocol's. */
export function specProtocol(task: string, spec: Partial<Protocol>): Protocol {
  return {
    ...(world(task).firstProtocol ?? FIRST_PROTOCOL),
    ...(spec.dataSeed ? { dataSeed: spec.dataSeed } : {}),
    ...(spec.valPrompts ? { valPrompts: spec.valPrompts } : {}),
  };
}

/** The validation split a protocol chooses checkpoints on. */
export const validationSplit = (p: Protocol) => (p.valPrompts === "disjoint" ? ("val" as const) : ("val-overlap" as const));

export const SEED_FIELD = { name: "seed", type: "integer", help: "seed of the adapter's init and the batches", default: 0, min: 0, max: 2 ** 31 - 1 } as const;

/** The fields of one training run. */
export const TRAIN_SPEC_FIELDS = [
  { name: "task", type: "string", help: "capability", default: "counting", choices: TRAIN_TASKS },
  { name: "objective", type: "string", help: "und = VQA, gen = text-to-image, joint = both", default: "und", choices: OBJECTIVES },
  ...TRAINING_KNOBS,
  SEED_FIELD,
] as const;

/** One training run's spec, every field present (defaults filled in by `checkSpec`). */
export type TrainSpec = ArgsOf<typeof TRAIN_SPEC_FIELDS> & {
  /** Training pairs drawn (once per data seed: 0 for every run, or the run's seed where the world draws per run). */
  pool?: number;
  targetModules?: readonly string[];
  dropout?: number;
};

/**
 * The training fields a caller gave, checked against their one range each, with every default filled in.
 * With a `pool` of its own the task may be a world outside the list (a test's toy world).
 */
export function checkSpec(input: Partial<TrainSpec> & Record<string, unknown>, ownPool = false): TrainSpec {
  const { pool, targetModules, dropout, ...fields } = input;
  const schema = ownPool ? TRAIN_SPEC_FIELDS.map((f) => (f.name === "task" ? { ...f, choices: undefined } : f)) : TRAIN_SPEC_FIELDS;
  return {
    ...(validateFields("train", schema, fields) as ArgsOf<typeof TRAIN_SPEC_FIELDS>),
    ...(pool !== undefined ? { pool } : {}),
    ...(targetModules !== undefined ? { targetModules } : {}),
    ...(dropout !== undefined ? { dropout } : {}),
  };
}
