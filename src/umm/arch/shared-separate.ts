// `shared-separate`: one transformer, two visual paths (Janus-Pro), in miniature. Generation reads and
// writes the image as VQ codes through the shared token embedding and head, as `shared-unified` does;
// understanding reads the image through its own continuous encoder — a learned projection of each
// patch's pixels (`und_encoder.proj`), no codebook lookup. The two visual paths share only the
// transformer: what understanding learns about how objects look does not pass through the codes the
// generator draws with.

import { F, Graph, ParamStore } from "../../engine";
import { block, embed, head, layers } from "./layers";
import { Architecture, BuildOptions, BuiltModel, ModelConfig, imagePositions } from "./types";

/** The understanding encoder's input: each patch's RGB pixels, scaled to [0, 1]. */
export const PATCH_PIXELS = 8 * 8 * 3;

export const sharedSeparate: Architecture = {
  name: "shared-separate",
  paper: { model: "Janus-Pro", shares: "one transformer; understanding reads pixels through its own encoder, generation writes VQ codes" },
  modules: ["q", "k", "v", "o", "up", "down", "proj"],
  build(cfg: ModelConfig, base: ParamStore, adapter: ParamStore | undefined, opts: BuildOptions): BuiltModel {
    const g = new Graph(`shared-separate-${opts.head.kind}`);
    if (cfg.d % cfg.heads !== 0) throw new Error(`shared-separate: d ${cfg.d} is not divisible by heads ${cfg.heads}`);
    const L = layers(g, cfg, base, adapter, opts, "shared-separate");
    const ids = g.input("ids", "int64", ["B", cfg.seq]);
    const und = g.input("und_image_mask", "float32", ["B", cfg.seq, 1]);
    const pixels = g.input("und_pixels", "float32", ["B", cfg.seq, PATCH_PIXELS]);
    const tokens = embed(L, cfg, ids);
    // At the understanding image's positions the token embedding is replaced by the encoder's vector;
    // the learned positions and the shared cell positions stay (they are part of `tokens.x`).
    const codeEmb = F.gather(tokens.emb, ids);
    const encoded = L.linear(pixels, "und_encoder.proj", PATCH_PIXELS, cfg.d);
    let x = F.add(tokens.x, F.mul(F.sub(encoded, codeEmb), und));
    for (let i = 0; i < cfg.layers; i++) {
      x = block(L, cfg, x, i, opts);
      if (opts.hidden) g.output(`hidden.${i}`, x);
    }
    const out = head(L, cfg, x, tokens.emb, opts);
    return { graph: g, out, loraParams: L.loraParams, loraModules: L.loraModules };
  },
  extraInputs: (rows, info) => {
    const mask = imagePositions(rows, info, "und");
    const pixels = new Float32Array(rows.length * info.seq * PATCH_PIXELS);
    rows.forEach((r, i) => {
      for (let p = 0; p < info.seq; p++) {
        if (!mask[i * info.seq + p]) continue;
        const code = r[p]! - info.imageOffset;
        // A masked or non-image token at an image position (none in understanding rows) reads as black.
        if (code < 0 || code * info.patchDim >= info.codebook.length) continue;
        for (let j = 0; j < PATCH_PIXELS; j++) pixels[(i * info.seq + p) * PATCH_PIXELS + j] = info.codebook[code * info.patchDim + j]! / 255;
      }
    });
    return { und_image_mask: { data: mask, width: 1 }, und_pixels: { data: pixels, width: PATCH_PIXELS } };
  },
};
