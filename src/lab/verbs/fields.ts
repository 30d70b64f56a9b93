// The field groups several verbs share: the training fields every run takes, the validation curve a
// run is selected on, the evaluation's size and sampler, and where runs and the base live.

import { SpecError, validateFields } from "../../core/fields";
import { OBJECTIVES, SEED_FIELD, TRAINING_KNOBS } from "../training/spec";
import { CAPABILITY_TASKS, TRAIN_TASKS } from "../worlds";

/**
 * A verb's `task`: a capability world (src/lab/worlds; the worlds' scene kinds are src/tasks' TASKS, a
 * different list); ALL_TASKS adds C.5's mixture where a verb trains it.
 */
export { CAPABILITY_TASKS };
export const ALL_TASKS = TRAIN_TASKS;
export { OBJECTIVES };
export const SIDES = ["gen", "und", "both"] as const;
export const SELECTS = ["best", "last", "other"] as const;

export const common = [
  { name: "root", type: "string", help: "the run store's folder (default: the lab's, ./runs)" },
  { name: "base", type: "string", help: "the base model's folder (default: the shipped shared-unified)" },
  {
    name: "arch",
    type: "string",
    help: "an architecture family's published base, models/<arch> (instead of --base): shared-unified, shared-separate, mot, decoupled",
  },
] as const;

/**
 * The fields of a causal diagnostic on the counting grid (canvas, statement): adapters compared with the
 * base, the diagnostic's own sampling seeds, the sampler's schedule and guidance.
 */
export const diagnosticFields = [
  { name: "adapter", type: "list", items: "string", help: "run names to compare with the base (comma-separated)", default: [] },
  {
    name: "seeds",
    type: "list",
    items: "integer",
    help: "sampling seeds per prompt (the diagnostic's own: not the test's 0–3 or validation's 100–103)",
    default: [200, 201],
    min: 0,
    max: 2 ** 31 - 1,
  },
  { name: "steps", type: "integer", help: "sampling steps of the schedule", default: 12, min: 2, max: 256 },
  { name: "cfg", type: "number", help: "the sampler's guidance (default: the model's)", min: 0, max: 20 },
] as const;

/** Adapters trained through the same objective, pooled into one claim (their runs resampled): group name → runs. */
export function pooledByObjective(store: { run(name: string): { spec(): Record<string, unknown> } }, names: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const g = `${String(store.run(n).spec()["objective"] ?? "adapter")}-trained (pooled)`;
    groups.set(g, [...(groups.get(g) ?? []), n]);
  }
  return groups;
}

/** Which checkpoint a run keeps (a run's field, not the training's: the same training, another kept step). */
export const selectField = {
  name: "select",
  type: "string",
  help: "which checkpoint a run keeps: best = best validation score on the trained side (the paper's early stopping), other = best validation score on the side not trained (a transient transfer peak, chosen on validation and read once on test), last = the last step",
  default: "best",
  choices: SELECTS,
} as const;

/** The fields of a training run a multi-run verb shares with `train`: the training knobs and which checkpoint is kept. */
export const training = [...TRAINING_KNOBS, selectField] as const;

/** Fields of a training run a multi-run verb passes on to each of its runs. */
export const TRAINING_FIELDS = training.map((f) => f.name);

/** What each run of a multi-run verb takes from the verb's validated arguments: its training fields, seed, base and run-store flags. */
export function runFieldsOf(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries([...TRAINING_FIELDS, "seed", "force", "resume", "base"].filter((k) => args[k] !== undefined).map((k) => [k, args[k]]));
}

/** The `train` fields of one run of a multi-run verb: the verb's training fields, its validation curve (none when it keeps the last step) and the run's own. */
export function subRunArgs(a: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const curve =
    a["select"] !== "last"
      ? { evalEvery: a["evalEvery"], evalPrompts: a["evalPrompts"], evalSeeds: a["evalSeeds"], evalQuestions: a["evalQuestions"] }
      : { evalEvery: 0 };
  return { ...runFieldsOf(a), ...curve, ...overrides };
}

