// The feature network for Fréchet distance and Inception-style scores on the worlds: Inception-v3 and
// ImageNet cannot be used here, so a small classifier is trained with the engine on rendered scenes, and
// its penultimate activations play the part of Inception's pool features.
//
// Architecture: 8×8 patches → linear 192→96 → GELU → [mean ‖ max] pooled over the 64 patches → linear
// → GELU → 64 features → linear → 24 classes (6 shapes × 4 count bands: 1–2, 3–4, 5–7, 8–10).

import * as fs from "node:fs";
import * as path from "node:path";
import {
  AdamW,
  F,
  Graph,
  ParamStore,
  TrainStep,
  clipGradNorm,
  compile,
  cosineWithWarmup,
  feedsFrom,
  floatTensor,
  int64Tensor,
  linearInit,
  readSafetensors,
  writeFileAtomic,
  writeSafetensors,
} from "../engine";
import { Rng } from "../core/rng";
import { CLASSES, ObjectClass, RgbImage, sampleCountingScene } from "../tasks";
import { GaussianStats, frechetDistance, gaussianStats, inceptionScore } from "./metrics";

export const COUNT_BANDS = [
  [1, 2],
  [3, 4],
  [5, 7],
  [8, 10],
] as const;
export const FEATURE_CLASSES = CLASSES.length * COUNT_BANDS.length;
const SIDE = 64;
const PATCH = 8;
const FEATURES = 64;

export function featureLabel(cls: ObjectClass, count: number): number {
  const band = COUNT_BANDS.findIndex(([lo, hi]) => count >= lo && count <= hi);
  if (band < 0) throw new Error(`feature label: count ${count} is outside the bands 1..10`);
  return CLASSES.indexOf(cls) * COUNT_BANDS.length + band;
}

function build(store: ParamStore, head: "train" | "infer"): { graph: Graph } {
  const g = new Graph(`feature-net-${head}`);
  const P = (name: string, shape: number[], fanIn: number) => store.param(g, name, shape, linearInit(fanIn));
  const x = g.input("images", "float32", ["B", SIDE, SIDE, 3]);
  const n = SIDE / PATCH;
  const patches = F.reshape(F.transpose(F.reshape(x, ["B", n, PATCH, n, PATCH, 3]), [0, 1, 3, 2, 4, 5]), ["B", n * n, PATCH * PATCH * 3]);
  const h = F.gelu(F.linear(patches, P("embed.weight", [96, 192], 192), P("embed.bias", [96], 192)));
  const pooled = F.concat([F.reduceMean(h, [1]), F.reduceMax(h, [1])], 1);
  const feats = F.gelu(F.linear(pooled, P("proj.weight", [FEATURES, 192], 192), P("proj.bias", [FEATURES], 192)));
  const logits = F.linear(feats, P("head.weight", [FEATURE_CLASSES, FEATURES], FEATURES), P("head.bias", [FEATURE_CLASSES], FEATURES));
  if (head === "train") {
    const labels = g.input("labels", "int64", ["B"]);
    g.output("loss", F.crossEntropy(logits, labels));
  } else {
    g.output("features", feats);
    g.output("probs", F.softmax(logits, -1));
  }
  return { graph: g };
}

function toTensor(images: readonly RgbImage[]) {
  const data = new Float32Array(images.length * SIDE * SIDE * 3);
  images.forEach((img, i) => {
    if (img.width !== SIDE || img.height !== SIDE) throw new Error(`feature net: images must be ${SIDE}×${SIDE}, got ${img.width}×${img.height}`);
    for (let j = 0; j < img.data.length; j++) data[i * img.data.length + j] = img.data[j]! / 255;
  });
  return floatTensor(data, [images.length, SIDE, SIDE, 3]);
}

function scenes(rng: Rng, n: number): { images: RgbImage[]; labels: number[] } {
  const images: RgbImage[] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = sampleCountingScene(rng, { minCount: 1, maxCount: 10 });
    images.push(s.image);
    labels.push(featureLabel(s.truth.target, s.truth.count));
  }
  return { images, labels };
}

export class FeatureNet {
  constructor(readonly store: ParamStore) {}

