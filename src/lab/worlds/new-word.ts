// New word: knowledge taught through one task and used through the other (UniSandbox's knowledge axis).
// A made-up word, "wugs", names one shape (triangles). The base has never met it: its letters are
// the spelled-word tokens of the text world, so the word is writable but means nothing. A run learns
// what it means from one objective only — counting questions about wugs among other shapes
// (understanding), or pictures captioned with wugs (generation) — and is measured on the other:
// does "a photo of three wugs" draw triangles after training only on questions about them?
// The scenes always hold as many other shapes, so no question can be answered without knowing the word.

import { Rng } from "../../core/rng";
import * as E from "../../eval";
import * as T from "../../tasks";
import { EvalOptions, GenRow, byKey, ci, generate } from "../evaluation/core";
import { countQuestionSet, countingGenRow } from "./counting";
import { ACCURACY, EvalSetDef, MAD, SetMetric, defineWorld } from "./world";

/** The made-up word and the shape it names. Spelled letter by letter, as the text world's payloads are. */
export const NEW_WORD = { word: "wugs", cls: "triangle" } as const satisfies { word: string; cls: T.ObjectClass };
const spellWord = () => [NEW_WORD.word];

/** Counting questions and answers with the new word for the class, in the counting world's templates. */
const question = () => T.countingQuestion(NEW_WORD.cls).replaceAll(T.plural(NEW_WORD.cls), NEW_WORD.word);
const answerText = (n: number) => T.countingAnswer(NEW_WORD.cls, n).replaceAll(T.plural(NEW_WORD.cls), NEW_WORD.word);

/** A generation caption naming every shape of a scene, the named class by the new word ("a photo of three wugs and two rings"). */
function caption(form: number, scene: T.Scene<T.CountingTruth>): string {
  const counts = T.sceneCounts(scene);
  const c = T.countingCaption(form, counts);
  const n = counts[0]![1];
  return c.replace(`${T.numberWord(n)} ${n === 1 ? NEW_WORD.cls : T.plural(NEW_WORD.cls)}`, `${T.numberWord(n)} ${NEW_WORD.word}`);
}

/**
 * A scene of 2–10 wugs (GenEval's counts) among 2–20 objects of two other shapes, split between them:
 * the other shapes are about as many as the wugs, so "count the most common shape" is no way around
 * knowing the word.
 */
function scene(rng: Rng): T.Scene<T.CountingTruth> {
  return T.sampleCountingScene(rng, { target: NEW_WORD.cls, count: 2 + rng.int(9), minDistractors: 2, maxDistractors: 20 });
}

/** The training pairs: one scene per pair, asked about (understanding) and captioned (generation). */
export function newWordTrainPairs(n: number, seed: number): T.SamplePair<T.CountingTruth>[] {
  const rng = new Rng(seed, "train/new-word");
  return Array.from({ length: n }, (_, i) => {
    const s = scene(rng);
    return {
      und: { task: "new-word", image: s.image, question: question(), answer: answerText(s.truth.count), truth: s.truth, spell: spellWord() },
      gen: { task: "new-word", image: s.image, prompt: caption(i, s), truth: s.truth },
    };
  });
}

/**
 * The generation prompts: GenEval's counting form with the word ("a photo of three wugs") on the test
 * split; validation asks in another form ("three wugs on a white background"), so no test prompt is
 * seen while a checkpoint is chosen. Eight sampling seeds per prompt (nine prompts only).
 */
export function newWordGenEval(split: T.EvalSplit = "test"): T.GenPrompt<T.CountingTruth>[] {
  const test = T.oneOf("split", split, T.EVAL_SPLITS) === "test";
  return T.GEN_COUNTS.map((count) => ({
    task: "new-word",
    id: `new-word-${count}`,
    prompt: test ? `a photo of ${T.numberWord(count)} ${NEW_WORD.word}` : `${T.numberWord(count)} ${NEW_WORD.word} on a white background`,
    truth: { kind: "counting" as const, target: NEW_WORD.cls, count, distractors: 0 },
    seeds: Array.from({ length: 8 }, (_, k) => (test ? 0 : 100) + k),
  }));
}

/** Questions about wugs on held-out scenes (each split from its own stream). */
export function newWordUndEval(n = 270, split: T.EvalSplit = "test"): T.UndSample<T.CountingTruth>[] {
  const rng = new Rng(0, T.stream(split, "new-word-und"));
  return Array.from({ length: n }, () => {
    const s = scene(rng);
    return { task: "new-word", image: s.image, question: question(), answer: answerText(s.truth.count), truth: s.truth, spell: spellWord() };
  });
}

/** Per image: the share of detected objects that are the named shape (0 when nothing is drawn). */
export const CLASS_SHARE: SetMetric = { metric: "class_share", better: "higher", value: (r) => (r as GenRow).classShare ?? 0 };

export const newWordGen: EvalSetDef<GenRow, EvalOptions, "new-word-gen"> = {
  name: "new-word-gen",
  side: "gen",
  async evaluate(model, opts) {
    const imgs = await generate(model, newWordGenEval(opts.split ?? "test"), opts, spellWord, 64);
    const rows = imgs.map(({ p, seed, image }) => countingGenRow(p, seed, image, opts.keepImages));
    return { set: "new-word-gen", rows, summary: newWordGen.summarize(rows) };
  },
  summarize(rows) {
    const groups = byKey(rows, (r) => r.id);
    return {
      n: rows.length,
      accuracy: ci(groups, (r) => E.accuracy(r.map((x) => x.correct))),
      mad: ci(groups, (r) => E.mean(r.map((x) => x.absError!))),
      classShare: ci(groups, (r) => E.mean(r.map((x) => x.classShare ?? 0))),
    };
  },
  // Whether the word draws its shape is the knowledge measured; the count right is the stricter test.
  metrics: [CLASS_SHARE, ACCURACY, MAD],
  // A generation run is kept where the word draws its shape most (validation prompts), not at an exact count.
  select: (s) => s.classShare?.estimate,
};

export const newWordUnd = countQuestionSet("new-word-und", (split) => newWordUndEval(270, split));

export default defineWorld({
  task: "new-word",
  help: `knowledge transfer: a made-up word ("${NEW_WORD.word}") names ${T.plural(NEW_WORD.cls)}, taught through one task, used through the other`,
  gen: newWordGen,
  und: newWordUnd,
  pairs: (n, _data, seed) => ({ pairs: newWordTrainPairs(n, seed), spell: spellWord }),
  // Made under the sound protocol from the start: each run its own scenes, validation in another prompt form.
  firstProtocol: { dataSeed: "per-run", valPrompts: "disjoint" },
  taught: [NEW_WORD],
  // Understanding's accuracy and, on the generation side, whether the word draws its shape.
  curves: ["accuracy", "class_share"],
  imageFeatures: true,
  countingData: false,
});
