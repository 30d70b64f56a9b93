// Training with the engine: determinism, exact resume, frozen parameters, export round trip.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as ort from "onnxruntime-node";
import {
  AdamW,
  F,
  Graph,
  ParamStore,
  ShapeError,
  TrainStep,
  clipGradNorm,
  compile,
  constantSchedule,
  cosineWithWarmup,
  emitModel,
  exportOnnx,
  loadCheckpoint,
  saveCheckpoint,
} from "../src/engine";
import { neededNodes } from "../src/engine/onnx";
import { TINY, tinyBatch, tinyModel } from "./helpers/tiny-model";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tl-engine-"));

async function train(steps: number, opts: { seed?: number; from?: { store: ParamStore; optim: AdamW } } = {}) {
  const { store, model } = tinyModel(opts.seed ?? 0);
  const live = opts.from?.store ?? store;
  const optim = opts.from?.optim ?? new AdamW({ lr: 3e-3 });
  const step = await TrainStep.create(model.graph, model.loss, { threads: 2 });
  const losses: number[] = [];
  const start = optim.step;
  for (let i = start; i < start + steps; i++) {
    const r = await step.run(live, tinyBatch(i));
    clipGradNorm(r.grads, 1.0);
    optim.update(live, r.grads, constantSchedule(3e-3, 2)(i));
    losses.push(r.loss);
  }
  return { store: live, optim, losses };
}

test("same seed gives bit-identical losses and weights", async () => {
  const a = await train(6);
  const b = await train(6);
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.store.get("blocks.1.f2.weight").data, b.store.get("blocks.1.f2.weight").data);
  const c = await train(6, { seed: 1 });
  assert.notDeepEqual(a.losses, c.losses, "a different seed must start elsewhere");
});

test("training lowers the loss on a learnable task", async () => {
  const r = await train(60);
  const first = r.losses.slice(0, 5).reduce((x, y) => x + y) / 5;
  const last = r.losses.slice(-5).reduce((x, y) => x + y) / 5;
  assert.ok(last < first * 0.7, `loss went from ${first} to ${last}`);
});

test("resume from a checkpoint equals the uninterrupted run", async () => {
  const whole = await train(8);
  const half = await train(4);
  const file = path.join(tmp, "ckpt.safetensors");
  saveCheckpoint(file, half.store, half.optim, { note: "half" });
  const fresh = tinyModel(99); // other seed: everything must come from the file
  const optim = new AdamW({ lr: 3e-3 });
  const meta = loadCheckpoint(file, fresh.store, optim);
  assert.equal(meta["note"], "half");
  assert.equal(optim.step, 4);
  const rest = await train(4, { from: { store: fresh.store, optim } });
  assert.deepEqual([...half.losses, ...rest.losses], whole.losses);
  for (const name of whole.store.names()) assert.deepEqual(rest.store.get(name).data, whole.store.get(name).data, name);
});

test("a checkpoint for another model is refused and leaves the model untouched", async () => {
  const { store } = tinyModel(0);
  const file = path.join(tmp, "other.safetensors");
  const other = new ParamStore(0);
  other.ensure("emb.weight", [3, 3], { kind: "zeros" });
  saveCheckpoint(file, other, new AdamW());
  const before = store.get("emb.weight").data.slice();
  assert.throws(() => loadCheckpoint(file, store, new AdamW()), /emb.weight.*shape \[3,3\]/);
  assert.deepEqual(store.get("emb.weight").data, before);
});

test("frozen parameters get no gradient work (LoRA-only step)", async () => {
  const lora = { rank: 2, alpha: 4, targets: ["qkv", "o", "f1", "f2"] };
  const { store, model } = tinyModel(0, lora);
  const step = await TrainStep.create(model.graph, model.loss, { trainable: model.loraParams });
  const nodes = neededNodes(
    model.graph,
    [...model.graph.outputs.entries()].filter(([k]) => k === "loss" || k.startsWith("grad.")).map(([, v]) => v),
  );
  assert.equal(nodes.filter((n) => n.op === "ScatterND").length, 0, "no embedding gradient when the embedding is frozen");
  // Weight gradients are the only Gemms with transA=1: one per LoRA factor, none for frozen weights.
  assert.equal(nodes.filter((n) => n.op === "Gemm" && n.attrs["transA"] === 1).length, model.loraParams.length);
  const r = await step.run(store, tinyBatch(0));
  assert.deepEqual([...r.grads.keys()].sort(), [...model.loraParams].sort());
  // B = 0 at init, so A gets zero gradient and B a nonzero one.
  const gA = r.grads.get("blocks.0.qkv.lora_A.weight")!;
  const gB = r.grads.get("blocks.0.qkv.lora_B.weight")!;
  assert.ok(gA.every((x) => x === 0));
  assert.ok(gB.some((x) => x !== 0));
});

