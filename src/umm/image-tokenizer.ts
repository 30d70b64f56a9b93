// The image tokenizer: a discrete codebook over cell-sized patches, fitted by seeded k-means on the
// worlds. Because objects and glyphs sit whole in cells, the worlds hold a few hundred distinct patches;
// with a codebook at least that large, k-means++ picks every one of them and the round trip is exact.

import { createHash } from "node:crypto";
import { Rng } from "../core/rng";
import { SafeFile, readSafetensors, writeSafetensors } from "../engine/safetensors";
import { RgbImage, createImage } from "../tasks/image";

export class ImageTokenizerError extends Error {
  override name = "ImageTokenizerError";
}

export class ImageTokenizer {
  /** codes × (patch·patch·3) bytes. */
  readonly codebook: Uint8Array;
  readonly size: number;
  private readonly exact = new Map<string, number>();

  constructor(
    readonly patch: number,
    codebook: Uint8Array,
  ) {
    const dim = patch * patch * 3;
    if (codebook.length % dim !== 0 || codebook.length === 0)
      throw new ImageTokenizerError(`image tokenizer: codebook of ${codebook.length} bytes is not a whole number of ${patch}×${patch} RGB patches`);
    this.codebook = codebook;
    this.size = codebook.length / dim;
    for (let k = 0; k < this.size; k++) {
      const key = Buffer.from(codebook.subarray(k * dim, (k + 1) * dim)).toString("latin1");
      if (!this.exact.has(key)) this.exact.set(key, k);
    }
  }

  get dim(): number {
    return this.patch * this.patch * 3;
  }

  get hash(): string {
    return createHash("sha256").update(String(this.patch)).update(this.codebook).digest("hex").slice(0, 16);
  }

  /** Patch grid of an image: [cols, rows]; sides must be multiples of the patch size. */
  gridOf(img: { width: number; height: number }): [number, number] {
    if (img.width % this.patch || img.height % this.patch) {
      throw new ImageTokenizerError(`image tokenizer: a ${img.width}×${img.height} image is not a whole number of ${this.patch}-pixel patches`);
    }
    return [img.width / this.patch, img.height / this.patch];
  }

  private patchAt(img: RgbImage, col: number, row: number, out: Uint8Array): void {
    const p = this.patch;
    for (let y = 0; y < p; y++) {
      const src = ((row * p + y) * img.width + col * p) * 3;
      out.set(img.data.subarray(src, src + p * 3), y * p * 3);
    }
  }

