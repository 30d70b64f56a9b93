// The lab's verbs and their arguments, defined once. The API validates with these schemas, the kernel
// turns them into magic argument specs, the CLI into flags, and `transferlab run SPEC.json` into a spec
// file's fields: a `%train --rank 8` and `lab.train({ rank: 8 })` are the same call by construction.

import YAML from "yaml";
import { COUNTING_CAPTIONS, COUNT_DISTRIBUTIONS, TaskError } from "../tasks/vocab";
import { editDistance } from "../eval/metrics";

export type FieldType = "string" | "number" | "integer" | "boolean" | "list";

/** One argument of a verb (and, through kernel/magics.ts, of any magic). */
export interface Field {
  name: string;
  type: FieldType;
  help: string;
  default?: unknown;
  required?: boolean;
  /** Allowed values (for strings, and for each item of a list). */
  choices?: readonly string[];
  /** Takes the first free word instead of a --flag. */
  positional?: boolean;
  min?: number;
  max?: number;
  /** Items of a list: numbers or strings. */
  items?: "integer" | "string";
}

export const TASKS = ["counting", "spatial", "text"] as const;
export const OBJECTIVES = ["und", "gen", "joint"] as const;
export const SIDES = ["gen", "und", "both"] as const;
export const SELECTS = ["best", "last", "other"] as const;

const common: Field[] = [
  { name: "root", type: "string", help: "the run store's folder (default: the lab's, ./runs)" },
  { name: "base", type: "string", help: "the base model's folder (default: the shipped shared-unified)" },
];
const training: Field[] = [
  { name: "rank", type: "integer", help: "LoRA rank r", default: 8, min: 1, max: 128 },
  { name: "alpha", type: "number", help: "LoRA alpha (scale alpha/r)", default: 16, min: 0.001 },
  { name: "steps", type: "integer", help: "optimizer steps per training run (select best keeps the best validation step of them)", default: 300, min: 1, max: 100000 },
  { name: "lr", type: "number", help: "AdamW learning rate", default: 5e-4, min: 1e-9, max: 0.5 },
  { name: "batch", type: "integer", help: "rows per step", default: 32, min: 2, max: 512 },
  { name: "captions", type: "string", help: "counting generation captions: every category with its count (Table 8), or the target class only", default: "every-category", choices: COUNTING_CAPTIONS },
  { name: "counts", type: "string", help: "counting training counts: small (PixMo-like skew), uniform 0–20, eval (two…ten)", default: "small", choices: COUNT_DISTRIBUTIONS },
  { name: "plain", type: "number", help: "share of counting training scenes holding the target class alone (GenEval's prompts name one class)", default: 0.5, min: 0, max: 1 },
  { name: "select", type: "string", help: "which checkpoint a run keeps: best = best validation score on the trained side (the paper's early stopping), other = best validation score on the side not trained (a transient transfer peak, chosen on validation and read once on test), last = the last step", default: "best", choices: SELECTS },
];
/** Fields of a training run a multi-run verb passes on to each of its runs. */
export const TRAINING_FIELDS = ["rank", "alpha", "steps", "lr", "batch", "captions", "counts", "plain", "select"] as const;
/**
 * The validation curve a run inside transfer/ablate/compose is selected on: 54 prompts × 2 sampling
 * seeds and 270 questions (a selection on 18 images would pick noise). A `train` with these fields
 * and the same evalEvery is the same run, so the demo's curves are reused by its transfer.
 */
export const SELECTION_CURVE = { evalPrompts: 54, evalSeeds: 2, evalQuestions: 270 } as const;

/** The validation curve each run of a multi-run verb is selected on (select best). */
const selection: Field[] = [
  { name: "evalEvery", type: "integer", help: "validation evaluation every N steps of each run (for select best; 0: keep the last step)", default: 50, min: 0 },
  { name: "evalPrompts", type: "integer", help: "validation generation prompts per evaluation", default: SELECTION_CURVE.evalPrompts, min: 1 },
  { name: "evalSeeds", type: "integer", help: "validation sampling seeds per prompt (of 4)", default: SELECTION_CURVE.evalSeeds, min: 1, max: 4 },
  { name: "evalQuestions", type: "integer", help: "validation questions per evaluation", default: SELECTION_CURVE.evalQuestions, min: 1 },
];
const evalSize: Field[] = [
  { name: "limit", type: "integer", help: "evaluate on the first N prompts/questions of each set (default: the full sets)", min: 1 },
  { name: "cfg", type: "number", help: "the evaluation sampler's classifier-free guidance (default: the model's; choose it on the validation split)", min: 0, max: 20 },
  { name: "force", type: "boolean", help: "recompute runs even when a finished run with the same spec exists", default: false },
];

