// Ops that move data without arithmetic: Reshape, Transpose, (Un)Squeeze, Concat, Split, Slice, Expand,
// Gather, and the zero tensors their gradients need.

import { Value } from "../graph";
import { Dim, Shape, ShapeError, broadcastShapes, dimEqual, dimProduct, formatShape, normAxis } from "../shape";
import { registerGrad } from "./registry";
import { unbroadcast } from "./reduce";

export function reshape(x: Value, target: Shape): Value {
  const g = x.graph;
  const from = dimProduct(x.shape);
  const to = dimProduct(target);
  if (!dimEqual(from, to)) {
    throw new ShapeError(`Reshape: ${formatShape(x.shape)} (${from} elements) cannot become ${formatShape(target)} (${to} elements)`);
  }
  if (x.shape.length === target.length && x.shape.every((d, i) => dimEqual(d, target[i]!))) return x;
  // 0 copies the input's dim at that index and -1 is inferred, so most reshapes need no Shape node.
  const spec: number[] = [];
  let dynamic = 0;
  target.forEach((d, i) => {
    if (typeof d === "number") spec.push(d);
    else if (x.shape[i] !== undefined && dimEqual(x.shape[i]!, d)) spec.push(0);
    else {
      spec.push(-1);
      dynamic++;
    }
  });
  const shapeInput = dynamic <= 1 ? g.int64s(spec, "shape") : g.shapeTensor(target);
  return g.node1("Reshape", [x, shapeInput], x.dtype, target);
}

export function transpose(x: Value, perm: readonly number[]): Value {
  if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) {
    throw new ShapeError(`Transpose: perm [${perm}] is not a permutation of the ${x.rank} axes of ${formatShape(x.shape)}`);
  }
  return x.graph.node1(
    "Transpose",
    [x],
    x.dtype,
    perm.map((p) => x.shape[p]!),
    { perm: [...perm] },
  );
}

/** Swaps the last two axes. */
export function transposeLast2(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return transpose(x, perm);
}

export function unsqueeze(x: Value, axes: readonly number[]): Value {
  const outRank = x.rank + axes.length;
  const norm = axes.map((a) => normAxis("Unsqueeze", a, outRank)).sort((a, b) => a - b);
  const shape: Dim[] = [];
  let k = 0;
  for (let i = 0; i < outRank; i++) shape.push(norm.includes(i) ? 1 : x.shape[k++]!);
  return x.graph.node1("Unsqueeze", [x, x.graph.int64s(norm, "axes")], x.dtype, shape);
}

export function squeeze(x: Value, axes: readonly number[]): Value {
  const norm = axes.map((a) => normAxis("Squeeze", a, x.rank));
  for (const a of norm) if (x.shape[a] !== 1) throw new ShapeError(`Squeeze: axis ${a} of ${formatShape(x.shape)} is not 1`);
  return x.graph.node1(
    "Squeeze",
    [x, x.graph.int64s(norm, "axes")],
    x.dtype,
    x.shape.filter((_, i) => !norm.includes(i)),
  );
}

export function concat(xs: readonly Value[], axis: number): Value {
  if (xs.length === 0) throw new ShapeError("Concat: needs at least one input");
  const first = xs[0]!;
  const a = normAxis("Concat", axis, first.rank);
  for (const x of xs) {
    if (x.rank !== first.rank || x.dtype !== first.dtype || x.shape.some((d, i) => i !== a && !dimEqual(d, first.shape[i]!))) {
      throw new ShapeError(`Concat: ${formatShape(x.shape)} does not match ${formatShape(first.shape)} outside axis ${a}`);
    }
  }
  const shape = [...first.shape];
  let total: Dim = 0;
  for (const x of xs) total = addDims(total, x.shape[a]!);
  shape[a] = total;
  return first.graph.node1("Concat", [...xs], first.dtype, shape, { axis: a });
}

function addDims(a: Dim, b: Dim): Dim {
  if (typeof a === "number" && typeof b === "number") return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return `${a}+${b}`;
}

/** Splits along an axis into parts of the given static sizes. */
export function split(x: Value, axis: number, sizes: readonly number[]): Value[] {
  const a = normAxis("Split", axis, x.rank);
  const total = sizes.reduce((s, v) => s + v, 0);
  if (x.shape[a] !== total) throw new ShapeError(`Split: sizes [${sizes}] sum to ${total} but axis ${a} of ${formatShape(x.shape)} is ${x.shape[a]}`);
  const outs = sizes.map((s) => {
    const shape = [...x.shape];
    shape[a] = s;
    return { dtype: x.dtype, shape };
  });
  return x.graph.node("Split", [x, x.graph.int64s(sizes, "split")], outs, { axis: a });
}

