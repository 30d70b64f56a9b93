// The lab's first verbs on a tiny model: LoRA training, evaluation, paired effects, and pretraining with an
// exact resume.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as U from "../src/umm";
import * as E from "../src/eval";
import { countAbsError, evalCountingGen, evalCountingUnd, evalTextGen } from "../src/lab/evaluation/sets";
import { trainAdapter, checkSpec } from "../src/lab/training/loop";
import { effectRows } from "../src/lab/results/effects";
import { DEFAULT_PRETRAIN, pretrain } from "../src/lab/pretraining/run";
import { pretrainBatch, DEFAULT_RECIPE, genSample, undSample, parseRecipe } from "../src/lab/pretraining/data";
import { readSafetensors } from "../src/engine";
import { Rng } from "../src/core/rng";
import * as T from "../src/tasks";

const vocab = U.worldVocabulary();
const tiny = () => U.UnifiedModel.create(vocab, { d: 32, layers: 1, heads: 2, seed: 0 });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tl-lab-"));

test("train specs are validated with the field and the allowed values", () => {
  const ok = { task: "counting" as const, objective: "und" as const, rank: 8, alpha: 16, steps: 10, lr: 1e-3, batch: 8, seed: 0 };
  assert.equal(checkSpec(ok).task, "counting");
  assert.throws(() => checkSpec({ ...ok, task: "colour" as never }), /task: "colour" is not allowed \(allowed: counting, spatial, text, compose, new-word\)/);
  assert.throws(() => checkSpec({ ...ok, objective: "both" as never }), /objective: "both" is not allowed \(allowed: und, gen, joint\)/);
  assert.throws(() => checkSpec({ ...ok, lr: 3 }), /lr: 3 is not allowed/);
  assert.throws(() => checkSpec({ ...ok, rank: 0 }), /rank: 0 is not allowed/);
});

test("LoRA training is seeded and reported per step; evaluation rows carry verdicts", async () => {
  const m = tiny();
  const losses: number[] = [];
  const a = await trainAdapter(m, { task: "counting", objective: "joint", rank: 2, alpha: 4, steps: 3, lr: 1e-3, batch: 4, seed: 1, pool: 16 }, (p) => {
    losses.push(p.loss);
  });
  const b = await trainAdapter(m, { task: "counting", objective: "joint", rank: 2, alpha: 4, steps: 3, lr: 1e-3, batch: 4, seed: 1, pool: 16 });
  assert.equal(losses.length, 3);
  for (const n of a.store.names()) assert.deepEqual(a.store.get(n).data, b.store.get(n).data, n);
  const g = await evalCountingGen(m, { adapter: a, limit: 3, seeds: [0], steps: 2 });
  assert.equal(g.rows.length, 3);
  assert.match(g.rows[0]!.reason, /detected, \d+ asked/);
  const u = await evalCountingUnd(m, { limit: 5 });
  assert.equal(u.rows.length, 5);
  assert.equal(u.summary.accuracy!.estimate, E.mean(u.rows.map((r) => (r.correct ? 1 : 0))));
  const t = await evalTextGen(m, { limit: 2, steps: 2 });
  assert.equal(t.rows.length, 2);
  assert.equal(
    t.summary.cer!.estimate,
    E.cer(
      t.rows.map((r) => r.ref),
      t.rows.map((r) => r.hyp),
    ),
  );
});

