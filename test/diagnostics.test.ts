// Causal diagnostics of und→gen transfer: the canvas edit on a hand-made canvas, the ridge probe against
// its closed form, patching at its two ends (everywhere = the full adapter, nowhere = the base), and the
// verbs end to end on the shipped base.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Rng } from "../src/core/rng";
import * as E from "../src/eval";
import * as U from "../src/umm";
import { CodeClasses, codeClasses, editCanvas, objectsOnCanvas } from "../src/lab/diagnostics/canvas";
import { Lab, validateSpec } from "../src/lab";
import { evalOptionsOf } from "../src/lab/verbs/fields";
import { evaluateSet } from "../src/lab/evaluation/sets";
import { effectRows } from "../src/lab/results/effects";

const vocab = U.worldVocabulary();
const OFF = 100;
// A hand-made code table: 5 and 6 are red and blue circles, 7 a red square, 0 the empty cell.
const codes: CodeClasses = {
  object: new Map([
    [5, { cls: "circle", color: "red" }],
    [6, { cls: "circle", color: "blue" }],
    [7, { cls: "square", color: "red" }],
    [8, { cls: "circle", color: "green" }],
  ]) as CodeClasses["object"],
  background: 0,
};

test("canvas edits: add puts one object of the class in a masked cell in its majority colour; remove empties one of its cells", () => {
  const M = U.MASK;
  // cells: blue circle, blue circle, red circle, red square, empty, masked, masked
  const canvas = [OFF + 6, OFF + 6, OFF + 5, OFF + 7, OFF + 0, M, M];
  assert.equal(objectsOnCanvas(canvas, "circle", codes, OFF), 3);
  for (let seed = 0; seed < 20; seed++) {
    const add = editCanvas(canvas, "add", "circle", codes, OFF, new Rng(seed, "t"))!;
    assert.ok([5, 6].includes(add.cell), "only a masked cell is filled");
    assert.equal(add.canvas[add.cell], OFF + 6, "in the colour most circles have (blue)");
    assert.equal(objectsOnCanvas(add.canvas, "circle", codes, OFF), 4);
    assert.deepEqual(
      add.canvas.filter((_, i) => i !== add.cell),
      canvas.filter((_, i) => i !== add.cell),
      "nothing else changes",
    );
    const rm = editCanvas(canvas, "remove", "circle", codes, OFF, new Rng(seed, "t"))!;
    assert.ok([0, 1, 2].includes(rm.cell), "only a circle is removed (not the square)");
    assert.equal(rm.canvas[rm.cell], OFF + 0, "its cell becomes the empty cell, decided (not masked)");
    assert.equal(objectsOnCanvas(rm.canvas, "circle", codes, OFF), 2);
  }
  assert.equal(editCanvas([OFF + 6, OFF + 0], "add", "circle", codes, OFF, new Rng(0, "t")), null, "no masked cell: nothing to add to");
  assert.equal(editCanvas([OFF + 7, M], "remove", "circle", codes, OFF, new Rng(0, "t")), null, "no circle: nothing to remove");
  assert.equal(
    editCanvas([M, M], "add", "square", codes, OFF, new Rng(0, "t"))!.canvas.filter((x) => x === OFF + 7).length,
    1,
    "no square yet: the first colour",
  );
});

test("the shipped tokenizer gives every (class, colour) object its own code, apart from the empty cell", () => {
  const lab = new Lab({ root: fs.mkdtempSync(path.join(os.tmpdir(), "tl-diag-codes-")) });
  const c = codeClasses(lab.base().model);
  assert.equal(c.object.size, 6 * 4);
  assert.ok(!c.object.has(c.background));
});

