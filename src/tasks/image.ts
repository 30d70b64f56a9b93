// RGB images as plain typed arrays, and PNG in and out through sharp.

import sharp from "sharp";

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** Row-major RGB, 3 bytes a pixel. */
  readonly data: Uint8Array;
}

export type Rgb = readonly [number, number, number];

export function createImage(width: number, height: number, fill: Rgb = [255, 255, 255]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = fill[0];
    data[i + 1] = fill[1];
    data[i + 2] = fill[2];
  }
  return { width, height, data };
}

/** Paints `color` wherever `mask` (mw × mh, 1 = ink) is set, with its top-left corner at (x0, y0). */
export function paintMask(img: RgbImage, mask: Uint8Array, mw: number, mh: number, x0: number, y0: number, color: Rgb): void {
  for (let y = 0; y < mh; y++) {
    const yy = y0 + y;
    if (yy < 0 || yy >= img.height) continue;
    for (let x = 0; x < mw; x++) {
      if (!mask[y * mw + x]) continue;
      const xx = x0 + x;
      if (xx < 0 || xx >= img.width) continue;
      const o = (yy * img.width + xx) * 3;
      img.data[o] = color[0];
      img.data[o + 1] = color[1];
      img.data[o + 2] = color[2];
    }
  }
}

export async function toPng(img: RgbImage): Promise<Buffer> {
  return sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();
}

/** Decodes any image sharp reads (PNG, JPEG, WebP…) to RGB; `label` names the source in errors. */
export async function decodeImage(input: Buffer | string, label = typeof input === "string" ? input : "image"): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(input).removeAlpha().toColourspace("srgb").raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  } catch (e) {
    throw new Error(`${label}: not a readable image (${(e as Error).message})`);
  }
}

export function imagesEqual(a: RgbImage, b: RgbImage): boolean {
  if (a.width !== b.width || a.height !== b.height) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}
