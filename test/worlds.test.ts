// A world is its file and a line in the list. Every world of WORLD_LIST is a task of the verbs, has its
// sets among the evaluation sets and a training pool; and a toy world written here in one object — its
// scenes, templates, parser, training pairs, evaluation sets and metrics — is drawn, trained through
// LoRA, judged and compared with paired effects by the lab's own machinery, unlisted. The list is what
// makes it a task (`world("colour")` refuses it); nothing else needs editing.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../src/core/rng";
import * as E from "../src/eval";
import * as T from "../src/tasks";
import { Lab } from "../src/lab";
import { EvalOptions, GenRow, UndRow, answerItems, byKey, ci, generate, perItem } from "../src/lab/evaluation/core";
import { effectRows } from "../src/lab/results/effects";
import { AdapterTraining, TrainTask, encodePairs, trainingPool } from "../src/lab/training/loop";
import { ACCURACY, EVAL_SETS, EvalSetDef, WORLD_LIST, defineWorld, world } from "../src/lab/worlds";
import { VERBS } from "../src/lab/verbs";

test("every world of the list is a task of the verbs, with its sets listed and a training pool", () => {
  const lab = new Lab();
  const { model } = lab.base();
  const taskField = VERBS.train.fields.find((f) => f.name === "task")!;
  for (const w of WORLD_LIST) {
    assert.ok((taskField.choices as readonly string[]).includes(w.task), `train --task ${w.task}`);
    assert.equal(world(w.task), w);
    for (const s of [w.gen, w.und]) assert.ok((EVAL_SETS as readonly string[]).includes(s.name), `${w.task}: ${s.name} listed`);
    assert.ok(w.gen.metrics.length > 0 && w.und.metrics.length > 0, `${w.task}: metrics`);
    const pool = trainingPool(model.vocab, w.task, 6);
    assert.equal(pool.gen.length, 6, `${w.task}: pool`);
    assert.equal(pool.und.length, 6);
  }
});

// ---- the toy world: "what colour are the objects?" (only words the shipped base knows) ----

interface ColourTruth {
  kind: "colour";
  cls: T.ObjectClass;
  color: T.ColorName;
}

function colourScene(rng: Rng): T.Scene<ColourTruth> {
  const cls = T.pick(rng, T.CLASSES);
  const color = T.pick(rng, T.COLOR_NAMES);
  const objects = T.pickCells(rng, T.DEFAULT_WORLD, 1 + rng.int(4)).map((c) => ({ cls, color, ...c }));
  return { truth: { kind: "colour", cls, color }, objects, image: T.renderObjects(objects) };
}

const colourQuestion = T.COLOR_QUESTION;
const colourAnswer = (c: T.ColorName) => T.colorAnswer(c);
const colourPrompt = (t: ColourTruth) => `a photo of ${t.color} ${T.plural(t.cls)}`;
/** The parser: the one colour word an answer names, or null. */
const parseColour = (s: string): T.ColorName | null => {
  const found = T.COLOR_NAMES.filter((c) => new RegExp(`\\b${c}\\b`, "i").test(s));
  return found.length === 1 ? found[0]! : null;
};

function colourItems(n: number, stream: string): T.UndSample<ColourTruth>[] {
  const rng = new Rng(0, stream);
  return Array.from({ length: n }, () => {
    const s = colourScene(rng);
    return { task: "colour", image: s.image, question: colourQuestion, answer: colourAnswer(s.truth.color), truth: s.truth };
  });
}

const colourGen: EvalSetDef<GenRow, EvalOptions, "colour-gen"> = {
  name: "colour-gen",
  side: "gen",
  async evaluate(model, opts) {
    const prompts: T.GenPrompt<ColourTruth>[] = T.CLASSES.flatMap((cls) =>
      T.COLOR_NAMES.map((color) => ({
        task: "colour",
        id: `colour-${cls}-${color}`,
        prompt: colourPrompt({ kind: "colour", cls, color }),
        truth: { kind: "colour", cls, color },
        seeds: [0, 1],
      })),
    );
    const imgs = await generate(model, prompts, opts, () => [], 64);
    const rows: GenRow[] = imgs.map(({ p, seed, image }) => {
      const t = p.truth as ColourTruth;
      const found = E.detect(image).filter((d) => d.cls === t.cls);
      const correct = found.length > 0 && found.every((d) => d.color === t.color);
      return {
        id: p.id,
        prompt: p.prompt,
        seed,
        correct,
        reason: correct ? "right colour" : `${found.length} ${t.cls} found, colours ${found.map((d) => d.color).join(",")}`,
      };
    });
    return { set: "colour-gen", rows, summary: colourGen.summarize(rows) };
  },
  summarize: (rows) => ({
    n: rows.length,
    accuracy: ci(
      byKey(rows, (r) => r.id),
      (r) => E.accuracy(r.map((x) => x.correct)),
    ),
  }),
  metrics: [ACCURACY],
};

