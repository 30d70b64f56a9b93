// AdamW, gradient clipping, learning-rate schedules and resumable optimizer state.
//
// The update runs in TypeScript on Float32Arrays: it is O(parameters) per step, a few milliseconds for
// the miniature models, against the O(tokens × parameters) forward and backward that onnxruntime runs.

import { ParamStore } from "./params";
import { SafeFile, TensorToWrite, contentHash, readSafetensors, writeSafetensors } from "./safetensors";

export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** PyTorch's torch.optim.AdamW defaults. */
export const ADAMW_DEFAULTS: AdamWConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export class AdamW {
  readonly config: AdamWConfig;
  step = 0;
  readonly m = new Map<string, Float32Array>();
  readonly v = new Map<string, Float32Array>();

  /**
   * @param decay which parameters get weight decay; default all (as torch.optim.AdamW with one group).
   */
  constructor(
    config: Partial<AdamWConfig> = {},
    readonly decay: (name: string) => boolean = () => true,
  ) {
    this.config = { ...ADAMW_DEFAULTS, ...config };
    for (const [k, val] of Object.entries(this.config)) {
      if (!Number.isFinite(val) || val < 0) throw new Error(`AdamW: ${k} must be a finite non-negative number, got ${val}`);
    }
  }

  /** One update of every parameter that has a gradient; `lr` overrides the configured rate (schedules). */
  update(params: ParamStore, grads: Map<string, Float32Array>, lr = this.config.lr): void {
    this.step++;
    const { beta1, beta2, eps, weightDecay } = this.config;
    const bc1 = 1 - beta1 ** this.step;
    const bc2 = 1 - beta2 ** this.step;
    const stepSize = lr / bc1;
    const bc2Sqrt = Math.sqrt(bc2);
    for (const [name, g] of grads) {
      const p = params.get(name).data;
      if (g.length !== p.length) throw new Error(`AdamW: gradient of "${name}" has ${g.length} values, parameter has ${p.length}`);
      let m = this.m.get(name);
      let v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(p.length);
        v = new Float32Array(p.length);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      const wd = this.decay(name) ? 1 - lr * weightDecay : 1;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        const mi = (m[i] = beta1 * m[i]! + (1 - beta1) * gi);
        const vi = (v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi);
        p[i] = p[i]! * wd - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
    }
  }

  /** State as tensors and metadata, for a checkpoint. */
  stateTensors(): Record<string, TensorToWrite> {
    const out: Record<string, TensorToWrite> = {};
    for (const [k, m] of this.m) out[`optim.m.${k}`] = { shape: [m.length], data: m };
    for (const [k, v] of this.v) out[`optim.v.${k}`] = { shape: [v.length], data: v };
    return out;
  }

  loadState(file: SafeFile, params: ParamStore): void {
    const step = Number(file.metadata["optim.step"]);
    if (!Number.isInteger(step) || step < 0) throw new Error(`AdamW: checkpoint metadata optim.step is ${file.metadata["optim.step"]}, not a step count`);
    this.step = step;
    this.m.clear();
    this.v.clear();
    for (const [k, t] of file.tensors) {
      const which = k.startsWith("optim.m.") ? this.m : k.startsWith("optim.v.") ? this.v : undefined;
      if (!which) continue;
      const name = k.slice("optim.m.".length);
      const size = params.get(name).data.length;
      if (!(t.data instanceof Float32Array) || t.data.length !== size)
        throw new Error(`AdamW: checkpoint tensor "${k}" does not match parameter "${name}" (${size} values)`);
      which.set(name, t.data);
    }
  }
}

/** Scales gradients in place so their global L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(grads: Map<string, Float32Array>, maxNorm: number): number {
  let sq = 0;
  for (const g of grads.values()) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  // PyTorch: clip_coef = max_norm / (total_norm + 1e-6), applied only when below 1.
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) for (const g of grads.values()) for (let i = 0; i < g.length; i++) g[i]! *= coef;
  return norm;
}

export type Schedule = (step: number) => number;

export function constantSchedule(lr: number, warmupSteps = 0): Schedule {
  return (step) => (warmupSteps > 0 && step < warmupSteps ? (lr * (step + 1)) / warmupSteps : lr);
}

/** Linear warmup to `lr`, then cosine decay to `minLr` at `totalSteps` (as transformers' schedule). */
export function cosineWithWarmup(lr: number, warmupSteps: number, totalSteps: number, minLr = 0): Schedule {
  if (totalSteps <= 0 || warmupSteps < 0 || warmupSteps > totalSteps) {
    throw new Error(`cosineWithWarmup: need 0 <= warmupSteps (${warmupSteps}) <= totalSteps (${totalSteps}) and totalSteps > 0`);
  }
  return (step) => {
    if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
    const t = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return minLr + 0.5 * (lr - minLr) * (1 + Math.cos(Math.PI * t));
  };
}

