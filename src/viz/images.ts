// Image figures: attention heat maps laid over generated images (the paper's Fig. 10), as PNG via sharp.

import sharp from "sharp";
import type { OverlayOptions } from "sharp";
import { RgbImage, toPng } from "../tasks";

// A perceptual ramp (black → purple → orange → yellow, after matplotlib's inferno), 5 stops.
const RAMP: [number, number, number][] = [
  [0, 0, 4],
  [87, 16, 110],
  [188, 55, 84],
  [249, 142, 9],
  [252, 255, 164],
];

function ramp(t: number): [number, number, number] {
  const x = Math.min(1, Math.max(0, t)) * (RAMP.length - 1);
  const i = Math.min(RAMP.length - 2, Math.floor(x));
  const f = x - i;
  const a = RAMP[i]!;
  const b = RAMP[i + 1]!;
  return [0, 1, 2].map((k) => Math.round(a[k]! + f * (b[k]! - a[k]!))) as [number, number, number];
}

/** An RGBA heat map of a grid of values, normalized to its own min..max, with the given opacity. */
export function heatmapRgba(values: ArrayLike<number>, cols: number, rows: number, alpha = 0.6): Buffer {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < cols * rows; i++) ((lo = Math.min(lo, values[i]!)), (hi = Math.max(hi, values[i]!)));
  const out = Buffer.alloc(cols * rows * 4);
  for (let i = 0; i < cols * rows; i++) {
    const [r, g, b] = ramp(hi > lo ? (values[i]! - lo) / (hi - lo) : 0);
    out[4 * i] = r;
    out[4 * i + 1] = g;
    out[4 * i + 2] = b;
    out[4 * i + 3] = Math.round(alpha * 255);
  }
  return out;
}

/**
 * One PNG row: per model, the generated image with the token's attention laid over it (8×8 image
 * tokens, nearest-neighbour upscaled so each token stays a visible cell), then the map alone.
 */
export async function attentionPng(
  panels: readonly { image: RgbImage; map: ArrayLike<number> }[],
  opts: { scale?: number; gap?: number; grid?: [number, number] } = {},
): Promise<Buffer> {
  const scale = opts.scale ?? 4;
  const gap = opts.gap ?? 6;
  const [gc, gr] = opts.grid ?? [8, 8];
  const composite: OverlayOptions[] = [];
  let x = gap;
  let height = 0;
  for (const p of panels) {
    const w = p.image.width * scale;
    const h = p.image.height * scale;
    height = Math.max(height, h);
    const img = await sharp(await toPng(p.image))
      .resize(w, h, { kernel: "nearest" })
      .png()
      .toBuffer();
    const heat = await sharp(heatmapRgba(p.map, gc, gr, 0.6), { raw: { width: gc, height: gr, channels: 4 } })
      .resize(w, h, { kernel: "nearest" })
      .png()
      .toBuffer();
    const solid = await sharp(heatmapRgba(p.map, gc, gr, 1), { raw: { width: gc, height: gr, channels: 4 } })
      .resize(w, h, { kernel: "nearest" })
      .png()
      .toBuffer();
    composite.push({ input: img, left: x, top: gap }, { input: heat, left: x, top: gap }, { input: solid, left: x + w + gap, top: gap });
    x += 2 * (w + gap) + gap;
  }
  return sharp({ create: { width: x, height: height + 2 * gap, channels: 3, background: "#ffffff" } })
    .composite(composite)
    .png()
    .toBuffer();
}
