// Count read-out: can the number of objects be read linearly from a layer's image-position states, in
// the understanding pathway (a finished scene under a counting question) and on generation canvases
// (the sampler's half-drawn images)? The first link of und→gen transfer for counting is that
// understanding training changes how the shared layers represent the objects of an image; if it does so
// only for finished scenes in the understanding layout and not for the generator's canvases, an
// understanding gain has nothing to reach generation through.
//
// A ridge probe (λ fixed at 1, not tuned) per model, pathway and layer, fitted on half of the items and
// scored on the other half; the R² interval is a bootstrap over the scored items.

import { Rng } from "../../core/rng";
import * as E from "../../eval";
import * as T from "../../tasks";
import * as U from "../../umm";
import { codeClasses, objectsOnCanvas } from "./canvas";

export const READOUT_PATHWAYS = ["understanding", "canvas"] as const;
export type ReadoutPathway = (typeof READOUT_PATHWAYS)[number];

export interface ReadoutItem {
  id: string;
  pathway: ReadoutPathway;
  ids: number[];
  /** The image slot's first position in `ids` and its length (states are averaged over it). */
  start: number;
  count: number;
}

export interface ReadoutRow {
  model: string;
  pathway: ReadoutPathway;
  layer: number;
  r2: number;
  lo: number;
  hi: number;
  mae: number;
  n: number;
}

/** Per scored item: the probe's absolute error (paired effects compare models item by item). */
export interface ReadoutError {
  model: string;
  pathway: ReadoutPathway;
  layer: number;
  id: string;
  absError: number;
}

const LAMBDA = 1;

/**
 * The probe's items: `scenes` counting scenes in the understanding layout (count: objects of the asked
 * class, among distractors, 0–20) and `canvases` partial canvases of the base's sampler (count: objects
 * of the prompt's class drawn so far), at steps spread over the schedule. Drawn from streams of their own.
 */
export async function readoutItems(model: U.UnifiedModel, opts: { scenes: number; canvases: number; seed: number; steps?: number }): Promise<ReadoutItem[]> {
  const { layout, vocab } = model;
  const rng = new Rng(opts.seed, "readout/scenes");
  const items: ReadoutItem[] = [];
  for (let i = 0; i < opts.scenes; i++) {
    const s = T.sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6 });
    const image = vocab.imageIds(vocab.image.encode(s.image));
    items.push({
      id: `scene-${i}`,
      pathway: "understanding",
      ids: layout.mmu(image, vocab.textIds(T.countingQuestion(s.truth.target)), []),
      start: layout.undImageStart,
      count: s.truth.count,
    });
  }
  const K = opts.steps ?? 12;
  const codes = codeClasses(model);
  const prompts = new Rng(opts.seed, "readout/canvases");
  const reqs = Array.from({ length: opts.canvases }, (_, i) => {
    const cls = T.CLASSES[prompts.int(T.CLASSES.length)]!;
    const count = T.GEN_COUNTS[prompts.int(T.GEN_COUNTS.length)]!;
    return {
      id: `canvas-${i}`,
      cls,
      prompt: vocab.textIds(T.countingPrompt(cls, count)),
      tokens: layout.slots.image,
      seed: prompts.nextU32(),
      step: 1 + (i % (K - 1)),
    };
  });
  const canvases: number[][] = new Array(reqs.length);
  await U.generateImages(model, reqs, {
    steps: K,
    onStep: (k, rows) =>
      rows.forEach((r, i) => {
        if (reqs[i]!.step === k) canvases[i] = r.slice(layout.genImageStart, layout.genImageStart + layout.slots.image);
      }),
  });
  reqs.forEach((r, i) =>
    items.push({
      id: r.id,
      pathway: "canvas",
      ids: layout.t2i(r.prompt, canvases[i]!),
      start: layout.genImageStart,
      count: objectsOnCanvas(canvases[i]!, r.cls, codes, vocab.imageOffset),
    }),
  );
  return items;
}

/** Mean image-slot state per item and layer: features[layer] is items × d. */
async function features(model: U.UnifiedModel, items: readonly ReadoutItem[], adapter?: U.Adapter): Promise<Float64Array[]> {
  const { d, layers, seq } = model.config;
  const out = Array.from({ length: layers }, () => new Float64Array(items.length * d));
  const batch = 64;
  for (let b = 0; b < items.length; b += batch) {
    const chunk = items.slice(b, b + batch);
    const hs = await model.hiddenStates(
      chunk.map((it) => it.ids),
      adapter,
    );
    hs.forEach((h, l) =>
      chunk.forEach((it, r) => {
        const n = model.layout.slots.image;
        for (let p = it.start; p < it.start + n; p++) for (let j = 0; j < d; j++) out[l]![(b + r) * d + j]! += h[(r * seq + p) * d + j]! / n;
      }),
    );
  }
  return out;
}

/** Probes every model × pathway × layer; returns the summary rows and each scored item's error. */
export async function countReadout(
  model: U.UnifiedModel,
  models: readonly { name: string; adapter?: U.Adapter }[],
  items: readonly ReadoutItem[],
  opts: { seed?: number; onStage?: (s: string) => void } = {},
): Promise<{ rows: ReadoutRow[]; errors: ReadoutError[] }> {
  const d = model.config.d;
  const rows: ReadoutRow[] = [];
  const errors: ReadoutError[] = [];
  for (const m of models) {
    opts.onStage?.(`${m.name}: states of ${items.length} items`);
    const feats = await features(model, items, m.adapter);
    for (const pathway of READOUT_PATHWAYS) {
      const idx = items.map((it, i) => (it.pathway === pathway ? i : -1)).filter((i) => i >= 0);
      const fit = idx.filter((_, k) => k % 2 === 0);
      const score = idx.filter((_, k) => k % 2 === 1);
      if (fit.length < 2 || score.length < 2) continue;
      feats.forEach((F, layer) => {
        const X = new Float64Array(fit.length * d);
        fit.forEach((i, r) => X.set(F.subarray(i * d, (i + 1) * d), r * d));
        const probe = E.fitRidge(
          X,
          fit.map((i) => items[i]!.count),
          fit.length,
          d,
          LAMBDA,
        );
        const y = score.map((i) => items[i]!.count);
        const yhat = score.map((i) => probe.predict(F, i * d));
        const ci = E.bootstrapCI(
          score.map((_, k) => [k]),
          (ks) =>
            E.rSquared(
              ks.map((k) => y[k]!),
              ks.map((k) => yhat[k]!),
            ),
          { seed: opts.seed ?? 0, samples: 500 },
        );
        rows.push({
          model: m.name,
          pathway,
          layer,
          r2: E.rSquared(y, yhat),
          lo: ci.lo,
          hi: ci.hi,
          mae: E.mean(y.map((v, k) => Math.abs(v - yhat[k]!))),
          n: score.length,
        });
        score.forEach((i, k) => errors.push({ model: m.name, pathway, layer, id: items[i]!.id, absError: Math.abs(y[k]! - yhat[k]!) }));
      });
    }
  }
  return { rows, errors };
}
