// Loaders for real data, so a user who has it can run the paper's protocols on it: PixMo-Count /
// PixMo-Points style JSONL records, and an image folder with one subfolder per class (ImageNet style)
// from which B.2's two-object spatial composites are built.

import * as fs from "node:fs";
import * as path from "node:path";
import sharp from "sharp";
import { Rng } from "../core/rng";
import { RgbImage, decodeImage } from "./image";
import { RELATIONS, Relation, TaskError, oneOf } from "./vocab";

export interface CountRecord {
  /** 1-based line of the JSONL file. */
  line: number;
  imageFile: string;
  label: string;
  count: number;
  question: string;
  answer: string;
}

export interface LoadReport<T> {
  records: T[];
  /** One message per rejected line, naming the line and the field; good lines are still loaded. */
  errors: string[];
  /** Lines dropped by the count filter (the paper keeps counts 0–20). */
  filtered: number;
}

const IMAGE_EXT = [".png", ".jpg", ".jpeg", ".webp", ".gif", ".tif", ".tiff"];

/**
 * Reads PixMo-Count records ({image|image_sha256|image_url, label, count}) or PixMo-Points records
 * ({…, label, points: [{x, y}, …]}: the count is the number of points). The image is `image` (a path,
 * relative to `imageDir`), else `<image_sha256>.<ext>` in `imageDir`, else the basename of `image_url`.
 */
export function loadPixmoCounts(jsonl: string, opts: { imageDir?: string; maxCount?: number } = {}): LoadReport<CountRecord> {
  const dir = opts.imageDir ?? path.dirname(jsonl);
  const maxCount = opts.maxCount ?? 20;
  const out: LoadReport<CountRecord> = { records: [], errors: [], filtered: 0 };
  let text: string;
  try {
    text = fs.readFileSync(jsonl, "utf8");
  } catch (e) {
    throw new TaskError(`${jsonl}: cannot read (${(e as Error).message})`);
  }
  text.split("\n").forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    const bad = (why: string) => out.errors.push(`${jsonl}:${line}: ${why}`);
    let r: Record<string, unknown>;
    try {
      r = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return bad("not valid JSON");
    }
    if (typeof r !== "object" || r === null) return bad("a record must be a JSON object");
    const label = r["label"];
    if (typeof label !== "string" || !label.trim()) return bad('field "label" must be a non-empty string');
    let count: number;
    if (r["count"] !== undefined) {
      if (!Number.isInteger(r["count"]) || (r["count"] as number) < 0)
        return bad(`field "count" must be a non-negative integer, got ${JSON.stringify(r["count"])}`);
      count = r["count"] as number;
    } else if (Array.isArray(r["points"])) {
      count = (r["points"] as unknown[]).length;
    } else return bad('a record needs "count" (PixMo-Count) or "points" (PixMo-Points)');
    if (count > maxCount) {
      out.filtered++;
      return;
    }
    const imageFile = resolveImage(dir, r);
    if (!imageFile) return bad('no image found: give "image" (a path), or put <image_sha256>.png|jpg in the image folder');
    out.records.push({
      line,
      imageFile,
      label,
      count,
      question: `How many ${label} are there in the image? Response Example: There are **<COUNT>** of ${label} in the image.`,
      answer: `There are **${count}** of ${label} in the image.`,
    });
  });
  return out;
}

function resolveImage(dir: string, r: Record<string, unknown>): string | undefined {
  const candidates: string[] = [];
  if (typeof r["image"] === "string") candidates.push(path.resolve(dir, r["image"]));
  if (typeof r["image_sha256"] === "string") for (const ext of IMAGE_EXT) candidates.push(path.join(dir, `${r["image_sha256"]}${ext}`));
  if (typeof r["image_url"] === "string") candidates.push(path.join(dir, path.basename(new URL(r["image_url"], "file:///").pathname)));
  return candidates.find((c) => fs.existsSync(c));
}

export interface FolderImage {
  file: string;
  label: string;
}

/** Images in `dir/<label>/*`, sorted by label then name. */
export function loadImageFolder(dir: string): FolderImage[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new TaskError(`${dir}: not a folder (an image folder holds one subfolder per class)`);
  const out: FolderImage[] = [];
  for (const label of fs.readdirSync(dir).sort()) {
    const sub = path.join(dir, label);
    if (!fs.statSync(sub).isDirectory()) continue;
    for (const f of fs.readdirSync(sub).sort()) if (IMAGE_EXT.includes(path.extname(f).toLowerCase())) out.push({ file: path.join(sub, f), label });
  }
  if (out.length === 0) throw new TaskError(`${dir}: no images found in class subfolders (extensions: ${IMAGE_EXT.join(", ")})`);
  return out;
}

export interface CompositeOptions {
  canvas?: number;
  minSide?: number;
  maxSide?: number;
}

/**
 * B.2's construction: two images resized to random squares (150–300 px on a 512 canvas by default),
 * pasted without overlap on a random background colour so that A is at `relation` of B.
 */
export async function composeSpatial(
  a: string,
  b: string,
  relation: Relation,
  rng: Rng,
  opts: CompositeOptions = {},
): Promise<{ image: RgbImage; boxes: { a: number[]; b: number[] } }> {
  oneOf("relation", relation, RELATIONS);
  const canvas = opts.canvas ?? 512;
  const lo = opts.minSide ?? Math.round((150 / 512) * canvas);
  const hi = opts.maxSide ?? Math.round((300 / 512) * canvas);
  const sa = lo + rng.int(hi - lo + 1);
  const sb = lo + rng.int(hi - lo + 1);
  if (sa + sb > canvas) throw new TaskError(`composite: sides ${sa} + ${sb} do not fit a ${canvas}-pixel canvas`);
  // A on the asked side of B on both axes, no overlap: split each axis between the two.
  const left = relation.endsWith("left");
  const top = relation.startsWith("top");
  const ax = left ? rng.int(canvas - sa - sb + 1) : sb + rng.int(canvas - sa - sb + 1);
  const bx = left ? ax + sa + rng.int(canvas - ax - sa - sb + 1) : rng.int(ax - sb + 1);
  const ay = top ? rng.int(canvas - sa - sb + 1) : sb + rng.int(canvas - sa - sb + 1);
  const by = top ? ay + sa + rng.int(canvas - ay - sa - sb + 1) : rng.int(ay - sb + 1);
  const load = async (file: string, side: number) => {
    try {
      return await sharp(file).resize(side, side, { fit: "fill" }).removeAlpha().png().toBuffer();
    } catch (e) {
      throw new TaskError(`${file}: not a readable image (${(e as Error).message})`);
    }
  };
  const bg = { r: rng.int(256), g: rng.int(256), b: rng.int(256) };
  const png = await sharp({ create: { width: canvas, height: canvas, channels: 3, background: bg } })
    .composite([
      { input: await load(a, sa), left: ax, top: ay },
      { input: await load(b, sb), left: bx, top: by },
    ])
    .png()
    .toBuffer();
  return { image: await decodeImage(png), boxes: { a: [ax, ay, ax + sa, ay + sa], b: [bx, by, bx + sb, by + sb] } };
}
