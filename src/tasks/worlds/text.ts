// Text: a word rendered into a strip, one glyph per cell column (so each glyph covers whole patches).
// Understanding reads it in one of four themes (B.3), generation renders it clean; train and test words
// are disjoint splits of the word list.

import { Rng } from "../../core/rng";
import { DEFAULT_WORLD, WorldConfig, checkWorld } from "../grid";
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphMask } from "../font";
import { RgbImage, createImage, paintMask } from "../image";
import { EVAL_SPLITS, EvalSplit, GenPrompt, SEEDS, SamplePair, UndSample, VAL_SEEDS } from "../samples";
import { THEMES, TaskError, Theme, oneOf } from "../vocab";
import { words } from "../words";

export interface TextImage {
  word: string;
  theme: Theme;
  image: RgbImage;
}

export const THEME_COLORS: Record<Theme, { bg: readonly [number, number, number]; ink: readonly [number, number, number] }> = {
  clean_light: { bg: [255, 255, 255], ink: [20, 20, 20] },
  dark: { bg: [32, 33, 38], ink: [236, 236, 236] },
  sepia: { bg: [244, 236, 216], ink: [92, 64, 40] },
  blue_gray: { bg: [220, 228, 238], ink: [36, 50, 74] },
};

/** A word strip: one glyph per cell, starting at the second cell, in one of the four themes. */
export function renderText(word: string, theme: Theme = "clean_light", world: WorldConfig = DEFAULT_WORLD): TextImage {
  const w = checkWorld(world);
  oneOf("theme", theme, THEMES);
  if (!/^[a-z]+$/.test(word)) throw new TaskError(`text: ${JSON.stringify(word)} is not allowed (allowed: lowercase letters a-z)`);
  if (word.length > w.textCols - 2)
    throw new TaskError(`text: "${word}" has ${word.length} letters (allowed: 1..${w.textCols - 2} for a ${w.textCols}-cell strip)`);
  const s = w.cell / 8;
  const { bg, ink } = THEME_COLORS[theme];
  const img = createImage(w.textCols * w.cell, 2 * w.cell, bg);
  const gw = GLYPH_WIDTH * s;
  const gh = GLYPH_HEIGHT * s;
  [...word].forEach((ch, k) => {
    const m = glyphMask(ch);
    const scaled = new Uint8Array(gw * gh);
    for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) scaled[y * gw + x] = m[Math.floor(y / s) * GLYPH_WIDTH + Math.floor(x / s)]!;
    paintMask(img, scaled, gw, gh, (k + 1) * w.cell + s, 3 * s, ink);
  });
  return { word, theme, image: img };
}

export interface TextTruth {
  kind: "text";
  word: string;
  theme: Theme;
}

export const TEXT_QUESTION = "Extract all text from the image.";

export const TEXT_EVAL_QUESTION = "Extract all text from the image in reading order.";

export function textPrompt(sentence: string): string {
  return (
    "A Mathpix Markdown format with sharp, legible black text. High-resolution typography, top-down view. " +
    `The text is rendered in natural left-to-right, top-to-bottom reading order. The text reads: ${sentence}`
  );
}

/** B.3's normalization: lowercase, line breaks to spaces, leading and trailing whitespace stripped. */
export function normalizeText(s: string): string {
  return s
    .toLowerCase()
    .replace(/\r\n|\r|\n/g, " ")
    .trim();
}

/** Understanding reads a random theme; generation always renders clean_light (B.3). */
export function textPair(word: string, rng: Rng, world: WorldConfig = DEFAULT_WORLD): SamplePair<TextTruth> {
  const theme = THEMES[rng.int(THEMES.length)]!;
  const und = renderText(word, theme, world);
  const gen = theme === "clean_light" ? und : renderText(word, "clean_light", world);
  return {
    und: { task: "text", image: und.image, question: TEXT_QUESTION, answer: word, truth: { kind: "text", word, theme } },
    gen: { task: "text", image: gen.image, prompt: textPrompt(word), truth: { kind: "text", word, theme: "clean_light" } },
  };
}

/** Every tenth training word: text's validation words, held out of training where a run is validated on them. */
const isValWord = (_: string, i: number) => i % 10 === 9;

/** The words a split reads: the test words; validation's held-out training words; "val-overlap", the test words. */
function splitWords(split: EvalSplit, world: WorldConfig): readonly string[] {
  if (oneOf("split", split, EVAL_SPLITS) !== "val") return words("test");
  return words("train")
    .filter(isValWord)
    .filter((w) => w.length <= world.textCols - 2);
}

/**
 * n text training pairs from the "train" stream of a seed: train-split words that fit the strip; with
 * `heldOut`, not the validation words.
 */
export function textTrainPairs(n: number, seed: number, opts: { world?: WorldConfig; heldOut?: boolean } = {}): SamplePair<TextTruth>[] {
  const rng = new Rng(seed, "train/text");
  const world = opts.world ?? DEFAULT_WORLD;
  const train = opts.heldOut ? words("train").filter((w, i) => !isValWord(w, i)) : words("train");
  return Array.from({ length: n }, () => textPair(train[rng.int(train.length)]!.slice(0, world.textCols - 2), rng, world));
}

/** Text recognition on the first n words of a split, rendered clean_light, with the evaluation instruction. */
export function textUndEval(n = 250, world: WorldConfig = DEFAULT_WORLD, split: EvalSplit = "test"): UndSample<TextTruth>[] {
  return splitWords(split, world)
    .slice(0, n)
    .map((word) => ({
      task: "text",
      image: renderText(word, "clean_light", world).image,
      question: TEXT_EVAL_QUESTION,
      answer: word,
      truth: { kind: "text", word, theme: "clean_light" },
    }));
}

/** Text generation prompts for the first n words of a split. */
export function textGenEval(n = 250, split: EvalSplit = "test"): GenPrompt<TextTruth>[] {
  const seeds = split === "test" ? SEEDS : VAL_SEEDS;
  return splitWords(split, DEFAULT_WORLD)
    .slice(0, n)
    .map((word, i) => ({ task: "text", id: `text-${i}`, prompt: textPrompt(word), truth: { kind: "text", word, theme: "clean_light" }, seeds }));
}