test("paired effects pair a tuned model's items with the base's same prompt and seed", { timeout: 240_000 }, async () => {
  const m = tiny();
  const adapter = await trainAdapter(m, { task: "counting", objective: "gen", rank: 2, alpha: 4, steps: 2, lr: 1e-3, batch: 4, seed: 0 });
  const base = await evalCountingGen(m, { limit: 6, seeds: [0, 1], steps: 2 });
  const tuned = await evalCountingGen(m, { adapter, limit: 6, seeds: [0, 1], steps: 2 });
  // The base against itself: Δ exactly 0 on every metric, a null with bound 0.
  const self = effectRows("base→base", "counting-gen", base.rows, [{ run: "b", rows: base.rows }]);
  assert.deepEqual(
    self.map((e) => [e.metric, e.delta, e.lo, e.hi, e.verdict]),
    [
      ["accuracy", 0, 0, 0, "null"],
      ["mad", 0, 0, 0, "null"],
    ],
  );
  const [acc, mad] = effectRows("gen→gen", "counting-gen", base.rows, [{ run: "s0", rows: tuned.rows }]);
  assert.equal(acc!.n, 12);
  assert.equal(acc!.prompts, 6);
  const byKey = new Map(base.rows.map((r) => [`${r.id}|${r.seed}`, r]));
  const want = E.mean(tuned.rows.map((r) => (r.correct ? 1 : 0) - (byKey.get(`${r.id}|${r.seed}`)!.correct ? 1 : 0)));
  assert.equal(acc!.delta, want);
  assert.equal(mad!.delta, E.mean(tuned.rows.map((r) => r.absError! - byKey.get(`${r.id}|${r.seed}`)!.absError!)));
  // Rows from other sampling seeds have no partner: an error, not a silent unpaired comparison.
  const other = await evalCountingGen(m, { limit: 6, seeds: [7], steps: 2 });
  assert.throws(() => effectRows("x", "counting-gen", base.rows, [{ run: "s0", rows: other.rows }]), /has no base item/);
  // Counting answers: one MAD convention, an unparsed answer scored as answering 0.
  assert.equal(countAbsError(null, 7), 7);
  assert.equal(countAbsError(5, 7), 2);
  const u = await evalCountingUnd(m, { limit: 20 });
  assert.ok(u.rows.every((r) => r.absError === countAbsError(r.parsed, Number(r.ref))));
  assert.equal(u.summary.mad!.estimate, E.mean(u.rows.map((r) => r.absError!)));
});

