// Finite-difference gradient checks: analytic gradients from the engine's autodiff against central
// differences of the same onnxruntime forward, on a handful of sampled coordinates per parameter.

import type * as ort from "onnxruntime-node";
import { DType, F, Graph, Rng, Value, backward, compile, toOrt } from "../../src/engine";

export interface GradCase {
  /** The op's output; the checked loss is sum(out · R) for a fixed random R, so every element matters. */
  out: Value;
  /** Parameters to differentiate, with their starting values. */
  params: { value: Value; data: number[] }[];
  /** Non-parameter inputs (ids, masks), by name. */
  feeds?: Record<string, ort.Tensor>;
  /** Concrete values for symbolic dims of `out`. */
  dims?: Record<string, number>;
}

export interface GradReport {
  maxRelErr: number;
  checked: number;
  worst: string;
}

function typed(dtype: DType, xs: number[]): Float32Array | Float64Array {
  return dtype === "float64" ? Float64Array.from(xs) : Float32Array.from(xs);
}

export interface GradOptions {
  dtype?: DType;
  samples?: number;
  eps?: number;
  seed?: number;
}

export async function gradCheck(build: (g: Graph) => GradCase, opts: GradOptions = {}): Promise<GradReport> {
  const g = new Graph("gradcheck", opts.dtype ?? "float64");
  return gradCheckGraph(g, build(g), opts);
}

/** Checks a case whose graph the caller built (dtype = the graph's float type). */
export async function gradCheckGraph(g: Graph, c: GradCase, opts: GradOptions = {}): Promise<GradReport> {
  const dtype = g.floatType;
  const eps = opts.eps ?? (dtype === "float64" ? 1e-6 : 1e-2);
  const rng = new Rng(opts.seed ?? 1, "gradcheck");
  const outShape = c.out.shape.map((d) => (typeof d === "number" ? d : (c.dims?.[d] ?? NaN)));
  if (outShape.some((d) => Number.isNaN(d))) throw new Error(`gradCheck: give dims for ${c.out}`);
  const size = outShape.reduce((a, b) => a * b, 1);
  // R is an input with the output's (possibly symbolic) shape, fed with fixed random values.
  const r = g.input("__R", dtype, c.out.shape);
  const rData = toOrt(
    dtype,
    typed(
      dtype,
      Array.from({ length: size }, () => rng.uniform(-1, 1)),
    ),
    outShape,
  );
  const out = c.out.dtype === dtype ? c.out : F.cast(c.out, dtype);
  const loss = F.reduceSum(
    F.mul(out, r),
    out.shape.map((_, i) => i),
  );
  g.output("loss", loss);
  const grads = backward(
    loss,
    c.params.map((p) => p.value),
  );
  for (const [p, gv] of grads) g.output(`grad.${p.name}`, gv);
  const full = await compile(g);
  const lossOnly = await compile(g, { outputs: ["loss"] });

  const state = new Map(c.params.map((p) => [p.value.name, typed(dtype, p.data)]));
  const feeds = (): Record<string, ort.Tensor> => {
    const f: Record<string, ort.Tensor> = { ...(c.feeds ?? {}), __R: rData };
    for (const p of c.params) f[p.value.name] = toOrt(dtype, state.get(p.value.name)!, p.value.shape as number[]);
    return f;
  };
  const res = await full.run(feeds());
  const lossAt = async () => Number((await lossOnly.run(feeds()))["loss"]!.data[0]);

  let maxRelErr = 0;
  let worst = "";
  let checked = 0;
  const atol = dtype === "float64" ? 1e-7 : 2e-3;
  for (const p of c.params) {
    const analytic = res[`grad.${p.value.name}`]!.data as Float32Array | Float64Array;
    const x = state.get(p.value.name)!;
    const picks = new Set<number>();
    const want = Math.min(opts.samples ?? 6, x.length);
    while (picks.size < want) picks.add(rng.int(x.length));
    for (const i of picks) {
      const x0 = x[i]!;
      const h = eps * Math.max(1, Math.abs(x0));
      x[i] = x0 + h;
      const up = await lossAt();
      x[i] = x0 - h;
      const down = await lossAt();
      x[i] = x0;
      const numeric = (up - down) / (2 * h);
      const a = analytic[i]!;
      const err = Math.abs(a - numeric) / (atol + Math.max(Math.abs(a), Math.abs(numeric)));
      checked++;
      if (err > maxRelErr) {
        maxRelErr = err;
        worst = `${p.value.name}[${i}]: analytic ${a} vs numeric ${numeric}`;
      }
    }
  }
  return { maxRelErr, checked, worst };
}

export function randomData(rng: Rng, n: number, low = -1, high = 1): number[] {
  return Array.from({ length: n }, () => rng.uniform(low, high));
}
