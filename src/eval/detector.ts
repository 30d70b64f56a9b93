// A classical detector for generated scenes: background estimate, foreground threshold, 8-connected
// components, and shape classification by mask IoU against the world's class templates. It returns
// boxes, classes and scores as an object detector would, for GenEval-style verdicts.

import { RgbImage } from "../tasks/image";
import { BASE_SIZE, shapeMask } from "../tasks/shapes";
import { CLASSES, COLORS, COLOR_NAMES, ColorName, ObjectClass } from "../tasks/vocab";

export interface Detection {
  /** Best-matching class, or null when no template matches well enough (a blob, a fragment). */
  cls: ObjectClass | null;
  /** IoU of the component's mask with the best class template, in [0, 1]. */
  score: number;
  box: { x0: number; y0: number; x1: number; y1: number };
  center: [number, number];
  area: number;
  color: ColorName;
}

export interface DetectorConfig {
  /** L1 distance (0–765) from the background above which a pixel is foreground. */
  threshold: number;
  /** Components smaller than this many pixels are noise. */
  minArea: number;
  /** Template IoU below which a component gets no class. */
  minScore: number;
}

export const DETECTOR_DEFAULTS: DetectorConfig = { threshold: 90, minArea: 4, minScore: 0.7 };

/** Background colour: the per-channel median of the border pixels. */
export function estimateBackground(img: RgbImage): [number, number, number] {
  const ch: number[][] = [[], [], []];
  const push = (x: number, y: number) => {
    const o = (y * img.width + x) * 3;
    for (let c = 0; c < 3; c++) ch[c]!.push(img.data[o + c]!);
  };
  for (let x = 0; x < img.width; x++) {
    push(x, 0);
    push(x, img.height - 1);
  }
  for (let y = 1; y < img.height - 1; y++) {
    push(0, y);
    push(img.width - 1, y);
  }
  return ch.map((v) => v.sort((a, b) => a - b)[v.length >> 1]!) as [number, number, number];
}

export function detect(img: RgbImage, config: Partial<DetectorConfig> = {}): Detection[] {
  const cfg = { ...DETECTOR_DEFAULTS, ...config };
  const { width: w, height: h, data } = img;
  const bg = estimateBackground(img);
  const fg = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) {
    const o = i * 3;
    fg[i] = Math.abs(data[o]! - bg[0]) + Math.abs(data[o + 1]! - bg[1]) + Math.abs(data[o + 2]! - bg[2]) > cfg.threshold ? 1 : 0;
  }
  const label = new Int32Array(w * h).fill(-1);
  const stack: number[] = [];
  const out: Detection[] = [];
  for (let start = 0; start < w * h; start++) {
    if (!fg[start] || label[start] !== -1) continue;
    const pixels: number[] = [];
    label[start] = out.length;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      pixels.push(p);
      const px = p % w;
      const py = (p - px) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const x = px + dx;
          const y = py + dy;
          if (x < 0 || y < 0 || x >= w || y >= h) continue;
          const q = y * w + x;
          if (fg[q] && label[q] === -1) {
            label[q] = out.length;
            stack.push(q);
          }
        }
      }
    }
    if (pixels.length < cfg.minArea) continue;
    out.push(describe(img, pixels, cfg));
  }
  return out;
}

function describe(img: RgbImage, pixels: number[], cfg: DetectorConfig): Detection {
  const w = img.width;
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  const rgb = [0, 0, 0];
  for (const p of pixels) {
    const x = p % w;
    const y = (p - x) / w;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + 1);
    y1 = Math.max(y1, y + 1);
    for (let c = 0; c < 3; c++) rgb[c]! += img.data[p * 3 + c]!;
  }
  const bw = x1 - x0;
  const bh = y1 - y0;
  const inBox = new Uint8Array(bw * bh);
  for (const p of pixels) {
    const x = p % w;
    inBox[((p - x) / w - y0) * bw + (x - x0)] = 1;
  }
  // Resample the component's box to the template grid and compare with every class.
  const n = BASE_SIZE;
  const sample = new Uint8Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) sample[y * n + x] = inBox[Math.floor(((y + 0.5) * bh) / n) * bw + Math.floor(((x + 0.5) * bw) / n)]!;
  let best: ObjectClass | null = null;
  let bestIou = 0;
  for (const cls of CLASSES) {
    const t = shapeMask(cls, n);
    let inter = 0;
    let union = 0;
    for (let i = 0; i < n * n; i++) {
      inter += sample[i]! & t[i]!;
      union += sample[i]! | t[i]!;
    }
    // Boxes far from square (merged or cut objects) cannot be one of the world's square shapes.
    const aspect = Math.min(bw, bh) / Math.max(bw, bh);
    const iou = union ? (inter / union) * (aspect >= 0.75 ? 1 : aspect) : 0;
    if (iou > bestIou) {
      bestIou = iou;
      best = cls;
    }
  }
  const mean = rgb.map((v) => v / pixels.length);
  let color: ColorName = COLOR_NAMES[0]!;
  let dBest = Infinity;
  for (const name of COLOR_NAMES) {
    const c = COLORS[name];
    const d = Math.abs(c[0] - mean[0]!) + Math.abs(c[1] - mean[1]!) + Math.abs(c[2] - mean[2]!);
    if (d < dBest) {
      dBest = d;
      color = name;
    }
  }
  return {
    cls: bestIou >= cfg.minScore ? best : null,
    score: bestIou,
    box: { x0, y0, x1, y1 },
    center: [(x0 + x1) / 2, (y0 + y1) / 2],
    area: pixels.length,
    color,
  };
}
