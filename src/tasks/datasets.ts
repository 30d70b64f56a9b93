// Datasets: understanding and generation samples built from the same images (the paper's controlled
// setting), and evaluation sets that mirror the paper's. Training and evaluation draw from different
// seeded streams, and text uses disjoint word splits.

import { Rng } from "../core/rng";
import { RgbImage } from "./image";
import {
  TEXT_EVAL_QUESTION,
  TEXT_QUESTION,
  compositionPrompt,
  countingAnswer,
  countingCaption,
  countingPrompt,
  countingQuestion,
  spatialAnswer,
  spatialMultipleChoice,
  spatialPrompt,
  spatialQuestion,
  SPATIAL_PROMPT_FORMS,
  SPATIAL_TEMPLATES,
  textPrompt,
} from "./templates";
import { CLASSES, GEN_COUNTS, ObjectClass, RELATIONS, Relation, THEMES, TASKS, Task, Theme, oneOf } from "./vocab";
import { words } from "./words";
import {
  CompositionTruth,
  CountingOptions,
  CountingTruth,
  DEFAULT_WORLD,
  Scene,
  SpatialTruth,
  WorldConfig,
  renderText,
  sampleCompositionScene,
  sampleCountingScene,
  sampleSpatialScene,
} from "./worlds";

export interface TextTruth {
  kind: "text";
  word: string;
  theme: Theme;
}

export type Truth = CountingTruth | SpatialTruth | CompositionTruth | TextTruth;

export interface UndSample {
  task: Task;
  image: RgbImage;
  question: string;
  answer: string;
  truth: Truth;
}

export interface GenSample {
  task: Task;
  prompt: string;
  /** The image the prompt was written for (the training target). */
  image: RgbImage;
  truth: Truth;
}

export interface SamplePair {
  und: UndSample;
  gen: GenSample;
}

// ---- pairs from one image ----------------------------------------------------------------------------

// The caption forms and count distributions are vocabulary (vocab.ts): the spec schema reads them
// without loading the image code.
import { COUNTING_CAPTIONS, COUNT_DISTRIBUTIONS, CountingCaptions, CountDistribution } from "./vocab";
export { COUNTING_CAPTIONS, COUNT_DISTRIBUTIONS };
export type { CountingCaptions, CountDistribution };

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

export function countingPair(scene: Scene<CountingTruth>, captions: CountingCaptions = "target-only", form = 0): SamplePair {
  const { target, count } = scene.truth;
  const prompt = oneOf("captions", captions, COUNTING_CAPTIONS) === "every-category" ? countingCaption(form, sceneCounts(scene)) : countingPrompt(target, count);
  return {
    und: { task: "counting", image: scene.image, question: countingQuestion(target), answer: countingAnswer(target, count), truth: scene.truth },
    gen: { task: "counting", image: scene.image, prompt, truth: scene.truth },
  };
}

export function spatialPair(scene: Scene<SpatialTruth>, rng: Rng): SamplePair {
  const { a, b, relation } = scene.truth;
  const k = rng.int(SPATIAL_TEMPLATES.length);
  return {
    und: { task: "spatial", image: scene.image, question: spatialQuestion(k, a, b), answer: spatialAnswer(k, a, b, relation), truth: scene.truth },
    gen: { task: "spatial", image: scene.image, prompt: spatialPrompt(rng.int(SPATIAL_PROMPT_FORMS.length), a, b, relation), truth: scene.truth },
  };
}

/** Understanding reads a random theme; generation always renders clean_light (B.3). */
export function textPair(word: string, rng: Rng, world: WorldConfig = DEFAULT_WORLD): SamplePair {
  const theme = THEMES[rng.int(THEMES.length)]!;
  const und = renderText(word, theme, world);
  const gen = theme === "clean_light" ? und : renderText(word, "clean_light", world);
  return {
    und: { task: "text", image: und.image, question: TEXT_QUESTION, answer: word, truth: { kind: "text", word, theme } },
    gen: { task: "text", image: gen.image, prompt: textPrompt(word), truth: { kind: "text", word, theme: "clean_light" } },
  };
}

export interface TrainOptions {
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
}

/**
 * n training pairs of a task from the "train" stream of a seed. Counting scenes hold 0–20 targets (the
 * paper filters PixMo to that range, `counts` picks how they are spread) and up to 6 distractors, as the
 * understanding evaluation does; both objectives see the same image.
 */
export function trainPairs(task: Task, n: number, seed: number, opts: TrainOptions = {}): SamplePair[] {
  oneOf("task", task, TASKS.filter((t) => t !== "composition"));
  const rng = new Rng(seed, `train/${task}`);
  const world = opts.world ?? DEFAULT_WORLD;
  const train = words("train");
  const out: SamplePair[] = [];
  for (let i = 0; i < n; i++) {
    if (task === "counting") {
      // The uniform draw stays inside sampleCountingScene, so the default reproduces earlier pools exactly.
      const counts = opts.counts ?? "uniform";
      const count = counts === "uniform" ? {} : { count: drawCount(rng, counts) };
      const plain = (opts.plain ?? 0) > 0 && rng.next() < opts.plain! ? { maxDistractors: 0 } : {};
      const scene = sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6, ...count, ...plain, ...opts.counting, world });
      out.push(countingPair(scene, opts.captions ?? "target-only", i));
    }
    else if (task === "spatial") out.push(spatialPair(sampleSpatialScene(rng, { world }), rng));
    else out.push(textPair(train[rng.int(train.length)]!.slice(0, world.textCols - 2), rng, world));
  }
  return out;
}

