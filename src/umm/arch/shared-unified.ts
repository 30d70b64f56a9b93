// `shared-unified`: one bidirectional transformer over one vocabulary [text | specials | image codes]
// (Lumina-DiMOO, MMaDA), in miniature. Pre-LN blocks, separate q/k/v/o projections and an up/down MLP
// with exact GELU (module names that PEFT-style target lists can name), learned positions, optional tied
// embeddings (initialised with std 0.02: with N(0,1) and tying the first loss was ~160, see the notes).
// Understanding and generation share every weight: the image they read and the image they write are
// the same codes through the same layers.

import { Graph, ParamStore } from "../../engine";
import { block, embed, head, layers } from "./layers";
import { Architecture, BuildOptions, BuiltModel, ModelConfig } from "./types";

export const sharedUnified: Architecture = {
  name: "shared-unified",
  paper: { model: "Lumina-DiMOO", shares: "one transformer and one visual tokenizer for both tasks" },
  modules: ["q", "k", "v", "o", "up", "down"],
  build(cfg: ModelConfig, base: ParamStore, adapter: ParamStore | undefined, opts: BuildOptions): BuiltModel {
    const g = new Graph(`shared-unified-${opts.head.kind}`);
    if (cfg.d % cfg.heads !== 0) throw new Error(`shared-unified: d ${cfg.d} is not divisible by heads ${cfg.heads}`);
    const L = layers(g, cfg, base, adapter, opts, "shared-unified");
    const ids = g.input("ids", "int64", ["B", cfg.seq]);
    let { x, emb } = embed(L, cfg, ids);
    for (let i = 0; i < cfg.layers; i++) {
      x = block(L, cfg, x, i, opts);
      if (opts.hidden) g.output(`hidden.${i}`, x);
    }
    const out = head(L, cfg, x, emb, opts);
    return { graph: g, out, loraParams: L.loraParams, loraModules: L.loraModules };
  },
};
