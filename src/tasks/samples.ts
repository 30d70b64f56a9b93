// What every world's data is made of: understanding samples (image, question, answer) and generation
// samples (prompt, image) drawn from the same images (the paper's controlled setting), generation
// prompts with their sampling seeds, and the two evaluation splits. Training and evaluation draw from
// different seeded streams.

import { RgbImage } from "./image";
import { oneOf } from "./vocab";

export interface UndSample<T = unknown> {
  task: string;
  image: RgbImage;
  question: string;
  answer: string;
  truth: T;
  /** Words of the question and answer written letter by letter (a word outside the base's vocabulary). */
  spell?: readonly string[];
}

export interface GenSample<T = unknown> {
  task: string;
  prompt: string;
  /** The image the prompt was written for (the training target). */
  image: RgbImage;
  truth: T;
}

export interface SamplePair<T = unknown> {
  und: UndSample<T>;
  gen: GenSample<T>;
}

export interface GenPrompt<T = unknown> {
  task: string;
  id: string;
  prompt: string;
  truth: T;
  /** Generation seeds for this prompt (4, as GenEval). */
  seeds: number[];
}

/** Sampling seeds of the test split's generation prompts (4 per prompt, as GenEval). */
export const SEEDS = [0, 1, 2, 3];

/**
 * Where checkpoints and sampler settings are chosen ("val") and where numbers are reported ("test"),
 * read once per reported number. Generation validation keeps the prompt grid (GenEval's prompts are
 * every class × count; there are no others of that form) with disjoint sampling seeds; understanding
 * and spatial validation draw other scenes and prompts from their own seeded streams.
 */
export const EVAL_SPLITS = ["test", "val"] as const;

export type EvalSplit = (typeof EVAL_SPLITS)[number];

/** Sampling seeds of the validation split's generation prompts (the test split uses 0–3). */
export const VAL_SEEDS = [100, 101, 102, 103];

/** The seeded stream a split's items of one set are drawn from (test: "eval/…", validation: "val/…"). */
export const stream = (split: EvalSplit, name: string) => `${oneOf("split", split, EVAL_SPLITS) === "test" ? "eval" : "val"}/${name}`;
