// Reductions (opset 18: axes are an input) and the un-broadcast that every broadcasting gradient needs.

import { Value } from "../graph";
import { Dim, Shape, ShapeError, dimEqual, formatShape, normAxis } from "../shape";
import { registerGrad } from "./registry";
import { div, equal, cast, mul } from "./elementwise";
import { expand, reshape, unsqueeze } from "./shape-ops";

function reduce(op: string, x: Value, axes: readonly number[], keepdims: boolean): Value {
  const norm = [...new Set(axes.map((a) => normAxis(op, a, x.rank)))].sort((a, b) => a - b);
  const shape: Dim[] = [];
  x.shape.forEach((d, i) => {
    if (!norm.includes(i)) shape.push(d);
    else if (keepdims) shape.push(1);
  });
  return x.graph.node1(op, [x, x.graph.int64s(norm, "axes")], x.dtype, shape, { keepdims: keepdims ? 1 : 0 });
}

export const reduceSum = (x: Value, axes: readonly number[], keepdims = false): Value => reduce("ReduceSum", x, axes, keepdims);
export const reduceMean = (x: Value, axes: readonly number[], keepdims = false): Value => reduce("ReduceMean", x, axes, keepdims);
export const reduceMax = (x: Value, axes: readonly number[], keepdims = false): Value => reduce("ReduceMax", x, axes, keepdims);

/** Sums a broadcast gradient back down to the shape of the operand it came from. */
export function unbroadcast(gy: Value, to: Shape): Value {
  const lead = gy.rank - to.length;
  if (lead < 0) throw new ShapeError(`unbroadcast: gradient ${formatShape(gy.shape)} has lower rank than ${formatShape(to)}`);
  const axes: number[] = [];
  for (let i = 0; i < gy.rank; i++) {
    if (i < lead) axes.push(i);
    else if (to[i - lead] === 1 && gy.shape[i] !== 1) axes.push(i);
    else if (!dimEqual(to[i - lead]!, gy.shape[i]!)) throw new ShapeError(`unbroadcast: ${formatShape(gy.shape)} cannot reduce to ${formatShape(to)}`);
  }
  if (axes.length === 0) return gy;
  let r = reduceSum(gy, axes, true);
  if (lead > 0) r = reshape(r, to);
  return r;
}

function reducedAxes(x: Value, axesInput: Value): number[] {
  const g = x.graph;
  const data = g.consts.get(axesInput);
  if (!data) throw new Error("reduce gradient: axes must be a constant");
  return Array.from(data.data as BigInt64Array, (v) => Number(v));
}

/** Restores reduced axes (when keepdims was 0) so the gradient broadcasts against the input again. */
function keepDims(n: { inputs: (Value | null)[]; attrs: Record<string, unknown> }, gy: Value): Value {
  const axes = reducedAxes(n.inputs[0]!, n.inputs[1]!);
  return n.attrs["keepdims"] === 0 ? unsqueeze(gy, axes) : gy;
}

function count(x: Value, axes: number[]): number {
  let c = 1;
  for (const a of axes) {
    const d = x.shape[a];
    if (typeof d !== "number") throw new ShapeError(`ReduceMean gradient: axis ${a} of ${formatShape(x.shape)} must be static`);
    c *= d;
  }
  return c;
}

registerGrad("ReduceSum", (n, [gy]) => [expand(keepDims(n, gy!), n.inputs[0]!.shape), null]);
registerGrad("ReduceMean", (n, [gy]) => {
  const x = n.inputs[0]!;
  const c = count(x, reducedAxes(x, n.inputs[1]!));
  return [expand(div(keepDims(n, gy!), c), x.shape), null];
});
// The gradient of a max goes to the arg-max elements, split evenly between ties (as torch.amax does).
registerGrad("ReduceMax", (n, [gy]) => {
  const x = n.inputs[0]!;
  const axes = reducedAxes(x, n.inputs[1]!);
  const y = keepDims(n, n.outputs[0]!);
  const hit = cast(equal(x, y), x.dtype);
  const ties = reduceSum(hit, axes, true);
  return [mul(hit, div(keepDims(n, gy!), ties)), null];
});