/** Slice with step 1; `end` may be Infinity for "to the end". */
export function slice(x: Value, axes: readonly number[], starts: readonly number[], ends: readonly number[]): Value {
  const shape = [...x.shape];
  const norm = axes.map((ax) => normAxis("Slice", ax, x.rank));
  norm.forEach((ax, i) => {
    const d = x.shape[ax]!;
    const s = starts[i]!;
    const e = ends[i]!;
    if (s < 0 || e < s) throw new ShapeError(`Slice: range ${s}:${e} on axis ${ax} of ${formatShape(x.shape)} must satisfy 0 <= start <= end`);
    if (typeof d === "number") {
      if (e !== Infinity && e > d) throw new ShapeError(`Slice: end ${e} exceeds axis ${ax} of ${formatShape(x.shape)}`);
      shape[ax] = Math.min(e, d) - s;
    } else if (e === Infinity) {
      if (s !== 0) throw new ShapeError(`Slice: an open-ended slice of symbolic axis ${ax} (${d}) must start at 0`);
    } else shape[ax] = e - s;
  });
  const g = x.graph;
  const big = 2 ** 62;
  return g.node1(
    "Slice",
    [
      x,
      g.int64s(starts, "starts"),
      g.int64s(
        ends.map((e) => (e === Infinity ? big : e)),
        "ends",
      ),
      g.int64s(norm, "axes"),
    ],
    x.dtype,
    shape,
  );
}

export function expand(x: Value, shape: Shape): Value {
  const out = broadcastShapes(x.shape, shape);
  if (!out || out.length !== shape.length || out.some((d, i) => !dimEqual(d, shape[i]!))) {
    throw new ShapeError(`Expand: ${formatShape(x.shape)} cannot expand to ${formatShape(shape)}`);
  }
  if (x.shape.length === shape.length && x.shape.every((d, i) => dimEqual(d, shape[i]!))) return x;
  return x.graph.node1("Expand", [x, x.graph.shapeTensor(shape)], x.dtype, shape);
}

/** A tensor of zeros of the given shape and float type. */
export function zeros(like: Value, shape: Shape = like.shape): Value {
  return expand(like.graph.scalar(0, like.dtype), shape);
}

/** Gather along an axis, e.g. an embedding lookup table[ids]. */
export function gather(data: Value, indices: Value, axis = 0): Value {
  const a = normAxis("Gather", axis, data.rank);
  if (indices.dtype !== "int64" && indices.dtype !== "int32") throw new ShapeError(`Gather: indices must be int64 or int32, got ${indices}`);
  const shape = [...data.shape.slice(0, a), ...indices.shape, ...data.shape.slice(a + 1)];
  return data.graph.node1("Gather", [data, indices], data.dtype, shape, { axis: a });
}

// ---- gradient rules ------------------------------------------------------------------------------

registerGrad("Reshape", (n, [gy]) => [reshape(gy!, n.inputs[0]!.shape), null]);

registerGrad("Transpose", (n, [gy]) => {
  const perm = n.attrs["perm"] as number[];
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return [transpose(gy!, inv)];
});

registerGrad("Unsqueeze", (n, [gy]) => [reshape(gy!, n.inputs[0]!.shape), null]);
registerGrad("Squeeze", (n, [gy]) => [reshape(gy!, n.inputs[0]!.shape), null]);
registerGrad("Expand", (n, [gy]) => [unbroadcast(gy!, n.inputs[0]!.shape), null]);

registerGrad("Concat", (n, [gy], needs) => {
  const axis = n.attrs["axis"] as number;
  const sizes = n.inputs.map((x) => x!.shape[axis]!);
  if (sizes.some((s) => typeof s !== "number")) throw new ShapeError(`Concat gradient: axis ${axis} sizes must be static, got [${sizes}]`);
  const parts = split(gy!, axis, sizes as number[]);
  return parts.map((p, i) => (needs[i] ? p : null));
});

registerGrad("Split", (n, gys) => {
  const parts = gys.map((gy, i) => gy ?? zeros(n.outputs[i]!));
  return [concat(parts, n.attrs["axis"] as number), null];
});

registerGrad("Slice", (n, [gy]) => {
  const x = n.inputs[0]!;
  const g = x.graph;
  const ints = (v: Value | null) => Array.from(g.consts.get(v!)!.data as BigInt64Array, Number);
  const [starts, ends, axes] = [ints(n.inputs[1]!), ints(n.inputs[2]!), ints(n.inputs[3]!)];
  const pads = new Array<number>(2 * x.rank).fill(0);
  axes.forEach((ax, i) => {
    const d = x.shape[ax]!;
    pads[ax] = starts[i]!;
    const e = ends[i]!;
    if (e < 2 ** 62) {
      if (typeof d !== "number") throw new ShapeError(`Slice gradient: axis ${ax} of ${formatShape(x.shape)} must be static`);
      pads[x.rank + ax] = d - e;
    }
  });
  return [g.node1("Pad", [gy!, g.int64s(pads, "pads")], gy!.dtype, x.shape), null, null, null];
});

// Embedding gradient: scatter-add rows of the output gradient into a zero table.
registerGrad("Gather", (n, [gy], needs) => {
  if (!needs[0]) return [null, null];
  const [data, indices] = n.inputs as Value[];
  if ((n.attrs["axis"] as number) !== 0) throw new ShapeError("Gather gradient: only axis 0 is supported");
  const idx = unsqueeze(indices!.dtype === "int64" ? indices! : data!.graph.node1("Cast", [indices!], "int64", indices!.shape, { to: 7 }), [-1]);
  const g = data!.graph;
  return [g.node1("ScatterND", [zeros(gy!, data!.shape), idx, gy!], gy!.dtype, data!.shape, { reduction: "add" }), null];
});
