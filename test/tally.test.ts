// Plan-then-draw as a tally (src/umm/shape.ts `plan`): the plan slot's place, the objective's statement of
// what the unmasked cells show, a sampler that states a tally before each drawing step, and the chain that
// continues a given base.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Rng } from "../src/core/rng";
import * as T from "../src/tasks";
import * as U from "../src/umm";
import { readChain } from "../src/lab/pretraining/chain";
import { pretrainBatch, DEFAULT_RECIPE } from "../src/lab/pretraining/data";
import { canvasItems, codeClasses } from "../src/lab/diagnostics/canvas";
import { statementDependence } from "../src/lab/diagnostics/statement";
import { mapFile, readStatement, readTransferMap } from "../src/lab/results/transfer-map";

const vocab = U.worldVocabulary(U.fitWorldImageTokenizer({ codes: 64, seed: 0 }));
const L = new U.Layout();

test("the plan slot fills the text-to-image layout after [EOI]; a statement ends in [EOS]s; wrong lengths are named", () => {
  assert.deepEqual([L.planStart, L.planLength], [L.genImageStart + 64 + 1, L.seq - L.genImageStart - 65]);
  const stmt = vocab.textIds(T.countingAnswer("circle", 3));
  const plan = L.planIds(stmt);
  assert.equal(plan.length, L.planLength);
  assert.deepEqual(plan.slice(0, stmt.length), stmt);
  assert.ok(plan.slice(stmt.length).every((t) => t === U.EOS) && plan.length > stmt.length);
  const img = new Array(64).fill(vocab.imageOffset);
  const row = L.t2i([100], img, plan);
  assert.deepEqual(row.slice(L.planStart), plan);
  assert.equal(row[L.planStart - 1], U.EOI);
  // Without a plan the slot is padding, as every base before the tally had it.
  assert.ok(
    L.t2i([100], img)
      .slice(L.planStart)
      .every((t) => t === U.PAD),
  );
  assert.throws(() => L.t2i([100], img, plan.slice(1)), /plan fills the plan slot's 12 tokens, got 11/);
  assert.throws(() => L.planIds(new Array(12).fill(100)), /the plan has 12 tokens but its slot holds 11/);
});

test("a counting scene's tally: its target cells, row-major, and each count's statement", () => {
  const scene = T.sampleCountingScene(new Rng(3), { minCount: 3, maxCount: 3, maxDistractors: 2 });
  const tally = U.countingTally(vocab, scene.truth, scene.objects, 8);
  assert.equal(tally.cells.length, 3);
  const codes = vocab.image.encode(scene.image);
  const blank = vocab.image.encode(T.renderObjects([]))[0];
  for (const c of tally.cells) assert.notEqual(codes[c], blank, `cell ${c} holds an object`);
  assert.equal(tally.says.length, 4);
  assert.equal(vocab.decodeText(tally.says[2]!), vocab.decodeText(vocab.textIds(T.countingAnswer(scene.truth.target, 2))));
});

test("the tally objective states what the unmasked cells show, masks it like an answer, and changes nothing without it", () => {
  // Four target objects at cells 0, 9, 18, 27; statements are single distinct tokens here, so each row's
  // plan names its count of unmasked target cells directly.
  const says = [0, 1, 2, 3, 4].map((k) => [100 + k]);
  const items: U.GenItem[] = Array.from({ length: 16 }, (_, i) => ({
    prompt: [90 + (i % 3)],
    image: Array.from({ length: 64 }, (_, j) => vocab.imageOffset + (j % 9 === 0 && j < 36 ? 1 : 0)),
    tally: { cells: [0, 9, 18, 27], says },
  }));
  const plain = U.genBatch(items, L, new Rng(5));
  assert.deepEqual(U.genBatch(items, L, new Rng(5), { tally: false }), plain);
  assert.ok(plain.ids.every((r) => r.slice(L.planStart).every((t) => t === U.PAD)));
  const b = U.genBatch(items, L, new Rng(5), { tally: true, promptDropout: 0 });
  let planWeight = 0;
  let statedMasked = 0;
  b.ids.forEach((ids, r) => {
    const shown = [0, 9, 18, 27].filter((c) => ids[L.genImageStart + c] !== U.MASK).length;
    const plan = ids.slice(L.planStart).map((t, i) => (t === U.MASK ? b.targets[r]![L.planStart + i]! : t));
    assert.deepEqual(plan, L.planIds([100 + shown]), `row ${r}: the statement of ${shown} shown targets`);
    for (let i = L.planStart; i < L.seq; i++) {
      assert.equal(b.targets[r]![i] !== -100, ids[i] === U.MASK, `row ${r} position ${i}: a target exactly where masked`);
      planWeight += b.weights[r]![i]!;
      if (i === L.planStart && ids[i] === U.MASK) statedMasked++;
    }
  });
  // The image cells' weights still sum to one over the batch; the plan's are the answer's 1/(p·P·rows).
  const cellWeight = b.weights.reduce((s, w) => s + w.slice(0, L.planStart).reduce((a, x) => a + x, 0), 0);
  assert.ok(Math.abs(cellWeight - 1) < 1e-9);
  assert.ok(planWeight > 0 && statedMasked > 0);
  // A dropped prompt (guidance's unconditional row) states nothing.
  const dropped = U.genBatch(items.slice(0, 2), L, new Rng(1), { tally: true, promptDropout: 1 });
  assert.ok(dropped.ids.every((r) => r.slice(L.planStart).every((t) => t === U.PAD)));
  // A row without a counting scene states nothing, as [EOS]s.
  const none = U.genBatch([{ prompt: [90], image: items[0]!.image }], L, new Rng(2), { tally: true, promptDropout: 0 });
  assert.ok(none.ids[0]!.slice(L.planStart).every((t, i) => (t === U.MASK ? none.targets[0]![L.planStart + i] : t) === U.EOS));
});

test("pretraining batches: a tally model's counting rows state their tally; other models' rows keep the slot empty", () => {
  const a = pretrainBatch(0, 3, vocab, L, DEFAULT_RECIPE, { gen: 8, und: 4 });
  assert.ok(a.ids.slice(0, 8).every((ids) => ids.slice(L.planStart).every((x) => x === U.PAD)));
  const t = pretrainBatch(0, 3, vocab, L, DEFAULT_RECIPE, { gen: 8, und: 4 }, true);
  const stated = t.ids.slice(0, 8).filter((ids) => ids[0] === U.T2I && ids.slice(L.planStart).some((x) => x !== U.PAD && x !== U.EOS));
  assert.ok(stated.length > 0, "some counting rows state a tally");
});

test("a tally model states a tally before each drawing step; the statement is returned; other models return none", async () => {
  const m = U.UnifiedModel.create(vocab, { d: 32, layers: 2, heads: 2, seed: 2, plan: "tally" });
  const plain = U.UnifiedModel.create(vocab, { d: 32, layers: 2, heads: 2, seed: 2 });
  assert.equal(m.config.plan, "tally");
  assert.equal(plain.config.plan, undefined, "a model without a plan keeps the config it always had");
  const prompt = vocab.textIds("a photo of three squares");
  const seen: number[][] = [];
  const r = await U.generateImages(m, [{ prompt, tokens: 64, seed: 1 }], { steps: 3, cfg: 0, onStep: (_, rows) => void seen.push(rows[0]!) });
  assert.equal(r.stats.forwards, 6, "one forward states the tally, one draws, each step");
  assert.equal(r.plans!.length, 1);
  assert.equal(r.plans![0]!.length, L.planLength);
  assert.ok(
    r.plans![0]!.every((t) => t >= U.EOS && t < vocab.imageOffset),
    "the statement is words or [EOS]",
  );
  for (const row of seen)
    assert.ok(
      row.slice(L.planStart).every((t) => t !== U.MASK && t !== U.PAD),
      "each step draws with a statement in view",
    );
  const again = await U.generateImages(m, [{ prompt, tokens: 64, seed: 1 }], { steps: 3, cfg: 0 });
  assert.deepEqual(again.codes, r.codes);
  const p = await U.generateImages(plain, [{ prompt, tokens: 64, seed: 1 }], { steps: 3, cfg: 0 });
  assert.equal(p.plans, undefined);
  assert.equal(p.stats.forwards, 3);
  // Saved and loaded, the model keeps its plan; a config with another plan is refused by name.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-tally-"));
  U.saveModel(dir, m);
  assert.equal(U.loadModel(dir).tally, true);
  const card = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  card.config.plan = "sketch";
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(card));
  assert.throws(() => U.loadModel(dir), /config\.plan must be "none" or "tally", got "sketch"/);
});