test("exported forward graph runs in a fresh onnxruntime session with the same outputs", async () => {
  const { store, model } = tinyModel(5);
  const batch = tinyBatch(3);
  const live = await compile(model.graph, { outputs: ["logits"] });
  const want = (await live.run({ ...store.feeds(model.graph), input_ids: batch["input_ids"]! }))["logits"]!;
  const file = path.join(tmp, "tiny.onnx");
  exportOnnx(model.graph, store, file, ["logits"], { model: "tiny" });
  const fresh = await ort.InferenceSession.create(file);
  assert.deepEqual(fresh.inputNames, ["input_ids"]);
  const got = (await fresh.run({ input_ids: batch["input_ids"]! }))["logits"]!;
  assert.deepEqual(got.dims, [4, TINY.seq, TINY.vocab]);
  // Baked-in weights let onnxruntime fold constants, which may reorder float sums: equal within ~1 ulp.
  const g = got.data as Float32Array;
  const w = want.data as Float32Array;
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < w.length; i++) {
    worst = Math.max(worst, Math.abs(g[i]! - w[i]!));
    scale = Math.max(scale, Math.abs(w[i]!));
  }
  assert.ok(worst / scale < 1e-6, `max difference ${worst} against outputs up to ${scale}`);
});

test("shape errors name the op and both shapes", () => {
  const g = new Graph("bad");
  const a = g.input("a", "float32", ["B", 4]);
  const w = g.param("w", [5, 3]);
  assert.throws(
    () => F.matmul(a, w),
    (e: Error) => e instanceof ShapeError && /MatMul/.test(e.message) && /\[B,4\]/.test(e.message) && /\[5,3\]/.test(e.message),
  );
  assert.throws(() => F.add(a, g.param("v", [3])), /Add: shapes do not broadcast: \[B,4\] vs \[3\]/);
  assert.throws(() => F.reshape(a, [3, 3]), /Reshape: \[B,4\].*\[3,3\]/);
  assert.throws(() => F.softmax(a, 2), /Softmax: axis 2 is out of range for rank 2/);
  assert.throws(() => F.transpose(a, [0, 0]), /Transpose: perm \[0,0\]/);
});

test("the emitted model is opset 20 ONNX with symbolic dims", () => {
  const { model } = tinyModel(0);
  const bytes = emitModel(model.graph, { outputs: ["logits"] });
  const { ModelProto } = require("../src/engine/onnx");
  const m = ModelProto.toObject(ModelProto.decode(bytes), { longs: Number }) as {
    opsetImport: { version: number }[];
    graph: { input: { name: string; type: { tensorType: { shape: { dim: { dimParam?: string; dimValue?: number }[] } } } }[] };
  };
  assert.equal(m.opsetImport[0]!.version, 20);
  const ids = m.graph.input.find((i) => i.name === "input_ids")!;
  assert.deepEqual(ids.type.tensorType.shape.dim, [{ dimParam: "B" }, { dimValue: TINY.seq }]);
});

test("sessions are cached by graph and shape signature; bad runtime options are named", async () => {
  const { model } = tinyModel(0);
  const a = await compile(model.graph, { outputs: ["logits"] });
  const b = await compile(model.graph, { outputs: ["logits"] });
  const c = await compile(model.graph, { outputs: ["logits"] }, { dims: { B: 4 } });
  assert.equal(a.session, b.session);
  assert.notEqual(a.session, c.session);
  await assert.rejects(compile(model.graph, { outputs: ["logits"] }, { threads: 0 }), /threads must be a positive integer/);
  await assert.rejects(compile(model.graph, { outputs: ["logits"] }, { executionProvider: "tpu" as never }), /executionProvider "tpu" is not one of cpu, cuda/);
  await assert.rejects(a.run({}), /missing input "input_ids"/);
});

test("AdamW matches PyTorch's update on a hand-checked step", () => {
  const store = new ParamStore(0);
  store.ensure("w", [2], { kind: "constant", value: 1 });
  const opt = new AdamW({ lr: 0.1, weightDecay: 0.5 });
  opt.update(store, new Map([["w", Float32Array.from([0.5, -2])]]));
  // step 1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g²: p = p(1 - lr·wd) - lr·g/(|g| + eps)
  const w = store.get("w").data;
  assert.ok(Math.abs(w[0]! - (1 * 0.95 - 0.1)) < 1e-6, `${w[0]}`);
  assert.ok(Math.abs(w[1]! - (1 * 0.95 + 0.1)) < 1e-6, `${w[1]}`);
  assert.throws(() => new AdamW({ lr: -1 }), /lr must be a finite non-negative number/);
});

test("gradient clipping and schedules", () => {
  const grads = new Map([["a", Float32Array.from([3, 4])]]);
  assert.equal(clipGradNorm(grads, 1), 5);
  assert.ok(Math.abs(Math.hypot(...grads.get("a")!) - 1) < 1e-5);
  const s = cosineWithWarmup(1, 10, 110, 0.1);
  assert.equal(s(0), 0.1);
  assert.equal(s(9), 1);
  assert.ok(Math.abs(s(60) - 0.55) < 1e-9);
  assert.ok(Math.abs(s(110) - 0.1) < 1e-9);
  assert.equal(constantSchedule(0.5)(1000), 0.5);
  assert.throws(() => cosineWithWarmup(1, 20, 10), /warmupSteps/);
});
