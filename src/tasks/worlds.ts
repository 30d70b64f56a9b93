// The synthetic worlds: counting, spatial and compositional scenes on a grid of cells, and word strips.
//
// Design (see ../shared/miniature-notes.md): every object sits whole inside one cell of a grid, one
// object per cell, so an image tokenizer with cell-sized patches round-trips scenes exactly and
// generation becomes a choice of tokens rather than a drawing. Text puts one glyph per cell column, so
// each glyph covers whole patches too. Everything is seeded; rendering is a few typed-array writes.

import { Rng } from "../core/rng";
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphMask } from "./font";
import { RgbImage, createImage, paintMask } from "./image";
import { shapeMask } from "./shapes";
import {
  CLASSES,
  COLORS,
  COLOR_NAMES,
  ColorName,
  MAX_COUNT,
  ObjectClass,
  RELATIONS,
  Relation,
  THEMES,
  TaskError,
  Theme,
  intInRange,
  oneOf,
} from "./vocab";

export interface WorldConfig {
  /** Cell size in pixels (a multiple of 8); objects are cell − 2·(cell/8) pixels wide. */
  cell: number;
  /** Scenes are grid × grid cells. */
  grid: number;
  /** Word strips are textCols cells wide and 2 cells tall. */
  textCols: number;
}

/** 64×64 scenes of 8×8 cells (64 patches), 64×16 word strips. */
export const DEFAULT_WORLD: WorldConfig = { cell: 8, grid: 8, textCols: 8 };