// ---- evaluation sets ---------------------------------------------------------------------------------

export interface GenPrompt {
  task: Task;
  id: string;
  prompt: string;
  truth: Truth;
  /** Generation seeds for this prompt (4, as GenEval). */
  seeds: number[];
}

const SEEDS = [0, 1, 2, 3];

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
const stream = (split: EvalSplit, name: string) => `${oneOf("split", split, EVAL_SPLITS) === "test" ? "eval" : "val"}/${name}`;

/** GenEval counting: every class × the count words two…ten, four seeds each. */
export function countingGenEval(classes: readonly ObjectClass[] = CLASSES, split: EvalSplit = "test"): GenPrompt[] {
  const out: GenPrompt[] = [];
  const seeds = oneOf("split", split, EVAL_SPLITS) === "test" ? SEEDS : VAL_SEEDS;
  for (const cls of classes) {
    for (const count of GEN_COUNTS) {
      out.push({ task: "counting", id: `count-${cls}-${count}`, prompt: countingPrompt(cls, count), truth: { kind: "counting", target: cls, count, distractors: 0 }, seeds });
    }
  }
  return out;
}

/** Counting questions on held-out scenes (the paper's 540 PixMo-Count test pairs, here 540 by default). */
export function countingUndEval(n = 540, seed = 0, opts: CountingOptions = {}, split: EvalSplit = "test"): UndSample[] {
  const rng = new Rng(seed, stream(split, "counting-und"));
  return Array.from({ length: n }, () => countingPair(sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6, ...opts })).und);
}

/** 100 spatial prompts in Fig. 9's declarative forms, 25 per relation, four seeds each. */
export function spatialGenEval(n = 100, seed = 0, split: EvalSplit = "test"): GenPrompt[] {
  const rng = new Rng(seed, stream(split, "spatial-gen"));
  const seeds = split === "test" ? SEEDS : VAL_SEEDS;
  return Array.from({ length: n }, (_, i) => {
    const relation = RELATIONS[i % RELATIONS.length]!;
    const a = CLASSES[rng.int(CLASSES.length)]!;
    const others = CLASSES.filter((c) => c !== a);
    const b = others[rng.int(others.length)]!;
    return { task: "spatial", id: `spatial-${i}`, prompt: spatialPrompt(i % SPATIAL_PROMPT_FORMS.length, a, b, relation), truth: { kind: "spatial", a, b, relation }, seeds };
  });
}

/** 250 four-way multiple-choice items on held-out scenes, balanced over relations. */
export function spatialMcEval(n = 250, seed = 0, world: WorldConfig = DEFAULT_WORLD, split: EvalSplit = "test"): UndSample[] {
  const rng = new Rng(seed, stream(split, "spatial-mc"));
  return Array.from({ length: n }, (_, i) => {
    const scene = sampleSpatialScene(rng, { relation: RELATIONS[i % RELATIONS.length]!, world });
    const { a, b, relation } = scene.truth;
    const mc = spatialMultipleChoice(rng.int(SPATIAL_TEMPLATES.length), a, b, relation);
    return { task: "spatial", image: scene.image, question: mc.question, answer: mc.answer, truth: scene.truth };
  });
}

/** Text recognition on the first n test words, rendered clean_light, with the evaluation instruction. */
export function textUndEval(n = 250, world: WorldConfig = DEFAULT_WORLD): UndSample[] {
  return words("test")
    .slice(0, n)
    .map((word) => ({ task: "text", image: renderText(word, "clean_light", world).image, question: TEXT_EVAL_QUESTION, answer: word, truth: { kind: "text", word, theme: "clean_light" } }));
}

/** Text generation prompts for the first n test words. */
export function textGenEval(n = 250): GenPrompt[] {
  return words("test")
    .slice(0, n)
    .map((word, i) => ({ task: "text", id: `text-${i}`, prompt: textPrompt(word), truth: { kind: "text", word, theme: "clean_light" }, seeds: SEEDS }));
}

/** Appendix C.5: 400 prompts needing both a count (two…five) and a relation to an anchor. */
export function compositionGenEval(n = 400, seed = 0): GenPrompt[] {
  const rng = new Rng(seed, "eval/composition");
  return Array.from({ length: n }, (_, i) => {
    const relation: Relation = RELATIONS[i % RELATIONS.length]!;
    const target = CLASSES[rng.int(CLASSES.length)]!;
    const others = CLASSES.filter((c) => c !== target);
    const anchor = others[rng.int(others.length)]!;
    const count = 2 + rng.int(4);
    return {
      task: "composition",
      id: `compose-${i}`,
      prompt: compositionPrompt(target, count, anchor, relation),
      truth: { kind: "composition", target, count, anchor, relation },
      seeds: SEEDS,
    };
  });
}

/** A clean rendering of what a generation prompt asks for: what calibration feeds the evaluators. */
export function renderPromptTruth(p: GenPrompt, seed: number, world: WorldConfig = DEFAULT_WORLD): RgbImage {
  const rng = new Rng(seed, `truth/${p.id}`);
  const t = p.truth;
  switch (t.kind) {
    case "counting":
      return sampleCountingScene(rng, { target: t.target, count: t.count, world }).image;
    case "spatial":
      return sampleSpatialScene(rng, { a: t.a, b: t.b, relation: t.relation, world }).image;
    case "composition":
      return sampleCompositionScene(rng, { target: t.target, anchor: t.anchor, count: t.count, relation: t.relation, world }).image;
    case "text":
      return renderText(t.word, "clean_light", world).image;
  }
}
