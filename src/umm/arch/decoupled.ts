// `decoupled`: an understanding model and a separate generator joined by learnable queries (BLIP3-o),
// in miniature. The first half of the layers (`blocks.*`) is the understanding/text transformer: it reads
// everything but the canvas being drawn (the generation image's tokens are blanked for it), answers
// questions and reads prompts. A small set of learnable query vectors reads its final states through
// one cross-attention (`bridge.*`), and the second half of the layers (`gen.blocks.*`) is the generator:
// it sees those query outputs followed by the sequence, and only its states at the generation image's
// positions are used. So generation depends on understanding only through the queries.
//
// Which branch an objective trains: understanding's loss reaches only the first transformer (the
// generator's states are not used at understanding positions); generation's loss reaches the generator,
// the bridge and, through the queries, the first transformer — with LoRA on every q/k/v/o/up/down, as
// for the other families (the paper tunes only the branch of the task; here a generation adapter can
// touch the understanding branch through the bridge, which the card states).

import { F, Graph, ParamStore, Value } from "../../engine";
import { block, embed, head, layers } from "./layers";
import { Architecture, BuildOptions, BuiltModel, ModelConfig, imagePositions } from "./types";

/** How many learnable queries carry the understanding model's states to the generator. */
export const QUERIES = 8;

export const decoupled: Architecture = {
  name: "decoupled",
  paper: { model: "BLIP3-o", shares: "an understanding transformer whose states, read by learnable queries, condition a separate generator" },
  modules: ["q", "k", "v", "o", "up", "down"],
  build(cfg: ModelConfig, base: ParamStore, adapter: ParamStore | undefined, opts: BuildOptions): BuiltModel {
    const g = new Graph(`decoupled-${opts.head.kind}`);
    const { d, seq } = cfg;
    if (d % cfg.heads !== 0) throw new Error(`decoupled: d ${d} is not divisible by heads ${cfg.heads}`);
    if (cfg.layers < 2 || cfg.layers % 2 !== 0) throw new Error(`decoupled: layers ${cfg.layers} must be even (half understanding, half generator)`);
    const half = cfg.layers / 2;
    const L = layers(g, cfg, base, adapter, opts, "decoupled");
    const ids = g.input("ids", "int64", ["B", seq]);
    const canvas = g.input("gen_image_mask", "float32", ["B", seq, 1]);
    const { x, emb } = embed(L, cfg, ids);
    // The understanding transformer does not see the canvas.
    let h1: Value = F.mul(x, F.sub(1, canvas));
    for (let i = 0; i < half; i++) {
      h1 = block(L, cfg, h1, i, opts);
      if (opts.hidden) g.output(`hidden.${i}`, h1);
    }
    // The bridge: learnable queries attend over the understanding model's final states.
    const states = L.norm(h1, "bridge.ln", d);
    const queries = L.P("bridge.queries", [QUERIES, d], { kind: "normal", std: 0.02 });
    const batchQueries = F.add(F.mul(F.slice(states, [1], [0], [QUERIES]), 0), queries);
    // Patching weighs sequence positions; the queries are not positions of the sequence: always adapted.
    const q = L.linear(batchQueries, "bridge.attn.q", d, d, null);
    const k = L.linear(states, "bridge.attn.k", d, d);
    const v = L.linear(states, "bridge.attn.v", d, d);
    const att = F.softmax(F.mul(F.matmul(q, F.transpose(k, [0, 2, 1])), 1 / Math.sqrt(d)), -1);
    const read = L.linear(F.matmul(att, v), "bridge.attn.o", d, d, null);
    // The generator: the query outputs, then the sequence; its states at the canvas positions are used.
    let h2: Value = F.concat([read, x], 1);
    // The generator's positions: the queries (always adapted) and then the sequence's own weights.
    const genWeights = L.positions ? F.concat([F.add(F.mul(F.slice(L.positions, [1], [0], [QUERIES]), 0), 1), L.positions], 1) : undefined;
    const genLinear = (v2: Value, n: string, inF: number, outF: number) => L.linear(v2, n, inF, outF, genWeights);
    for (let i = 0; i < half; i++) {
      h2 = block(L, cfg, h2, i, opts, genLinear, (v2, n) => L.norm(v2, n, d), "gen.blocks", QUERIES + seq);
      if (opts.hidden) g.output(`hidden.${half + i}`, F.slice(h2, [1], [QUERIES], [QUERIES + seq]));
    }
    const generated = F.slice(h2, [1], [QUERIES], [QUERIES + seq]);
    const merged = F.add(F.mul(h1, F.sub(1, canvas)), F.mul(generated, canvas));
    const out = head(L, cfg, merged, emb, opts);
    return { graph: g, out, loraParams: L.loraParams, loraModules: L.loraModules };
  },
  extraInputs: (rows, info) => ({ gen_image_mask: { data: imagePositions(rows, info, "gen"), width: 1 } }),
};
