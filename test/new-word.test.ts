// The new-word world (knowledge transfer): the word is outside the base's vocabulary and reaches the
// model letter by letter in questions, answers and prompts; no question can be answered by counting the
// most common shape; the validation prompts are not the test's; and a drawn image is judged by the shape
// the word names.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../src/core/rng";
import * as E from "../src/eval";
import * as T from "../src/tasks";
import { Lab } from "../src/lab";
import { encodePairs, trainingPool } from "../src/lab/training/loop";
import { NEW_WORD, newWordGen, newWordGenEval, newWordTrainPairs, newWordUndEval } from "../src/lab/worlds/new-word";
import world from "../src/lab/worlds/new-word";

test("the word is spelled, not a vocabulary word, in questions, answers and prompts", () => {
  const { model } = new Lab().base();
  const vocab = model.vocab;
  assert.throws(() => vocab.textIds(`a photo of three ${NEW_WORD.word}`), /unknown word "wugs"/);
  const letters = [...NEW_WORD.word].map((c) => vocab.textIds(c, [c])[0]);
  const pool = encodePairs(vocab, world.pairs(4, {}, 0));
  const contains = (ids: number[], sub: (number | undefined)[]) => ids.some((_, i) => sub.every((t, k) => ids[i + k] === t));
  for (const u of pool.und) {
    assert.ok(contains(u.question, letters), "question spells the word");
    assert.ok(contains(u.answer, letters), "answer spells the word");
  }
  for (const g of pool.gen) assert.ok(contains(g.prompt, letters), "prompt spells the word");
});

test("every scene holds the named shape among as many others, so the word must be known", () => {
  for (const p of newWordTrainPairs(200, 0)) {
    const t = p.und.truth;
    assert.equal(t.target, NEW_WORD.cls);
    assert.ok(t.count >= 2 && t.count <= 10, `count ${t.count}`);
    assert.ok(t.distractors >= 2, `distractors ${t.distractors}`);
    assert.ok(!p.gen.prompt.includes(T.plural(NEW_WORD.cls)) && p.gen.prompt.includes(NEW_WORD.word), p.gen.prompt);
  }
  // Distractors alternate between two other shapes: the named one is the most common (strictly) in
  // well under all scenes, so "count the most common shape" cannot answer most questions.
  const most = newWordUndEval(270).filter((s) => s.truth.count > Math.ceil(s.truth.distractors / 2)).length;
  assert.ok(most < 270 * 0.75, `the named shape dominates ${most}/270 scenes`);
});

test("each run draws its own scenes (data seed = training seed); the map's worlds share data seed 0", () => {
  const { model } = new Lab().base();
  const answers = (seed: number) => trainingPool(model.vocab, "new-word", 8, {}, seed).und.map((u) => u.answer.join(" "));
  assert.deepEqual(answers(3), answers(3));
  assert.notDeepEqual(answers(3), answers(4));
  const counting = (seed: number) => trainingPool(model.vocab, "counting", 8, {}, seed).und.map((u) => u.answer.join(" "));
  assert.deepEqual(counting(0), counting(5));
});

test("validation prompts are not the test's; each split has its own scenes", () => {
  const test = newWordGenEval("test").map((p) => p.prompt);
  const val = newWordGenEval("val").map((p) => p.prompt);
  assert.equal(test.length, T.GEN_COUNTS.length);
  assert.equal(new Set([...test, ...val]).size, test.length + val.length);
  for (const p of newWordGenEval("test")) assert.deepEqual(p.seeds, [0, 1, 2, 3, 4, 5, 6, 7]);
  for (const p of newWordGenEval("val")) assert.ok(p.seeds.every((s) => s >= 100));
  const a = newWordUndEval(20, "test").map((s) => s.answer + s.truth.distractors);
  const b = newWordUndEval(20, "val").map((s) => s.answer + s.truth.distractors);
  assert.notDeepEqual(a, b);
});

test("a drawn image is judged by the shape the word names: class share and count", () => {
  const rows = [
    { cls: NEW_WORD.cls, n: 3 },
    { cls: "circle" as const, n: 3 },
  ].map(({ cls, n }, k) => {
    const objects = T.pickCells(new Rng(k, "t"), T.DEFAULT_WORLD, n).map((c) => ({ cls, color: "red" as const, ...c }));
    return T.renderObjects(objects);
  });
  const share = rows.map((img) => {
    const d = E.detect(img);
    return d.filter((x) => x.cls === NEW_WORD.cls).length / d.length;
  });
  assert.deepEqual(share, [1, 0]);
  const metric = newWordGen.metrics.find((m) => m.metric === "class_share")!;
  assert.equal(metric.value({ id: "x", prompt: "", seed: 0, correct: false, classShare: 0.5, reason: "" }), 0.5);
  assert.equal(metric.value({ id: "x", prompt: "", seed: 0, correct: false, reason: "" }), 0, "nothing drawn counts as none of the shape");
});