  /** Codes in row-major patch order; a patch not in the codebook maps to its nearest code (L2). */
  encode(img: RgbImage): number[] {
    const [cols, rows] = this.gridOf(img);
    const buf = new Uint8Array(this.dim);
    const out: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        this.patchAt(img, c, r, buf);
        out.push(this.exact.get(Buffer.from(buf).toString("latin1")) ?? this.nearest(buf));
      }
    }
    return out;
  }

  private nearest(v: Uint8Array): number {
    let best = 0;
    let bestD = Infinity;
    for (let k = 0; k < this.size; k++) {
      let d = 0;
      const o = k * this.dim;
      for (let i = 0; i < this.dim && d < bestD; i++) {
        const e = v[i]! - this.codebook[o + i]!;
        d += e * e;
      }
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    return best;
  }

  decode(codes: readonly number[], cols: number, rows: number): RgbImage {
    if (codes.length !== cols * rows) throw new ImageTokenizerError(`image tokenizer: ${codes.length} codes do not fill a ${cols}×${rows} patch grid`);
    const p = this.patch;
    const img = createImage(cols * p, rows * p);
    codes.forEach((code, i) => {
      if (!Number.isInteger(code) || code < 0 || code >= this.size)
        throw new ImageTokenizerError(`image tokenizer: code ${code} is outside the codebook (0..${this.size - 1})`);
      const c = i % cols;
      const r = (i - c) / cols;
      for (let y = 0; y < p; y++) {
        const dst = ((r * p + y) * img.width + c * p) * 3;
        img.data.set(this.codebook.subarray(code * this.dim + y * p * 3, code * this.dim + (y + 1) * p * 3), dst);
      }
    });
    return img;
  }

  /**
   * Seeded k-means over the patches of `images`: exact duplicates are merged first (with their counts as
   * weights), k-means++ seeds `codes` centres, then weighted Lloyd iterations. When the images hold no
   * more distinct patches than `codes`, the codebook is exactly those patches.
   */
  static fit(images: readonly RgbImage[], opts: { patch: number; codes: number; seed?: number; iterations?: number }): ImageTokenizer {
    const { patch, codes } = opts;
    const dim = patch * patch * 3;
    const counts = new Map<string, number>();
    const probe = new ImageTokenizer(patch, new Uint8Array(dim));
    const buf = new Uint8Array(dim);
    for (const img of images) {
      const [cols, rows] = probe.gridOf(img);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) {
          probe.patchAt(img, c, r, buf);
          const key = Buffer.from(buf).toString("latin1");
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
    }
    // Sorted so the result does not depend on Map insertion order.
    const uniques = [...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const n = uniques.length;
    const pts = new Float64Array(n * dim);
    const w = new Float64Array(n);
    uniques.forEach(([key, count], i) => {
      const bytes = Buffer.from(key, "latin1");
      for (let j = 0; j < dim; j++) pts[i * dim + j] = bytes[j]!;
      w[i] = count;
    });
    const k = Math.min(codes, n);
    const rng = new Rng(opts.seed ?? 0, "kmeans");
    const dist = (i: number, centre: Float64Array, c: number) => {
      let d = 0;
      for (let j = 0; j < dim; j++) d += (pts[i * dim + j]! - centre[c * dim + j]!) ** 2;
      return d;
    };
    const centres = new Float64Array(k * dim);
    // k-means++ (weighted): first centre by weight, then by weight × squared distance.
    const d2 = new Float64Array(n).fill(Infinity);
    const pickBy = (weights: Float64Array) => {
      let total = 0;
      for (let i = 0; i < n; i++) total += weights[i]!;
      let u = rng.next() * total;
      for (let i = 0; i < n; i++) {
        u -= weights[i]!;
        if (u < 0) return i;
      }
      return n - 1;
    };
    for (let c = 0; c < k; c++) {
      const scores = new Float64Array(n);
      for (let i = 0; i < n; i++) scores[i] = c === 0 ? w[i]! : w[i]! * d2[i]!;
      const i0 = pickBy(scores);
      centres.set(pts.subarray(i0 * dim, (i0 + 1) * dim), c * dim);
      for (let i = 0; i < n; i++) d2[i] = Math.min(d2[i]!, dist(i, centres, c));
    }
    const assign = new Int32Array(n);
    for (let it = 0; it < (opts.iterations ?? 20); it++) {
      let moved = 0;
      for (let i = 0; i < n; i++) {
        let best = 0;
        let bestD = Infinity;
        for (let c = 0; c < k; c++) {
          const d = dist(i, centres, c);
          if (d < bestD) {
            bestD = d;
            best = c;
          }
        }
        if (assign[i] !== best || it === 0) moved++;
        assign[i] = best;
      }
      if (moved === 0) break;
      const sums = new Float64Array(k * dim);
      const mass = new Float64Array(k);
      for (let i = 0; i < n; i++) {
        const c = assign[i]!;
        mass[c]! += w[i]!;
        for (let j = 0; j < dim; j++) sums[c * dim + j]! += w[i]! * pts[i * dim + j]!;
      }
      for (let c = 0; c < k; c++) if (mass[c]! > 0) for (let j = 0; j < dim; j++) centres[c * dim + j] = sums[c * dim + j]! / mass[c]!;
    }
    return new ImageTokenizer(
      patch,
      Uint8Array.from(centres, (v) => Math.max(0, Math.min(255, Math.round(v)))),
    );
  }

  save(file: string, metadata: Record<string, string> = {}): void {
    writeSafetensors(
      file,
      { codebook: { shape: [this.size, this.dim], data: this.codebook, dtype: "U8" } },
      { ...metadata, kind: "transferlab.image-tokenizer", patch: String(this.patch), hash: this.hash },
    );
  }

  static load(file: string): ImageTokenizer {
    return ImageTokenizer.fromSafetensors(readSafetensors(file), file);
  }

  static fromSafetensors(f: SafeFile, label: string): ImageTokenizer {
    if (f.metadata["kind"] !== "transferlab.image-tokenizer")
      throw new ImageTokenizerError(`${label}: not an image tokenizer file (metadata kind is ${JSON.stringify(f.metadata["kind"])})`);
    const patch = Number(f.metadata["patch"]);
    const cb = f.tensors.get("codebook");
    if (!Number.isInteger(patch) || patch <= 0 || !cb || !(cb.data instanceof Uint8Array) || cb.shape[1] !== patch * patch * 3) {
      throw new ImageTokenizerError(`${label}: codebook missing or not [codes, ${patch}·${patch}·3] U8`);
    }
    const tok = new ImageTokenizer(patch, cb.data);
    if (f.metadata["hash"] && f.metadata["hash"] !== tok.hash)
      throw new ImageTokenizerError(`${label}: codebook hash ${tok.hash} does not match the recorded ${f.metadata["hash"]} (corrupt file?)`);
    return tok;
  }
}
