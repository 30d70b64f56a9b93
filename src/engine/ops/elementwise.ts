// Elementwise ops: broadcasting binary arithmetic, unary math and activations, comparisons, Where, Cast.

import { DType, FLOAT_TYPES, Graph, Value } from "../graph";
import { ShapeError, broadcastShapes, formatShape } from "../shape";
import { registerGrad } from "./registry";
import { unbroadcast } from "./reduce";

export type Operand = Value | number;

function graphOf(...xs: Operand[]): Graph {
  for (const x of xs) if (x instanceof Value) return x.graph;
  throw new Error("an op needs at least one tensor operand");
}

function lift(g: Graph, x: Operand, like: DType): Value {
  return x instanceof Value ? x : g.scalar(x, like);
}

function binary(op: string, a: Operand, b: Operand, outType?: DType): Value {
  const g = graphOf(a, b);
  const dtype = a instanceof Value ? a.dtype : (b as Value).dtype;
  const va = lift(g, a, dtype);
  const vb = lift(g, b, dtype);
  if (va.dtype !== vb.dtype) throw new ShapeError(`${op}: dtypes differ: ${va} vs ${vb}`);
  const shape = broadcastShapes(va.shape, vb.shape);
  if (!shape) throw new ShapeError(`${op}: shapes do not broadcast: ${formatShape(va.shape)} vs ${formatShape(vb.shape)}`);
  return g.node1(op, [va, vb], outType ?? dtype, shape);
}

export const add = (a: Operand, b: Operand): Value => binary("Add", a, b);
export const sub = (a: Operand, b: Operand): Value => binary("Sub", a, b);
export const mul = (a: Operand, b: Operand): Value => binary("Mul", a, b);
export const div = (a: Operand, b: Operand): Value => binary("Div", a, b);
export const pow = (a: Operand, b: Operand): Value => binary("Pow", a, b);
export const equal = (a: Operand, b: Operand): Value => binary("Equal", a, b, "bool");
export const less = (a: Operand, b: Operand): Value => binary("Less", a, b, "bool");
export const greater = (a: Operand, b: Operand): Value => binary("Greater", a, b, "bool");

function unary(op: string, x: Value, attrs = {}): Value {
  if (!FLOAT_TYPES.includes(x.dtype) && op !== "Neg" && op !== "Not") throw new ShapeError(`${op}: needs a float tensor, got ${x}`);
  return x.graph.node1(op, [x], x.dtype, x.shape, attrs);
}

export const neg = (x: Value): Value => unary("Neg", x);
export const sqrt = (x: Value): Value => unary("Sqrt", x);
export const exp = (x: Value): Value => unary("Exp", x);
export const log = (x: Value): Value => unary("Log", x);
export const tanh = (x: Value): Value => unary("Tanh", x);
export const erf = (x: Value): Value => viaFloat32(x, (y) => unary("Erf", y));
export const relu = (x: Value): Value => unary("Relu", x);
export const sigmoid = (x: Value): Value => unary("Sigmoid", x);
export const not = (x: Value): Value => x.graph.node1("Not", [x], "bool", x.shape);

/** Exact (erf) GELU, ONNX Gelu-20: x·Φ(x). */
export const gelu = (x: Value): Value => viaFloat32(x, (y) => unary("Gelu", y, { approximate: "none" }));

/**
 * onnxruntime's CPU provider has Erf (and so Gelu) for float32 only; float64 graphs, which exist for
 * gradient checks, evaluate these two ops in float32 and cast back.
 */
function viaFloat32(x: Value, f: (y: Value) => Value): Value {
  return x.dtype === "float64" ? cast(f(cast(x, "float32")), "float64") : f(x);
}

export function cast(x: Value, to: DType): Value {
  if (x.dtype === to) return x;
  return x.graph.node1("Cast", [x], to, x.shape, { to: ONNX_DTYPE[to] });
}

