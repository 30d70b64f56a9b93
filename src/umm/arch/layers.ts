// The layers every family is built from: one LoRA-aware linear layer (PEFT's model: a target module is
// matched by the last component of the module's name, so `q` adapts `blocks.0.attn.q` and the image
// expert `blocks.0.image.attn.q` alike), layer norm, embeddings with the shared cell positions, a
// pre-LN transformer block and the heads. A family file composes these; none has its own LoRA code.

import { F, Graph, ParamStore, Value, linearInit } from "../../engine";
import { BuildOptions, LoraConfig, ModelConfig } from "./types";

export interface Layers {
  g: Graph;
  P: (name: string, shape: number[], init: Parameters<ParamStore["ensure"]>[2]) => Value;
  /**
   * x Wᵀ + b, plus the LoRA delta when the module (the name's last component) is a target. `weights`:
   * the delta's per-position weights for patching when x is not the [B, seq] sequence (null: none).
   */
  linear: (x: Value, name: string, inF: number, outF: number, weights?: Value | null) => Value;
  /** Patching's per-position weights [B, seq, 1] (the `lora_positions` input), when the graph has them. */
  positions: Value | undefined;
  norm: (x: Value, name: string, d: number) => Value;
  loraParams: string[];
  loraModules: string[];
}

/** The module a parameter path names: its last component (`blocks.0.attn.q` → `q`). */
export const moduleOf = (name: string) => name.slice(name.lastIndexOf(".") + 1);

export function layers(g: Graph, cfg: ModelConfig, base: ParamStore, adapter: ParamStore | undefined, opts: BuildOptions, family: string): Layers {
  const lora = opts.lora;
  if (lora && !adapter) throw new Error(`${family}: LoRA needs an adapter store`);
  const P: Layers["P"] = (name, shape, init) => base.param(g, name, shape, init);
  const loraParams: string[] = [];
  const loraModules: string[] = [];
  const positions = lora && opts.loraPositions ? g.input("lora_positions", "float32", ["B", cfg.seq, 1]) : undefined;
  // GPT-2's init scales the residual projections (attn.o, mlp.down) by 1/√(2·layers).
  const residual = new Set(["o", "down"]);
  const weightInit = (inF: number, module: string) =>
    cfg.weightInit === "gpt2" ? { kind: "normal" as const, std: residual.has(module) ? 0.02 / Math.sqrt(2 * cfg.layers) : 0.02 } : linearInit(inF);
  const linear: Layers["linear"] = (x, name, inF, outF, weights) => {
    const module = moduleOf(name);
    let y = F.linear(x, P(`${name}.weight`, [outF, inF], weightInit(inF, module)), P(`${name}.bias`, [outF], { kind: "zeros" }));
    if (lora && lora.targetModules.includes(module)) {
      const delta = loraDelta(g, adapter!, x, name, inF, outF, lora, loraParams);
      const w = weights === undefined ? positions : weights;
      y = F.add(y, w ? F.mul(delta, w) : delta);
      loraModules.push(name);
    }
    return y;
  };
  const norm: Layers["norm"] = (x, name, d) => F.layerNorm(x, P(`${name}.weight`, [d], { kind: "ones" }), P(`${name}.bias`, [d], { kind: "zeros" }));
  return { g, P, linear, norm, loraParams, loraModules, positions };
}

/** Token embeddings plus learned positions, plus the shared cell positions at every image slot. */
export function embed(L: Layers, cfg: ModelConfig, ids: Value): { x: Value; emb: Value } {
  const { d, seq, vocab } = cfg;
  const emb = L.P("emb.weight", [vocab, d], { kind: "normal", std: cfg.embStd ?? 0.02 });
  let x = F.add(F.gather(emb, ids), L.P("pos", [seq, d], { kind: "normal", std: 0.02 }));
  if (cfg.imageCells) {
    // S [seq, cells] places cell j at position start + j of every image slot; S · pos.cell adds it there.
    const { starts, count, cols } = cfg.imageCells;
    const S = new Float32Array(seq * count);
    for (const s of starts) for (let j = 0; j < count; j++) S[(s + j) * count + j] = 1;
    const cells = L.P("pos.cell", [count, d], { kind: "grid2d", cols, scale: 0.05 });
    x = F.add(x, F.matmul(L.g.constant({ dtype: "float32", shape: [seq, count], data: S }, "cell_slots"), cells));
  }
  return { x, emb };
}