test("a chain may continue a given model: `from` is the first stage's init, relative to the file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-tally-chain-"));
  const file = path.join(dir, "c.yaml");
  fs.writeFileSync(
    file,
    "from: ../base\ndefaults: { d: 16, layers: 1, heads: 2 }\nstages:\n  - { name: a, steps: 2, plan: tally }\n  - { name: b, steps: 2 }\n",
  );
  const chain = readChain(file);
  assert.equal(chain.stages[0]!.cfg.init, path.resolve(dir, "..", "base"));
  assert.equal(chain.stages[0]!.cfg.plan, "tally");
  assert.equal(chain.stages[1]!.cfg.init, "@a");
  assert.equal(chain.stages[1]!.cfg.plan, undefined);
  fs.writeFileSync(file, "from: 3\nstages:\n  - { name: a, steps: 2 }\n");
  assert.throws(() => readChain(file), /c\.yaml\.from: expected a model folder's path/);
  fs.writeFileSync(file, "defaults: { plan: sketch }\nstages:\n  - { name: a, steps: 2 }\n");
  assert.throws(() => readChain(file), /plan.*"sketch".*allowed: none, tally/);
  const shipped = readChain(path.resolve(__dirname, "..", "..", "models", "recipes", "tally.chain.yaml"));
  const control = readChain(path.resolve(__dirname, "..", "..", "models", "recipes", "tally-control.chain.yaml"));
  assert.deepEqual({ ...shipped.stages[0]!.cfg, plan: undefined }, { ...control.stages[0]!.cfg, plan: undefined }, "the control differs in the plan only");
  assert.equal(shipped.stages[0]!.cfg.plan, "tally");
});