/** Where(cond, a, b): a where cond holds, else b; all three broadcast. */
export function where(cond: Value, a: Operand, b: Operand): Value {
  const g = cond.graph;
  const dtype = a instanceof Value ? a.dtype : b instanceof Value ? b.dtype : g.floatType;
  const va = lift(g, a, dtype);
  const vb = lift(g, b, dtype);
  if (cond.dtype !== "bool") throw new ShapeError(`Where: condition must be bool, got ${cond}`);
  if (va.dtype !== vb.dtype) throw new ShapeError(`Where: dtypes differ: ${va} vs ${vb}`);
  const shape = broadcastShapes(cond.shape, va.shape, vb.shape);
  if (!shape) throw new ShapeError(`Where: shapes do not broadcast: ${formatShape(cond.shape)}, ${formatShape(va.shape)}, ${formatShape(vb.shape)}`);
  return g.node1("Where", [cond, va, vb], dtype, shape);
}

export const ONNX_DTYPE: Record<DType, number> = { float32: 1, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };

// ---- gradient rules ------------------------------------------------------------------------------

registerGrad("Add", (n, [gy], needs) => [needs[0] ? unbroadcast(gy!, n.inputs[0]!.shape) : null, needs[1] ? unbroadcast(gy!, n.inputs[1]!.shape) : null]);

registerGrad("Sub", (n, [gy], needs) => [needs[0] ? unbroadcast(gy!, n.inputs[0]!.shape) : null, needs[1] ? unbroadcast(neg(gy!), n.inputs[1]!.shape) : null]);

registerGrad("Mul", (n, [gy], needs) => {
  const [a, b] = n.inputs as Value[];
  return [needs[0] ? unbroadcast(mul(gy!, b!), a!.shape) : null, needs[1] ? unbroadcast(mul(gy!, a!), b!.shape) : null];
});

registerGrad("Div", (n, [gy], needs) => {
  const [a, b] = n.inputs as Value[];
  const y = n.outputs[0]!;
  return [needs[0] ? unbroadcast(div(gy!, b!), a!.shape) : null, needs[1] ? unbroadcast(neg(div(mul(gy!, y), b!)), b!.shape) : null];
});

registerGrad("Pow", (n, [gy], needs) => {
  const [a, b] = n.inputs as Value[];
  const y = n.outputs[0]!;
  return [needs[0] ? unbroadcast(mul(gy!, mul(b!, pow(a!, sub(b!, 1)))), a!.shape) : null, needs[1] ? unbroadcast(mul(gy!, mul(y, log(a!))), b!.shape) : null];
});

registerGrad("Neg", (_n, [gy]) => [neg(gy!)]);
registerGrad("Sqrt", (n, [gy]) => [div(gy!, mul(n.outputs[0]!, 2))]);
registerGrad("Exp", (n, [gy]) => [mul(gy!, n.outputs[0]!)]);
registerGrad("Log", (n, [gy]) => [div(gy!, n.inputs[0]!)]);
registerGrad("Tanh", (n, [gy]) => {
  const y = n.outputs[0]!;
  return [mul(gy!, sub(1, mul(y, y)))];
});
registerGrad("Sigmoid", (n, [gy]) => {
  const y = n.outputs[0]!;
  return [mul(gy!, mul(y, sub(1, y)))];
});
registerGrad("Relu", (n, [gy]) => [where(greater(n.inputs[0]!, 0), gy!, 0)]);
registerGrad("Erf", (n, [gy]) => {
  const x = n.inputs[0]!;
  return [mul(gy!, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)))];
});
// d/dx x·Φ(x) = Φ(x) + x·φ(x)
registerGrad("Gelu", (n, [gy]) => {
  const x = n.inputs[0]!;
  const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
  const pdf = mul(exp(mul(mul(x, x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
  return [mul(gy!, add(cdf, mul(x, pdf)))];
});
registerGrad("Cast", (n, [gy]) => [FLOAT_TYPES.includes(n.inputs[0]!.dtype) ? cast(gy!, n.inputs[0]!.dtype) : null]);
registerGrad("Where", (n, [gy], needs) => {
  const [c, a, b] = n.inputs as Value[];
  return [null, needs[1] ? unbroadcast(where(c!, gy!, 0), a!.shape) : null, needs[2] ? unbroadcast(where(c!, 0, gy!), b!.shape) : null];
});