// ---- checkpoints ------------------------------------------------------------------------------------

/** Parameters and optimizer state in one safetensors file, written atomically. */
export function saveCheckpoint(file: string, params: ParamStore, optim: AdamW, metadata: Record<string, string> = {}): void {
  const tensors: Record<string, TensorToWrite> = {};
  for (const [k, t] of params.tensors) tensors[`param.${k}`] = { shape: t.shape, data: t.data };
  Object.assign(tensors, optim.stateTensors());
  const meta = { ...metadata, "optim.step": String(optim.step), "optim.config": JSON.stringify(optim.config) };
  writeSafetensors(file, tensors, {
    ...meta,
    [CHECKSUM]: checkpointChecksum(
      Object.entries(tensors).map(([k, t]) => [k, t.data]),
      meta,
    ),
  });
}

/** The checksum key of a checkpoint: it covers the tensors and every other metadata entry (the step). */
const CHECKSUM = "checkpoint.sha256";

function checkpointChecksum(tensors: [string, ArrayBufferView][], metadata: Record<string, string>): string {
  const meta = Object.entries(metadata)
    .filter(([k]) => k !== CHECKSUM)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return contentHash([...tensors, ["__metadata__", new TextEncoder().encode(JSON.stringify(meta))]]);
}

/** Restores parameters (which must all exist in `params` with the same shapes) and optimizer state. */
export function loadCheckpoint(file: string, params: ParamStore, optim: AdamW): Record<string, string> {
  return restoreFrom(verifyCheckpoint(file), file, params, optim);
}

/** Reads a checkpoint and checks its checksum (tensors and metadata); throws naming the file otherwise. */
export function verifyCheckpoint(file: string): ReturnType<typeof readSafetensors> {
  const f = readSafetensors(file);
  const want = f.metadata[CHECKSUM];
  if (want === undefined)
    throw new Error(
      f.metadata["content.sha256"] !== undefined
        ? `${file}: written by an older version whose checksum does not cover the step; it is not resumed (start the run over)`
        : `${file}: the checkpoint carries no checksum (${CHECKSUM}); it is not resumed`,
    );
  const have = checkpointChecksum(
    [...f.tensors].map(([k, t]) => [k, t.data as ArrayBufferView]),
    f.metadata,
  );
  if (have !== want)
    throw new Error(`${file}: the tensors or metadata do not match the checksum written with them (the file changed after it was saved); it is not resumed`);
  return f;
}

/** Validates everything before touching the model, so a bad file leaves it as it was. */
function restoreFrom(f: ReturnType<typeof readSafetensors>, file: string, params: ParamStore, optim: AdamW): Record<string, string> {
  const updates = new Map<string, Float32Array>();
  for (const [k, t] of f.tensors) {
    if (!k.startsWith("param.")) continue;
    const name = k.slice("param.".length);
    const have = params.get(name);
    if (t.shape.join(",") !== have.shape.join(",") || !(t.data instanceof Float32Array)) {
      throw new Error(`${file}: parameter "${name}" has shape [${t.shape}] (${t.dtype}) but the model expects [${have.shape}] F32`);
    }
    updates.set(name, t.data);
  }
  const missing = params.names().filter((n) => !updates.has(n));
  if (missing.length) throw new Error(`${file}: checkpoint lacks parameters ${missing.slice(0, 5).join(", ")}${missing.length > 5 ? "…" : ""}`);
  const restored = new AdamW(optim.config, optim.decay);
  restored.loadState(f, params);
  for (const [name, data] of updates) params.get(name).data = data;
  optim.step = restored.step;
  optim.m.clear();
  optim.v.clear();
  for (const [k, m] of restored.m) optim.m.set(k, m);
  for (const [k, v] of restored.v) optim.v.set(k, v);
  return f.metadata;
}
