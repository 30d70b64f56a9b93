// Image grids: prompts × seeds (and models side by side), upscaled for people to look at.

import sharp from "sharp";
import type { OverlayOptions } from "sharp";
import * as T from "../../tasks";
import * as U from "../../umm";
import { TAUGHT_WORDS } from "../worlds";

export interface GridOptions {
  seeds?: readonly number[];
  steps?: number;
  cfg?: number;
  temperature?: number;
  /** Adapters to show beside the base, by name (null = the base itself). */
  adapters?: readonly { name: string; adapter: U.Adapter | null }[];
  scale?: number;
}

/** Whether a prompt asks for a word strip (the text world's Mathpix-style prompt) and which word. */
export function textPromptWord(prompt: string): string | null {
  const m = /The text reads: ([a-z]+)\s*$/.exec(prompt);
  return m ? m[1]! : null;
}

/** Images for prompts × seeds, for one model (and adapter). */
export async function generateImages(
  model: U.UnifiedModel,
  prompts: readonly string[],
  opts: GridOptions & { adapter?: U.Adapter | null } = {},
): Promise<T.RgbImage[][]> {
  const seeds = opts.seeds ?? [0, 1, 2, 3];
  const reqs = prompts.flatMap((p) =>
    seeds.map((seed) => {
      const word = textPromptWord(p);
      return { prompt: model.vocab.textIds(p, word ? [word] : Object.keys(TAUGHT_WORDS)), tokens: word ? 16 : 64, seed };
    }),
  );
  const { codes } = await U.generateImages(model, reqs, {
    ...(opts.steps !== undefined ? { steps: opts.steps } : {}),
    ...(opts.cfg !== undefined ? { cfg: opts.cfg } : {}),
    ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
    ...(opts.adapter ? { adapter: opts.adapter } : {}),
  });
  return prompts.map((_, i) =>
    seeds.map((_, j) => {
      const c = codes[i * seeds.length + j]!;
      return model.vocab.image.decode(c, 8, c.length / 8);
    }),
  );
}

/** One PNG: a row per prompt (per model when several), a column per seed, nearest-neighbour upscaled. */
export async function gridPng(rows: readonly (readonly T.RgbImage[])[], scale = 3, gap = 4): Promise<Buffer> {
  const w = Math.max(...rows.flat().map((i) => i.width)) * scale;
  const h = Math.max(...rows.flat().map((i) => i.height)) * scale;
  const cols = Math.max(...rows.map((r) => r.length));
  const composite: OverlayOptions[] = [];
  for (let r = 0; r < rows.length; r++) {
    for (let c = 0; c < rows[r]!.length; c++) {
      const img = rows[r]![c]!;
      const png = await sharp(await T.toPng(img))
        .resize(img.width * scale, img.height * scale, { kernel: "nearest" })
        .png()
        .toBuffer();
      composite.push({ input: png, left: gap + c * (w + gap), top: gap + r * (h + gap) });
    }
  }
  return sharp({ create: { width: gap + cols * (w + gap), height: gap + rows.length * (h + gap), channels: 3, background: "#9a9a9a" } })
    .composite(composite)
    .png()
    .toBuffer();
}