test("the ridge probe recovers an exact linear map (closed form) and R² is 1 on it, 0 for the mean", () => {
  const rng = new Rng(0, "ridge");
  const n = 60;
  const d = 5;
  const w = [0.5, -2, 1, 0, 3];
  const X = Float64Array.from({ length: n * d }, () => rng.next() * 2 - 1);
  const y = Array.from({ length: n }, (_, i) => 7 + w.reduce((s, wj, j) => s + wj * X[i * d + j]!, 0));
  const p = E.fitRidge(X, y, n, d, 1e-9);
  p.w.forEach((v, j) => assert.ok(Math.abs(v - w[j]!) < 1e-6, `w[${j}] ${v}`));
  assert.ok(Math.abs(p.b - 7) < 1e-6);
  const yhat = y.map((_, i) => p.predict(X, i * d));
  assert.ok(Math.abs(E.rSquared(y, yhat) - 1) < 1e-9);
  const m = y.reduce((a, b) => a + b, 0) / n;
  assert.equal(
    E.rSquared(
      y,
      y.map(() => m),
    ),
    0,
  );
  // Shrinkage: a large λ pulls the weights toward 0.
  const shrunk = E.fitRidge(X, y, n, d, 1e6);
  assert.ok(shrunk.w.every((v) => Math.abs(v) < 0.01));
  assert.throws(() => E.fitRidge(X, y, n, d, 0), /lambda 0 is not allowed/);
});

test("patching: the adapter at every position equals the full adapter, at none the base; image + prompt positions cover the sequence", async () => {
  const m = U.UnifiedModel.create(vocab, { d: 32, layers: 2, heads: 2, seed: 3 });
  const ad = m.newAdapter({ r: 4, alpha: 8, dropout: 0, targetModules: ["q", "k", "v", "o", "up", "down"] }, 1);
  for (const name of ad.store.names()) if (name.includes("lora_B")) ad.store.get(name).data = ad.store.get(name).data.map((_, i) => Math.cos(i) * 0.05);
  const rows = [m.layout.t2i(vocab.textIds("a photo of two rings"), new Array(64).fill(U.MASK))];
  const slot = { kind: "slot" as const, start: m.layout.genImageStart, length: 64, vocabStart: vocab.imageOffset, vocabEnd: vocab.size };
  const base = await m.slotLogits(rows, slot);
  const full = await m.slotLogits(rows, slot, ad);
  const close = (a: Float32Array, b: Float32Array) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-5);
  assert.ok(!close(base, full), "the adapter changes the logits");
  assert.ok(close(await m.slotLogits(rows, slot, ad, m.layout.genPositions("all")), full), "everywhere = the full adapter");
  assert.ok(close(await m.slotLogits(rows, slot, ad, new Array(m.config.seq).fill(0)), base), "nowhere = the base");
  const image = m.layout.genPositions("image");
  const prompt = m.layout.genPositions("prompt");
  assert.deepEqual(
    image.map((v, i) => v + prompt[i]!),
    new Array(m.config.seq).fill(1),
  );
  assert.equal(
    image.reduce((a, b) => a + b, 0),
    64,
  );
  const atImage = await m.slotLogits(rows, slot, ad, image);
  assert.ok(!close(atImage, full) && !close(atImage, base), "the image cells alone are neither");
  await assert.rejects(m.slotLogits(rows, slot, ad, [1, 0]), /2 position weights for a sequence of/);
});