const colourUnd: EvalSetDef<UndRow, EvalOptions, "colour-und"> = {
  name: "colour-und",
  side: "und",
  async evaluate(model, opts) {
    const rows = await answerItems(model, colourItems(60, `${opts.split ?? "test"}/colour-und`), "colour-und", opts, (output, s, id) => {
      const c = parseColour(output);
      const truth = (s.truth as ColourTruth).color;
      return { id, question: s.question, answer: s.answer, output, parsed: c, correct: c === truth, ref: truth, hyp: String(c) };
    });
    return { set: "colour-und", rows, summary: colourUnd.summarize(rows) };
  },
  summarize: (rows) => ({ n: rows.length, accuracy: perItem(rows, (r) => E.accuracy(r.map((x) => x.correct))) }),
  metrics: [ACCURACY],
};

const colour = defineWorld({
  task: "colour",
  help: "what colour the objects are",
  gen: colourGen,
  und: colourUnd,
  pairs: (n) => {
    const rng = new Rng(0, "train/colour");
    const pairs = Array.from({ length: n }, (): T.SamplePair<ColourTruth> => {
      const s = colourScene(rng);
      return {
        und: { task: "colour", image: s.image, question: colourQuestion, answer: colourAnswer(s.truth.color), truth: s.truth },
        gen: { task: "colour", image: s.image, prompt: colourPrompt(s.truth), truth: s.truth },
      };
    });
    return { pairs, spell: () => [] };
  },
  imageFeatures: true,
  countingData: false,
});

test(
  "a toy world in one object is drawn, trained, judged and compared by the lab's machinery; the list is what makes it a task",
  { timeout: 180_000 },
  async () => {
    assert.equal(parseColour("They are red."), "red");
    assert.equal(parseColour("red and blue"), null);
    const { model } = new Lab().base();
    // Its pairs tokenize with the base's vocabulary (every word is one the base was pretrained on).
    const pool = encodePairs(model.vocab, colour.pairs(32));
    assert.equal(pool.und.length, 32);
    // A few LoRA steps on its understanding pairs, through the lab's training loop.
    const spec = { task: "colour" as TrainTask, objective: "und" as const, rank: 4, alpha: 8, steps: 4, lr: 2e-3, batch: 8, seed: 0 };
    const t = await AdapterTraining.start(model, spec, pool);
    const losses: number[] = [];
    while (!t.done) losses.push((await t.next()).loss);
    assert.equal(losses.length, 4);
    assert.ok(
      losses.every((l) => Number.isFinite(l) && l > 0),
      `losses ${losses}`,
    );
    // Judged on both sides, base and tuned on the same items and seeds; compared with paired effects.
    const base = await colour.und.evaluate(model, { limit: 12 });
    const tuned = await colour.und.evaluate(model, { limit: 12, adapter: t.adapter });
    assert.equal(base.rows.length, 12);
    assert.deepEqual(
      base.rows.map((r) => r.id),
      tuned.rows.map((r) => r.id),
    );
    const [eff] = effectRows("und→und", colour.und, base.rows, [{ run: "toy", rows: tuned.rows }]);
    assert.equal(eff!.set, "colour-und");
    assert.ok(eff!.lo! <= eff!.delta && eff!.delta <= eff!.hi!, "the paired interval holds its estimate");
    const gen = await colour.gen.evaluate(model, { limit: 3, seeds: [0] });
    assert.equal(gen.rows.length, 3);
    assert.ok(gen.rows.every((r) => typeof r.correct === "boolean" && r.reason.length > 0));
    // Unlisted, it is not a task: the verbs refuse it and name the tasks they take.
    assert.throws(() => world("colour"), /task: "colour" is not a world \(allowed: counting, spatial, text, compose, new-word\)/);
  },
);