export function checkWorld(w: WorldConfig): WorldConfig {
  if (!Number.isInteger(w.cell) || w.cell < 8 || w.cell % 8 !== 0) throw new TaskError(`world.cell: ${w.cell} is not allowed (allowed: multiples of 8)`);
  intInRange("world.grid", w.grid, 3, 32);
  intInRange("world.textCols", w.textCols, 5, 64);
  return w;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface PlacedObject {
  cls: ObjectClass;
  color: ColorName;
  col: number;
  row: number;
}

export interface CountingTruth {
  kind: "counting";
  target: ObjectClass;
  count: number;
  distractors: number;
}
export interface SpatialTruth {
  kind: "spatial";
  /** Object A is at `relation` of object B. */
  a: ObjectClass;
  b: ObjectClass;
  relation: Relation;
}
export interface CompositionTruth {
  kind: "composition";
  target: ObjectClass;
  count: number;
  anchor: ObjectClass;
  relation: Relation;
}

export interface PlacementTruth {
  kind: "placement";
  /** The scene's one object, in the `region` corner block of the image. */
  cls: ObjectClass;
  region: Relation;
}

export interface Scene<T = CountingTruth | SpatialTruth | CompositionTruth | PlacementTruth> {
  truth: T;
  objects: PlacedObject[];
  image: RgbImage;
}

export interface TextImage {
  word: string;
  theme: Theme;
  image: RgbImage;
}

export const BACKGROUND = [255, 255, 255] as const;

export function objectSize(w: WorldConfig): number {
  return w.cell - 2 * (w.cell / 8);
}

export function objectBox(o: { col: number; row: number }, w: WorldConfig): Box {
  const m = w.cell / 8;
  const n = objectSize(w);
  const x0 = o.col * w.cell + m;
  const y0 = o.row * w.cell + m;
  return { x0, y0, x1: x0 + n, y1: y0 + n };
}

export function renderObjects(objects: readonly PlacedObject[], w: WorldConfig = DEFAULT_WORLD): RgbImage {
  const size = w.grid * w.cell;
  const img = createImage(size, size, BACKGROUND);
  const n = objectSize(w);
  const seen = new Set<number>();
  for (const o of objects) {
    if (o.col < 0 || o.row < 0 || o.col >= w.grid || o.row >= w.grid) throw new TaskError(`object at cell (${o.col},${o.row}) is outside the ${w.grid}×${w.grid} grid`);
    const key = o.row * w.grid + o.col;
    if (seen.has(key)) throw new TaskError(`two objects share cell (${o.col},${o.row}); objects may not overlap`);
    seen.add(key);
    const b = objectBox(o, w);
    paintMask(img, shapeMask(oneOf("class", o.cls, CLASSES), n), n, n, b.x0, b.y0, COLORS[oneOf("color", o.color, COLOR_NAMES)]);
  }
  return img;
}

function pickCells(rng: Rng, w: WorldConfig, k: number, allowed?: (col: number, row: number) => boolean): { col: number; row: number }[] {
  const cells: { col: number; row: number }[] = [];
  for (let row = 0; row < w.grid; row++) for (let col = 0; col < w.grid; col++) if (!allowed || allowed(col, row)) cells.push({ col, row });
  if (cells.length < k) throw new TaskError(`cannot place ${k} objects: only ${cells.length} free cells`);
  rng.shuffle(cells);
  return cells.slice(0, k);
}

function otherClass(rng: Rng, not: readonly ObjectClass[]): ObjectClass {
  const pool = CLASSES.filter((c) => !not.includes(c));
  return pool[rng.int(pool.length)]!;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

export interface CountingOptions {
  target?: ObjectClass;
  count?: number;
  minCount?: number;
  maxCount?: number;
  /** Distractors of other classes: uniform in [0, maxDistractors]. */
  maxDistractors?: number;
  world?: WorldConfig;
}

/** N objects of one class, plus optional distractors of other classes, in distinct cells. */
export function sampleCountingScene(rng: Rng, opts: CountingOptions = {}): Scene<CountingTruth> {
  const w = checkWorld(opts.world ?? DEFAULT_WORLD);
  const cells = w.grid * w.grid;
  const hi = Math.min(MAX_COUNT, cells);
  const target = opts.target ? oneOf("target", opts.target, CLASSES) : pick(rng, CLASSES);
  const count =
    opts.count !== undefined
      ? intInRange("count", opts.count, 0, hi)
      : intInRange("minCount", opts.minCount ?? 1, 0, hi) + rng.int(intInRange("maxCount", opts.maxCount ?? 10, opts.minCount ?? 1, hi) - (opts.minCount ?? 1) + 1);
  const maxD = Math.min(opts.maxDistractors ?? 0, cells - count);
  const distractors = maxD > 0 ? rng.int(maxD + 1) : 0;
  const color = pick(rng, COLOR_NAMES);
  const spots = pickCells(rng, w, count + distractors);
  const objects: PlacedObject[] = spots.slice(0, count).map((c) => ({ cls: target, color, ...c }));
  // Distractors come in up to two other classes, each with its own colour.
  const dClasses = [otherClass(rng, [target])];
  dClasses.push(otherClass(rng, [target, dClasses[0]!]));
  const dColors = dClasses.map(() => pick(rng, COLOR_NAMES));
  spots.slice(count).forEach((c, i) => {
    const k = i % 2;
    objects.push({ cls: dClasses[k]!, color: dColors[k]!, ...c });
  });
  return { truth: { kind: "counting", target, count, distractors }, objects, image: renderObjects(objects, w) };
}

/** Whether cell a is at `relation` of cell b with at least `gap` cells between them on both axes. */
export function cellsRelate(a: { col: number; row: number }, b: { col: number; row: number }, relation: Relation, gap = 1): boolean {
  const dx = a.col - b.col;
  const dy = a.row - b.row;
  const horiz = relation.endsWith("left") ? dx <= -gap : dx >= gap;
  const vert = relation.startsWith("top") ? dy <= -gap : dy >= gap;
  return horiz && vert;
}

export interface SpatialOptions {
  a?: ObjectClass;
  b?: ObjectClass;
  relation?: Relation;
  /** Minimum separation in cells on both axes, so the relation is unambiguous. */
  gap?: number;
  world?: WorldConfig;
}

/** Two objects of different classes, A at a diagonal relation of B. */
export function sampleSpatialScene(rng: Rng, opts: SpatialOptions = {}): Scene<SpatialTruth> {
  const w = checkWorld(opts.world ?? DEFAULT_WORLD);
  const relation = opts.relation ? oneOf("relation", opts.relation, RELATIONS) : pick(rng, RELATIONS);
  const a = opts.a ? oneOf("a", opts.a, CLASSES) : pick(rng, CLASSES);
  const b = opts.b ? oneOf("b", opts.b, CLASSES) : otherClass(rng, [a]);
  if (a === b) throw new TaskError(`spatial scene: a and b must be different classes (both "${a}")`);
  const gap = opts.gap ?? 2;
  const [cb] = pickCells(rng, w, 1, (col, row) => pickable(w, { col, row }, relation, gap));
  const [ca] = pickCells(rng, w, 1, (col, row) => cellsRelate({ col, row }, cb!, relation, gap));
  const objects: PlacedObject[] = [
    { cls: a, color: pick(rng, COLOR_NAMES), ...ca! },
    { cls: b, color: pick(rng, COLOR_NAMES), ...cb! },
  ];
  return { truth: { kind: "spatial", a, b, relation }, objects, image: renderObjects(objects, w) };
}

/** Cells of the grid at `relation` of `b` with the given gap. */
function quadrantSize(w: WorldConfig, b: { col: number; row: number }, relation: Relation, gap: number): number {
  const cols = relation.endsWith("left") ? b.col - gap + 1 : w.grid - b.col - gap;
  const rows = relation.startsWith("top") ? b.row - gap + 1 : w.grid - b.row - gap;
  return Math.max(0, cols) * Math.max(0, rows);
}

function pickable(w: WorldConfig, b: { col: number; row: number }, relation: Relation, gap: number, need = 1): boolean {
  return quadrantSize(w, b, relation, gap) >= need;
}

export interface PlacementOptions {
  cls?: ObjectClass;
  region?: Relation;
  world?: WorldConfig;
}

/** Whether a cell lies in the `region` corner block: at least one cell off the centre lines on both axes. */
export function inCorner(c: { col: number; row: number }, region: Relation, w: WorldConfig = DEFAULT_WORLD): boolean {
  const half = w.grid / 2;
  const horiz = region.endsWith("left") ? c.col <= half - 2 : c.col >= half + 1;
  const vert = region.startsWith("top") ? c.row <= half - 2 : c.row >= half + 1;
  return horiz && vert;
}

/**
 * One object in a corner block of the image ("a circle in the top-left of the picture"): the absolute
 * form of a diagonal relation, which web captions state far more often than relations between objects.
 */
export function samplePlacementScene(rng: Rng, opts: PlacementOptions = {}): Scene<PlacementTruth> {
  const w = checkWorld(opts.world ?? DEFAULT_WORLD);
  const region = opts.region ? oneOf("region", opts.region, RELATIONS) : pick(rng, RELATIONS);
  const cls = opts.cls ? oneOf("cls", opts.cls, CLASSES) : pick(rng, CLASSES);
  const [cell] = pickCells(rng, w, 1, (col, row) => inCorner({ col, row }, region, w));
  const objects: PlacedObject[] = [{ cls, color: pick(rng, COLOR_NAMES), ...cell! }];
  return { truth: { kind: "placement", cls, region }, objects, image: renderObjects(objects, w) };
}

export interface CompositionOptions {
  target?: ObjectClass;
  anchor?: ObjectClass;
  count?: number;
  relation?: Relation;
  world?: WorldConfig;
}

/** Appendix C.5: N objects of one class, all at a diagonal relation of one anchor object. */
export function sampleCompositionScene(rng: Rng, opts: CompositionOptions = {}): Scene<CompositionTruth> {
  const w = checkWorld(opts.world ?? DEFAULT_WORLD);
  const relation = opts.relation ? oneOf("relation", opts.relation, RELATIONS) : pick(rng, RELATIONS);
  const target = opts.target ? oneOf("target", opts.target, CLASSES) : pick(rng, CLASSES);
  const anchor = opts.anchor ? oneOf("anchor", opts.anchor, CLASSES) : otherClass(rng, [target]);
  if (anchor === target) throw new TaskError(`composition scene: target and anchor must be different classes (both "${target}")`);
  const maxInQuadrant = (w.grid - 1) * (w.grid - 1);
  const count = opts.count !== undefined ? intInRange("count", opts.count, 1, Math.min(10, maxInQuadrant)) : 2 + rng.int(4);
  const [cb] = pickCells(rng, w, 1, (col, row) => pickable(w, { col, row }, relation, 1, count));
  const spots = pickCells(rng, w, count, (col, row) => cellsRelate({ col, row }, cb!, relation, 1));
  const color = pick(rng, COLOR_NAMES);
  const objects: PlacedObject[] = spots.map((c) => ({ cls: target, color, ...c }));
  objects.push({ cls: anchor, color: pick(rng, COLOR_NAMES.filter((c) => c !== color)), ...cb! });
  return { truth: { kind: "composition", target, count, anchor, relation }, objects, image: renderObjects(objects, w) };
}

export const THEME_COLORS: Record<Theme, { bg: readonly [number, number, number]; ink: readonly [number, number, number] }> = {
  clean_light: { bg: [255, 255, 255], ink: [20, 20, 20] },
  dark: { bg: [32, 33, 38], ink: [236, 236, 236] },
  sepia: { bg: [244, 236, 216], ink: [92, 64, 40] },
  blue_gray: { bg: [220, 228, 238], ink: [36, 50, 74] },
};

/** A word strip: one glyph per cell, starting at the second cell, in one of the four themes. */
export function renderText(word: string, theme: Theme = "clean_light", world: WorldConfig = DEFAULT_WORLD): TextImage {
  const w = checkWorld(world);
  oneOf("theme", theme, THEMES);
  if (!/^[a-z]+$/.test(word)) throw new TaskError(`text: ${JSON.stringify(word)} is not allowed (allowed: lowercase letters a-z)`);
  if (word.length > w.textCols - 2) throw new TaskError(`text: "${word}" has ${word.length} letters (allowed: 1..${w.textCols - 2} for a ${w.textCols}-cell strip)`);
  const s = w.cell / 8;
  const { bg, ink } = THEME_COLORS[theme];
  const img = createImage(w.textCols * w.cell, 2 * w.cell, bg);
  const gw = GLYPH_WIDTH * s;
  const gh = GLYPH_HEIGHT * s;
  [...word].forEach((ch, k) => {
    const m = glyphMask(ch);
    const scaled = new Uint8Array(gw * gh);
    for (let y = 0; y < gh; y++) for (let x = 0; x < gw; x++) scaled[y * gw + x] = m[Math.floor(y / s) * GLYPH_WIDTH + Math.floor(x / s)]!;
    paintMask(img, scaled, gw, gh, (k + 1) * w.cell + s, 3 * s, ink);
  });
  return { word, theme, image: img };
}
