// Text: a word rendered into an image strip and read back by OCR (character error rate, exact
// match), and the word in an image read by the model; the word is spelled into the image tokens.

import * as T from "../../tasks";
import * as E from "../../eval";
import { EvalOptions, TextRow, UndRow, answerItems, generate, textSummary } from "../evaluation/core";
import { ACCURACY, EvalSetDef, defineWorld } from "./world";

export const textGen: EvalSetDef<TextRow, EvalOptions & { ocr?: E.Ocr }, "text-gen"> = {
  name: "text-gen",
  side: "gen",
  async evaluate(model, opts) {
    const imgs = await generate(model, T.textGenEval(250, opts.split ?? "test"), { seeds: [0], ...opts }, (p) => [(p.truth as { word: string }).word], 16);
    const ocr = opts.ocr ?? new E.Ocr();
    const rows: TextRow[] = [];
    try {
      for (const { p, seed, image } of imgs) {
        const ref = (p.truth as { word: string }).word;
        const hyp = T.normalizeText((await ocr.read(image)).text);
        rows.push({
          id: p.id,
          prompt: ref,
          seed,
          correct: hyp === ref,
          ref,
          hyp,
          reason: `OCR read "${hyp}" for "${ref}"`,
          ...(opts.keepImages ? { image } : {}),
        });
      }
    } finally {
      if (!opts.ocr) await ocr.close();
    }
    return { set: "text-gen", rows, summary: textGen.summarize(rows) };
  },
  summarize: (rows) => textSummary([...rows]),
  metrics: [ACCURACY],
};

export const textUnd: EvalSetDef<UndRow, EvalOptions, "text-und"> = {
  name: "text-und",
  side: "und",
  async evaluate(model, opts) {
    const rows = await answerItems(model, T.textUndEval(250, T.DEFAULT_WORLD, opts.split ?? "test"), "text-und", opts, (output, s, id) => {
      const hyp = T.normalizeText(output);
      return { id, question: s.question, answer: s.answer, output, parsed: hyp, correct: hyp === s.answer, ref: s.answer, hyp };
    });
    return { set: "text-und", rows, summary: textUnd.summarize(rows) };
  },
  summarize: (rows) => textSummary([...rows]),
  metrics: [ACCURACY],
};

export default defineWorld({
  task: "text",
  help: "words in images: rendered strips read by OCR, and read by the model",
  gen: textGen,
  und: textUnd,
  pairs: (n, _data, seed, heldOut) => ({ pairs: T.textTrainPairs(n, seed, { heldOut }), spell: (p: T.SamplePair) => [p.und.answer] }),
  imageFeatures: false,
  countingData: false,
});
