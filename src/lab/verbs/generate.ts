// `generate`: images for prompts, base and adapters side by side (a row per prompt and model, a column
// per sampling seed), each counting image with its verdict: the detector's count against the asked one.

import * as aq from "arquero";
import * as E from "../../eval";
import * as T from "../../tasks";
import type { RgbImage } from "../../tasks";
import * as U from "../../umm";
import { GridImage, imageGrid } from "../../viz/figures";
import { generateImages, gridPng } from "../evaluation/image-grids";
import { TAUGHT_WORDS } from "../worlds";
import { common } from "./fields";
import { defineVerb } from "./verb";

/** One generated image of `generate`, with its verdict when the prompt asks for a count. */
export interface GeneratedCell {
  model: string;
  prompt: string;
  seed: number;
  image: RgbImage;
  detected: number | null;
  asked: number | null;
  correct: boolean | null;
}

export default defineVerb({
  name: "generate",
  help: "Generate images for prompts: a grid with a row per prompt and model (base and adapters side by side), a column per seed.",
  fields: [
    { name: "prompt", type: "list", items: "string", help: "prompt(s); several separated by '|'", positional: true, required: true },
    { name: "adapter", type: "list", items: "string", help: "run names whose adapters to show beside the base (comma-separated)", default: [] },
    { name: "seeds", type: "integer", help: "images per prompt", default: 4, min: 1, max: 16 },
    { name: "steps", type: "integer", help: "sampling steps", default: 12, min: 1, max: 64 },
    { name: "cfg", type: "number", help: "classifier-free guidance (default: the model's)", min: 0, max: 20 },
    { name: "noBase", type: "boolean", help: "leave the base model's row out when adapters are named", default: false },
    ...common,
  ] as const,
  live: "progress",
  async run(lab, a): Promise<{ png: Buffer; labels: string[]; images: RgbImage[][]; cells: GeneratedCell[] }> {
    const { model } = lab.base(a.base);
    const seeds = Array.from({ length: a.seeds }, (_, i) => i);
    const models: { name: string; adapter: U.Adapter | null }[] = [
      ...(a.adapter.length && a.noBase ? [] : [{ name: "base", adapter: null }]),
      ...a.adapter.map((n) => ({ name: n, adapter: lab.adapter(n) })),
    ];
    const rows: RgbImage[][] = [];
    const labels: string[] = [];
    const cells: GeneratedCell[] = [];
    for (const p of a.prompt) {
      // A counting prompt gets each image's verdict (the detector's count against the asked one).
      const asked = T.parseCountingPrompt(p, TAUGHT_WORDS);
      for (const m of models) {
        const imgs = await generateImages(model, [p], { seeds, steps: a.steps, ...(a.cfg !== undefined ? { cfg: a.cfg } : {}), adapter: m.adapter });
        rows.push(imgs[0]!);
        labels.push(`${m.name}: ${p}`);
        imgs[0]!.forEach((img, k) => {
          const v = asked ? E.countingVerdict(E.detect(img), asked.cls, asked.count) : null;
          cells.push({
            model: m.name,
            prompt: p,
            seed: seeds[k]!,
            image: img,
            detected: v?.detected ?? null,
            asked: v?.asked ?? null,
            correct: v?.correct ?? null,
          });
        });
      }
    }
    return { png: await gridPng(rows), labels, images: rows, cells };
  },
  async present(g) {
    const pngs = await Promise.all(g.cells.map(async (c) => (await T.toPng(c.image)).toString("base64")));
    // The table behind the chart (and its fallback where widgets do not render): one row per image.
    const table = aq.from(g.cells.map(({ image: _image, ...c }) => c));
    const images = g.cells.map((c, i): GridImage => ({
      row: `${c.model}: ${c.prompt}`,
      col: `seed ${c.seed}`,
      png: pngs[i]!,
      ...(c.asked !== null ? { caption: `${c.detected} of ${c.asked} ${c.correct ? "✓" : "✗"}`, ok: c.correct } : {}),
    }));
    const counted = g.cells.filter((c) => c.asked !== null);
    const title = `Generated images${counted.length ? ` (caption: detected of asked, ${counted.filter((c) => c.correct).length}/${counted.length} correct)` : ""}`;
    return [
      { kind: "figure", title, table, draw: () => imageGrid(images, { title }), summary: `image grid, rows: ${g.labels.join(" | ")}` },
      { kind: "image", title: `rows: ${g.labels.join(" | ")}`, png: g.png, file: "generate.png" },
    ];
  },
});
