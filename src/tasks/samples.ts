// What every world's data is made of: understanding samples (image, question, answer) and generation
// samples (prompt, image) drawn from the same images (the paper's controlled setting), generation
// prompts with their sampling seeds, and the two evaluation splits. Training and evaluation draw from
// different seeded streams.

import type { PlacedObject } from "./grid";
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
  /** The image's objects, where a world keeps them (a tally model states how many of them it has drawn). */
  objects?: readonly PlacedObject[];
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
 * Where numbers are reported ("test", read once per reported number) and where checkpoints and sampler
 * settings are chosen. "val" holds no test item: generation prompts disjoint from the test's (counting
 * asks GenEval's class × count grid in another of the pretraining caption forms, because the grid is
 * every combination; spatial and composition draws skip any test prompt; text reads held-out training
 * words), other sampling seeds, and other scenes for understanding. "val-overlap" is validation as the
 * first map's conditions had it: the test's generation prompts (counting, text) or draws that may repeat
 * them (spatial, composition) with other sampling seeds, and text's test words. Only the generation
 * prompts and text differ between the two.
 */
export const EVAL_SPLITS = ["test", "val", "val-overlap"] as const;

export type EvalSplit = (typeof EVAL_SPLITS)[number];

/** Sampling seeds of the validation split's generation prompts (the test split uses 0–3). */
export const VAL_SEEDS = [100, 101, 102, 103];

/** The seeded stream a split's items of one set are drawn from (test: "eval/…", validation: "val/…"). */
export const stream = (split: EvalSplit, name: string) => `${oneOf("split", split, EVAL_SPLITS) === "test" ? "eval" : "val"}/${name}`;

/**
 * n generation prompts of one split, the i-th from `draw(i)` (which reads the split's seeded stream). On
 * "val" a draw whose prompt the test split holds is drawn again, so validation never reads a test prompt;
 * the test split and "val-overlap" keep every draw.
 */
export function splitPrompts<T>(n: number, split: EvalSplit, draw: (i: number) => GenPrompt<T>, test: () => readonly GenPrompt<T>[]): GenPrompt<T>[] {
  if (oneOf("split", split, EVAL_SPLITS) !== "val") return Array.from({ length: n }, (_, i) => draw(i));
  const held = new Set(test().map((p) => p.prompt));
  return Array.from({ length: n }, (_, i) => {
    // The prompt spaces are hundreds of combinations; a bound keeps a too-small space from looping forever.
    for (let tries = 0; tries < 10_000; tries++) {
      const p = draw(i);
      if (!held.has(p.prompt)) return p;
    }
    throw new Error(`validation prompt ${i}: every draw is a test prompt (the prompt space is too small for a disjoint validation split)`);
  });
}
