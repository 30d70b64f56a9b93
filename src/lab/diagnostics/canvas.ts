// Canvas diagnostics: does the generator read its own partial canvas? For und→gen transfer of counting,
// understanding training must change what the shared layers make of objects in an image, and the
// generator must read those objects — on its own half-drawn canvas — when it decides what to draw next.
// This module tests the second link causally: take a canvas from the sampler half-way, add (or remove)
// one object of the asked class, and measure how the model responds.
//
// - compensation: the change in the expected number of further objects of the class over the masked
//   cells (one forward, no sampling noise), per object added: 1 means the model draws one fewer object
//   for each one already there (it counts its canvas), 0 means it ignores the edit;
// - pass-through: the change in the final count after sampling continues from the edited canvas (same
//   seed), per object added: 0 means fully compensated, 1 means the edit passes straight into the image.
//
// Objects sit whole in one cell and the tokenizer round-trips exactly, so a canvas's objects are read
// from its codes, without the detector.

import { Rng } from "../../core/rng";
import * as T from "../../tasks";
import * as U from "../../umm";

export type CanvasEdit = "add" | "remove";
export const CANVAS_EDITS: readonly CanvasEdit[] = ["add", "remove"];

/** What each image code draws: an object (class, colour) or the empty background cell. */
export interface CodeClasses {
  object: Map<number, { cls: T.ObjectClass; color: T.ColorName }>;
  background: number;
}

/** The code of every (class, colour) object and of the empty cell, by encoding one rendered cell of each. */
export function codeClasses(model: U.UnifiedModel): CodeClasses {
  const object = new Map<number, { cls: T.ObjectClass; color: T.ColorName }>();
  let background = -1;
  for (const cls of T.CLASSES) {
    for (const color of T.COLOR_NAMES) {
      const codes = model.vocab.image.encode(T.renderObjects([{ cls, color, col: 0, row: 0 }]));
      object.set(codes[0]!, { cls, color });
      background = codes[1]!;
    }
  }
  return { object, background };
}

/** How many objects of `cls` a canvas (unified-vocabulary ids, MASK where undecided) holds. */
export function objectsOnCanvas(canvas: readonly number[], cls: T.ObjectClass, codes: CodeClasses, imageOffset: number): number {
  return canvas.filter((id) => id !== U.MASK && codes.object.get(id - imageOffset)?.cls === cls).length;
}

/**
 * One object of `cls` added in a masked cell (in the colour most of the class's drawn objects have), or
 * one drawn object of `cls` replaced by the empty cell; the cell is chosen by `rng`. Null when there is
 * no cell to edit (no masked cell to add to, no object to remove).
 */
export function editCanvas(
  canvas: readonly number[],
  edit: CanvasEdit,
  cls: T.ObjectClass,
  codes: CodeClasses,
  imageOffset: number,
  rng: Rng,
): { canvas: number[]; cell: number } | null {
  const isObject = (id: number) => id !== U.MASK && codes.object.get(id - imageOffset)?.cls === cls;
  const cells = canvas.map((id, i) => i).filter((i) => (edit === "add" ? canvas[i] === U.MASK : isObject(canvas[i]!)));
  if (!cells.length) return null;
  const cell = cells[rng.int(cells.length)]!;
  const out = canvas.slice();
  if (edit === "remove") out[cell] = codes.background + imageOffset;
  else {
    const colors = new Map<T.ColorName, number>();
    for (const id of canvas.filter(isObject)) {
      const { color } = codes.object.get(id - imageOffset)!;
      colors.set(color, (colors.get(color) ?? 0) + 1);
    }
    const color = [...colors].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0] ?? T.COLOR_NAMES[0]!;
    const code = [...codes.object].find(([, o]) => o.cls === cls && o.color === color)![0];
    out[cell] = code + imageOffset;
  }
  return { canvas: out, cell };
}