test("statement diagnostic: a claim replaces the statement the drawing reads; counts are the image's; a model without a tally is refused", async () => {
  const m = U.UnifiedModel.create(vocab, { d: 32, layers: 2, heads: 2, seed: 3, plan: "tally" });
  const items = canvasItems([200]).slice(0, 3);
  const claim = L.planIds(vocab.textIds(T.countingAnswer(items[0]!.cls, 0)));
  const canvas = new Array(64).fill(U.MASK);
  const drawn = await U.drawingRows(m, [vocab.textIds(items[0]!.prompt)], [canvas], { restate: () => claim });
  assert.deepEqual(drawn.rows[0]!.slice(L.planStart), claim);
  assert.deepEqual(drawn.plans, [claim]);
  const rows = await statementDependence(m, [{ name: "base" }], { items, steps: 3 });
  assert.deepEqual(
    rows.map((r) => r.claim),
    ["own", "own", "own", "none-drawn", "none-drawn", "none-drawn", "all-drawn", "all-drawn", "all-drawn"],
  );
  assert.ok(rows.filter((r) => r.claim !== "own").every((r) => r.statedError === null));
  // The final count is the asked class's objects in the image the sampler draws under that claim.
  const codes = codeClasses(m);
  const it = items[1]!;
  const seed = new Rng(it.seed, it.id).nextU32();
  const allDrawn = L.planIds(vocab.textIds(T.countingAnswer(it.cls, it.asked)));
  const img = await U.generateImages(m, [{ prompt: vocab.textIds(it.prompt), tokens: 64, seed }], { steps: 3, restate: () => allDrawn });
  const row = rows.find((r) => r.claim === "all-drawn" && r.id === it.id)!;
  assert.equal(row.final, img.codes[0]!.filter((c) => codes.object.get(c)?.cls === it.cls).length);
  const plain = U.UnifiedModel.create(vocab, { d: 32, layers: 2, heads: 2, seed: 3 });
  await assert.rejects(statementDependence(plain, [{ name: "base" }], { items, steps: 3 }), /states no tally \(its shape's plan is "none"\)/);
});

test("the shipped statement diagnostic and the tally bases: pooled rows for each objective, a plan only in the tally base", () => {
  const st = readStatement().objects() as Record<string, unknown>[];
  for (const model of ["base", "und-trained (pooled)", "gen-trained (pooled)"])
    for (const measure of ["statement error", "objects drawn (its own statement)", "objects drawn (claim: none-drawn)", "objects drawn (claim: all-drawn)"])
      assert.ok(
        st.some((r) => r["model"] === model && String(r["measure"]).startsWith(measure)),
        `${model}: ${measure}`,
      );
  const models = path.resolve(__dirname, "..", "..", "models");
  assert.equal(U.loadModel(path.join(models, "tally")).tally, true);
  assert.equal(U.loadModel(path.join(models, "tally-control")).tally, false);
  assert.deepEqual(
    readTransferMap(mapFile("tally-map")).conditions.map((c) => c.settings["base"]),
    ["models/tally", "models/tally-control"],
  );
});
