// Matrix products: MatMul with numpy batch broadcasting, Gemm on 2-D operands, and the PyTorch-layout
// linear layer built from them.

import { Value } from "../graph";
import { Dim, ShapeError, broadcastShapes, dimEqual, dimProduct, formatShape } from "../shape";
import { registerGrad } from "./registry";
import { add } from "./elementwise";
import { unbroadcast } from "./reduce";
import { reshape, transpose, transposeLast2 } from "./shape-ops";

export function matmul(a: Value, b: Value): Value {
  if (a.rank < 2 || b.rank < 2) throw new ShapeError(`MatMul: operands must have rank >= 2, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const [m, k1] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (!dimEqual(k1!, k2!)) throw new ShapeError(`MatMul: inner dimensions differ: a ${formatShape(a.shape)} vs b ${formatShape(b.shape)}`);
  const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2));
  if (!batch) throw new ShapeError(`MatMul: batch dimensions do not broadcast: a ${formatShape(a.shape)} vs b ${formatShape(b.shape)}`);
  if (a.dtype !== b.dtype) throw new ShapeError(`MatMul: dtypes differ: ${a} vs ${b}`);
  return a.graph.node1("MatMul", [a, b], a.dtype, [...batch, m!, n!]);
}

/** Gemm on 2-D operands: op(a) @ op(b), op = transpose when the flag is set. */
export function gemm(a: Value, b: Value, transA = false, transB = false): Value {
  if (a.rank !== 2 || b.rank !== 2) throw new ShapeError(`Gemm: operands must be 2-D, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const [m, k1] = transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [k2, n] = transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (!dimEqual(k1, k2))
    throw new ShapeError(`Gemm: inner dimensions differ: a ${formatShape(a.shape)}${transA ? "ᵀ" : ""} vs b ${formatShape(b.shape)}${transB ? "ᵀ" : ""}`);
  return a.graph.node1("Gemm", [a, b], a.dtype, [m, n], { transA: transA ? 1 : 0, transB: transB ? 1 : 0 });
}

/** y = x Wᵀ + b with W stored [out, in] as PyTorch stores it. */
export function linear(x: Value, weight: Value, bias?: Value): Value {
  if (weight.rank !== 2) throw new ShapeError(`linear: weight must be 2-D [out,in], got ${formatShape(weight.shape)}`);
  if (!dimEqual(x.shape[x.rank - 1]!, weight.shape[1]!)) {
    throw new ShapeError(
      `linear: input ${formatShape(x.shape)} does not end in the weight's in-features ${weight.shape[1]} (weight ${formatShape(weight.shape)})`,
    );
  }
  const y = matmul(x, transpose(weight, [1, 0]));
  return bias ? add(y, bias) : y;
}

/** Flattens all but the last axis: [..., k] -> [N, k]. */
function flatten2d(x: Value): Value {
  const lead: Dim = dimProduct(x.shape.slice(0, -1));
  return reshape(x, [lead, x.shape[x.rank - 1]!]);
}

// dA = gy @ Bᵀ, dB = Aᵀ @ gy, each summed over broadcast batch axes. When one side is a plain 2-D
// matrix (a weight), its gradient is a single Gemm over the flattened batch, never a per-batch product.
registerGrad("MatMul", (n, [gy], needs) => {
  const [a, b] = n.inputs as Value[];
  let da: Value | null = null;
  let db: Value | null = null;
  if (needs[0]) {
    da = a!.rank === 2 && gy!.rank > 2 ? gemm(flatten2d(gy!), b!, false, true) : unbroadcast(matmul(gy!, transposeLast2(b!)), a!.shape);
  }
  if (needs[1]) {
    db = b!.rank === 2 && a!.rank > 2 ? gemm(flatten2d(a!), flatten2d(gy!), true, false) : unbroadcast(matmul(transposeLast2(a!), gy!), b!.shape);
  }
  return [da, db];
});

registerGrad("Gemm", (n, [gy], needs) => {
  const [a, b] = n.inputs as Value[];
  const tA = n.attrs["transA"] === 1;
  const tB = n.attrs["transB"] === 1;
  // y = op(a) op(b): d op(a) = gy op(b)ᵀ, d op(b) = op(a)ᵀ gy.
  const da = !needs[0] ? null : tA ? gemm(b!, gy!, tB, true) : gemm(gy!, b!, false, !tB);
  const db = !needs[1] ? null : tB ? gemm(gy!, a!, true, tA) : gemm(a!, gy!, !tA, false);
  return [da, db];
});