/**
 * One objective's own training fields (`transfer --gen counts=eval,plain=1`): the paper trains each
 * objective on its own data (PixMo-Count questions; count-aware generation captions), so a verb that
 * trains both may give one of them other values. Each `field=value` is checked as `train` checks it,
 * and the error names `<owner>.<field>` and the allowed values.
 */
export function objectiveOverrides(owner: string, text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  const given: Record<string, string> = {};
  for (const pair of text.split(",").map((p) => p.trim())) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new SpecError(`${owner}: "${pair}" is not field=value (fields: ${training.map((f) => f.name).join(", ")})`);
    const key = pair.slice(0, eq).trim();
    if (key in given) throw new SpecError(`${owner}.${key}: given twice`);
    given[key] = pair.slice(eq + 1).trim();
  }
  // train's own checks (names, kebab-case, types, ranges, choices), without its defaults: an objective
  // keeps the verb's values for every field it does not name.
  return validateFields(
    owner,
    training.map((f) => {
      const { default: _d, ...rest } = f as typeof f & { default?: unknown };
      return rest;
    }),
    given,
  );
}

/**
 * The validation curve a run inside transfer/ablate/compose is selected on: 54 prompts × 2 sampling
 * seeds and 270 questions (a selection on 18 images would pick noise). A `train` with these fields
 * and the same evalEvery is the same run, so the demo's curves are reused by its transfer.
 */
export const SELECTION_CURVE = { evalPrompts: 54, evalSeeds: 2, evalQuestions: 270 } as const;

/** The validation curve each run of a multi-run verb is selected on (select best). */
export const selection = [
  {
    name: "evalEvery",
    type: "integer",
    help: "validation evaluation every N steps of each run (for select best; 0: keep the last step)",
    default: 50,
    min: 0,
    max: 100000,
  },
  { name: "evalPrompts", type: "integer", help: "validation generation prompts per evaluation", default: SELECTION_CURVE.evalPrompts, min: 1, max: 10000 },
  { name: "evalSeeds", type: "integer", help: "validation sampling seeds per prompt (of 4)", default: SELECTION_CURVE.evalSeeds, min: 1, max: 4 },
  { name: "evalQuestions", type: "integer", help: "validation questions per evaluation", default: SELECTION_CURVE.evalQuestions, min: 1, max: 10000 },
] as const;

export const evalSize = [
  { name: "limit", type: "integer", help: "evaluate on the first N prompts/questions of each set (default: the full sets)", min: 1, max: 100000 },
  {
    name: "cfg",
    type: "number",
    help: "the evaluation sampler's classifier-free guidance (default: the model's; choose it on the validation split)",
    min: 0,
    max: 20,
  },
  {
    name: "samplerSteps",
    type: "integer",
    help: "the evaluation sampler's steps per image (default 12, about 5 of 64 cells decided per step; 64: one cell per step, each decided after seeing every earlier one)",
    min: 1,
    max: 256,
  },
  {
    name: "temperature",
    type: "number",
    help: "the evaluation sampler's initial confidence temperature τ0 (default: the model's; near 0 the cells are decided in order of the model's confidence, large: in random order)",
    min: 0,
    max: 10000,
  },
  { name: "force", type: "boolean", help: "recompute runs even when a finished run with the same spec exists", default: false },
  { name: "resume", type: "boolean", help: "continue interrupted runs from their last checkpoint (a killed long run keeps its steps)", default: false },
  {
    name: "workers",
    type: "integer",
    help: "training runs at a time, each in its own process with the cores split between them (1: one at a time in this process, with a live progress bar); the numbers do not depend on it",
    default: 1,
    min: 1,
    max: 64,
  },
] as const;

export const seedField = SEED_FIELD;

/** The test evaluation's options from a verb's evalSize fields (subset and sampler; defaults: the model's). */
export function evalOptionsOf(a: { limit?: number; cfg?: number; samplerSteps?: number; temperature?: number }) {
  return {
    ...(a.limit ? { limit: a.limit } : {}),
    ...(a.cfg !== undefined ? { cfg: a.cfg } : {}),
    ...(a.samplerSteps !== undefined ? { steps: a.samplerSteps } : {}),
    ...(a.temperature !== undefined ? { temperature: a.temperature } : {}),
  };
}
