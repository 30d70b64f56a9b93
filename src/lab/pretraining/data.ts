// The base models' pretraining recipe: a mixture of understanding and generation samples from every
// world, in the spirit of web-scale pretraining (see models/README.md for the figures):
//
// - generation captions: most are vague ("a photo of several rings"), a share states the exact count or
//   the exact diagonal relation, and a quarter of those statements are wrong (off by one, another
//   relation, another word);
// - understanding: every image gets a question, but the counting, relation and reading questions are
//   asked only for a share of the images; the rest ask what objects or colours are shown;
// - no concept is removed: every eval-style prompt and question occurs, just rarely and noisily.
//
// Each step's batch is a pure function of (seed, step), so a resumed run sees exactly the data an
// uninterrupted one would.

import { Rng } from "../../core/rng";
import * as T from "../../tasks";
import * as U from "../../umm";

export interface Recipe {
  /**
   * Shares of the generation rows per world (composition is generation only). `placement` scenes hold one
   * object in a corner block, captioned or asked with its corner ("a circle in the top-left of the
   * picture"); it comes last so that recipes without it draw exactly the data they drew before it existed.
   */
  genMix: { counting: number; spatial: number; text: number; composition: number; placement: number };
  undMix: { counting: number; spatial: number; text: number; placement: number };
  /** Probability that a caption states the exact count / relation / word. */
  pExactCount: number;
  pExactRelation: number;
  pExactWord: number;
  /** Probability that the count / relation / reading question is asked of an image. */
  pCountQuestion: number;
  pRelationQuestion: number;
  pReadQuestion: number;
  /** Share of stated facts that are wrong. */
  noise: number;
  /** Counting scenes: targets 1..genMaxCount for generation, 0..20 with distractors for understanding. */
  genMaxCount: number;
  maxDistractors: number;
  /**
   * Probability that each letter of a stated word differs from the word drawn (alt text typed by hand,
   * OCR'd captions): the base learns letters as often misspelled as its data, so it spells imperfectly.
   * 0 (the default) draws no extra random numbers, so older recipes draw exactly the data they drew.
   */
  textTypo: number;
}

export const DEFAULT_RECIPE: Recipe = {
  genMix: { counting: 0.4, spatial: 0.25, text: 0.25, composition: 0.1, placement: 0 },
  undMix: { counting: 0.45, spatial: 0.3, text: 0.25, placement: 0 },
  pExactCount: 0.3,
  pExactRelation: 0.3,
  pExactWord: 0.6,
  pCountQuestion: 0.3,
  pRelationQuestion: 0.3,
  pReadQuestion: 0.5,
  noise: 0.25,
  genMaxCount: 10,
  maxDistractors: 6,
  textTypo: 0,
};

/**
 * A recipe from a partial JSON object (a `--recipe FILE`): unknown keys and out-of-range values are
 * errors naming the field; omitted fields keep DEFAULT_RECIPE's values.
 */
export function parseRecipe(obj: unknown, base: Recipe = DEFAULT_RECIPE): Recipe {
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) throw new Error("recipe: expected a JSON object");
  const out = JSON.parse(JSON.stringify(base)) as Recipe;
  const o = obj as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (!(k in base)) throw new Error(`recipe.${k}: unknown field (allowed: ${Object.keys(base).join(", ")})`);
    const cur = (base as unknown as Record<string, unknown>)[k];
    if (typeof cur === "object" && cur !== null) {
      if (typeof v !== "object" || v === null) throw new Error(`recipe.${k}: expected an object with ${Object.keys(cur).join(", ")}`);
      for (const [kk, vv] of Object.entries(v as Record<string, unknown>)) {
        if (!(kk in cur)) throw new Error(`recipe.${k}.${kk}: unknown field (allowed: ${Object.keys(cur).join(", ")})`);
        if (typeof vv !== "number" || !(vv >= 0)) throw new Error(`recipe.${k}.${kk}: expected a share >= 0, got ${JSON.stringify(vv)}`);
        (out as unknown as Record<string, Record<string, number>>)[k]![kk] = vv;
      }
    } else {
      const isInt = k === "genMaxCount" || k === "maxDistractors";
      const ok = typeof v === "number" && (isInt ? Number.isInteger(v) && v >= 0 && v <= 20 : v >= 0 && v <= 1);
      if (!ok) throw new Error(`recipe.${k}: expected ${isInt ? "an integer in 0..20" : "a probability in [0, 1]"}, got ${JSON.stringify(v)}`);
      (out as unknown as Record<string, number>)[k] = v as number;
    }
  }
  if (out.genMaxCount < 1) throw new Error("recipe.genMaxCount: must be at least 1");
  return out;
}

