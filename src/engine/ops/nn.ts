// Neural-network ops: Softmax, LogSoftmax, LayerNormalization and cross-entropy with an ignore index.

import { Value } from "../graph";
import { Dim, ShapeError, dimEqual, dimProduct, formatShape, normAxis } from "../shape";
import { registerGrad } from "./registry";
import { cast, div, equal, exp, mul, not, sub } from "./elementwise";
import { reduceSum } from "./reduce";
import { reshape, unsqueeze } from "./shape-ops";

export function softmax(x: Value, axis = -1): Value {
  return x.graph.node1("Softmax", [x], x.dtype, x.shape, { axis: normAxis("Softmax", axis, x.rank) });
}

export function logSoftmax(x: Value, axis = -1): Value {
  return x.graph.node1("LogSoftmax", [x], x.dtype, x.shape, { axis: normAxis("LogSoftmax", axis, x.rank) });
}

/** LayerNormalization over the last axis, with the mean and inverse std kept for the gradient. */
export function layerNorm(x: Value, weight: Value, bias: Value, eps = 1e-5): Value {
  const d = x.shape[x.rank - 1]!;
  for (const [what, p] of [
    ["weight", weight],
    ["bias", bias],
  ] as const) {
    if (p.rank !== 1 || !dimEqual(p.shape[0]!, d)) {
      throw new ShapeError(`LayerNormalization: ${what} ${formatShape(p.shape)} does not match the last axis of ${formatShape(x.shape)}`);
    }
  }
  const stat = [...x.shape.slice(0, -1), 1];
  const [y] = x.graph.node(
    "LayerNormalization",
    [x, weight, bias],
    [
      { dtype: x.dtype, shape: x.shape },
      { dtype: "float32", shape: stat },
      { dtype: "float32", shape: stat },
    ],
    // Statistics stay float32 (stash_type 1): onnxruntime's CPU kernel has no float64 statistics, so a
    // float64 graph (gradient checks) casts them up in the gradient rule.
    { axis: -1, epsilon: { float: eps }, stash_type: 1 },
  );
  return y!;
}

export type Reduction = "mean" | "sum" | "none";

/**
 * Cross-entropy of logits [..., C] against integer targets [...]; targets equal to ignoreIndex add
 * nothing. "mean" divides by the number of counted targets (as PyTorch does), "none" returns one loss per
 * position (0 where ignored) for callers that weight positions themselves.
 */
export function crossEntropy(logits: Value, targets: Value, opts: { ignoreIndex?: number; reduction?: Reduction } = {}): Value {
  const reduction = opts.reduction ?? "mean";
  const lead = logits.shape.slice(0, -1);
  const c = logits.shape[logits.rank - 1]!;
  if (targets.dtype !== "int64") throw new ShapeError(`crossEntropy: targets must be int64, got ${targets}`);
  if (targets.rank !== lead.length || targets.shape.some((d, i) => !dimEqual(d, lead[i]!))) {
    throw new ShapeError(`crossEntropy: targets ${formatShape(targets.shape)} do not match logits ${formatShape(logits.shape)} without the class axis`);
  }
  if (typeof c !== "number") throw new ShapeError(`crossEntropy: the class axis must be static, got ${formatShape(logits.shape)}`);
  const n: Dim = dimProduct(lead);
  const scores = reshape(logits, [n, c]);
  const labels = reshape(targets, [n]);
  const attrs: Record<string, number | string> = { reduction };
  if (opts.ignoreIndex !== undefined) attrs["ignore_index"] = opts.ignoreIndex;
  const [loss] = logits.graph.node(
    "SoftmaxCrossEntropyLoss",
    [scores, labels],
    [
      { dtype: logits.dtype, shape: reduction === "none" ? [n] : [] },
      { dtype: logits.dtype, shape: [n, c] },
    ],
    attrs,
  );
  return reduction === "none" ? reshape(loss!, lead) : loss!;
}

// ---- gradient rules ------------------------------------------------------------------------------

registerGrad("Softmax", (n, [gy]) => {
  const y = n.outputs[0]!;
  const axis = n.attrs["axis"] as number;
  return [mul(y, sub(gy!, reduceSum(mul(gy!, y), [axis], true)))];
});

registerGrad("LogSoftmax", (n, [gy]) => {
  const y = n.outputs[0]!;
  const axis = n.attrs["axis"] as number;
  return [sub(gy!, mul(exp(y), reduceSum(gy!, [axis], true)))];
});

registerGrad("LayerNormalization", (n, [gy], needs) => {
  const [x, w] = n.inputs as Value[];
  const mean = cast(n.outputs[1]!, x!.dtype);
  const invStd = cast(n.outputs[2]!, x!.dtype);
  const xhat = mul(sub(x!, mean!), invStd!);
  const lead = x!.shape.slice(0, -1).map((_, i) => i);
  const last = x!.rank - 1;
  let dx: Value | null = null;
  if (needs[0]) {
    const d = x!.shape[last] as number;
    const dxhat = mul(gy!, w!);
    const meanD = div(reduceSum(dxhat, [last], true), d);
    const meanDX = div(reduceSum(mul(dxhat, xhat), [last], true), d);
    dx = mul(invStd!, sub(sub(dxhat, meanD), mul(xhat, meanDX)));
  }
  return [dx, needs[1] ? reduceSum(mul(gy!, xhat), lead) : null, needs[2] ? reduceSum(gy!, lead) : null];
});

// d loss / d scores = (softmax - onehot) · coef, coef = upstream gradient per row, 0 on ignored rows,
// divided by the number of counted rows for "mean".
registerGrad("SoftmaxCrossEntropyLoss", (n, [gy], needs) => {
  if (!needs[0]) return [null, null];
  const [scores, labels] = n.inputs as Value[];
  const logProb = n.outputs[1]!;
  const g = scores!.graph;
  const c = scores!.shape[1] as number;
  const classes = g.constant({ dtype: "int64", shape: [c], data: BigInt64Array.from({ length: c }, (_, i) => BigInt(i)) }, "classes");
  const onehot = cast(equal(unsqueeze(labels!, [1]), classes), scores!.dtype);
  const ignore = n.attrs["ignore_index"];
  const mask = ignore === undefined ? null : cast(not(equal(labels!, g.int64s([ignore as number], "ignore"))), scores!.dtype);
  let coef: Value = gy!;
  if (n.attrs["reduction"] === "mean") {
    const rows = scores!.shape[0]!;
    const counted: Value | number = mask
      ? reduceSum(mask, [0])
      : typeof rows === "number"
        ? rows
        : reshape(cast(g.node1("Shape", [scores!], "int64", [1], { start: 0, end: 1 }), scores!.dtype), []);
    coef = div(coef, counted);
  }
  if (mask) coef = mul(coef, mask);
  if (coef.rank === 1) coef = unsqueeze(coef, [1]);
  return [mul(sub(exp(logProb), onehot), coef), null];
});
