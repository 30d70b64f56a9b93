// Named parameters with seeded, deterministic initializers.
//
// Each parameter draws from its own stream, derived from (store seed, parameter name), so adding a
// parameter to a model never changes how the others start.

import { Graph, Value } from "./graph";
import { Rng } from "./rng";
import { floatTensor } from "./runtime";
import type * as ort from "onnxruntime-node";

export type Init =
  | { kind: "normal"; std: number; mean?: number }
  | { kind: "uniform"; low: number; high: number }
  | { kind: "zeros" }
  | { kind: "ones" }
  | { kind: "constant"; value: number }
  /** Rows are cells of a grid `cols` wide: half the columns encode the row, half the column, as sin/cos pairs at geometric frequencies, times `scale`. */
  | { kind: "grid2d"; cols: number; scale: number };

export interface ParamTensor {
  readonly shape: readonly number[];
  data: Float32Array;
}

/** PyTorch's nn.Linear default: U(-1/√fan_in, 1/√fan_in). */
export function linearInit(fanIn: number): Init {
  const b = 1 / Math.sqrt(fanIn);
  return { kind: "uniform", low: -b, high: b };
}

export class ParamStore {
  readonly tensors = new Map<string, ParamTensor>();

  constructor(readonly seed = 0) {}

  /** Creates the parameter with its initializer unless it exists; a shape mismatch is an error. */
  ensure(name: string, shape: readonly number[], init: Init): ParamTensor {
    const have = this.tensors.get(name);
    if (have) {
      if (have.shape.length !== shape.length || have.shape.some((d, i) => d !== shape[i])) {
        throw new Error(`params: "${name}" has shape [${have.shape}] but [${shape}] was asked`);
      }
      return have;
    }
    const t = { shape: [...shape], data: initialize(shape, init, new Rng(this.seed, name)) };
    this.tensors.set(name, t);
    return t;
  }

  /** Declares a parameter in both the store and a graph: the usual way a model builder makes weights. */
  param(g: Graph, name: string, shape: readonly number[], init: Init): Value {
    this.ensure(name, shape, init);
    return g.param(name, shape);
  }

  get(name: string): ParamTensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`params: no parameter "${name}" (have ${this.tensors.size}: ${[...this.tensors.keys()].slice(0, 8).join(", ")}…)`);
    return t;
  }

  set(name: string, data: Float32Array): void {
    const t = this.get(name);
    if (data.length !== t.data.length) throw new Error(`params: "${name}" holds ${t.data.length} values, got ${data.length}`);
    t.data = data;
  }

  names(): string[] {
    return [...this.tensors.keys()];
  }

  count(): number {
    let n = 0;
    for (const t of this.tensors.values()) n += t.data.length;
    return n;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** Feeds for every parameter a graph declares. */
  feeds(g: Graph): Record<string, ort.Tensor> {
    return feedsFrom(g, [this]);
  }

  clone(): ParamStore {
    const c = new ParamStore(this.seed);
    for (const [k, t] of this.tensors) c.tensors.set(k, { shape: [...t.shape], data: t.data.slice() });
    return c;
  }
}

function initialize(shape: readonly number[], init: Init, rng: Rng): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (init.kind) {
    case "zeros":
      break;
    case "ones":
      out.fill(1);
      break;
    case "constant":
      out.fill(init.value);
      break;
    case "normal": {
      const mean = init.mean ?? 0;
      for (let i = 0; i < n; i++) out[i] = mean + init.std * rng.normal();
      break;
    }
    case "uniform":
      for (let i = 0; i < n; i++) out[i] = rng.uniform(init.low, init.high);
      break;
    case "grid2d": {
      if (shape.length !== 2) throw new Error(`grid2d init needs a 2-D shape, got [${shape}]`);
      const [cells, d] = shape as [number, number];
      const half = Math.floor(d / 2);
      const pairs = Math.floor(half / 2);
      for (let i = 0; i < cells; i++) {
        const coords = [Math.floor(i / init.cols), i % init.cols];
        coords.forEach((v, axis) => {
          for (let k = 0; k < pairs; k++) {
            const freq = Math.PI / 2 / Math.pow(8, k / Math.max(1, pairs - 1));
            out[i * d + axis * half + 2 * k] = init.scale * Math.sin(v * freq);
            out[i * d + axis * half + 2 * k + 1] = init.scale * Math.cos(v * freq);
          }
        });
      }
      break;
    }
  }
  return out;
}

/** Feeds for every parameter of a graph, each from the first store that holds it (base, then adapter). */
export function feedsFrom(g: Graph, stores: readonly ParamStore[]): Record<string, ort.Tensor> {
  const out: Record<string, ort.Tensor> = {};
  for (const p of g.params) {
    const store = stores.find((s) => s.has(p.name));
    if (!store) throw new Error(`params: no store holds parameter "${p.name}" of graph "${g.name}"`);
    const t = store.get(p.name);
    out[p.name] = floatTensor(t.data, t.shape);
  }
  return out;
}
