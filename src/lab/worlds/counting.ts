// Counting: "a photo of N Xs" drawn and checked by the detector (GenEval's counting), and PixMo-Count
// style questions "How many Xs are there?" answered with a number; training pairs from scenes with a
// target among distractors, captioned with every category's count (Table 8).

import * as E from "../../eval";
import * as T from "../../tasks";
import { EvalOptions, GenRow, UndRow, answerItems, byKey, ci, countAbsError, generate, perItem } from "../evaluation/core";
import { ACCURACY, EvalSetDef, defineWorld, MAD } from "./world";

/**
 * One generated image judged as GenEval's counting judges it: the asked class's detected count against the
 * asked count, and the share of detected objects that are of the asked class (what a named shape draws).
 */
export function countingGenRow(p: T.GenPrompt, seed: number, image: T.RgbImage, keepImages?: boolean): GenRow {
  const t = p.truth as T.CountingTruth;
  const dets = E.detect(image);
  const v = E.countingVerdict(dets, t.target, t.count);
  return {
    id: p.id,
    prompt: p.prompt,
    seed,
    correct: v.correct,
    asked: t.count,
    detected: v.detected,
    absError: v.absError,
    classShare: dets.length ? v.detected / dets.length : 0,
    reason: v.reason,
    ...(keepImages ? { image } : {}),
  };
}

export const countingGen: EvalSetDef<GenRow, EvalOptions, "counting-gen"> = {
  name: "counting-gen",
  side: "gen",
  async evaluate(model, opts) {
    const imgs = await generate(model, T.countingGenEval(T.CLASSES, opts.split ?? "test"), opts, () => [], 64);
    const rows = imgs.map(({ p, seed, image }) => countingGenRow(p, seed, image, opts.keepImages));
    return { set: "counting-gen", rows, summary: countingGen.summarize(rows) };
  },
  summarize(rows) {
    const groups = byKey(rows, (r) => r.id);
    return { n: rows.length, accuracy: ci(groups, (r) => E.accuracy(r.map((x) => x.correct))), mad: ci(groups, (r) => E.mean(r.map((x) => x.absError!))) };
  },
  metrics: [ACCURACY, MAD],
};

/**
 * A set of count questions ("How many Xs are there?") judged by B.1's parser, accuracy and MAD per
 * question: counting's own, and any world that asks for counts of its scenes (the new word's).
 */
export function countQuestionSet<N extends string>(name: N, items: (split: T.EvalSplit) => T.UndSample[]): EvalSetDef<UndRow, EvalOptions, N> {
  const set: EvalSetDef<UndRow, EvalOptions, N> = {
    name,
    side: "und",
    async evaluate(model, opts) {
      const rows = await answerItems(model, items(opts.split ?? "test"), name, opts, (output, s, id) => {
        const truth = (s.truth as T.CountingTruth).count;
        const p = T.parseCount(output, truth);
        return {
          id,
          question: s.question,
          answer: s.answer,
          output,
          parsed: p.value,
          correct: p.value === truth,
          absError: countAbsError(p.value, truth),
          ref: String(truth),
          hyp: String(p.value),
        };
      });
      return { set: name, rows, summary: set.summarize(rows) };
    },
    summarize(rs) {
      return {
        n: rs.length,
        unparsed: rs.filter((r) => r.parsed === null).length,
        accuracy: perItem(rs, (r) => E.accuracy(r.map((x) => x.correct))),
        mad: perItem(rs, (r) => E.mean(r.map((x) => x.absError!))),
      };
    },
    metrics: [ACCURACY, MAD],
  };
  return set;
}

export const countingUnd = countQuestionSet("counting-und", (split) => T.countingUndEval(540, 0, {}, split));

export default defineWorld({
  task: "counting",
  help: "how many objects: GenEval counting prompts, PixMo-Count style questions",
  gen: countingGen,
  und: countingUnd,
  pairs: (n, data, seed) => ({ pairs: T.countingTrainPairs(n, seed, data), spell: () => [] }),
  imageFeatures: true,
  countingData: true,
});
