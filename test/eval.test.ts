// Evaluators: the detector and GenEval-style verdicts, and every metric on hand-checked values.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../src/core/rng";
import * as T from "../src/tasks";
import * as E from "../src/eval";

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test("detector finds every object with its class and box on clean scenes", () => {
  const rng = new Rng(0, "det");
  for (let i = 0; i < 100; i++) {
    const s = T.sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6 });
    const dets = E.detect(s.image);
    assert.equal(dets.length, s.objects.length);
    for (const o of s.objects) {
      const b = T.objectBox(o, T.DEFAULT_WORLD);
      const d = dets.find((x) => x.box.x0 === b.x0 && x.box.y0 === b.y0);
      assert.ok(d, `no detection at ${JSON.stringify(b)}`);
      assert.equal(d!.cls, o.cls);
      assert.equal(d!.score, 1);
      assert.equal(d!.color, o.color);
    }
  }
});

test("detector gives no class to blobs that match no shape, and ignores specks", () => {
  const img = T.createImage(32, 32);
  T.paintMask(img, new Uint8Array(12 * 3).fill(1), 12, 3, 2, 2, [0, 0, 0]); // a bar
  T.paintMask(img, new Uint8Array(1).fill(1), 1, 1, 20, 20, [0, 0, 0]); // one pixel of noise
  const dets = E.detect(img);
  assert.equal(dets.length, 1);
  assert.equal(dets[0]!.cls, null);
  assert.deepEqual(dets[0]!.box, { x0: 2, y0: 2, x1: 14, y1: 5 });
});

test("counting verdicts: exactly N of the asked class", () => {
  const s = T.sampleCountingScene(new Rng(1), { target: "ring", count: 4, maxDistractors: 0 });
  const v = E.countingVerdict(E.detect(s.image), "ring", 4);
  assert.deepEqual([v.correct, v.detected, v.absError], [true, 4, 0]);
  const w = E.countingVerdict(E.detect(s.image), "ring", 6);
  assert.deepEqual([w.correct, w.absError], [false, 2]);
  assert.equal(w.reason, "4 ring detected, 6 asked");
});

test("spatial verdicts follow B.2's rules with GenEval's margin; missing objects are excluded", () => {
  const det = (x0: number, y0: number, cls: T.ObjectClass): E.Detection => ({
    cls,
    score: 1,
    box: { x0, y0, x1: x0 + 6, y1: y0 + 6 },
    center: [x0 + 3, y0 + 3],
    area: 36,
    color: "red",
  });
  assert.equal(E.relationOf(det(0, 0, "ring"), det(20, 20, "cross")), "top-left");
  assert.equal(E.relationOf(det(20, 0, "ring"), det(0, 20, "cross")), "top-right");
  assert.equal(E.relationOf(det(0, 20, "ring"), det(20, 0, "cross")), "bottom-left");
  assert.equal(E.relationOf(det(20, 20, "ring"), det(0, 0, "cross")), "bottom-right");
  // 1 pixel apart on y is inside the margin 0.1 × (6 + 6) = 1.2: not a diagonal relation
  assert.equal(E.relationOf(det(0, 0, "ring"), det(20, 1, "cross")), null);
  const v = E.spatialVerdict([det(0, 0, "ring")], "ring", "cross", "top-left");
  assert.deepEqual([v.excluded, v.correct, v.reason], [true, false, "excluded: no cross detected"]);
  for (const relation of T.RELATIONS) {
    const s = T.sampleSpatialScene(new Rng(5), { relation });
    assert.ok(E.spatialVerdict(E.detect(s.image), s.truth.a, s.truth.b, relation).correct);
  }
});

test("composition verdicts need the count and every target at the relation", () => {
  const s = T.sampleCompositionScene(new Rng(2), { target: "circle", anchor: "square", count: 3, relation: "bottom-right" });
  const dets = E.detect(s.image);
  assert.ok(E.compositionVerdict(dets, "circle", 3, "square", "bottom-right").correct);
  assert.ok(!E.compositionVerdict(dets, "circle", 4, "square", "bottom-right").correct);
  assert.ok(!E.compositionVerdict(dets, "circle", 3, "square", "top-left").correct);
});

test("accuracy, MAD and edit distances", () => {
  assert.equal(E.accuracy([true, false, true, true]), 0.75);
  assert.equal(E.mad([2, 5, 4], [3, 3, 4]), 1);
  assert.equal(E.editDistance("kitten", "sitting"), 3);
  assert.equal(E.editDistance(["a", "b"], ["b"]), 1);
  close(E.wer(["the cat sat", "a dog"], ["the cat sat down", "a cat"]), 2 / 5);
  close(E.cer(["abc", "de"], ["abd", "de"]), 1 / 5);
  close(E.meanEditDistance(["abc", "de"], ["abd", ""]), 1.5);
});