/**
 * A linear layer with one expert per modality (mixture of transformers): image positions (mask 1) use
 * `<prefix>.image.<rest>`, the others `<prefix>.<rest>`; both are LoRA targets under the same module name.
 */
export type ExpertLinear = (x: Value, name: string, inF: number, outF: number) => Value;

/**
 * One pre-LN block: self-attention over the whole sequence, then an MLP; `linear` and `norm` decide
 * whether projections and norms are shared or per modality. Outputs the attention when asked.
 */
export function block(
  L: Layers,
  cfg: ModelConfig,
  x: Value,
  i: number,
  opts: BuildOptions,
  linear: ExpertLinear = L.linear,
  norm: (x: Value, name: string) => Value = (v, n) => L.norm(v, n, cfg.d),
  prefix = "blocks",
  len: number = cfg.seq,
): Value {
  const { d, heads } = cfg;
  if (d % heads !== 0) throw new Error(`d ${d} is not divisible by heads ${heads}`);
  const dh = d / heads;
  const pre = `${prefix}.${i}`;
  const h = norm(x, `${pre}.ln1`);
  const split = (t: Value, perm: number[]) => F.transpose(F.reshape(t, ["B", len, heads, dh]), perm);
  const q = split(linear(h, `${pre}.attn.q`, d, d), [0, 2, 1, 3]);
  const k = split(linear(h, `${pre}.attn.k`, d, d), [0, 2, 3, 1]);
  const v = split(linear(h, `${pre}.attn.v`, d, d), [0, 2, 1, 3]);
  const att = F.softmax(F.mul(F.matmul(q, k), 1 / Math.sqrt(dh)), -1);
  if (opts.attention && prefix === "blocks") L.g.output(`attn.${i}`, att);
  const merged = F.reshape(F.transpose(F.matmul(att, v), [0, 2, 1, 3]), ["B", len, d]);
  x = F.add(x, linear(merged, `${pre}.attn.o`, d, d));
  const hidden = cfg.mlpRatio * d;
  return F.add(x, linear(F.gelu(linear(norm(x, `${pre}.ln2`), `${pre}.mlp.up`, d, hidden)), `${pre}.mlp.down`, hidden, d));
}

/** The output head over the final states: the training loss, or a slot's logits (the sampler's hot path). */
export function head(L: Layers, cfg: ModelConfig, x: Value, emb: Value, opts: BuildOptions): Value {
  const { g } = L;
  const { d, seq, vocab } = cfg;
  x = L.norm(x, "ln_f", d);
  const headW = cfg.tied ? emb : L.P("head.weight", [vocab, d], { kind: "normal", std: 0.02 });
  const headB = L.P("head.bias", [vocab], { kind: "zeros" });
  if (opts.head.kind === "train") {
    const logits = F.linear(x, headW, headB);
    const targets = g.input("targets", "int64", ["B", seq]);
    const weights = g.input("weights", "float32", ["B", seq]);
    const ce = F.crossEntropy(logits, targets, { ignoreIndex: -100, reduction: "none" });
    return g.output("loss", F.reduceSum(F.mul(ce, weights), [0, 1]));
  }
  const { start, length, vocabStart, vocabEnd } = opts.head;
  const hs = F.slice(x, [1], [start], [start + length]);
  const w = F.slice(headW, [0], [vocabStart], [vocabEnd]);
  const b = F.slice(headB, [0], [vocabStart], [vocabEnd]);
  return g.output("logits", F.linear(hs, w, b));
}

/** PEFT's LoRA delta: (dropout(x) Aᵀ) Bᵀ · alpha/r, with A ~ U(±1/√in) and B = 0 at creation. */
function loraDelta(g: Graph, adapter: ParamStore, x: Value, name: string, inF: number, outF: number, lora: LoraConfig, names: string[]): Value {
  const a = adapter.param(g, `${name}.lora_A.weight`, [lora.r, inF], { kind: "uniform", low: -1 / Math.sqrt(inF), high: 1 / Math.sqrt(inF) });
  const b = adapter.param(g, `${name}.lora_B.weight`, [outF, lora.r], { kind: "zeros" });
  names.push(a.name, b.name);
  let xin = x;
  if (lora.dropout > 0) {
    // A mask per module, fed by the trainer from its seeded generator (so runs reproduce exactly).
    const mask = g.input(`dropout.${name}`, "float32", x.shape);
    xin = F.mul(x, mask);
  }
  return F.mul(F.linear(F.linear(xin, a), b), lora.alpha / lora.r);
}