  static async train(
    opts: { steps?: number; batch?: number; seed?: number; log?: (s: string) => void } = {},
  ): Promise<{ net: FeatureNet; heldOutAccuracy: number }> {
    const store = new ParamStore(opts.seed ?? 0);
    const { graph } = build(store, "train");
    const step = await TrainStep.create(graph, graph.outputs.get("loss")!, { threads: 2 });
    const steps = opts.steps ?? 400;
    const optim = new AdamW({ lr: 3e-3 });
    const lr = cosineWithWarmup(3e-3, Math.min(20, Math.floor(steps / 10)), steps, 1e-4);
    const rng = new Rng(opts.seed ?? 0, "feature-net/train");
    for (let i = 0; i < steps; i++) {
      const b = scenes(rng, opts.batch ?? 128);
      const r = await step.run(store, { images: toTensor(b.images), labels: int64Tensor(b.labels, [b.labels.length]) });
      clipGradNorm(r.grads, 1);
      optim.update(store, r.grads, lr(i));
      if (opts.log && (i + 1) % 100 === 0) opts.log(`feature net step ${i + 1}/${steps}: loss ${r.loss.toFixed(4)}`);
    }
    const net = new FeatureNet(store);
    return { net, heldOutAccuracy: await net.accuracy(1000) };
  }

  /** Accuracy on n held-out scenes (a stream the training never draws from). */
  async accuracy(n: number): Promise<number> {
    const b = scenes(new Rng(12345, "feature-net/held-out"), n);
    const { probs } = await this.run(b.images);
    let ok = 0;
    b.labels.forEach((label, i) => {
      let best = 0;
      for (let k = 1; k < FEATURE_CLASSES; k++) if (probs[i * FEATURE_CLASSES + k]! > probs[i * FEATURE_CLASSES + best]!) best = k;
      if (best === label) ok++;
    });
    return ok / n;
  }

  /** Penultimate features (n × 64) and class probabilities (n × 24). */
  async run(images: readonly RgbImage[]): Promise<{ features: Float32Array; probs: Float32Array }> {
    const { graph } = build(this.store, "infer");
    const c = await compile(graph, {}, { threads: 2 });
    const features = new Float32Array(images.length * FEATURES);
    const probs = new Float32Array(images.length * FEATURE_CLASSES);
    for (let i = 0; i < images.length; i += 256) {
      const chunk = images.slice(i, i + 256);
      const out = await c.run({ ...feedsFrom(graph, [this.store]), images: toTensor(chunk) });
      features.set(out["features"]!.data as Float32Array, i * FEATURES);
      probs.set(out["probs"]!.data as Float32Array, i * FEATURE_CLASSES);
    }
    return { features, probs };
  }

  async stats(images: readonly RgbImage[]): Promise<GaussianStats> {
    return gaussianStats((await this.run(images)).features, images.length, FEATURES);
  }

  /** Fréchet distance between two image sets in this network's feature space. */
  async frechet(a: readonly RgbImage[], b: readonly RgbImage[]): Promise<number> {
    return frechetDistance(await this.stats(a), await this.stats(b));
  }

  async inceptionScore(images: readonly RgbImage[]): Promise<number> {
    return inceptionScore((await this.run(images)).probs, images.length, FEATURE_CLASSES);
  }

  save(dir: string, card: Record<string, unknown>): void {
    fs.mkdirSync(dir, { recursive: true });
    const tensors: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
    for (const [k, t] of this.store.tensors) tensors[k] = { shape: t.shape, data: t.data };
    writeSafetensors(path.join(dir, "feature-net.safetensors"), tensors, { kind: "transferlab.feature-net" });
    writeFileAtomic(path.join(dir, "feature-net.json"), JSON.stringify(card, null, 2) + "\n");
  }

  static load(dir: string): FeatureNet {
    const file = path.join(dir, "feature-net.safetensors");
    const f = readSafetensors(file);
    if (f.metadata["kind"] !== "transferlab.feature-net") throw new Error(`${file}: not a feature-net file`);
    const store = new ParamStore(0);
    build(store, "infer");
    for (const name of store.names()) {
      const t = f.tensors.get(name);
      const want = store.get(name).shape;
      if (!t || !(t.data instanceof Float32Array) || t.shape.join(",") !== want.join(","))
        throw new Error(`${file}: weight "${name}" missing or not [${want}]`);
      store.get(name).data = t.data;
    }
    return new FeatureNet(store);
  }
}
