// Spatial relations: "a photo of an X left of a Y" drawn and checked by the detector (GenEval's
// position; images where an object is missing are excluded, as GenEval does), and multiple-choice
// questions about the relation of two objects answered with a letter.

import * as E from "../../eval";
import * as T from "../../tasks";
import { EvalOptions, GenRow, UndRow, answerItems, byKey, ci, generate, perItem } from "../evaluation/core";
import { ACCURACY, EvalSetDef, defineWorld } from "./world";

export const spatialGen: EvalSetDef<GenRow, EvalOptions, "spatial-gen"> = {
  name: "spatial-gen",
  side: "gen",
  async evaluate(model, opts) {
    const imgs = await generate(model, T.spatialGenEval(100, 0, opts.split ?? "test"), opts, () => [], 64);
    const rows: GenRow[] = imgs.map(({ p, seed, image }) => {
      const t = p.truth as T.SpatialTruth;
      const v = E.spatialVerdict(E.detect(image), t.a, t.b, t.relation);
      return { id: p.id, prompt: p.prompt, seed, correct: v.correct, excluded: v.excluded, reason: v.reason, ...(opts.keepImages ? { image } : {}) };
    });
    return { set: "spatial-gen", rows, summary: spatialGen.summarize(rows) };
  },
  summarize(rows) {
    const kept = rows.filter((r) => !r.excluded);
    return {
      n: rows.length,
      excluded: rows.length - kept.length,
      accuracy: ci(
        byKey(kept, (r) => r.id),
        (r) => E.accuracy(r.map((x) => x.correct)),
      ),
    };
  },
  metrics: [{ ...ACCURACY, value: (r) => ((r as GenRow).excluded ? null : r.correct ? 1 : 0) }],
};

export const spatialUnd: EvalSetDef<UndRow, EvalOptions, "spatial-und"> = {
  name: "spatial-und",
  side: "und",
  async evaluate(model, opts) {
    const rows = await answerItems(model, T.spatialMcEval(250, 0, T.DEFAULT_WORLD, opts.split ?? "test"), "spatial-und", opts, (output, s, id) => {
      const letter = T.parseChoice(output);
      return { id, question: s.question, answer: s.answer, output, parsed: letter, correct: letter === s.answer, ref: s.answer, hyp: String(letter) };
    });
    return { set: "spatial-und", rows, summary: spatialUnd.summarize(rows) };
  },
  summarize(rs) {
    return { n: rs.length, unparsed: rs.filter((r) => r.parsed === null).length, accuracy: perItem(rs, (r) => E.accuracy(r.map((x) => x.correct))) };
  },
  metrics: [ACCURACY],
};

export default defineWorld({
  task: "spatial",
  help: "where objects are: GenEval position prompts, multiple-choice relation questions",
  gen: spatialGen,
  und: spatialUnd,
  pairs: (n, _data, seed) => ({ pairs: T.spatialTrainPairs(n, seed), spell: () => [] }),
  imageFeatures: true,
  countingData: false,
});
