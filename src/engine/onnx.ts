// Emission of a standard ONNX ModelProto from a Graph.
//
// The protobuf schema below is the subset of onnx.proto that a model needs, declared with protobufjs's
// reflection API (field numbers as the ONNX spec fixes them), so encoding is protobufjs's, not ours.

import * as protobuf from "protobufjs";
import { AttrValue, ConstData, Graph, Node, Value } from "./graph";
import { ONNX_DTYPE } from "./ops/elementwise";

export const OPSET = 20;
export const IR_VERSION = 9;

const schema = {
  nested: {
    onnx: {
      nested: {
        OperatorSetIdProto: { fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } } },
        StringStringEntryProto: { fields: { key: { type: "string", id: 1 }, value: { type: "string", id: 2 } } },
        TensorProto: {
          fields: {
            dims: { rule: "repeated", type: "int64", id: 1 },
            dataType: { type: "int32", id: 2 },
            name: { type: "string", id: 8 },
            rawData: { type: "bytes", id: 9 },
          },
        },
        AttributeProto: {
          fields: {
            name: { type: "string", id: 1 },
            f: { type: "float", id: 2 },
            i: { type: "int64", id: 3 },
            s: { type: "bytes", id: 4 },
            floats: { rule: "repeated", type: "float", id: 7 },
            ints: { rule: "repeated", type: "int64", id: 8 },
            strings: { rule: "repeated", type: "bytes", id: 9 },
            type: { type: "int32", id: 20 },
          },
        },
        NodeProto: {
          fields: {
            input: { rule: "repeated", type: "string", id: 1 },
            output: { rule: "repeated", type: "string", id: 2 },
            name: { type: "string", id: 3 },
            opType: { type: "string", id: 4 },
            attribute: { rule: "repeated", type: "AttributeProto", id: 5 },
            domain: { type: "string", id: 7 },
          },
        },
        Dimension: { fields: { dimValue: { type: "int64", id: 1 }, dimParam: { type: "string", id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } } },
        TensorTypeProto: { fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } } },
        TypeProto: { fields: { tensorType: { type: "TensorTypeProto", id: 1 } } },
        ValueInfoProto: { fields: { name: { type: "string", id: 1 }, type: { type: "TypeProto", id: 2 } } },
        GraphProto: {
          fields: {
            node: { rule: "repeated", type: "NodeProto", id: 1 },
            name: { type: "string", id: 2 },
            initializer: { rule: "repeated", type: "TensorProto", id: 5 },
            input: { rule: "repeated", type: "ValueInfoProto", id: 11 },
            output: { rule: "repeated", type: "ValueInfoProto", id: 12 },
          },
        },
        ModelProto: {
          fields: {
            irVersion: { type: "int64", id: 1 },
            producerName: { type: "string", id: 2 },
            producerVersion: { type: "string", id: 3 },
            graph: { type: "GraphProto", id: 7 },
            opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 },
            metadataProps: { rule: "repeated", type: "StringStringEntryProto", id: 14 },
          },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(schema);
export const ModelProto = root.lookupType("onnx.ModelProto");

const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 };

function attribute(name: string, v: AttrValue): object {
  if (typeof v === "number") return { name, type: ATTR.INT, i: v };
  if (typeof v === "string") return { name, type: ATTR.STRING, s: Buffer.from(v) };
  if (Array.isArray(v)) {
    if ((v as unknown[]).every((x) => typeof x === "number")) return { name, type: ATTR.INTS, ints: v };
    return { name, type: ATTR.STRINGS, strings: (v as string[]).map((s) => Buffer.from(s)) };
  }
  if ("float" in v) return { name, type: ATTR.FLOAT, f: v.float };
  return { name, type: ATTR.FLOATS, floats: v.floats };
}

function valueInfo(v: Value, name = v.name): object {
  return {
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[v.dtype],
        shape: { dim: v.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function tensorProto(name: string, c: ConstData): object {
  const bytes = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  return { name, dims: [...c.shape], dataType: ONNX_DTYPE[c.dtype], rawData: bytes };
}

export interface EmitOptions {
  /** Graph outputs to emit, by name; default all. Nodes not needed for them are pruned. */
  outputs?: readonly string[];
  /** Parameter data to bake in as initializers; parameters without data stay graph inputs. */
  paramData?: (p: Value) => ConstData | undefined;
  metadata?: Record<string, string>;
}

/** Nodes needed to compute the given values, in graph order. */
export function neededNodes(graph: Graph, targets: readonly Value[]): Node[] {
  const need = new Set<Node>();
  const stack = targets.map((t) => t.producer).filter((p): p is Node => !!p);
  while (stack.length) {
    const n = stack.pop()!;
    if (need.has(n)) continue;
    need.add(n);
    for (const i of n.inputs) if (i?.producer && !need.has(i.producer)) stack.push(i.producer);
  }
  return graph.nodes.filter((n) => need.has(n));
}

export function emitModel(graph: Graph, opts: EmitOptions = {}): Uint8Array {
  const outNames = opts.outputs ?? [...graph.outputs.keys()];
  const outs = outNames.map((name) => {
    const v = graph.outputs.get(name);
    if (!v) throw new Error(`emit: "${name}" is not an output of graph "${graph.name}" (outputs: ${[...graph.outputs.keys()].join(", ")})`);
    return [name, v] as const;
  });
  const nodes = neededNodes(
    graph,
    outs.map(([, v]) => v),
  );
  const used = new Set<Value>();
  for (const n of nodes) for (const i of n.inputs) if (i) used.add(i);
  for (const [, v] of outs) used.add(v);

  const inputs: object[] = [];
  const initializers: object[] = [];
  for (const v of graph.inputs) if (used.has(v)) inputs.push(valueInfo(v));
  for (const p of graph.params) {
    if (!used.has(p)) continue;
    const data = opts.paramData?.(p);
    if (data) initializers.push(tensorProto(p.name, data));
    else inputs.push(valueInfo(p));
  }
  for (const [v, c] of graph.consts) if (used.has(v)) initializers.push(tensorProto(v.name, c));

  // Outputs that are an input, a param or shared by two names get an Identity so every name is distinct.
  const extra: object[] = [];
  const outputInfos = outs.map(([name, v]) => {
    if (name !== v.name) extra.push({ input: [v.name], output: [name], opType: "Identity", name: `out_${name}` });
    return valueInfo(v, name);
  });

  const nodeProtos = nodes.map((n, k) => ({
    input: n.inputs.map((i) => (i ? i.name : "")),
    output: n.outputs.map((o) => o.name),
    name: `${n.op}_${k}`,
    opType: n.op,
    domain: n.domain,
    attribute: Object.entries(n.attrs).map(([k2, v]) => attribute(k2, v)),
  }));

  const model = {
    irVersion: IR_VERSION,
    producerName: "transferlab",
    producerVersion: "0.1.0",
    opsetImport: [{ domain: "", version: OPSET }],
    metadataProps: Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: { name: graph.name, node: [...nodeProtos, ...extra], initializer: initializers, input: inputs, output: outputInfos },
  };
  const err = ModelProto.verify(model);
  if (err) throw new Error(`emit: invalid ModelProto: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}
