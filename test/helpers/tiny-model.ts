// A tiny reference transformer and seeded batches for engine tests.

import type * as ort from "onnxruntime-node";
import { ParamStore, Rng, int64Tensor } from "../../src/engine";
import { LoraSpec, ReferenceConfig, ReferenceModel, buildReference } from "../../src/engine/examples/reference-model";

export const TINY: ReferenceConfig = { vocab: 32, d: 16, layers: 2, heads: 2, seq: 8 };

export function tinyModel(seed = 0, lora?: LoraSpec): { store: ParamStore; model: ReferenceModel } {
  const store = new ParamStore(seed);
  const model = buildReference(TINY, store, lora ? { lora } : {});
  return { store, model };
}

/** A copy task: the targets are the inputs shifted by one token, so the loss can fall. */
export function tinyBatch(seed: number, batch = 4): Record<string, ort.Tensor> {
  const rng = new Rng(seed, "batch");
  const ids = Array.from({ length: batch * TINY.seq }, () => rng.int(TINY.vocab));
  const targets = ids.map((x) => (x + 1) % TINY.vocab);
  return { input_ids: int64Tensor(ids, [batch, TINY.seq]), targets: int64Tensor(targets, [batch, TINY.seq]) };
}
