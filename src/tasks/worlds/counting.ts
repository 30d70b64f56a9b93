// Counting: N objects of one class among distractors of other classes. Its questions are PixMo-Count's
// ("How many Xs are there?", B.1), its generation prompts GenEval's ("a photo of N Xs"), its training
// captions Table 8's (every category with its count); the answer parser is B.1's.

import { Rng } from "../../core/rng";
import { DEFAULT_WORLD, PlacedObject, Scene, WorldConfig, checkWorld, otherClass, pick, pickCells, renderObjects } from "../grid";
import { EvalSplit, GenPrompt, SEEDS, SamplePair, UndSample, VAL_SEEDS, EVAL_SPLITS, stream } from "../samples";
import {
  CLASSES,
  COLOR_NAMES,
  COUNTING_CAPTIONS,
  COUNT_DISTRIBUTIONS,
  COUNTING_QUESTIONS,
  CountDistribution,
  CountingCaptions,
  CountingQuestions,
  GEN_COUNTS,
  MAX_COUNT,
  NUMBER_WORDS,
  ObjectClass,
  PLURALS,
  intInRange,
  numberWord,
  oneOf,
  plural,
} from "../vocab";

export interface CountingTruth {
  kind: "counting";
  target: ObjectClass;
  count: number;
  distractors: number;
}

export interface CountingOptions {
  target?: ObjectClass;
  count?: number;
  minCount?: number;
  maxCount?: number;
  /** Distractors of other classes: uniform in [minDistractors, maxDistractors] (default 0). */
  maxDistractors?: number;
  minDistractors?: number;
  world?: WorldConfig;
}

/** N objects of one class, plus optional distractors of other classes, in distinct cells. */
export function sampleCountingScene(rng: Rng, opts: CountingOptions = {}): Scene<CountingTruth> {
  const w = checkWorld(opts.world ?? DEFAULT_WORLD);
  const cells = w.grid * w.grid;
  const hi = Math.min(MAX_COUNT, cells);
  const target = opts.target ? oneOf("target", opts.target, CLASSES) : pick(rng, CLASSES);
  const count =
    opts.count !== undefined
      ? intInRange("count", opts.count, 0, hi)
      : intInRange("minCount", opts.minCount ?? 1, 0, hi) +
        rng.int(intInRange("maxCount", opts.maxCount ?? 10, opts.minCount ?? 1, hi) - (opts.minCount ?? 1) + 1);
  const maxD = Math.min(opts.maxDistractors ?? 0, cells - count);
  const minD = Math.min(intInRange("minDistractors", opts.minDistractors ?? 0, 0, cells), maxD);
  const distractors = maxD > minD ? minD + rng.int(maxD - minD + 1) : minD;
  const color = pick(rng, COLOR_NAMES);
  const spots = pickCells(rng, w, count + distractors);
  const objects: PlacedObject[] = spots.slice(0, count).map((c) => ({ cls: target, color, ...c }));
  // Distractors come in up to two other classes, each with its own colour.
  const dClasses = [otherClass(rng, [target])];
  dClasses.push(otherClass(rng, [target, dClasses[0]!]));
  const dColors = dClasses.map(() => pick(rng, COLOR_NAMES));
  spots.slice(count).forEach((c, i) => {
    const k = i % 2;
    objects.push({ cls: dClasses[k]!, color: dColors[k]!, ...c });
  });
  return { truth: { kind: "counting", target, count, distractors }, objects, image: renderObjects(objects, w) };
}

export function countingQuestion(cls: ObjectClass): string {
  const p = plural(cls);
  return `How many ${p} are there in the image? Response Example: There are **<COUNT>** of ${p} in the image.`;
}

export function countingAnswer(cls: ObjectClass, count: number): string {
  return `There are **${count}** of ${plural(cls)} in the image.`;
}

/**
 * Table 8's count-aware generation description: every category in the image with its count, the asked
 * (target) class first — "a photo of six crosses and two circles and one ring". A caption that names
 * only the target teaches a tuned model to draw unnamed objects beside it (the map, models/README.md).
 */
export const COUNTING_CAPTION_FORMS = ["a photo of {LIST}", "{LIST} on a white background", "an image with {LIST}"] as const;

export function countingCaption(form: number, counts: readonly (readonly [ObjectClass, number])[]): string {
  const named = counts.filter(([, n]) => n > 0);
  const list = named.length ? named.map(([cls, n]) => `${numberWord(n)} ${n === 1 ? cls : plural(cls)}`).join(" and ") : "no objects";
  const t = COUNTING_CAPTION_FORMS[form % COUNTING_CAPTION_FORMS.length]!;
  return t.replace("{LIST}", list);
}