export const VERBS = {
  train: {
    help: "Train a LoRA adapter on one task through one objective, with live held-out curves; returns a run handle.",
    fields: [
      { name: "task", type: "string", help: "capability", default: "counting", choices: [...TASKS, "compose"] },
      { name: "objective", type: "string", help: "und = VQA, gen = text-to-image, joint = both", default: "und", choices: OBJECTIVES },
      ...training,
      { name: "seed", type: "integer", help: "seed of the adapter's init and the batches", default: 0, min: 0 },
      { name: "name", type: "string", help: "run name (default: derived from the spec)" },
      { name: "evalEvery", type: "integer", help: "validation-split evaluation every N steps (0: none; select best then keeps the last step)", default: 25, min: 0 },
      { name: "evalPrompts", type: "integer", help: "validation generation prompts per evaluation", default: 18, min: 1 },
      { name: "evalSeeds", type: "integer", help: "validation sampling seeds per prompt (of 4)", default: 1, min: 1, max: 4 },
      { name: "evalQuestions", type: "integer", help: "validation questions per evaluation", default: 90, min: 1 },
      { name: "checkpointEvery", type: "integer", help: "write a resumable checkpoint every N steps", default: 25, min: 1 },
      { name: "resume", type: "boolean", help: "continue an interrupted run from its last checkpoint", default: false },
      { name: "force", type: "boolean", help: "retrain even when a finished run with this spec exists", default: false },
      ...common,
    ],
  },
  generate: {
    help: "Generate images for prompts: a grid with a row per prompt and model (base and adapters side by side), a column per seed.",
    fields: [
      { name: "prompt", type: "list", items: "string", help: "prompt(s); several separated by '|'", positional: true, required: true },
      { name: "adapter", type: "list", items: "string", help: "run names whose adapters to show beside the base (comma-separated)", default: [] },
      { name: "seeds", type: "integer", help: "images per prompt", default: 4, min: 1, max: 16 },
      { name: "steps", type: "integer", help: "sampling steps", default: 12, min: 1, max: 64 },
      { name: "cfg", type: "number", help: "classifier-free guidance (default: the model's)", min: 0, max: 20 },
      { name: "noBase", type: "boolean", help: "leave the base model's row out when adapters are named", default: false },
      ...common,
    ],
  },
  evaluate: {
    help: "Evaluate the base or an adapter on a task's evaluation sets, with 95% confidence intervals.",
    fields: [
      { name: "task", type: "string", help: "capability", default: "counting", choices: [...TASKS, "compose"] },
      { name: "side", type: "string", help: "which side to evaluate", default: "both", choices: SIDES },
      { name: "adapter", type: "string", help: "a run name (default: the base)" },
      { name: "limit", type: "integer", help: "the first N prompts/questions only", min: 1 },
      { name: "split", type: "string", help: "test (report) or val (choose checkpoints and sampler settings)", default: "test", choices: ["test", "val"] },
      { name: "cfg", type: "number", help: "the sampler's classifier-free guidance (default: the model's)", min: 0, max: 20 },
      ...common,
    ],
  },
  transfer: {
    help: "The paper's protocol: baseline, und→gen, gen→und, und→und, gen→gen; transfer strength (Table 6) and distribution shift (Table 11).",
    fields: [
      { name: "task", type: "string", help: "capability", default: "counting", choices: TASKS },
      ...training,
      { name: "seeds", type: "integer", help: "training seeds per objective", default: 3, min: 1, max: 10 },
      ...selection,
      ...evalSize,
      ...common,
    ],
  },
  joint: {
    help: "Joint und+gen training with both sides evaluated every epoch (the oscillation plot of Fig. 8).",
    fields: [
      { name: "task", type: "string", help: "capability", default: "counting", choices: TASKS },
      { name: "epochs", type: "integer", help: "epochs", default: 10, min: 1, max: 100 },
      { name: "stepsPerEpoch", type: "integer", help: "optimizer steps per epoch", default: 30, min: 1 },
      ...training.filter((f) => f.name !== "steps"),
      { name: "seed", type: "integer", help: "seed", default: 0, min: 0 },
      { name: "evalPrompts", type: "integer", help: "generation prompts per epoch evaluation (one seed each)", default: 54, min: 1 },
      { name: "evalQuestions", type: "integer", help: "questions per epoch evaluation", default: 270, min: 1 },
      ...common,
    ],
  },
  ablate: {
    help: "Rank ablation of und→gen transfer (Table 12): one understanding run per rank, generation evaluated.",
    fields: [
      { name: "task", type: "string", help: "capability", default: "counting", choices: TASKS },
      { name: "ranks", type: "list", items: "integer", help: "LoRA ranks", default: [2, 8, 32] },
      ...training.filter((f) => f.name !== "rank"),
      { name: "seed", type: "integer", help: "seed", default: 0, min: 0 },
      ...selection,
      ...evalSize,
      ...common,
    ],
  },
  compose: {
    help: "Appendix C.5: understanding training on a counting + spatial mixture, joint accuracy on compositional generation prompts.",
    fields: [...training, { name: "seed", type: "integer", help: "seed", default: 0, min: 0 }, ...selection, ...evalSize, ...common],
  },
  attention: {
    help: "Fig. 10: attention of a prompt token over the image tokens early in sampling, base and adapters side by side.",
    fields: [
      { name: "prompt", type: "string", help: "the prompt", positional: true, required: true },
      { name: "token", type: "string", help: "the prompt word whose attention to show", required: true },
      { name: "adapter", type: "list", items: "string", help: "run names to compare with the base (comma-separated)", default: [] },
      { name: "seed", type: "integer", help: "sampling seed", default: 0, min: 0 },
      { name: "step", type: "integer", help: "sampling step at which attention is read (the paper: 2 of 64)", default: 2, min: 1 },
      ...common,
    ],
  },
  sharing: {
    help: "Representation sharing: per-layer linear CKA between the understanding and generation pathways' states of the same counting scenes, for the base and adapters, beside a shuffled-scene control.",
    fields: [
      { name: "adapter", type: "list", items: "string", help: "run names to compare with the base (comma-separated)", default: [] },
      { name: "scenes", type: "integer", help: "counting scenes (not from the test sets)", default: 256, min: 8, max: 4096 },
      { name: "seed", type: "integer", help: "seed of the scenes and the control's permutation", default: 0, min: 0 },
      ...common,
    ],
  },
} as const satisfies Record<string, { help: string; fields: readonly Field[] }>;

