// `attention` (Fig. 10): where one prompt token attends over the 8×8 image tokens early in sampling,
// per model (the base and adapters), as the mean over layers and per layer.

import * as aq from "arquero";
import * as T from "../../tasks";
import type { RgbImage } from "../../tasks";
import * as U from "../../umm";
import { SpecError } from "../../core/fields";
import { attentionMaps } from "../../viz/figures";
import { common } from "./fields";
import { defineVerb } from "./verb";

export default defineVerb({
  name: "attention",
  help: "Fig. 10: attention of a prompt token over the image tokens early in sampling, base and adapters side by side.",
  fields: [
    { name: "prompt", type: "string", help: "the prompt", positional: true, required: true },
    { name: "token", type: "string", help: "the prompt word whose attention to show", required: true },
    { name: "adapter", type: "list", items: "string", help: "run names to compare with the base (comma-separated)", default: [] },
    { name: "seed", type: "integer", help: "sampling seed", default: 0, min: 0, max: 2 ** 31 - 1 },
    { name: "step", type: "integer", help: "sampling step at which attention is read (the paper: 2 of 64)", default: 2, min: 1, max: 256 },
    {
      name: "compare",
      type: "list",
      items: "string",
      help: "other bases (model folders) drawn beside this one on the same prompt and seed, each labelled by its family (Fig. 10 across families: Lumina-DiMOO beside Janus-Pro)",
      default: [],
    },
    ...common,
  ] as const,
  live: "progress",
  async run(lab, a): Promise<{ maps: { model: string; layers: Float32Array[]; mean: Float32Array; image: RgbImage }[]; token: string; tokenIndex: number }> {
    const { model } = lab.base(a.base);
    const token = a.token.toLowerCase();
    const tokenOf = (m: U.UnifiedModel) => {
      const ids = m.vocab.textIds(a.prompt);
      const words = ids.map((i) => m.vocab.decodeText([i]).trim());
      const index = words.indexOf(token);
      if (index < 0)
        throw new SpecError(`attention.token: ${JSON.stringify(token)} is not a token of the prompt (tokens: ${words.filter((w) => w).join(", ")})`);
      return { ids, index };
    };
    const { ids, index: tokenIndex } = tokenOf(model);
    const steps = Math.max(12, a.step + 1);
    // The base and its adapters, then each compared base (its own family's model, no adapters).
    const label = (m: U.UnifiedModel) => (a.compare.length ? String(m.config.arch) : "base");
    const panels: { name: string; model: U.UnifiedModel; adapter?: U.Adapter; ids: number[]; index: number }[] = [
      ...["base", ...a.adapter].map((name) => ({
        name: name === "base" ? label(model) : name,
        model,
        ...(name === "base" ? {} : { adapter: lab.adapter(name) }),
        ids,
        index: tokenIndex,
      })),
      ...a.compare.map((dir) => {
        const other = lab.base(dir).model;
        return { name: label(other), model: other, ...tokenOf(other) };
      }),
    ];
    const out = [];
    for (const { name, model, adapter, ids, index: tokenIndex } of panels) {
      const req = { prompt: ids, tokens: 64, seed: a.seed };
      const layers = await U.attentionMaps(model, req, tokenIndex, { step: a.step, steps, ...(adapter ? { adapter } : {}) });
      const mean = new Float32Array(64);
      for (const l of layers) for (let i = 0; i < 64; i++) mean[i]! += l[i]! / layers.length;
      const { codes } = await U.generateImages(model, [req], { steps, ...(adapter ? { adapter } : {}) });
      out.push({ model: name, layers, mean, image: model.vocab.image.decode(codes[0]!, 8, 8) });
    }
    return { maps: out, token, tokenIndex };
  },
  async present(r, a) {
    const panels = await Promise.all(r.maps.map(async (m) => ({ model: m.model, png: (await T.toPng(m.image)).toString("base64"), map: Array.from(m.mean) })));
    const layers = r.maps[0]?.layers.length ?? 0;
    const table = aq.from(
      r.maps.map((m) => ({ model: m.model, token: r.token, step: a.step, layers, max: Math.max(...m.mean), argmax: m.mean.indexOf(Math.max(...m.mean)) })),
    );
    const summary = `attention of "${r.token}" (prompt token ${r.tokenIndex}) over the image tokens: ${r.maps.map((m) => m.model).join(", ")}`;
    // The PNG (image and overlay per model) is made only where a file is wanted: it needs sharp's compositing.
    const { attentionPng } = await import("../../viz/images");
    const png = await attentionPng(r.maps.map((m) => ({ image: m.image, map: m.mean })));
    return [
      { kind: "figure", title: "Attention", table, draw: () => attentionMaps(panels, { token: r.token, step: a.step, layers }), summary },
      { kind: "image", title: `per model: the image with the attention of "${r.token}" overlaid, then the map`, png, file: `attention-${r.token}.png` },
    ];
  },
});