test("pretraining batches are a pure function of (seed, step)", () => {
  const L = new U.Layout();
  const a = pretrainBatch(3, 17, vocab, L, DEFAULT_RECIPE, { gen: 4, und: 4 });
  const b = pretrainBatch(3, 17, vocab, L, DEFAULT_RECIPE, { gen: 4, und: 4 });
  const c = pretrainBatch(3, 18, vocab, L, DEFAULT_RECIPE, { gen: 4, und: 4 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test("placement rows: off by default (older recipes draw the same data), captions and questions name the corner", () => {
  const L = new U.Layout();
  const withZero = parseRecipe({ genMix: { placement: 0 }, undMix: { placement: 0 } });
  assert.deepEqual(pretrainBatch(3, 17, vocab, L, withZero, { gen: 6, und: 6 }), pretrainBatch(3, 17, vocab, L, DEFAULT_RECIPE, { gen: 6, und: 6 }));
  const only = parseRecipe({
    genMix: { counting: 0, spatial: 0, text: 0, composition: 0, placement: 1 },
    undMix: { counting: 0, spatial: 0, text: 0, placement: 1 },
    noise: 0,
  });
  const rng = new Rng(1, "placement-rows");
  for (let i = 0; i < 8; i++) {
    const g = genSample(rng, vocab, only);
    const caption = vocab.decodeText(g.prompt);
    const region = /(top|bottom)-(left|right)/.exec(caption)?.[0];
    assert.ok(region, caption);
    const codes = vocab.codesOf(g.image);
    const blank = codes[0]!;
    const filled = codes.map((c, j) => (c !== blank ? j : -1)).filter((j) => j >= 0);
    assert.equal(filled.length, 1, caption);
    assert.ok(T.inCorner({ col: filled[0]! % 8, row: Math.floor(filled[0]! / 8) }, region as T.Relation), `${caption}: cell ${filled[0]}`);
    const u = undSample(rng, vocab, only);
    assert.match(vocab.decodeText(u.question), /^where is the \w+ in the image \?$/);
    assert.match(vocab.decodeText(u.answer), /^the \w+ is in the (top|bottom)-(left|right) of the image \.$/);
  }
  assert.throws(
    () => parseRecipe({ genMix: { corner: 1 } }),
    /recipe.genMix.corner: unknown field \(allowed: counting, spatial, text, composition, placement\)/,
  );
});

test("text typos: off by default (older recipes draw the same data), each letter replaced at the recipe's rate", async () => {
  const { typo } = await import("../src/lab/pretraining/data");
  const L = new U.Layout();
  assert.deepEqual(
    pretrainBatch(3, 17, vocab, L, parseRecipe({ textTypo: 0 }), { gen: 8, und: 2 }),
    pretrainBatch(3, 17, vocab, L, DEFAULT_RECIPE, { gen: 8, und: 2 }),
  );
  const rng = new Rng(5, "typos");
  assert.equal(typo(rng, "absorb", 0), "absorb");
  const all = typo(rng, "absorb", 1);
  assert.equal(all.length, 6);
  for (let i = 0; i < 6; i++) assert.notEqual(all[i], "absorb"[i], all);
  let changed = 0;
  for (let i = 0; i < 1000; i++) changed += [...typo(rng, "abcde", 0.3)].filter((ch, j) => ch !== "abcde"[j]).length;
  assert.ok(Math.abs(changed / 5000 - 0.3) < 0.03, `rate ${changed / 5000}`);
  const noisy = parseRecipe({ genMix: { counting: 0, spatial: 0, text: 1, composition: 0, placement: 0 }, pExactWord: 1, noise: 0, textTypo: 0.5 });
  const clean = { ...noisy, textTypo: 0 };
  const words = (r: typeof noisy) => Array.from({ length: 20 }, (_, i) => vocab.decodeText(genSample(new Rng(i, "typo-rows"), vocab, r).prompt));
  const differ = words(noisy).filter((w, i) => w !== words(clean)[i]).length;
  assert.ok(differ >= 15, `${differ} of 20 captions carry a typo`);
  assert.throws(() => parseRecipe({ textTypo: 2 }), /recipe.textTypo: expected a probability in \[0, 1\], got 2/);
});

test("pretraining resumes exactly: 4 + 4 steps equal 8 steps", { timeout: 240_000 }, async () => {
  const cfg = { ...DEFAULT_PRETRAIN, d: 32, layers: 1, heads: 2, steps: 8, gen: 4, und: 4, warmup: 1, evalEvery: 1000, codes: 256 };
  const whole = path.join(tmp, "whole");
  await pretrain(whole, cfg);
  const parts = path.join(tmp, "parts");
  const first = await pretrain(parts, cfg, { stopAfterMinutes: 0 });
  assert.equal(first.step, 1, "stops after the first step when the time budget is spent");
  await assert.rejects(pretrain(parts, cfg), /already holds a run; pass --resume/);
  await assert.rejects(pretrain(parts, { ...cfg, lr: 2e-3 }, { resume: true }), /differs from this run's configuration/);
  const rest = await pretrain(parts, cfg, { resume: true });
  assert.deepEqual(rest, { step: 8, finished: true });
  const A = readSafetensors(path.join(whole, "checkpoint.safetensors"));
  const B = readSafetensors(path.join(parts, "checkpoint.safetensors"));
  for (const [k, t] of A.tensors) assert.deepEqual(B.tensors.get(k)!.data, t.data, k);
  assert.ok(fs.existsSync(path.join(whole, "snapshots", "step-8", "model.json")));
  assert.equal(fs.readFileSync(path.join(whole, "evals.jsonl"), "utf8").trim().split("\n").length, 1);
  // Continued pretraining from a saved model: its weights are the start, shapes are checked first.
  const lines: string[] = [];
  await pretrain(path.join(tmp, "cont"), { ...cfg, steps: 1, init: path.join(whole, "model") }, { log: (l) => lines.push(l) });
  assert.match(lines[0]!, /continuing from .*whole\/model: 1 steps/);
  await assert.rejects(
    pretrain(path.join(tmp, "cont2"), { ...cfg, d: 16, heads: 2, steps: 1, init: path.join(whole, "model") }),
    /pretrain --init: .* is \[[\d,]+\] in .*, \[[\d,]+\] here/,
  );
});

test("grounding: class centroids from logits, code classes from the tokenizer, and the report of a fresh model", async () => {
  const { classCentroid, codeClasses, relationGrounding } = await import("../src/lab/diagnostics/grounding");
  // Two cells of a 2×2 grid hold all of class "x"'s mass: the centroid is their mass-weighted mean.
  const C = 2;
  const big = 30;
  const logits = [big, 0, 0, big, 0, big, 0, big]; // cells 0..3; code 0 is "x", code 1 is background
  const c = classCentroid(logits, 4, C, ["x", null], "x", 2);
  assert.ok(Math.abs(c.mass - 1) < 1e-9 && Math.abs(c.col - 0) < 1e-9 && Math.abs(c.row - 0) < 1e-9, JSON.stringify(c));
  const c2 = classCentroid([big, 0, 0, big, 0, big, big, 0], 4, C, ["x", null], "x", 2);
  assert.ok(Math.abs(c2.mass - 2) < 1e-9 && Math.abs(c2.col - 0.5) < 1e-9 && Math.abs(c2.row - 0.5) < 1e-9, JSON.stringify(c2));
  const classes = codeClasses(vocab);
  for (const cls of T.CLASSES) assert.ok(classes.includes(cls), `no code draws a ${cls}`);
  const scene = T.samplePlacementScene(new Rng(2), { cls: "ring", region: "top-left" });
  const codes = vocab.image.encode(scene.image);
  const o = scene.objects[0]!;
  assert.equal(classes[codes[o.row * 8 + o.col]!], "ring");
  assert.equal(classes[codes[(o.row + 4) * 8 + o.col + 4]!], null, "background cells draw nothing");
  const m = U.UnifiedModel.create(vocab, { d: 32, layers: 2, heads: 2, seed: 3, cellPositions: true });
  const r = await relationGrounding(m, { questions: 8 });
  assert.equal(r.spatial.length, 4);
  assert.ok(r.logitShift.relationWord > 0 && r.logitShift.classWord > 0, "an untrained model reacts to every prompt word");
  assert.equal(r.attention.length, 2);
  for (const a of r.attention) assert.ok(a.relationWord > 0 && a.relationWord < 1);
  assert.equal(
    Object.values(r.placementUnd.answers).reduce((s, n) => s + n, 0),
    8,
  );
  assert.ok(r.spatialSpread >= 0 && Number.isFinite(r.spatialSpread));
  // B at (c, r) with room top-left of it leaves c·r of the other 63 cells: the blind share is the mean
  // of c·r/63 over c, r in 1..7, i.e. 4·4/63, and the same for every relation by symmetry.
  assert.deepEqual(
    r.conditional.map((c) => c.relation),
    [...T.RELATIONS],
  );
  for (const c of r.conditional) {
    assert.ok(Math.abs(c.blind - 16 / 63) < 1e-9, `${c.relation}: blind share ${c.blind}`);
    assert.ok(Math.abs(c.inRelation - c.blind) < 0.1, `${c.relation}: an untrained model places A near blindly (${c.inRelation} vs ${c.blind})`);
  }
  await assert.rejects(relationGrounding(m, { a: "ring", b: "ring" }), /a and b must be different classes/);
});

test("the question form joins the key of understanding runs only: generation runs are shared between forms", async () => {
  const { trainPlan } = await import("../src/lab/verbs");
  const { Lab } = await import("../src/lab");
  const lab = new Lab({ root: fs.mkdtempSync(path.join(os.tmpdir(), "tl-qform-")) });
  const name = (objective: string, questions: string) => trainPlan(lab, { task: "counting", objective, questions }).name;
  assert.equal(name("gen", "choice"), name("gen", "how-many"));
  assert.notEqual(name("und", "choice"), name("und", "how-many"));
  assert.notEqual(name("joint", "choice"), name("joint", "how-many"));
  assert.equal(trainPlan(lab, { task: "counting", objective: "und" }).name, name("und", "how-many"), "the default leaves older keys as they were");
  assert.equal(
    trainPlan(lab, { task: "spatial", objective: "und", questions: "choice" }).name,
    trainPlan(lab, { task: "spatial", objective: "und" }).name,
    "only counting reads it",
  );
});
