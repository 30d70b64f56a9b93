// The graph: values, nodes and the bookkeeping that turns TypeScript calls into an ONNX graph.
//
// Every DSL op (src/engine/ops/*) checks shapes and appends ONNX nodes here directly, so the graph that
// autodiff walks is the graph that gets emitted: there is no second lowering step to keep in sync.

import { Dim, Shape, formatShape } from "./shape";

export type DType = "float32" | "float64" | "float16" | "int64" | "int32" | "bool";

export const FLOAT_TYPES: readonly DType[] = ["float32", "float64", "float16"];

export type AttrValue = number | string | number[] | string[] | { float: number } | { floats: number[] };

export type ValueKind = "input" | "param" | "const" | "node";

export class Value {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly kind: ValueKind,
    public producer?: Node,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}:${this.dtype}${formatShape(this.shape)}`;
  }
}

export interface Node {
  readonly op: string; // ONNX op type
  readonly domain: string; // "" for the default ONNX domain
  readonly inputs: (Value | null)[]; // null = omitted optional input
  readonly outputs: Value[];
  readonly attrs: Record<string, AttrValue>;
}

/** Data of a constant (an ONNX initializer that is not a parameter). */
export interface ConstData {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | Uint16Array;
}

export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly params: Value[] = [];
  readonly consts = new Map<Value, ConstData>();
  readonly outputs = new Map<string, Value>();
  private nextId = 0;
  private readonly names = new Set<string>();
  private readonly constCache = new Map<string, Value>();
  /** For each symbolic dim name, an input that carries it and the axis where it does. */
  readonly dimSources = new Map<string, { value: Value; axis: number }>();
  private readonly dimTensors = new Map<string, Value>();

  constructor(
    readonly name = "graph",
    readonly floatType: DType = "float32",
  ) {}

  private fresh(prefix: string): string {
    let name = prefix;
    while (this.names.has(name)) name = `${prefix}_${this.nextId++}`;
    this.names.add(name);
    return name;
  }

  private claim(name: string, what: string): void {
    if (this.names.has(name)) throw new Error(`${what}: the name "${name}" is already used in graph "${this.name}"`);
    this.names.add(name);
  }

  /** A runtime input (data fed at every run), e.g. token ids [B,S]. */
  input(name: string, dtype: DType, shape: Shape): Value {
    this.claim(name, "input");
    const v = new Value(this, this.nextId++, name, dtype, shape, "input");
    this.inputs.push(v);
    shape.forEach((d, axis) => {
      if (typeof d === "string" && !d.includes("*") && !this.dimSources.has(d)) this.dimSources.set(d, { value: v, axis });
    });
    return v;
  }

  /** A parameter: a named static-shaped tensor, fed as an input when training and baked in on export. */
  param(name: string, shape: readonly number[], dtype: DType = this.floatType): Value {
    this.claim(name, "param");
    const v = new Value(this, this.nextId++, name, dtype, shape, "param");
    this.params.push(v);
    return v;
  }

  paramByName(name: string): Value | undefined {
    return this.params.find((p) => p.name === name);
  }

  /** A constant tensor, deduplicated by content. */
  constant(data: ConstData, hint = "const"): Value {
    const key = `${data.dtype}|${data.shape.join(",")}|${Array.from(data.data as ArrayLike<number | bigint>).join(",")}`;
    const cached = key.length < 4096 ? this.constCache.get(key) : undefined;
    if (cached) return cached;
    const v = new Value(this, this.nextId++, this.fresh(hint), data.dtype, data.shape, "const");
    this.consts.set(v, data);
    if (key.length < 4096) this.constCache.set(key, v);
    return v;
  }

  scalar(x: number, dtype: DType = this.floatType): Value {
    return this.constant({ dtype, shape: [], data: typedArrayFor(dtype, [x]) }, "scalar");
  }

  int64s(xs: readonly number[], hint = "ints"): Value {
    return this.constant({ dtype: "int64", shape: [xs.length], data: BigInt64Array.from(xs.map((x) => BigInt(x))) }, hint);
  }

  /** Appends a node and returns its outputs, one Value per (dtype, shape) given. */
  node(op: string, inputs: (Value | null)[], outs: { dtype: DType; shape: Shape }[], attrs: Record<string, AttrValue> = {}, domain = ""): Value[] {
    for (const v of inputs) if (v && v.graph !== this) throw new Error(`${op}: input ${v.name} belongs to another graph`);
    const outputs = outs.map((o) => new Value(this, this.nextId++, this.fresh(`${op.toLowerCase()}`), o.dtype, o.shape, "node"));
    const node: Node = { op, domain, inputs, outputs, attrs };
    for (const o of outputs) o.producer = node;
    this.nodes.push(node);
    return outputs;
  }

  node1(op: string, inputs: (Value | null)[], dtype: DType, shape: Shape, attrs: Record<string, AttrValue> = {}): Value {
    return this.node(op, inputs, [{ dtype, shape }], attrs)[0]!;
  }

  /** Marks a value as a named graph output. */
  output(name: string, v: Value): Value {
    if (this.outputs.has(name)) throw new Error(`output: "${name}" is already an output of graph "${this.name}"`);
    this.outputs.set(name, v);
    return v;
  }

  /**
   * A 1-D int64 tensor holding the given shape at run time. Static dims become constants; a symbolic dim
   * is read with a Shape node from an input that carries it, so reshapes work for any batch size.
   */
  shapeTensor(dims: readonly Dim[]): Value {
    if (dims.every((d) => typeof d === "number")) return this.int64s(dims as number[], "shape");
    const parts: Value[] = dims.map((d) => (typeof d === "number" ? this.int64s([d], "dim") : this.dimTensor(d)));
    return this.node1("Concat", parts, "int64", [dims.length], { axis: 0 });
  }

  private dimTensor(dim: string): Value {
    const cached = this.dimTensors.get(dim);
    if (cached) return cached;
    let t: Value;
    const factors = dim.split("*");
    if (factors.length > 1) {
      t = factors
        .map((f) => (Number.isFinite(Number(f)) ? this.int64s([Number(f)], "dim") : this.dimTensor(f)))
        .reduce((a, b) => this.node1("Mul", [a, b], "int64", [1]));
    } else {
      const src = this.dimSources.get(dim);
      if (!src) throw new Error(`shape: symbolic dim "${dim}" is carried by no graph input, so it cannot be read at run time`);
      t = this.node1("Shape", [src.value], "int64", [1], { start: src.axis, end: src.axis + 1 });
    }
    this.dimTensors.set(dim, t);
    return t;
  }
}

export function typedArrayFor(dtype: DType, xs: readonly number[]): ConstData["data"] {
  switch (dtype) {
    case "float32":
      return Float32Array.from(xs);
    case "float64":
      return Float64Array.from(xs);
    case "int64":
      return BigInt64Array.from(xs.map((x) => BigInt(Math.trunc(x))));
    case "int32":
      return Int32Array.from(xs);
    case "bool":
      return Uint8Array.from(xs.map((x) => (x ? 1 : 0)));
    case "float16":
      throw new Error("constants of dtype float16 are not supported; build in float32 and cast");
  }
}