/**
 * The expected number of objects of each request's class over its canvas's masked cells at the next
 * sampling step: Σ over masked cells of P(an object code of the class), under the sampler's guided
 * distribution (the same guidance scale as generation).
 */
export async function expectedObjects(
  model: U.UnifiedModel,
  reqs: readonly { prompt: number[]; canvas: readonly number[]; cls: T.ObjectClass }[],
  codes: CodeClasses,
  opts: { cfg?: number; adapter?: U.Adapter; adapterPositions?: readonly number[] } = {},
): Promise<number[]> {
  const { layout, vocab } = model;
  const n = layout.slots.image;
  const w = opts.cfg ?? model.samplerCfg;
  const C = vocab.size - vocab.imageOffset;
  // A tally model reads the canvas with the statement it makes of it, as when it draws.
  const cond = (
    await U.drawingRows(
      model,
      reqs.map((r) => r.prompt),
      reqs.map((r) => r.canvas),
      opts,
    )
  ).rows;
  const rows = w !== 0 ? [...cond, ...reqs.map((r) => layout.t2i([], r.canvas))] : cond;
  const slot = { kind: "slot" as const, start: layout.genImageStart, length: n, vocabStart: vocab.imageOffset, vocabEnd: vocab.size };
  const logits = await model.slotLogits(rows, slot, opts.adapter, opts.adapter ? opts.adapterPositions : undefined);
  const l = new Float64Array(C);
  // Each class's codes, built once rather than per request.
  const ofClass = new Map(T.CLASSES.map((cls) => [cls, new Set([...codes.object].filter(([, o]) => o.cls === cls).map(([c]) => c))]));
  return reqs.map((r, i) => {
    const mine = ofClass.get(r.cls)!;
    let total = 0;
    for (let pos = 0; pos < n; pos++) {
      if (r.canvas[pos] !== U.MASK) continue;
      const oc = (i * n + pos) * C;
      const ou = ((reqs.length + i) * n + pos) * C;
      let max = -Infinity;
      for (let j = 0; j < C; j++) {
        l[j] = w !== 0 ? (1 + w) * logits[oc + j]! - w * logits[ou + j]! : logits[oc + j]!;
        if (l[j]! > max) max = l[j]!;
      }
      let z = 0;
      let hit = 0;
      for (let j = 0; j < C; j++) {
        const p = Math.exp(l[j]! - max);
        z += p;
        if (mine.has(j)) hit += p;
      }
      total += hit / z;
    }
    return total;
  });
}

export interface CanvasItem {
  id: string;
  prompt: string;
  cls: T.ObjectClass;
  asked: number;
  seed: number;
}

/** The diagnostic's prompts: GenEval's counting grid (every class × two…ten) with seeds of their own. */
export function canvasItems(seeds: readonly number[]): CanvasItem[] {
  return T.CLASSES.flatMap((cls) =>
    T.GEN_COUNTS.flatMap((count) => seeds.map((seed) => ({ id: `count-${cls}-${count}`, prompt: T.countingPrompt(cls, count), cls, asked: count, seed }))),
  );
}

export interface CanvasRow {
  model: string;
  id: string;
  seed: number;
  edit: CanvasEdit;
  asked: number;
  /** Objects of the class on the canvas before the edit. */
  drawn: number;
  expectedBefore: number;
  expectedAfter: number;
  /** −Δ expected further objects per object added (+1 per object removed): 1 = counts its canvas. */
  compensation: number;
  finalBefore: number;
  finalAfter: number;
  /** Δ final count per object added: 0 = fully compensated, 1 = the edit passes into the image. */
  passthrough: number;
}

/**
 * Canvas dependence of each model on the same canvases: the base's canvases at `step` of `steps`
 * (so every model is tested on identical inputs), each edited once per edit kind, then the expected
 * further objects and the final count after continuing with the model under test (same seeds).
 */
