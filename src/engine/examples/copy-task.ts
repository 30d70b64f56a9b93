// The engine-only demo (`transferlab demo --engine`): the engine at work end to end, without the lab —
// a transformer defined in TypeScript, trained by onnxruntime-node, its loss falling, exported to ONNX.

import * as os from "node:os";
import * as path from "node:path";
import { AdamW, ParamStore, Rng, TrainStep, clipGradNorm, cosineWithWarmup, exportOnnx, int64Tensor } from "..";
import { buildReference } from "./reference-model";

export async function runEngineDemo(opts: { steps: number; seed: number; log: (s: string) => void }): Promise<{ first: number; last: number }> {
  const cfg = { vocab: 64, d: 64, layers: 2, heads: 4, seq: 16 };
  const batch = 32;
  const store = new ParamStore(opts.seed);
  const model = buildReference(cfg, store);
  opts.log(
    `engine demo: a ${cfg.layers}-layer transformer (d ${cfg.d}, ${store.count().toLocaleString("en")} parameters) learns to copy-and-increment token sequences`,
  );
  const step = await TrainStep.create(model.graph, model.loss, { threads: Math.min(2, os.cpus().length) });
  const optim = new AdamW({ lr: 3e-3 });
  const lr = cosineWithWarmup(3e-3, 10, opts.steps);
  const rng = new Rng(opts.seed, "demo-batches");
  const t0 = Date.now();
  let first = NaN;
  let last = NaN;
  for (let i = 0; i < opts.steps; i++) {
    const ids = Array.from({ length: batch * cfg.seq }, () => rng.int(cfg.vocab));
    const r = await step.run(store, {
      input_ids: int64Tensor(ids, [batch, cfg.seq]),
      targets: int64Tensor(
        ids.map((x) => (x + 1) % cfg.vocab),
        [batch, cfg.seq],
      ),
    });
    clipGradNorm(r.grads, 1);
    optim.update(store, r.grads, lr(i));
    if (i === 0) first = r.loss;
    last = r.loss;
    if (i % 20 === 0 || i === opts.steps - 1)
      opts.log(`  step ${String(i + 1).padStart(4)}  loss ${r.loss.toFixed(4)}  (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
  const file = path.join(os.tmpdir(), `transferlab-demo-${process.pid}.onnx`);
  exportOnnx(model.graph, store, file, ["logits"]);
  opts.log(`loss ${first.toFixed(3)} → ${last.toFixed(3)} in ${opts.steps} steps; forward graph with weights exported to ${file}`);
  return { first, last };
}