test("canvas and readout verbs run on the shipped base and compare an adapter with it", { timeout: 600_000 }, async () => {
  const lab = new Lab({ root: fs.mkdtempSync(path.join(os.tmpdir(), "tl-diag-")) });
  await lab.train({ steps: 4, batch: 8, rank: 2, evalEvery: 0, checkpointEvery: 4, name: "u", objective: "und" });
  const c = await lab.canvas({ adapter: ["u"], seeds: [200], step: 6 });
  const summary = c.summary.objects() as Record<string, unknown>[];
  assert.deepEqual(new Set(summary.map((r) => r["model"])), new Set(["base", "u"]));
  assert.deepEqual(
    new Set(summary.map((r) => `${r["measure"]}/${r["edit"]}`)),
    new Set(["compensation/add", "compensation/remove", "passthrough/add", "passthrough/remove"]),
  );
  for (const r of summary) assert.ok(Number(r["lo"]) <= Number(r["mean"]) && Number(r["mean"]) <= Number(r["hi"]));
  assert.ok(
    summary.filter((r) => r["model"] === "u").every((r) => typeof r["delta"] === "number"),
    "adapters get a paired Δ against the base",
  );
  const rows = c.rows.objects() as Record<string, number>[];
  // Pass-through is an integer change of the final count; an "add" row started from at least one masked cell.
  assert.ok(rows.every((r) => Number.isInteger(r["passthrough"])));
  const patched = await lab.canvas({ adapter: ["u"], seeds: [200], step: 6, positions: "image" });
  assert.deepEqual(
    (patched.rows.objects() as Record<string, number>[]).filter((r) => (r as unknown as { model: string }).model === "base"),
    rows.filter((r) => (r as unknown as { model: string }).model === "base"),
    "the base's rows do not depend on where the adapter acts",
  );
  const r = await lab.readout({ adapter: ["u"], scenes: 24, canvases: 24 });
  const t = r.table.objects() as Record<string, unknown>[];
  assert.equal(t.length, 2 * 2 * 4, "models × pathways × layers");
  assert.equal(r.effects.numRows(), 2 * 4);
});

test(
  "patch: the adapters at every position give evaluate's paired effect; each placement is paired against the same base rows",
  { timeout: 600_000 },
  async () => {
    const lab = new Lab({ root: fs.mkdtempSync(path.join(os.tmpdir(), "tl-patch-")) });
    await lab.train({ task: "new-word", steps: 3, batch: 8, rank: 2, evalEvery: 0, checkpointEvery: 3, name: "w", objective: "und" });
    const p = await lab.patch({ task: "new-word", adapter: ["w"], limit: 2 });
    const e = p.effects.objects() as Record<string, unknown>[];
    assert.deepEqual([...new Set(e.map((r) => r["positions"]))], ["all", "image", "prompt"]);
    assert.deepEqual([...new Set(e.map((r) => r["metric"]))], ["class_share", "accuracy", "mad"]);
    // The same base on every placement; "all" equals the adapter evaluated as evaluate does.
    assert.equal(new Set(e.filter((r) => r["metric"] === "class_share").map((r) => r["base"])).size, 1);
    const { model } = lab.base();
    const base = await evaluateSet(model, "new-word-gen", { limit: 2 });
    const tuned = await evaluateSet(model, "new-word-gen", { limit: 2, adapter: lab.adapter("w") });
    const direct = effectRows("x", "new-word-gen", base.rows, [{ run: "w", rows: tuned.rows }]).find((r) => r.metric === "class_share")!;
    const all = e.find((r) => r["positions"] === "all" && r["metric"] === "class_share")!;
    assert.equal(all["delta"], direct.delta);
  },
);

test("the evaluation sampler's steps and τ0 reach the sampler: the fields of transfer, evaluated as given", { timeout: 600_000 }, async () => {
  const s = validateSpec("transfer", { samplerSteps: "64", temperature: "1" });
  assert.deepEqual(evalOptionsOf(s), { steps: 64, temperature: 1 });
  assert.throws(() => validateSpec("transfer", { samplerSteps: 0 }), /transfer\.samplerSteps: 0 is not allowed \(allowed: integers >= 1 and <= 256\)/);
  const lab = new Lab({ root: fs.mkdtempSync(path.join(os.tmpdir(), "tl-sampler-")) });
  const { model } = lab.base();
  const codes = async (o: Record<string, number>) =>
    (await evaluateSet(model, "counting-gen", { limit: 2, seeds: [0], keepImages: true, ...o })).rows.map((r) =>
      Array.from((r as { image?: { data: Uint8Array } }).image!.data),
    );
  const shipped = await codes({});
  assert.deepEqual(await codes({ steps: 12, temperature: model.samplerTemperature }), shipped, "the defaults are the model's");
  assert.notDeepEqual(await codes({ temperature: 0 }), shipped, "τ0 reaches the sampler");
  assert.notDeepEqual(await codes({ steps: 64 }), shipped, "the step count reaches the sampler");
});
