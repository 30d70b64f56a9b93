// `mot`: a mixture of transformers (BAGEL), in miniature. Text and image tokens have their own
// projections, MLPs and norms (an expert per modality), coupled by one self-attention over the whole
// sequence: the two pathways share only what attention passes between positions. Image positions are
// the image slot of either layout — the canvas being drawn and the image being read — so generation and
// understanding share the image expert, and text shares the text expert.

import { F, Graph, ParamStore, Value } from "../../engine";
import { block, embed, head, layers } from "./layers";
import { Architecture, BuildOptions, BuiltModel, ModelConfig, imagePositions } from "./types";

/** `blocks.0.attn.q` → `blocks.0.image.attn.q`: the image expert of a module, under the same module name. */
const imageExpert = (name: string) => name.replace(/^(blocks\.\d+)\./, "$1.image.");

export const mot: Architecture = {
  name: "mot",
  paper: { model: "BAGEL", shares: "text and image tokens through their own attention projections and MLPs, coupled by one attention over the sequence" },
  modules: ["q", "k", "v", "o", "up", "down"],
  build(cfg: ModelConfig, base: ParamStore, adapter: ParamStore | undefined, opts: BuildOptions): BuiltModel {
    const g = new Graph(`mot-${opts.head.kind}`);
    if (cfg.d % cfg.heads !== 0) throw new Error(`mot: d ${cfg.d} is not divisible by heads ${cfg.heads}`);
    const L = layers(g, cfg, base, adapter, opts, "mot");
    const ids = g.input("ids", "int64", ["B", cfg.seq]);
    const image = g.input("image_mask", "float32", ["B", cfg.seq, 1]);
    const text = F.sub(1, image);
    const mix = (t: Value, im: Value) => F.add(F.mul(t, text), F.mul(im, image));
    const linear = (x: Value, name: string, inF: number, outF: number) => mix(L.linear(x, name, inF, outF), L.linear(x, imageExpert(name), inF, outF));
    const norm = (x: Value, name: string) => mix(L.norm(x, name, cfg.d), L.norm(x, imageExpert(name), cfg.d));
    let { x, emb } = embed(L, cfg, ids);
    for (let i = 0; i < cfg.layers; i++) {
      x = block(L, cfg, x, i, opts, linear, norm);
      if (opts.hidden) g.output(`hidden.${i}`, x);
    }
    const out = head(L, cfg, x, emb, opts);
    return { graph: g, out, loraParams: L.loraParams, loraModules: L.loraModules };
  },
  extraInputs: (rows, info) => ({ image_mask: { data: imagePositions(rows, info, "any"), width: 1 } }),
};