/** GenEval's counting prompt, "a photo of {COUNT} {OBJECT}s". */
export function countingPrompt(cls: ObjectClass, count: number): string {
  return `a photo of ${numberWord(count)} ${plural(cls)}`;
}

export interface ParsedCount {
  value: number | null;
  /** How the value was found: inside ** ** markers, as the ground truth anywhere, as any number, or not. */
  method: "markers" | "truth-anywhere" | "first-number" | "none";
}

const NUMBER_RE = new RegExp(`\\b(\\d+|${NUMBER_WORDS.join("|")})\\b`, "gi");

function toNumber(tok: string): number {
  const w = NUMBER_WORDS.indexOf(tok.toLowerCase() as (typeof NUMBER_WORDS)[number]);
  return w >= 0 ? w : Number.parseInt(tok, 10);
}

/**
 * B.1: the substring inside `** **` first; if that fails, whether the ground-truth count appears anywhere
 * as a numeral or an English number word; failing that, the first number in the output (so MAD can
 * still be measured).
 */
export function parseCount(output: string, truth?: number): ParsedCount {
  const marked = /\*\*\s*([^*]*?)\s*\*\*/.exec(output);
  if (marked) {
    const inner = [...marked[1]!.matchAll(NUMBER_RE)];
    if (inner.length === 1) return { value: toNumber(inner[0]![1]!), method: "markers" };
  }
  const all = [...output.matchAll(NUMBER_RE)].map((m) => toNumber(m[1]!));
  if (truth !== undefined && all.includes(truth)) return { value: truth, method: "truth-anywhere" };
  if (all.length > 0) return { value: all[0]!, method: "first-number" };
  return { value: null, method: "none" };
}

/**
 * The count and class a counting prompt asks for ("a photo of five circles" → 5 circle), or null when the
 * prompt names no number followed by a class (or a taught word naming one, `taught`): what a generated
 * image is checked against.
 */
export function parseCountingPrompt(prompt: string, taught: Readonly<Record<string, ObjectClass>> = {}): { count: number; cls: ObjectClass } | null {
  const words = prompt.toLowerCase().match(/[a-z]+|\d+/g) ?? [];
  for (let i = 0; i < words.length - 1; i++) {
    const n = NUMBER_WORDS.indexOf(words[i] as (typeof NUMBER_WORDS)[number]);
    const count = n >= 0 ? n : /^\d+$/.test(words[i]!) ? Number(words[i]) : -1;
    if (count < 0) continue;
    const cls = CLASSES.find((c) => words[i + 1] === c || words[i + 1] === PLURALS[c]) ?? taught[words[i + 1]!];
    if (cls) return { count, cls };
  }
  return null;
}

export function drawCount(rng: Rng, dist: CountDistribution): number {
  switch (oneOf("counts", dist, COUNT_DISTRIBUTIONS)) {
    case "uniform":
      return rng.int(21);
    case "eval":
      return 2 + rng.int(9);
    case "small": {
      const u = rng.next();
      return u < 0.05 ? 0 : u < 0.9 ? 1 + rng.int(10) : 11 + rng.int(10);
    }
  }
}

/** Every class of a scene with its count, the target first (also when it is absent), then by count. */
export function sceneCounts(scene: Scene<CountingTruth>): [ObjectClass, number][] {
  const m = new Map<ObjectClass, number>([[scene.truth.target, 0]]);
  for (const o of scene.objects) m.set(o.cls, (m.get(o.cls) ?? 0) + 1);
  const [first, ...rest] = [...m.entries()];
  return [first!, ...rest.sort((a, b) => b[1] - a[1] || CLASSES.indexOf(a[0]) - CLASSES.indexOf(b[0]))];
}

/** "five circles" / "one circle": a count said with its noun. */
const counted = (cls: ObjectClass, n: number) => `${numberWord(n)} ${n === 1 ? cls : plural(cls)}`;

/** The choice form of the counting question: the true count and another, in the given order. */
export function countingChoiceQuestion(cls: ObjectClass, first: number, second: number): string {
  const p = plural(cls);
  return `Are there ${counted(cls, first)} or ${counted(cls, second)} in the image? Response Example: There are **<COUNT>** of ${p} in the image.`;
}

/**
 * The other count of a choice question, one or two from the truth (inside 0–20), and whether it comes
 * first: drawn from its own stream, so the scenes and the generation side of a pool do not change.
 */
export function choiceOf(rng: Rng, count: number): { other: number; otherFirst: boolean } {
  const steps = [-2, -1, 1, 2].filter((d) => count + d >= 0 && count + d <= MAX_COUNT);
  return { other: count + steps[rng.int(steps.length)]!, otherFirst: rng.next() < 0.5 };
}