test("BLEU-4 with NLTK method-1 smoothing, hand-checked", () => {
  close(E.sentenceBleu("the cat is on the mat", "the cat is on the mat"), 1);
  // p = 5/5, 3/4, 1/3, ε/2 = 0.05; BP = exp(1 - 6/5)
  close(E.sentenceBleu("the cat is on the mat", "the cat on the mat"), Math.exp(-0.2) * (0.75 * (1 / 3) * 0.05) ** 0.25, 1e-12);
  assert.equal(E.sentenceBleu("the cat", "dog runs"), 0);
  assert.equal(E.sentenceBleu("the cat", ""), 0);
});

test("METEOR with NLTK's formula (exact, then Porter stems), hand-checked", () => {
  close(E.sentenceMeteor("a b c d", "a b d c"), 1 - 0.5 * (3 / 4) ** 3);
  close(E.sentenceMeteor("running dogs", "run dog"), 1 - 0.5 * (1 / 2) ** 3);
  close(E.sentenceMeteor("cat", "cat"), 0.5);
  // P = 1/2, R = 1: F = 0.5 / (0.9·0.5 + 0.1) ; one chunk of one match: penalty 0.5
  close(E.sentenceMeteor("cat", "cat dog"), (0.5 / (0.45 + 0.1)) * 0.5);
  assert.equal(E.sentenceMeteor("cat", "dog"), 0);
});

test("token precision, recall and F1 from multiset overlap", () => {
  const r = E.tokenPrf(["a b b c"], ["b b d"]);
  close(r.precision, 2 / 3);
  close(r.recall, 0.5);
  close(r.f1, (2 * (2 / 3) * 0.5) / (2 / 3 + 0.5));
});

test("Fréchet distance matches closed forms", () => {
  const stats = (mean: number[], cov: number[]): E.GaussianStats => ({ mean: Float64Array.from(mean), cov: Float64Array.from(cov), dim: mean.length });
  // 1-D: (μ1-μ2)² + σ1² + σ2² - 2σ1σ2
  close(E.frechetDistance(stats([0], [1]), stats([1], [4])), 1 + 1 + 4 - 4, 1e-9);
  // commuting covariances R D Rᵀ: the trace term is Σ √(d1 d2)
  const th = 0.7;
  const R = [Math.cos(th), -Math.sin(th), Math.sin(th), Math.cos(th)];
  const rdr = (d: number[]) => {
    const out = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) out[i * 2 + j]! += R[i * 2 + k]! * d[k]! * R[j * 2 + k]!;
    return out;
  };
  const d1 = [2, 0.5];
  const d2 = [3, 1.5];
  const want = 1 ** 2 + 2 ** 2 + d1[0]! + d1[1]! + d2[0]! + d2[1]! - 2 * (Math.sqrt(d1[0]! * d2[0]!) + Math.sqrt(d1[1]! * d2[1]!));
  close(E.frechetDistance(stats([0, 0], rdr(d1)), stats([1, 2], rdr(d2))), want, 1e-9);
  // identical distributions: zero
  close(E.frechetDistance(stats([1, 2], rdr(d1)), stats([1, 2], rdr(d1))), 0, 1e-9);
  // from samples: mean and unbiased covariance
  const g = E.gaussianStats([1, 2, 3, 4, 5, 9], 3, 2);
  assert.deepEqual([...g.mean], [3, 5]);
  assert.deepEqual([...g.cov], [4, 7, 7, 13]);
});

test("Inception-style score: k for confident, balanced predictions; 1 for identical ones", () => {
  const k = 4;
  const oneHot = Array.from({ length: 8 * k }, (_, i) => (i % k === Math.floor(i / k) % k ? 1 : 0));
  close(E.inceptionScore(oneHot, 8, k), 4, 1e-12);
  close(E.inceptionScore(Array(8 * k).fill(1 / k), 8, k), 1, 1e-12);
});

test("transfer strength reproduces Table 6's counting row", () => {
  close(E.transferStrength(48, 57, 57)!, 1);
  close(E.transferStrength(1.11, 0.83, 0.91)!, 1.4, 1e-9); // MAD: 140%
  close(E.transferStrength(22, 30, 57)!, 8 / 35);
  assert.equal(E.transferStrength(0.5, 0.6, 0.5), null);
});

test("bootstrap intervals are seeded, contain the estimate and shrink with data", () => {
  const rng = new Rng(0);
  const groups = (n: number) => Array.from({ length: n }, () => Array.from({ length: 4 }, () => (rng.next() < 0.6 ? 1 : 0)));
  const small = groups(20);
  const a = E.bootstrapCI(small, E.mean, { seed: 1 });
  const b = E.bootstrapCI(small, E.mean, { seed: 1 });
  assert.deepEqual(a, b);
  assert.ok(a.lo <= a.estimate && a.estimate <= a.hi);
  const big = E.bootstrapCI(groups(500), E.mean, { seed: 1 });
  assert.ok(big.hi - big.lo < (a.hi - a.lo) / 2, `${JSON.stringify(big)} vs ${JSON.stringify(a)}`);
});
