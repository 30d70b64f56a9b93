// Composition (appendix C.5): prompts that ask for a count and a relation at once ("three circles left
// of a square"), right only when both are; its runs train understanding on a counting + spatial mixture
// and are measured on counting questions too.

import * as E from "../../eval";
import * as T from "../../tasks";
import { GenRow, byKey, ci, generate } from "../eval-core";
import { countingUnd } from "./counting";
import { EvalSetDef, defineWorld } from "./world";

export const compositionGen: EvalSetDef<GenRow> = {
  name: "composition-gen",
  side: "gen",
  async evaluate(model, opts) {
    const imgs = await generate(model, T.compositionGenEval(), { seeds: [0], ...opts }, () => [], 64);
    const rows: GenRow[] = imgs.map(({ p, seed, image }) => {
      const t = p.truth as T.CompositionTruth;
      const v = E.compositionVerdict(E.detect(image), t.target, t.count, t.anchor, t.relation);
      return { id: p.id, prompt: p.prompt, seed, correct: v.correct, detected: v.detected, asked: t.count, reason: v.reason, ...(opts.keepImages ? { image } : {}) };
    });
    return { set: "composition-gen", rows, summary: compositionGen.summarize(rows) };
  },
  summarize(rows) {
    return {
      n: rows.length,
      accuracy: ci(
        byKey(rows, (r) => r.id),
        (r) => E.accuracy(r.map((x) => x.correct)),
      ),
    };
  },
};

export default defineWorld({
  task: "compose",
  help: "C.5: counts and relations in one prompt; trained on a counting + spatial mixture",
  gen: compositionGen,
  und: countingUnd,
  mixture: ["counting", "spatial"],
  countingData: true,
});
