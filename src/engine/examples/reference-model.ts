// The engine's reference transformer: the model that the PyTorch parity check and the engine
// benchmark share. Pre-LN bidirectional blocks, fused qkv, exact GELU, learned positions, untied head,
// parameter names and layouts as PyTorch's state_dict would hold them.

import { DType, F, Graph, ParamStore, Value, linearInit } from "..";

export interface ReferenceConfig {
  vocab: number;
  d: number;
  layers: number;
  heads: number;
  seq: number;
}

export const REFERENCE: ReferenceConfig = { vocab: 640, d: 192, layers: 4, heads: 6, seq: 80 };

export interface LoraSpec {
  rank: number;
  alpha: number;
  /** Layer names inside a block that get an adapter, e.g. ["qkv", "o", "f1", "f2"]. */
  targets: readonly string[];
}

export interface ReferenceModel {
  graph: Graph;
  inputIds: Value;
  targets: Value;
  logits: Value;
  loss: Value;
  /** Names of the LoRA factors, when built with LoRA. */
  loraParams: string[];
}

export function buildReference(cfg: ReferenceConfig, store: ParamStore, opts: { floatType?: DType; lora?: LoraSpec } = {}): ReferenceModel {
  const g = new Graph("reference", opts.floatType ?? "float32");
  const { vocab, d, layers, heads, seq } = cfg;
  if (d % heads !== 0) throw new Error(`reference: d ${d} is not divisible by heads ${heads}`);
  const dh = d / heads;
  const P = (name: string, shape: number[], init: Parameters<ParamStore["ensure"]>[2]) => store.param(g, name, shape, init);
  const loraParams: string[] = [];

  const linear = (x: Value, name: string, inF: number, outF: number, layerName: string): Value => {
    const w = P(`${name}.weight`, [outF, inF], linearInit(inF));
    const b = P(`${name}.bias`, [outF], linearInit(inF));
    let y = F.linear(x, w, b);
    const lora = opts.lora;
    if (lora && lora.targets.includes(layerName)) {
      // PEFT's LoRA: A ~ U(±1/√in) (kaiming-uniform with a=√5), B = 0, delta = (x Aᵀ) Bᵀ · alpha/r.
      const a = P(`${name}.lora_A.weight`, [lora.rank, inF], linearInit(inF));
      const bB = P(`${name}.lora_B.weight`, [outF, lora.rank], { kind: "zeros" });
      loraParams.push(a.name, bB.name);
      y = F.add(y, F.mul(F.linear(F.linear(x, a), bB), lora.alpha / lora.rank));
    }
    return y;
  };
  const norm = (x: Value, name: string) => F.layerNorm(x, P(`${name}.weight`, [d], { kind: "ones" }), P(`${name}.bias`, [d], { kind: "zeros" }));

  const inputIds = g.input("input_ids", "int64", ["B", seq]);
  const targets = g.input("targets", "int64", ["B", seq]);
  let x = F.add(F.gather(P("emb.weight", [vocab, d], { kind: "normal", std: 1 }), inputIds), P("pos", [seq, d], { kind: "normal", std: 0.02 }));

  for (let i = 0; i < layers; i++) {
    const pre = `blocks.${i}`;
    const h = norm(x, `${pre}.ln1`);
    const qkv = linear(h, `${pre}.qkv`, d, 3 * d, "qkv");
    const [q, k, v] = F.split(qkv, -1, [d, d, d]);
    const heads4 = (t: Value, perm: number[]) => F.transpose(F.reshape(t, ["B", seq, heads, dh]), perm);
    const scores = F.mul(F.matmul(heads4(q!, [0, 2, 1, 3]), heads4(k!, [0, 2, 3, 1])), 1 / Math.sqrt(dh));
    const att = F.matmul(F.softmax(scores, -1), heads4(v!, [0, 2, 1, 3]));
    const merged = F.reshape(F.transpose(att, [0, 2, 1, 3]), ["B", seq, d]);
    x = F.add(x, linear(merged, `${pre}.o`, d, d, "o"));
    const m = linear(F.gelu(linear(norm(x, `${pre}.ln2`), `${pre}.f1`, d, 4 * d, "f1")), `${pre}.f2`, 4 * d, d, "f2");
    x = F.add(x, m);
  }
  const logits = linear(norm(x, "ln"), "head", d, vocab, "head");
  const loss = F.crossEntropy(logits, targets);
  g.output("logits", logits);
  return { graph: g, inputIds, targets, logits, loss, loraParams };
}

/** Forward FLOPs per token of the reference model's matmuls (2 per multiply-add), attention included. */
export function forwardFlopsPerToken(cfg: ReferenceConfig, lora?: LoraSpec): number {
  const { d, layers, seq, vocab } = cfg;
  let perLayer = 2 * (d * 3 * d + d * d + d * 4 * d + 4 * d * d) + 2 * 2 * seq * d;
  if (lora) {
    const dims: Record<string, [number, number]> = { qkv: [d, 3 * d], o: [d, d], f1: [d, 4 * d], f2: [4 * d, d] };
    for (const t of lora.targets) if (dims[t]) perLayer += 2 * lora.rank * (dims[t]![0] + dims[t]![1]);
  }
  return layers * perLayer + 2 * d * vocab;
}
