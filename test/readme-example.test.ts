// The README's engine example, run as written (imports adjusted to the source tree).

import { test } from "node:test";
import assert from "node:assert/strict";
import { F, Graph, ParamStore, TrainStep, AdamW, linearInit, int64Tensor } from "../src";

test("the README engine example trains", async () => {
  const store = new ParamStore(0);
  const g = new Graph("mlp");
  const ids = g.input("ids", "int64", ["B"]);
  const targets = g.input("targets", "int64", ["B"]);
  const emb = store.param(g, "emb.weight", [100, 32], { kind: "normal", std: 0.02 });
  const w = store.param(g, "out.weight", [100, 32], linearInit(32));
  const loss = F.crossEntropy(F.linear(F.gelu(F.gather(emb, ids)), w), targets, { ignoreIndex: -100 });

  const step = await TrainStep.create(g, loss, { threads: 2 });
  const optim = new AdamW({ lr: 1e-2 });
  const batch = { ids: int64Tensor([1, 2], [2]), targets: int64Tensor([3, 4], [2]) };
  const r = await step.run(store, batch);
  optim.update(store, r.grads);
  assert.ok(Math.abs(r.loss - Math.log(100)) < 0.05, `initial loss ${r.loss} should be near ln(100)`);
  let last = r.loss;
  for (let i = 0; i < 30; i++) {
    const s = await step.run(store, batch);
    optim.update(store, s.grads);
    last = s.loss;
  }
  assert.ok(last < r.loss - 1, `loss ${r.loss} -> ${last}`);
});
