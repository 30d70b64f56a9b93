// MMaDA's objectives as batches: token ids with [MASK]s, targets (−100 where nothing is predicted) and
// per-position loss weights, so that the graph's loss Σ weights · cross-entropy is the objective.
//
// - generation: t ~ U(0,1); exactly max(1, round(N·cos(πt/2))) of the N image tokens are masked; mean
//   cross-entropy over the masked image tokens of the batch; the prompt is dropped (emptied) with
//   probability 0.1 so that classifier-free guidance has an unconditional model.
// - understanding: t ~ U(0,1), p = (1−ε)t + ε; each answer token (the EOS padding included) is masked with
//   probability p; cross-entropy on masked tokens weighted by 1/p, averaged over the answer length and
//   the batch (LLaDA's unbiased estimator).
// - tally (a model whose shape states a plan): every generation row that keeps its prompt also holds, in
//   the plan slot, the statement of how many objects of the asked class its *unmasked* cells show ([EOS]s
//   where the row has no counting scene); its tokens are masked as understanding's answer tokens are (p
//   from t' ~ U(0,1), weighted 1/p, averaged over the slot and the rows), so one row trains drawing from a
//   stated tally and stating the tally of a half-drawn canvas. A model without a plan draws no extra
//   random numbers, so its batches are what they were.
// - joint: one step holds generation rows and understanding rows; the loss is L_gen + L_und, each the
//   mean of its own rows (mixing rule: equal weight per objective, rows split as the caller asks).

import { Rng } from "../core/rng";
import { Layout, MASK } from "./layout";

export interface GenItem {
  prompt: number[];
  image: number[];
  /**
   * For a tally: the image positions holding an object of the asked class, and the statement of each
   * count (`says[k]`: the answer's ids for k objects, k = 0..cells.length).
   */
  tally?: { cells: readonly number[]; says: readonly (readonly number[])[] };
}

export interface UndItem {
  image: number[];
  question: number[];
  answer: number[];
}

export interface Batch {
  ids: number[][];
  targets: number[][];
  weights: number[][];
}

export interface ObjectiveOptions {
  promptDropout?: number;
  eps?: number;
  /** Train the plan slot with each row's tally (a model whose shape's plan is "tally"). */
  tally?: boolean;
}

export function emptyBatch(): Batch {
  return { ids: [], targets: [], weights: [] };
}

/** Number of image tokens masked at time t for N tokens: round(N·cos(πt/2)), at least one. */
export function genMaskCount(n: number, t: number): number {
  return Math.max(1, Math.round(n * Math.cos((Math.PI * t) / 2)));
}

export function genBatch(items: readonly GenItem[], layout: Layout, rng: Rng, opts: ObjectiveOptions = {}): Batch {
  const out = emptyBatch();
  const dropout = opts.promptDropout ?? 0.1;
  const eps = opts.eps ?? 1e-3;
  const rows: { ids: number[]; targets: number[]; masked: number }[] = [];
  let total = 0;
  // Per row, the plan slot's masking probability (undefined: the row states nothing).
  const planP: (number | undefined)[] = [];
  for (const it of items) {
    const prompt = rng.next() < dropout ? [] : it.prompt;
    const ids = layout.t2i(prompt, it.image);
    const targets = new Array<number>(layout.seq).fill(-100);
    const n = it.image.length;
    const m = genMaskCount(n, rng.next());
    const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    for (const i of order.slice(0, m)) {
      const pos = layout.genImageStart + i;
      targets[pos] = ids[pos]!;
      ids[pos] = MASK;
    }
    let p: number | undefined;
    if (opts.tally && prompt.length > 0) {
      const shown = it.tally ? it.tally.cells.filter((c) => ids[layout.genImageStart + c] !== MASK).length : 0;
      const plan = layout.planIds(it.tally ? it.tally.says[shown]! : []);
      p = (1 - eps) * rng.next() + eps;
      plan.forEach((t, i) => {
        const pos = layout.planStart + i;
        ids[pos] = t;
        if (rng.next() >= p!) return;
        targets[pos] = t;
        ids[pos] = MASK;
      });
    }
    planP.push(p);
    rows.push({ ids, targets, masked: m });
    total += m;
  }
  const planRows = planP.filter((p) => p !== undefined).length;
  rows.forEach((r, k) => {
    out.ids.push(r.ids);
    out.targets.push(r.targets);
    out.weights.push(r.targets.map((t, pos) => (t === -100 ? 0 : pos < layout.planStart ? 1 / total : 1 / (planP[k]! * layout.planLength * planRows))));
  });
  return out;
}

export function undBatch(items: readonly UndItem[], layout: Layout, rng: Rng, opts: ObjectiveOptions = {}): Batch {
  const out = emptyBatch();
  const eps = opts.eps ?? 1e-3;
  const A = layout.slots.answer;
  for (const it of items) {
    const ids = layout.mmu(it.image, it.question, it.answer);
    const targets = new Array<number>(layout.seq).fill(-100);
    const weights = new Array<number>(layout.seq).fill(0);
    const p = (1 - eps) * rng.next() + eps;
    for (let i = 0; i < A; i++) {
      if (rng.next() >= p) continue;
      const pos = layout.answerStart + i;
      targets[pos] = ids[pos]!;
      ids[pos] = MASK;
      weights[pos] = 1 / (p * A * items.length);
    }
    out.ids.push(ids);
    out.targets.push(targets);
    out.weights.push(weights);
  }
  return out;
}

/** Rows of both objectives in one batch; each objective's weights already sum over its own rows. */
export function jointBatch(gen: Batch, und: Batch): Batch {
  return { ids: [...gen.ids, ...und.ids], targets: [...gen.targets, ...und.targets], weights: [...gen.weights, ...und.weights] };
}
