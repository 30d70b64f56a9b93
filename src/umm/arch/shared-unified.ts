// `shared-unified`: one bidirectional transformer over one vocabulary [text | specials | image codes]
// (Lumina-DiMOO, MMaDA), in miniature. Pre-LN blocks, separate q/k/v/o projections and an up/down MLP
// with exact GELU (module names that PEFT-style target lists can name), learned positions, optional tied
// embeddings (initialised with std 0.02: with N(0,1) and tying the first loss was ~160, see the notes).

import { F, Graph, ParamStore, Value, linearInit } from "../../engine";
import { Architecture, BuildOptions, BuiltModel, LoraConfig, ModelConfig } from "./types";

export const sharedUnified: Architecture = {
  name: "shared-unified",
  build(cfg: ModelConfig, base: ParamStore, adapter: ParamStore | undefined, opts: BuildOptions): BuiltModel {
    const g = new Graph(`shared-unified-${opts.head.kind}`);
    const { d, layers, heads, seq, vocab } = cfg;
    if (d % heads !== 0) throw new Error(`shared-unified: d ${d} is not divisible by heads ${heads}`);
    const dh = d / heads;
    const hidden = cfg.mlpRatio * d;
    const P = (name: string, shape: number[], init: Parameters<ParamStore["ensure"]>[2]) => base.param(g, name, shape, init);
    const lora = opts.lora;
    if (lora && !adapter) throw new Error("shared-unified: LoRA needs an adapter store");
    const loraParams: string[] = [];
    const loraModules: string[] = [];

    const positions = lora && opts.loraPositions ? g.input("lora_positions", "float32", ["B", seq, 1]) : undefined;
    const residual = new Set(["o", "down"]);
    const weightInit = (inF: number, module: string) =>
      cfg.weightInit === "gpt2" ? { kind: "normal" as const, std: residual.has(module) ? 0.02 / Math.sqrt(2 * layers) : 0.02 } : linearInit(inF);
    const linear = (x: Value, name: string, inF: number, outF: number, module: string): Value => {
      let y = F.linear(x, P(`${name}.weight`, [outF, inF], weightInit(inF, module)), P(`${name}.bias`, [outF], { kind: "zeros" }));
      if (lora && lora.targetModules.includes(module)) {
        const delta = loraDelta(g, adapter!, x, name, inF, outF, lora, loraParams);
        y = F.add(y, positions ? F.mul(delta, positions) : delta);
      }
      if (lora && lora.targetModules.includes(module)) loraModules.push(name);
      return y;
    };
    const norm = (x: Value, name: string) => F.layerNorm(x, P(`${name}.weight`, [d], { kind: "ones" }), P(`${name}.bias`, [d], { kind: "zeros" }));

    const ids = g.input("ids", "int64", ["B", seq]);
    const emb = P("emb.weight", [vocab, d], { kind: "normal", std: cfg.embStd ?? 0.02 });
    let x = F.add(F.gather(emb, ids), P("pos", [seq, d], { kind: "normal", std: 0.02 }));
    if (cfg.imageCells) {
      // S [seq, cells] places cell j at position start + j of every image slot; S · pos.cell adds it there.
      const { starts, count, cols } = cfg.imageCells;
      const S = new Float32Array(seq * count);
      for (const s of starts) for (let j = 0; j < count; j++) S[(s + j) * count + j] = 1;
      const cells = P("pos.cell", [count, d], { kind: "grid2d", cols, scale: 0.05 });
      x = F.add(x, F.matmul(g.constant({ dtype: "float32", shape: [seq, count], data: S }, "cell_slots"), cells));
    }
    for (let i = 0; i < layers; i++) {
      const pre = `blocks.${i}`;
      const h = norm(x, `${pre}.ln1`);
      const split = (t: Value, perm: number[]) => F.transpose(F.reshape(t, ["B", seq, heads, dh]), perm);
      const q = split(linear(h, `${pre}.attn.q`, d, d, "q"), [0, 2, 1, 3]);
      const k = split(linear(h, `${pre}.attn.k`, d, d, "k"), [0, 2, 3, 1]);
      const v = split(linear(h, `${pre}.attn.v`, d, d, "v"), [0, 2, 1, 3]);
      const att = F.softmax(F.mul(F.matmul(q, k), 1 / Math.sqrt(dh)), -1);
      if (opts.attention) g.output(`attn.${i}`, att);
      const merged = F.reshape(F.transpose(F.matmul(att, v), [0, 2, 1, 3]), ["B", seq, d]);
      x = F.add(x, linear(merged, `${pre}.attn.o`, d, d, "o"));
      const m = linear(F.gelu(linear(norm(x, `${pre}.ln2`), `${pre}.mlp.up`, d, hidden, "up")), `${pre}.mlp.down`, hidden, d, "down");
      x = F.add(x, m);
      if (opts.hidden) g.output(`hidden.${i}`, x);
    }
    x = norm(x, "ln_f");
    const headW = cfg.tied ? emb : P("head.weight", [vocab, d], { kind: "normal", std: 0.02 });
    const headB = P("head.bias", [vocab], { kind: "zeros" });

    let out: Value;
    if (opts.head.kind === "train") {
      const logits = F.linear(x, headW, headB);
      const targets = g.input("targets", "int64", ["B", seq]);
      const weights = g.input("weights", "float32", ["B", seq]);
      const ce = F.crossEntropy(logits, targets, { ignoreIndex: -100, reduction: "none" });
      out = g.output("loss", F.reduceSum(F.mul(ce, weights), [0, 1]));
    } else {
      // Only the slot's positions and the slot's vocabulary range get a head: the sampler's hot path.
      const { start, length, vocabStart, vocabEnd } = opts.head;
      const hs = F.slice(x, [1], [start], [start + length]);
      const w = F.slice(headW, [0], [vocabStart], [vocabEnd]);
      const b = F.slice(headB, [0], [vocabStart], [vocabEnd]);
      out = g.output("logits", F.linear(hs, w, b));
    }
    return { graph: g, out, loraParams, loraModules };
  },
};

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
