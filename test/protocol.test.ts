// The protocol a run follows: validation that reads no test prompt, each run its own data draw, and the
// runs of the first protocol still reached under their old names (the card's map rests on them).

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as T from "../src/tasks";
import { Lab, specKey } from "../src/lab";
import { mapCacheFile, readMapSpec } from "../src/lab/results/map-build";
import { trainPlan } from "../src/lab/verbs/train";
import { keyedProtocol, specProtocol, validationSplit } from "../src/lab/training/spec";
import { trainingPool } from "../src/lab/training/loop";
import { validateSpec } from "../src/lab/specs";

const prompts = (ps: readonly T.GenPrompt[]) => ps.map((p) => p.prompt);
const shared = (a: readonly string[], b: readonly string[]) => {
  const s = new Set(b);
  return a.filter((x) => s.has(x)).length;
};

test("validation reads no test prompt; val-overlap is validation as the first map had it", () => {
  const sets: [string, (s: T.EvalSplit) => readonly T.GenPrompt[]][] = [
    ["counting", (s) => T.countingGenEval(T.CLASSES, s)],
    ["spatial", (s) => T.spatialGenEval(100, 0, s)],
    ["composition", (s) => T.compositionGenEval(400, 0, s)],
    ["text", (s) => T.textGenEval(250, s)],
  ];
  for (const [name, draw] of sets) {
    const test = prompts(draw("test"));
    const val = draw("val");
    assert.equal(shared(prompts(val), test), 0, `${name}: a validation prompt is a test prompt`);
    assert.ok(val.length > 0, name);
    for (const p of val)
      assert.deepEqual(
        p.seeds.filter((x) => T.SEEDS.includes(x)),
        [],
        `${name}: validation samples with test seeds`,
      );
    // The first protocol's validation read test prompts: kept as it was, so its runs give the card's numbers.
    assert.ok(shared(prompts(draw("val-overlap")), test) > 0, `${name}: val-overlap is no longer the first map's validation`);
  }
  // Counting's grid is every class × count: validation asks it in another caption form of pretraining.
  assert.equal(T.countingGenEval(T.CLASSES, "val")[0]!.prompt, "two circles on a white background");
  assert.deepEqual(prompts(T.countingGenEval(T.CLASSES, "val-overlap")), prompts(T.countingGenEval(T.CLASSES, "test")));
  // Text's validation words are training words that a run validated on them never trains on.
  const valWords = T.textUndEval(250, T.DEFAULT_WORLD, "val").map((s) => s.answer);
  assert.equal(
    shared(
      valWords,
      T.textUndEval().map((s) => s.answer),
    ),
    0,
  );
  const trained = (heldOut: boolean) => T.textTrainPairs(2000, 0, { heldOut }).map((p) => p.und.answer);
  assert.equal(shared(trained(true), valWords), 0, "a held-out word is trained on");
  assert.ok(shared(trained(false), valWords) > 0);
  assert.throws(() => T.countingGenEval(T.CLASSES, "dev" as T.EvalSplit), /split: "dev" is not allowed \(allowed: test, val, val-overlap\)/);
});

test("the protocol: per-run data and disjoint validation by default; the first protocol's runs keep their keys", () => {
  // Counting's first runs shared one data draw and validated on the test's prompts: that protocol stays out of keys.
  assert.deepEqual(keyedProtocol("counting", {}), { dataSeed: "per-run", valPrompts: "disjoint" });
  assert.deepEqual(keyedProtocol("counting", { dataSeed: "shared", valPrompts: "overlap" }), {});
  assert.deepEqual(specProtocol("counting", {}), { dataSeed: "shared", valPrompts: "overlap" });
  // The new word was made under the sound protocol from the start.
  assert.deepEqual(keyedProtocol("new-word", {}), {});
  assert.deepEqual(specProtocol("new-word", {}), { dataSeed: "per-run", valPrompts: "disjoint" });
  assert.equal(validationSplit(specProtocol("counting", keyedProtocol("counting", {}))), "val");
  assert.throws(() => validateSpec("transfer", { dataSeed: "each" }), /transfer\.dataSeed: "each" is not allowed \(allowed: per-run, shared\)/);
  assert.throws(() => validateSpec("train", { valPrompts: "test" }), /train\.valPrompts: "test" is not allowed \(allowed: disjoint, overlap\)/);
});

test("run names and map caches: the first protocol named explicitly reaches the runs made before it could be named", () => {
  const lab = new Lab({ root: fs.mkdtempSync(path.join(os.tmpdir(), "tl-protocol-")), log: () => {} });
  const args = { task: "counting", objective: "und", steps: 10 };
  const first = trainPlan(lab, { ...args, dataSeed: "shared", valPrompts: "overlap" });
  assert.equal("dataSeed" in first.spec || "valPrompts" in first.spec, false, "the first protocol is not in the key");
  const sound = trainPlan(lab, args);
  assert.notEqual(sound.name, first.name, "a run under another protocol is another run");
  assert.equal(sound.spec["dataSeed" as keyof typeof sound.spec], "per-run");
  // A map entry pinned to the first protocol has the cache key its entry had before the fields existed.
  const base = lab.base(undefined).id;
  const old = { task: "counting", seeds: 3 };
  const file = mapCacheFile(lab, "x", "transfer", { ...old, dataSeed: "shared", valPrompts: "overlap" });
  assert.equal(path.basename(file), `x-${specKey({ verb: "transfer", args: old, base })}.json`);
  assert.notEqual(mapCacheFile(lab, "x", "transfer", old), file, "an entry left to the default protocol reads no cache of the first");
});

test("per-run data: each training seed its own draw; shared: one draw for every seed", () => {
  const lab = new Lab({ root: fs.mkdtempSync(path.join(os.tmpdir(), "tl-protocol-")), log: () => {} });
  const vocab = lab.base(undefined).model.vocab;
  const pool = (seed: number, dataSeed: "per-run" | "shared") => trainingPool(vocab, "counting", 50, {}, seed, { dataSeed, valPrompts: "disjoint" });
  assert.deepEqual(pool(1, "shared").und[0], pool(2, "shared").und[0]);
  assert.notDeepEqual(pool(1, "per-run").und.slice(0, 5), pool(2, "per-run").und.slice(0, 5));
  assert.deepEqual(pool(0, "per-run").und[0], pool(0, "shared").und[0], "seed 0's own draw is the shared one");
});

test("the families and capacity maps declare the sound protocol: 5 runs per objective, validation every 25 steps, a prediction each", () => {
  for (const file of ["families-map.yaml", "capacity-map.yaml"]) {
    const spec = readMapSpec(path.join(__dirname, "..", "..", "examples", file));
    for (const c of spec.conditions) {
      const t = c.transfer as Record<string, unknown>;
      assert.equal(t["seeds"], 5, `${file} ${c.id}`);
      assert.equal(t["evalEvery"], 25, `${file} ${c.id}`);
      assert.equal(t["dataSeed"], undefined, `${file} ${c.id}`);
      assert.equal(t["valPrompts"], undefined, `${file} ${c.id}`);
      assert.ok(
        (c.predictions ?? []).some((p) => p.direction === "und→gen"),
        `${file} ${c.id} declares its und→gen prediction`,
      );
    }
  }
});