export function countingPair(
  scene: Scene<CountingTruth>,
  captions: CountingCaptions = "target-only",
  form = 0,
  choice?: { other: number; otherFirst: boolean },
): SamplePair<CountingTruth> {
  const { target, count } = scene.truth;
  const prompt =
    oneOf("captions", captions, COUNTING_CAPTIONS) === "every-category" ? countingCaption(form, sceneCounts(scene)) : countingPrompt(target, count);
  return {
    und: {
      task: "counting",
      image: scene.image,
      question: choice
        ? countingChoiceQuestion(target, choice.otherFirst ? choice.other : count, choice.otherFirst ? count : choice.other)
        : countingQuestion(target),
      answer: countingAnswer(target, count),
      truth: scene.truth,
    },
    gen: { task: "counting", image: scene.image, prompt, truth: scene.truth, objects: scene.objects },
  };
}

/** How a counting training pool is drawn (the data fields of a training spec). */
export interface CountingPoolOptions {
  world?: WorldConfig;
  counting?: CountingOptions;
  /** Counting generation captions (default "target-only": the data earlier runs drew). */
  captions?: CountingCaptions;
  /** Counting target counts (default "uniform": the data earlier runs drew). */
  counts?: CountDistribution;
  /**
   * Share of counting scenes that hold the target class alone (default 0: every scene draws 0–6
   * distractors, the data earlier runs drew). GenEval's prompts name one class; PixMo's images hold both.
   */
  plain?: number;
  /** How understanding pairs ask (default "how-many"); the generation side is the same for both. */
  questions?: CountingQuestions;
}

/**
 * n counting training pairs from the "train" stream of a seed. Scenes hold 0–20 targets (the paper
 * filters PixMo to that range; `counts` picks how they are spread) and up to 6 distractors, as the
 * understanding evaluation does; both objectives see the same image.
 */
export function countingTrainPairs(n: number, seed: number, opts: CountingPoolOptions = {}): SamplePair<CountingTruth>[] {
  const rng = new Rng(seed, "train/counting");
  const choices = oneOf("questions", opts.questions ?? "how-many", COUNTING_QUESTIONS) === "choice" ? new Rng(seed, "train/counting/choice") : null;
  const world = opts.world ?? DEFAULT_WORLD;
  const out: SamplePair<CountingTruth>[] = [];
  for (let i = 0; i < n; i++) {
    // The uniform draw stays inside sampleCountingScene, so the default reproduces earlier pools exactly.
    const counts = opts.counts ?? "uniform";
    const count = counts === "uniform" ? {} : { count: drawCount(rng, counts) };
    const plain = (opts.plain ?? 0) > 0 && rng.next() < opts.plain! ? { maxDistractors: 0 } : {};
    const scene = sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6, ...count, ...plain, ...opts.counting, world });
    out.push(countingPair(scene, opts.captions ?? "target-only", i, choices ? choiceOf(choices, scene.truth.count) : undefined));
  }
  return out;
}

/**
 * GenEval counting: every class × the count words two…ten, four seeds each. The validation split asks the
 * same grid in another caption form of pretraining ("three circles on a white background"), so no test
 * prompt is read while a checkpoint is chosen; "val-overlap" asks the test's prompts with other seeds.
 */
export function countingGenEval(classes: readonly ObjectClass[] = CLASSES, split: EvalSplit = "test"): GenPrompt<CountingTruth>[] {
  const out: GenPrompt<CountingTruth>[] = [];
  const which = oneOf("split", split, EVAL_SPLITS);
  const seeds = which === "test" ? SEEDS : VAL_SEEDS;
  for (const cls of classes) {
    for (const count of GEN_COUNTS) {
      out.push({
        task: "counting",
        id: `count-${cls}-${count}`,
        prompt: which === "val" ? countingCaption(VAL_CAPTION_FORM, [[cls, count]]) : countingPrompt(cls, count),
        truth: { kind: "counting", target: cls, count, distractors: 0 },
        seeds,
      });
    }
  }
  return out;
}

/** The caption form counting's validation prompts take: "{LIST} on a white background" (GenEval's form is form 0). */
const VAL_CAPTION_FORM = 1;

/** Counting questions on held-out scenes (the paper's 540 PixMo-Count test pairs, here 540 by default). */
export function countingUndEval(n = 540, seed = 0, opts: CountingOptions = {}, split: EvalSplit = "test"): UndSample<CountingTruth>[] {
  const rng = new Rng(seed, stream(split, "counting-und"));
  return Array.from({ length: n }, () => countingPair(sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6, ...opts })).und);
}