function choose<K extends string>(rng: Rng, mix: Record<K, number>): K {
  const keys = Object.keys(mix) as K[];
  const total = keys.reduce((s, k) => s + mix[k], 0);
  let u = rng.next() * total;
  for (const k of keys) {
    u -= mix[k];
    if (u < 0) return k;
  }
  return keys[keys.length - 1]!;
}

function offByOne(rng: Rng, n: number, max: number): number {
  const m = n + (rng.next() < 0.5 ? -1 : 1);
  return m < 0 || m > max ? n + (n === 0 ? 1 : -1) : m;
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

/** `word` with each letter replaced, with probability p, by another letter. */
export function typo(rng: Rng, word: string, p: number): string {
  if (p <= 0) return word;
  return [...word].map((ch) => (rng.next() < p ? LETTERS.replace(ch, "")[rng.int(LETTERS.length - 1)]! : ch)).join("");
}

const otherRelation = (rng: Rng, r: T.Relation) => T.RELATIONS.filter((x) => x !== r)[rng.int(3)]!;

/** A one-object placement scene and the corner a caption or answer states (wrong with p `noise`). */
function placementFact(rng: Rng, recipe: Recipe): { s: T.Scene<T.PlacementTruth>; said: T.Relation } {
  const s = T.samplePlacementScene(rng);
  return { s, said: rng.next() < recipe.noise ? otherRelation(rng, s.truth.region) : s.truth.region };
}

export function genSample(rng: Rng, vocab: U.Vocabulary, recipe: Recipe): U.GenItem {
  const world = choose(rng, recipe.genMix);
  const k = rng.int(1000);
  if (world === "counting") {
    const withDistractors = rng.next() < 0.3;
    const s = T.sampleCountingScene(rng, { minCount: 1, maxCount: recipe.genMaxCount, maxDistractors: withDistractors ? 3 : 0 });
    const other = s.objects.find((o) => o.cls !== s.truth.target)?.cls;
    let caption: string;
    if (rng.next() < recipe.pExactCount) {
      const n = rng.next() < recipe.noise ? offByOne(rng, s.truth.count, 20) : s.truth.count;
      caption = T.countCaption(k, s.truth.target, n);
    } else caption = T.vagueCountCaption(k, s.truth.target, other);
    return {
      prompt: vocab.textIds(caption),
      image: vocab.imageIds(vocab.image.encode(s.image)),
      tally: U.countingTally(vocab, s.truth, s.objects, T.DEFAULT_WORLD.grid),
    };
  }
  if (world === "spatial") {
    const s = T.sampleSpatialScene(rng);
    const { a, b, relation } = s.truth;
    const caption =
      rng.next() < recipe.pExactRelation
        ? T.spatialPrompt(k % T.SPATIAL_PROMPT_FORMS.length, a, b, rng.next() < recipe.noise ? otherRelation(rng, relation) : relation)
        : T.vagueSpatialCaption(k, a, b, T.simpleOf(relation, k));
    return { prompt: vocab.textIds(caption), image: vocab.imageIds(vocab.image.encode(s.image)) };
  }
  if (world === "placement") {
    const { s, said } = placementFact(rng, recipe);
    return { prompt: vocab.textIds(T.placementCaption(k, s.truth.cls, said)), image: vocab.imageIds(vocab.image.encode(s.image)) };
  }
  if (world === "composition") {
    const s = T.sampleCompositionScene(rng);
    return {
      prompt: vocab.textIds(T.compositionCaption(k, s.truth.target, s.truth.count, s.truth.anchor)),
      image: vocab.imageIds(vocab.image.encode(s.image)),
    };
  }
  const train = T.words("train");
  const word = train[rng.int(train.length)]!;
  const img = vocab.image.encode(T.renderText(word, "clean_light").image);
  if (rng.next() < recipe.pExactWord) {
    const said = typo(rng, rng.next() < recipe.noise ? train[rng.int(train.length)]! : word, recipe.textTypo);
    return { prompt: vocab.textIds(T.textPrompt(said), [said]), image: vocab.imageIds(img) };
  }
  return { prompt: vocab.textIds(T.TEXT_CAPTIONS[k % T.TEXT_CAPTIONS.length]!), image: vocab.imageIds(img) };
}

export function undSample(rng: Rng, vocab: U.Vocabulary, recipe: Recipe): U.UndItem {
  const world = choose(rng, recipe.undMix);
  if (world === "counting") {
    const s = T.sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: recipe.maxDistractors });
    const image = vocab.imageIds(vocab.image.encode(s.image));
    const u = rng.next();
    if (u < recipe.pCountQuestion) {
      const n = rng.next() < recipe.noise ? offByOne(rng, s.truth.count, 20) : s.truth.count;
      return { image, question: vocab.textIds(T.countingQuestion(s.truth.target)), answer: vocab.textIds(T.countingAnswer(s.truth.target, n)) };
    }
    const classes = [...new Set(s.objects.map((o) => o.cls))];
    if (u < 0.65 || classes.length === 0) {
      return {
        image,
        question: vocab.textIds(T.WHAT_QUESTION),
        answer: vocab.textIds(classes.length ? T.whatAnswer(classes.slice(0, 3)) : "There are no objects."),
      };
    }
    const color = s.objects.find((o) => o.cls === s.truth.target)?.color ?? s.objects[0]!.color;
    return { image, question: vocab.textIds(T.COLOR_QUESTION), answer: vocab.textIds(T.colorAnswer(color)) };
  }
  if (world === "spatial") {
    const s = T.sampleSpatialScene(rng);
    const { a, b, relation } = s.truth;
    const image = vocab.imageIds(vocab.image.encode(s.image));
    if (rng.next() < recipe.pRelationQuestion) {
      const k = rng.int(T.SPATIAL_TEMPLATES.length);
      const said = rng.next() < recipe.noise ? otherRelation(rng, relation) : relation;
      if (rng.next() < 0.3) {
        const mc = T.spatialMultipleChoice(k, a, b, said);
        return { image, question: vocab.textIds(mc.question), answer: vocab.textIds(mc.answer) };
      }
      return { image, question: vocab.textIds(T.spatialQuestion(k, a, b)), answer: vocab.textIds(T.spatialAnswer(k, a, b, said)) };
    }
    return { image, question: vocab.textIds(T.WHAT_QUESTION), answer: vocab.textIds(T.whatAnswer([a, b])) };
  }
  if (world === "placement") {
    const { s, said } = placementFact(rng, recipe);
    return {
      image: vocab.imageIds(vocab.image.encode(s.image)),
      question: vocab.textIds(T.placementQuestion(s.truth.cls)),
      answer: vocab.textIds(T.placementAnswer(s.truth.cls, said)),
    };
  }
  const train = T.words("train");
  const word = train[rng.int(train.length)]!;
  const theme = T.THEMES[rng.int(T.THEMES.length)]!;
  const image = vocab.imageIds(vocab.image.encode(T.renderText(word, theme).image));
  if (rng.next() < recipe.pReadQuestion) {
    const said = rng.next() < recipe.noise / 2 ? train[rng.int(train.length)]! : word;
    return { image, question: vocab.textIds(T.TEXT_QUESTION), answer: vocab.textIds(said, [said]) };
  }
  return { image, question: vocab.textIds(T.TEXT_THEME_QUESTION), answer: vocab.textIds(theme === "dark" ? "dark" : "light") };
}

/** The batch of one pretraining step: a pure function of (seed, step). */
export function pretrainBatch(
  seed: number,
  step: number,
  vocab: U.Vocabulary,
  layout: U.Layout,
  recipe: Recipe,
  sizes: { gen: number; und: number },
  tally = false,
): U.Batch {
  const rng = new Rng(seed, `pretrain/${step}`);
  const gen = Array.from({ length: sizes.gen }, () => genSample(rng, vocab, recipe));
  const und = Array.from({ length: sizes.und }, () => undSample(rng, vocab, recipe));
  return U.jointBatch(U.genBatch(gen, layout, rng, { tally }), U.undBatch(und, layout, rng));
}