export async function canvasDependence(
  model: U.UnifiedModel,
  models: readonly { name: string; adapter?: U.Adapter; adapterPositions?: readonly number[] }[],
  opts: { items: readonly CanvasItem[]; step: number; steps: number; cfg?: number; onStage?: (s: string) => void },
): Promise<CanvasRow[]> {
  const { layout, vocab } = model;
  const codes = codeClasses(model);
  const reqs = opts.items.map((it) => ({ prompt: vocab.textIds(it.prompt), tokens: layout.slots.image, seed: new Rng(it.seed, it.id).nextU32() }));
  const sampler = { steps: opts.steps, ...(opts.cfg !== undefined ? { cfg: opts.cfg } : {}) };
  // The base's canvases after `step` unmasking steps: the sequences the sampler feeds at step `step`.
  const canvases: number[][] = new Array(reqs.length);
  opts.onStage?.(`drawing ${reqs.length} canvases with the base to step ${opts.step} of ${opts.steps}`);
  await U.generateImages(model, reqs, {
    ...sampler,
    onStep: (k, rows) => {
      if (k === opts.step) rows.forEach((r, i) => (canvases[i] = r.slice(layout.genImageStart, layout.genImageStart + layout.slots.image)));
    },
  });
  const edits = opts.items
    .flatMap((it, i) =>
      CANVAS_EDITS.map((edit) => ({
        i,
        edit,
        edited: editCanvas(canvases[i]!, edit, it.cls, codes, vocab.imageOffset, new Rng(it.seed, `canvas-edit/${it.id}/${edit}`)),
      })),
    )
    .filter((e) => e.edited !== null);
  const rows: CanvasRow[] = [];
  for (const m of models) {
    opts.onStage?.(`${m.name}: expected objects and continued sampling on ${edits.length} edited canvases`);
    const run = { ...(m.adapter ? { adapter: m.adapter } : {}), ...(m.adapterPositions ? { adapterPositions: m.adapterPositions } : {}) };
    const before = await expectedObjects(
      model,
      opts.items.map((it, i) => ({ prompt: reqs[i]!.prompt, canvas: canvases[i]!, cls: it.cls })),
      codes,
      { ...run, ...(opts.cfg !== undefined ? { cfg: opts.cfg } : {}) },
    );
    const after = await expectedObjects(
      model,
      edits.map((e) => ({ prompt: reqs[e.i]!.prompt, canvas: e.edited!.canvas, cls: opts.items[e.i]!.cls })),
      codes,
      { ...run, ...(opts.cfg !== undefined ? { cfg: opts.cfg } : {}) },
    );
    const cont = (cs: readonly number[][], rq: typeof reqs) => U.generateImages(model, rq, { ...sampler, ...run, start: { step: opts.step, canvases: cs } });
    const finalBefore = (await cont(canvases, reqs)).codes;
    const finalAfter = (
      await cont(
        edits.map((e) => e.edited!.canvas),
        edits.map((e) => reqs[e.i]!),
      )
    ).codes;
    const count = (c: number[], cls: T.ObjectClass) => c.filter((code) => codes.object.get(code)?.cls === cls).length;
    edits.forEach((e, k) => {
      const it = opts.items[e.i]!;
      const sign = e.edit === "add" ? 1 : -1;
      const fb = count(finalBefore[e.i]!, it.cls);
      const fa = count(finalAfter[k]!, it.cls);
      rows.push({
        model: m.name,
        id: it.id,
        seed: it.seed,
        edit: e.edit,
        asked: it.asked,
        drawn: objectsOnCanvas(canvases[e.i]!, it.cls, codes, vocab.imageOffset),
        expectedBefore: before[e.i]!,
        expectedAfter: after[k]!,
        compensation: -(after[k]! - before[e.i]!) / sign,
        finalBefore: fb,
        finalAfter: fa,
        passthrough: (fa - fb) / sign,
      });
    });
  }
  return rows;
}
