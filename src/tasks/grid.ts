// The grid every scene world draws on: objects sit whole inside one cell each, one object per cell,
// so an image tokenizer with cell-sized patches round-trips scenes exactly and generation becomes a
// choice of tokens rather than a drawing (see ../shared/miniature-notes.md). Placement helpers here are
// shared by the worlds (src/tasks/worlds); every random choice takes the caller's seeded Rng.

import { Rng } from "../core/rng";
import { RgbImage, createImage, paintMask } from "./image";
import { shapeMask } from "./shapes";
import { CLASSES, COLORS, COLOR_NAMES, ColorName, ObjectClass, Relation, TaskError, intInRange, oneOf } from "./vocab";

/** A scene: its ground truth (what the world's questions and prompts are about), its objects and pixels. */
export interface Scene<T> {
  truth: T;
  objects: PlacedObject[];
  image: RgbImage;
}

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
    if (o.col < 0 || o.row < 0 || o.col >= w.grid || o.row >= w.grid)
      throw new TaskError(`object at cell (${o.col},${o.row}) is outside the ${w.grid}×${w.grid} grid`);
    const key = o.row * w.grid + o.col;
    if (seen.has(key)) throw new TaskError(`two objects share cell (${o.col},${o.row}); objects may not overlap`);
    seen.add(key);
    const b = objectBox(o, w);
    paintMask(img, shapeMask(oneOf("class", o.cls, CLASSES), n), n, n, b.x0, b.y0, COLORS[oneOf("color", o.color, COLOR_NAMES)]);
  }
  return img;
}

export function pickCells(rng: Rng, w: WorldConfig, k: number, allowed?: (col: number, row: number) => boolean): { col: number; row: number }[] {
  const cells: { col: number; row: number }[] = [];
  for (let row = 0; row < w.grid; row++) for (let col = 0; col < w.grid; col++) if (!allowed || allowed(col, row)) cells.push({ col, row });
  if (cells.length < k) throw new TaskError(`cannot place ${k} objects: only ${cells.length} free cells`);
  rng.shuffle(cells);
  return cells.slice(0, k);
}

export function otherClass(rng: Rng, not: readonly ObjectClass[]): ObjectClass {
  const pool = CLASSES.filter((c) => !not.includes(c));
  return pool[rng.int(pool.length)]!;
}

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)]!;
}

/** Whether cell a is at `relation` of cell b with at least `gap` cells between them on both axes. */
export function cellsRelate(a: { col: number; row: number }, b: { col: number; row: number }, relation: Relation, gap = 1): boolean {
  const dx = a.col - b.col;
  const dy = a.row - b.row;
  const horiz = relation.endsWith("left") ? dx <= -gap : dx >= gap;
  const vert = relation.startsWith("top") ? dy <= -gap : dy >= gap;
  return horiz && vert;
}

/** How many cells of the grid lie at `relation` of `b` with the given gap. */
function quadrantSize(w: WorldConfig, b: { col: number; row: number }, relation: Relation, gap: number): number {
  const cols = relation.endsWith("left") ? b.col - gap + 1 : w.grid - b.col - gap;
  const rows = relation.startsWith("top") ? b.row - gap + 1 : w.grid - b.row - gap;
  return Math.max(0, cols) * Math.max(0, rows);
}

export function pickable(w: WorldConfig, b: { col: number; row: number }, relation: Relation, gap: number, need = 1): boolean {
  return quadrantSize(w, b, relation, gap) >= need;
}

/** Whether a cell lies in the `region` corner block: at least one cell off the centre lines on both axes. */
export function inCorner(c: { col: number; row: number }, region: Relation, w: WorldConfig = DEFAULT_WORLD): boolean {
  const half = w.grid / 2;
  const horiz = region.endsWith("left") ? c.col <= half - 2 : c.col >= half + 1;
  const vert = region.startsWith("top") ? c.row <= half - 2 : c.row >= half + 1;
  return horiz && vert;
}
