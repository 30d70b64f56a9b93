// The worlds' closed vocabularies and the one way bad values are reported: an error that names the
// field, the bad value and every allowed value.

/** The capabilities a transfer study trains through one task and measures on the other. */
export const CAPABILITIES = ["counting", "spatial", "text"] as const;
export type Capability = (typeof CAPABILITIES)[number];
/** The worlds scenes are drawn from: each capability's, and composition's (counts and relations at once). */
export const TASKS = [...CAPABILITIES, "composition"] as const;
export type Task = (typeof TASKS)[number];

/** Shapes that stay distinguishable at 6×6 pixels. */
export const CLASSES = ["circle", "square", "triangle", "cross", "ring", "diamond"] as const;
export type ObjectClass = (typeof CLASSES)[number];

export const PLURALS: Record<ObjectClass, string> = {
  circle: "circles",
  square: "squares",
  triangle: "triangles",
  cross: "crosses",
  ring: "rings",
  diamond: "diamonds",
};

export const COLORS = { red: [215, 48, 39], green: [26, 152, 80], blue: [49, 99, 180], purple: [128, 42, 141] } as const;
export type ColorName = keyof typeof COLORS;
export const COLOR_NAMES = Object.keys(COLORS) as ColorName[];

export const RELATIONS = ["top-left", "top-right", "bottom-left", "bottom-right"] as const;
export type Relation = (typeof RELATIONS)[number];

export const THEMES = ["clean_light", "dark", "sepia", "blue_gray"] as const;
export type Theme = (typeof THEMES)[number];

export const NUMBER_WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
  "ten",
  "eleven",
  "twelve",
  "thirteen",
  "fourteen",
  "fifteen",
  "sixteen",
  "seventeen",
  "eighteen",
  "nineteen",
  "twenty",
] as const;

/** GenEval's count words for generation prompts: two … ten. */
export const GEN_COUNTS = [2, 3, 4, 5, 6, 7, 8, 9, 10] as const;
/** Understanding counts span the paper's 0–20 range. */
export const MAX_COUNT = 20;

import { TaskError } from "../core/errors";
export { TaskError };

export function oneOf<T extends string>(field: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
  throw new TaskError(`${field}: ${JSON.stringify(value)} is not allowed (allowed: ${allowed.join(", ")})`);
}

export function intInRange(field: string, value: unknown, lo: number, hi: number): number {
  if (typeof value === "number" && Number.isInteger(value) && value >= lo && value <= hi) return value;
  throw new TaskError(`${field}: ${JSON.stringify(value)} is out of range (allowed: integers ${lo}..${hi})`);
}

export function numberWord(n: number): string {
  return NUMBER_WORDS[intInRange("count", n, 0, MAX_COUNT)]!;
}

export function plural(cls: ObjectClass): string {
  return PLURALS[oneOf("class", cls, CLASSES)];
}

/** "a circle", "an apple": the article the spatial prompts of Fig. 9 use. */
export function withArticle(noun: string): string {
  return `${/^[aeiou]/.test(noun) ? "an" : "a"} ${noun}`;
}

/**
 * How a counting generation pair is captioned: "every-category" states the count of every class in the
 * image (the paper's Table 8), "target-only" names the asked class alone (GenEval's form; with
 * distractors in the image it teaches the model to draw objects the caption does not name).
 */
export const COUNTING_CAPTIONS = ["every-category", "target-only"] as const;
export type CountingCaptions = (typeof COUNTING_CAPTIONS)[number];

/**
 * Target counts of the counting training scenes: "uniform" 0–20 (the paper's filter range, flat),
 * "small" skewed to small counts as PixMo-Count is (85% in 1–10, 10% in 11–20, 5% zero), "eval" the
 * generation evaluation's two…ten, flat.
 */
export const COUNT_DISTRIBUTIONS = ["small", "uniform", "eval"] as const;
export type CountDistribution = (typeof COUNT_DISTRIBUTIONS)[number];

/**
 * How counting understanding pairs ask: "how-many" is PixMo-Count's question (the number only in the
 * answer); "choice" names two counts in the question — "Are there five circles or six circles in the
 * image?" — so the number word the generation prompts use is also an input of understanding (the map's
 * hypothesis d; the base's vocabulary has no "yes", so a two-way choice stands in for a verification
 * question). The answer and the evaluation's questions are the same for both.
 */
export const COUNTING_QUESTIONS = ["how-many", "choice"] as const;
export type CountingQuestions = (typeof COUNTING_QUESTIONS)[number];