export type Verb = keyof typeof VERBS;
export const VERB_NAMES = Object.keys(VERBS) as Verb[];

export class SpecError extends TaskError {
  override name = "SpecError";
}

function closest(word: string, options: readonly string[]): string {
  let best = "";
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best && bestD <= Math.max(2, Math.floor(word.length / 3)) ? `; did you mean ${JSON.stringify(best)}?` : "";
}

/** A field's flag name: evalEvery → eval-every. */
export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

function checkValue(verb: string, f: Field, v: unknown): unknown {
  const where = `${verb}.${f.name}`;
  const range = () => (f.min !== undefined ? ` >= ${f.min}` : "") + (f.max !== undefined ? `${f.min !== undefined ? " and" : ""} <= ${f.max}` : "");
  const num = (x: unknown, int: boolean) => {
    const n = typeof x === "string" && x.trim() !== "" ? Number(x) : x;
    if (typeof n !== "number" || !Number.isFinite(n) || (int && !Number.isInteger(n)) || (f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) {
      throw new SpecError(`${where}: ${JSON.stringify(x)} is not allowed (allowed: ${int ? "integers" : "numbers"}${range()})`);
    }
    return n;
  };
  switch (f.type) {
    case "integer":
      return num(v, true);
    case "number":
      return num(v, false);
    case "boolean":
      if (typeof v === "boolean") return v;
      if (v === "true" || v === "false") return v === "true";
      throw new SpecError(`${where}: ${JSON.stringify(v)} is not allowed (allowed: true, false)`);
    case "string":
      if (typeof v !== "string" || v === "") throw new SpecError(`${where}: ${JSON.stringify(v)} is not allowed (allowed: ${f.choices ? f.choices.join(", ") : "a non-empty string"})`);
      if (f.choices && !f.choices.includes(v)) throw new SpecError(`${where}: ${JSON.stringify(v)} is not allowed (allowed: ${f.choices.join(", ")})${closest(v, f.choices)}`);
      return v;
    case "list": {
      const items = Array.isArray(v) ? v : typeof v === "string" ? v.split(f.items === "string" && f.positional ? "|" : ",").map((x) => x.trim()).filter((x) => x !== "") : typeof v === "number" ? [v] : null;
      if (!items) throw new SpecError(`${where}: ${JSON.stringify(v)} is not allowed (allowed: a list)`);
      return items.map((x) => (f.items === "integer" ? checkValue(verb, { ...f, type: "integer" }, x) : checkValue(verb, { ...f, type: "string" }, String(x))));
    }
  }
}

/**
 * Validates a verb's arguments: unknown fields, wrong types, out-of-range numbers and values outside a
 * field's choices are errors that name `verb.field` and the allowed values; omitted fields take their
 * defaults. Accepts camelCase or kebab-case names (magics and the CLI write --eval-every).
 */
export function validateSpec<V extends Verb>(verb: V, input: Record<string, unknown>): Record<string, unknown> {
  const schema = Object.hasOwn(VERBS, verb) ? (VERBS[verb] as { fields: readonly Field[] }) : undefined;
  if (!schema) throw new SpecError(`verb: ${JSON.stringify(verb)} is not allowed (allowed: ${VERB_NAMES.join(", ")})${closest(String(verb), VERB_NAMES)}`);
  const fields = schema.fields;
  const byName = new Map<string, Field>();
  for (const f of fields) {
    byName.set(f.name, f);
    byName.set(kebab(f.name), f);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    const f = byName.get(k);
    if (!f) {
      const names = fields.map((x) => x.name);
      throw new SpecError(`${verb}.${k}: unknown field (allowed: ${names.join(", ")})${closest(k, names)}`);
    }
    out[f.name] = checkValue(verb, f, v);
  }
  for (const f of fields) {
    if (out[f.name] !== undefined) continue;
    if (f.required) throw new SpecError(`${verb}.${f.name}: required (${f.help})`);
    if (f.default !== undefined) out[f.name] = Array.isArray(f.default) ? [...f.default] : f.default;
  }
  return out;
}

/** A spec file for `transferlab run` (JSON or YAML): `{ verb: transfer, ...fields }` or a list of them. */
export function parseSpecFile(text: string, file: string): { verb: Verb; args: Record<string, unknown> }[] {
  let v: unknown;
  const yamlFile = /\.ya?ml$/i.test(file);
  try {
    v = yamlFile ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw new SpecError(`${file}: not ${yamlFile ? "YAML" : "JSON"} (${(e as Error).message.split("\n")[0]})`);
  }
  const list = Array.isArray(v) ? v : [v];
  return list.map((item, i) => {
    if (typeof item !== "object" || item === null) throw new SpecError(`${file}[${i}]: expected an object with a "verb" field`);
    const { verb, ...args } = item as Record<string, unknown>;
    if (typeof verb !== "string" || !Object.hasOwn(VERBS, verb)) throw new SpecError(`${file}[${i}].verb: ${JSON.stringify(verb)} is not allowed (allowed: ${VERB_NAMES.join(", ")})${typeof verb === "string" ? closest(verb, VERB_NAMES) : ""}`);
    try {
      return { verb: verb as Verb, args: validateSpec(verb as Verb, args) };
    } catch (e) {
      // In a long spec file the entry matters as much as the field: name both.
      throw new SpecError(`${file}[${i}]: ${(e as Error).message}`);
    }
  });
}
