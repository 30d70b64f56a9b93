// The runtime: compiles a Graph into an onnxruntime-node session, cached by graph bytes and shape
// signature, and runs it with named inputs and outputs.

import { createHash } from "node:crypto";
import * as ort from "onnxruntime-node";
import { ConstData, DType, Graph, Value } from "./graph";
import { EmitOptions, emitModel } from "./onnx";

export type ExecutionProvider = "cpu" | "cuda";

export interface RuntimeOptions {
  /** Intra-op threads; default: onnxruntime's choice (all cores). */
  threads?: number;
  executionProvider?: ExecutionProvider;
  /**
   * Fixes symbolic dims (e.g. { B: 64, S: 80 }): onnxruntime then plans memory for static shapes, which
   * is faster for a training loop that always feeds the same batch shape. Part of the cache key.
   */
  dims?: Record<string, number>;
}

export type TensorData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface HostTensor {
  data: TensorData;
  dims: readonly number[];
}

const sessionCache = new Map<string, Promise<ort.InferenceSession>>();

export function availableProviders(): string[] {
  return ort.listSupportedBackends().map((b) => b.name);
}

function sessionOptions(opts: RuntimeOptions): ort.InferenceSession.SessionOptions {
  const ep = opts.executionProvider ?? "cpu";
  if (ep !== "cpu" && ep !== "cuda") throw new Error(`runtime: executionProvider "${ep}" is not one of cpu, cuda`);
  if (ep === "cuda" && !availableProviders().includes("cuda")) {
    throw new Error(`runtime: executionProvider "cuda" is not available in this onnxruntime-node build (available: ${availableProviders().join(", ")})`);
  }
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1)) {
    throw new Error(`runtime: threads must be a positive integer, got ${opts.threads}`);
  }
  const o: ort.InferenceSession.SessionOptions = {
    executionProviders: [ep],
    graphOptimizationLevel: "all",
    executionMode: "sequential",
    // Measured on the reference training step (batch 64): arena on and memory patterns off gave the
    // fastest step and half the peak memory (533 ms, 554 MiB) of patterns on (543 ms, 949 MiB).
    enableCpuMemArena: true,
    enableMemPattern: false,
  };
  if (opts.threads) {
    o.intraOpNumThreads = opts.threads;
    o.interOpNumThreads = 1;
  }
  if (opts.dims) o.freeDimensionOverrides = { ...opts.dims };
  return o;
}

/** A compiled graph: an onnxruntime session plus the names it takes and gives. */
export class Compiled {
  constructor(
    readonly session: ort.InferenceSession,
    readonly inputNames: readonly string[],
    readonly outputNames: readonly string[],
  ) {}

  /** Runs with named feeds; a missing or unexpected feed is an error naming it. */
  async run(feeds: Record<string, ort.Tensor>, outputs?: readonly string[]): Promise<Record<string, ort.Tensor>> {
    for (const name of this.inputNames) if (!(name in feeds)) throw new Error(`run: missing input "${name}" (inputs: ${this.inputNames.join(", ")})`);
    const used: Record<string, ort.Tensor> = {};
    for (const name of this.inputNames) used[name] = feeds[name]!;
    return outputs ? this.session.run(used, [...outputs]) : this.session.run(used);
  }
}

export async function compile(graph: Graph, emit: EmitOptions = {}, opts: RuntimeOptions = {}): Promise<Compiled> {
  const bytes = emitModel(graph, emit);
  const key = createHash("sha256").update(bytes).digest("hex") + JSON.stringify([opts.threads, opts.executionProvider, opts.dims]);
  let pending = sessionCache.get(key);
  if (!pending) {
    pending = ort.InferenceSession.create(bytes, sessionOptions(opts));
    sessionCache.set(key, pending);
    pending.catch(() => sessionCache.delete(key));
  }
  const session = await pending;
  return new Compiled(session, session.inputNames, session.outputNames);
}

export function clearSessionCache(): void {
  sessionCache.clear();
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: "float32",
  float64: "float64",
  float16: "float16",
  int64: "int64",
  int32: "int32",
  bool: "bool",
};

export function toOrt(dtype: DType, data: TensorData, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[dtype], data as never, dims as number[]);
}

export function constToOrt(c: ConstData): ort.Tensor {
  return toOrt(c.dtype, c.data as TensorData, c.shape);
}

/** int64 token ids from plain numbers. */
export function int64Tensor(ids: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  return toOrt("int64", BigInt64Array.from(Array.from(ids, (x) => BigInt(x))), dims);
}

export function floatTensor(x: Float32Array, dims: readonly number[]): ort.Tensor {
  return toOrt("float32", x, dims);
}

export function valueDims(v: Value, dims: Record<string, number>): number[] {
  return v.shape.map((d) => {
    if (typeof d === "number") return d;
    const n = dims[d];
    if (n === undefined) throw new Error(`dims: symbolic dim "${d}" of ${v} has no value`);
    return n;
  });
}
