// Evaluation of a model (and optional adapter) on the evaluation sets of the worlds: generate or answer,
// judge with the shipped evaluators, and summarize with bootstrap 95% intervals over prompts and seeds.
// Every row keeps what was asked, what came out and the verdict's reason.

import { Rng } from "../core/rng";
import * as T from "../tasks";
import * as E from "../eval";
import * as U from "../umm";

export interface EvalOptions {
  adapter?: U.Adapter;
  /** "test" (default: report) or "val" (choose checkpoints and sampler settings); see T.EVAL_SPLITS. */
  split?: T.EvalSplit;
  /** Generation seeds per prompt (GenEval uses 4). */
  seeds?: readonly number[];
  /** Use n prompts / items, evenly spaced over the set (so a subset still covers every class and count). */
  limit?: number;
  steps?: number;
  cfg?: number;
  batch?: number;
  /** Keep the generated images (for grids and Fréchet distance). */
  keepImages?: boolean;
}

export interface GenRow {
  id: string;
  prompt: string;
  seed: number;
  correct: boolean;
  excluded?: boolean;
  asked?: number;
  detected?: number;
  absError?: number;
  reason: string;
  text?: string;
  image?: T.RgbImage;
}

export interface Summary {
  n: number;
  accuracy?: E.Interval;
  mad?: E.Interval;
  excluded?: number;
  unparsed?: number;
  cer?: E.Interval;
  wer?: number;
  editDistance?: number;
  bleu?: number;
  meteor?: number;
  f1?: number;
}

export interface EvalResult<R> {
  set: string;
  rows: R[];
  summary: Summary;
}

const ci = <R>(groups: R[][], stat: (rows: R[]) => number) => E.bootstrapCI(groups, stat, { seed: 0, samples: 500 });

/** n items evenly spaced over a list (all of it when n is absent or not smaller). */
export function subset<X>(xs: readonly X[], n?: number): readonly X[] {
  if (n === undefined || n >= xs.length) return xs;
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!);
}

/** Rows grouped by a key (a prompt's seeds stay together for the cluster bootstrap). */
import { byKey } from "../core/group";
export { byKey };

async function generate(model: U.UnifiedModel, prompts: readonly T.GenPrompt[], opts: EvalOptions, spell: (p: T.GenPrompt) => string[], tokens: number): Promise<{ p: T.GenPrompt; seed: number; image: T.RgbImage }[]> {
  const jobs: { p: T.GenPrompt; seed: number }[] = [];
  const list = subset(prompts, opts.limit);
  for (const p of list) for (const seed of opts.seeds ?? p.seeds) jobs.push({ p, seed });
  const out: { p: T.GenPrompt; seed: number; image: T.RgbImage }[] = [];
  const batch = opts.batch ?? 64;
  const [cols, rows] = tokens === 64 ? [8, 8] : [8, 2];
  for (let i = 0; i < jobs.length; i += batch) {
    const chunk = jobs.slice(i, i + batch);
    const reqs = chunk.map((j) => ({ prompt: model.vocab.textIds(j.p.prompt, spell(j.p)), tokens, seed: hashSeed(j.p.id, j.seed) }));
    const { codes } = await U.generateImages(model, reqs, { steps: opts.steps ?? 12, ...(opts.cfg !== undefined ? { cfg: opts.cfg } : {}), ...(opts.adapter ? { adapter: opts.adapter } : {}) });
    chunk.forEach((j, k) => out.push({ ...j, image: model.vocab.image.decode(codes[k]!, cols, rows) }));
  }
  return out;
}

/** The sampling seed of (prompt, seed): the same image for the same prompt and seed in every run. */
function hashSeed(id: string, seed: number): number {
  return new Rng(seed, id).nextU32();
}

export async function evalCountingGen(model: U.UnifiedModel, opts: EvalOptions = {}): Promise<EvalResult<GenRow>> {
  const imgs = await generate(model, T.countingGenEval(T.CLASSES, opts.split ?? "test"), opts, () => [], 64);
  const rows: GenRow[] = imgs.map(({ p, seed, image }) => {
    const t = p.truth as T.CountingTruth;
    const v = E.countingVerdict(E.detect(image), t.target, t.count);
    return { id: p.id, prompt: p.prompt, seed, correct: v.correct, asked: t.count, detected: v.detected, absError: v.absError, reason: v.reason, ...(opts.keepImages ? { image } : {}) };
  });
  return { set: "counting-gen", rows, summary: summarize("counting-gen", rows) };
}

export async function evalSpatialGen(model: U.UnifiedModel, opts: EvalOptions = {}): Promise<EvalResult<GenRow>> {
  const imgs = await generate(model, T.spatialGenEval(100, 0, opts.split ?? "test"), opts, () => [], 64);
  const rows: GenRow[] = imgs.map(({ p, seed, image }) => {
    const t = p.truth as T.SpatialTruth;
    const v = E.spatialVerdict(E.detect(image), t.a, t.b, t.relation);
    return { id: p.id, prompt: p.prompt, seed, correct: v.correct, excluded: v.excluded, reason: v.reason, ...(opts.keepImages ? { image } : {}) };
  });
  return { set: "spatial-gen", rows, summary: summarize("spatial-gen", rows) };
}

export async function evalCompositionGen(model: U.UnifiedModel, opts: EvalOptions = {}): Promise<EvalResult<GenRow>> {
  const imgs = await generate(model, T.compositionGenEval(), { seeds: [0], ...opts }, () => [], 64);
  const rows: GenRow[] = imgs.map(({ p, seed, image }) => {
    const t = p.truth as T.CompositionTruth;
    const v = E.compositionVerdict(E.detect(image), t.target, t.count, t.anchor, t.relation);
    return { id: p.id, prompt: p.prompt, seed, correct: v.correct, detected: v.detected, asked: t.count, reason: v.reason, ...(opts.keepImages ? { image } : {}) };
  });
  return { set: "composition-gen", rows, summary: summarize("composition-gen", rows) };
}

function textSummary<R extends { ref: string; hyp: string }>(rows: R[]): Summary {
  const refs = rows.map((r) => r.ref);
  const hyps = rows.map((r) => r.hyp);
  const groups = rows.map((r) => [r]);
  return {
    n: rows.length,
    accuracy: ci(groups, (r) => E.accuracy(r.map((x) => x.ref === x.hyp))),
    cer: ci(groups, (r) => E.cer(r.map((x) => x.ref), r.map((x) => x.hyp))),
    wer: E.wer(refs, hyps),
    editDistance: E.meanEditDistance(refs, hyps),
    bleu: E.bleu(refs, hyps),
    meteor: E.meteor(refs, hyps),
    f1: E.tokenPrf(refs, hyps).f1,
  };
}

export interface TextRow extends GenRow {
  ref: string;
  hyp: string;
}

export async function evalTextGen(model: U.UnifiedModel, opts: EvalOptions & { ocr?: E.Ocr } = {}): Promise<EvalResult<TextRow>> {
  const imgs = await generate(model, T.textGenEval(), { seeds: [0], ...opts }, (p) => [(p.truth as { word: string }).word], 16);
  const ocr = opts.ocr ?? new E.Ocr();
  const rows: TextRow[] = [];
  try {
    for (const { p, seed, image } of imgs) {
      const ref = (p.truth as { word: string }).word;
      const hyp = T.normalizeText((await ocr.read(image)).text);
      rows.push({ id: p.id, prompt: ref, seed, correct: hyp === ref, ref, hyp, reason: `OCR read "${hyp}" for "${ref}"`, ...(opts.keepImages ? { image } : {}) });
    }
  } finally {
    if (!opts.ocr) await ocr.close();
  }
  return { set: "text-gen", rows, summary: summarize("text-gen", rows) };
}

export interface UndRow {
  /** The item's place in its set ("counting-und-17"): the pairing key across models. */
  id: string;
  question: string;
  answer: string;
  output: string;
  correct: boolean;
  parsed: string | number | null;
  absError?: number;
  ref: string;
  hyp: string;
}

/** A subset of a set's items, each with its id (its index in the full set, so subsets pair too). */
function indexed(items: readonly T.UndSample[], set: string, limit?: number): readonly { item: T.UndSample; id: string }[] {
  return subset(items.map((item, i) => ({ item, id: `${set}-${i}` })), limit);
}

/**
 * The one MAD convention for counting answers (evaluate, transfer, probe, demo): an answer with no
 * count in it is scored as answering 0, so it is wrong and as far off as the true count. Every model
 * is then scored on every question, which pairing needs; `unparsed` says how many such answers there were.
 */
export function countAbsError(parsed: string | number | null, truth: number): number {
  return typeof parsed === "number" ? Math.abs(parsed - truth) : truth;
}

async function answer(model: U.UnifiedModel, items: readonly T.UndSample[], opts: EvalOptions): Promise<string[]> {
  const list = items;
  const out: string[] = [];
  const batch = opts.batch ?? 64;
  for (let i = 0; i < list.length; i += batch) {
    const chunk = list.slice(i, i + batch);
    const reqs = chunk.map((s) => ({ image: model.vocab.imageIds(model.vocab.image.encode(s.image)), question: model.vocab.textIds(s.question) }));
    out.push(...(await U.answerQuestions(model, reqs, opts.adapter ? { adapter: opts.adapter } : {})).texts);
  }
  return out;
}

export async function evalCountingUnd(model: U.UnifiedModel, opts: EvalOptions = {}): Promise<EvalResult<UndRow>> {
  const items = indexed(T.countingUndEval(540, 0, {}, opts.split ?? "test"), "counting-und", opts.limit);
  const outs = await answer(model, items.map((x) => x.item), opts);
  const rows: UndRow[] = outs.map((output, i) => {
    const { item: s, id } = items[i]!;
    const truth = (s.truth as T.CountingTruth).count;
    const p = T.parseCount(output, truth);
    return { id, question: s.question, answer: s.answer, output, parsed: p.value, correct: p.value === truth, absError: countAbsError(p.value, truth), ref: String(truth), hyp: String(p.value) };
  });
  return { set: "counting-und", rows, summary: summarize("counting-und", rows) };
}

export async function evalSpatialUnd(model: U.UnifiedModel, opts: EvalOptions = {}): Promise<EvalResult<UndRow>> {
  const items = indexed(T.spatialMcEval(250, 0, T.DEFAULT_WORLD, opts.split ?? "test"), "spatial-und", opts.limit);
  const outs = await answer(model, items.map((x) => x.item), opts);
  const rows: UndRow[] = outs.map((output, i) => {
    const { item: s, id } = items[i]!;
    const letter = T.parseChoice(output);
    return { id, question: s.question, answer: s.answer, output, parsed: letter, correct: letter === s.answer, ref: s.answer, hyp: String(letter) };
  });
  return { set: "spatial-und", rows, summary: summarize("spatial-und", rows) };
}

export async function evalTextUnd(model: U.UnifiedModel, opts: EvalOptions = {}): Promise<EvalResult<UndRow>> {
  const items = indexed(T.textUndEval(), "text-und", opts.limit);
  const outs = await answer(model, items.map((x) => x.item), opts);
  const rows: UndRow[] = outs.map((output, i) => {
    const { item: s, id } = items[i]!;
    const hyp = T.normalizeText(output);
    return { id, question: s.question, answer: s.answer, output, parsed: hyp, correct: hyp === s.answer, ref: s.answer, hyp };
  });
  return { set: "text-und", rows, summary: summarize("text-und", rows) };
}

export const EVAL_SETS = ["counting-gen", "counting-und", "spatial-gen", "spatial-und", "text-gen", "text-und", "composition-gen"] as const;
export type EvalSet = (typeof EVAL_SETS)[number];

/**
 * A set's summary from its rows (also rows pooled over several runs: a generation prompt's images, over
 * seeds and runs, stay one cluster of the bootstrap).
 */
export function summarize(set: EvalSet, rows: readonly (GenRow | UndRow)[]): Summary {
  switch (set) {
    case "counting-gen": {
      const groups = byKey(rows as GenRow[], (r) => r.id);
      return { n: rows.length, accuracy: ci(groups, (r) => E.accuracy(r.map((x) => x.correct))), mad: ci(groups, (r) => E.mean(r.map((x) => x.absError!))) };
    }
    case "spatial-gen": {
      const kept = (rows as GenRow[]).filter((r) => !r.excluded);
      return { n: rows.length, excluded: rows.length - kept.length, accuracy: ci(byKey(kept, (r) => r.id), (r) => E.accuracy(r.map((x) => x.correct))) };
    }
    case "composition-gen":
      return { n: rows.length, accuracy: ci(byKey(rows as GenRow[], (r) => r.id), (r) => E.accuracy(r.map((x) => x.correct))) };
    case "text-gen":
      return textSummary(rows as TextRow[]);
    case "text-und":
      return textSummary(rows as UndRow[]);
    case "counting-und": {
      const rs = rows as UndRow[];
      return { n: rs.length, unparsed: rs.filter((r) => r.parsed === null).length, accuracy: ci(rs.map((r) => [r]), (r) => E.accuracy(r.map((x) => x.correct))), mad: ci(rs.map((r) => [r]), (r) => E.mean(r.map((x) => x.absError!))) };
    }
    case "spatial-und": {
      const rs = rows as UndRow[];
      return { n: rs.length, unparsed: rs.filter((r) => r.parsed === null).length, accuracy: ci(rs.map((r) => [r]), (r) => E.accuracy(r.map((x) => x.correct))) };
    }
  }
}

export async function evaluateSet(model: U.UnifiedModel, set: EvalSet, opts: EvalOptions = {}): Promise<EvalResult<GenRow | UndRow>> {
  switch (T.oneOf("set", set, EVAL_SETS)) {
    case "counting-gen":
      return evalCountingGen(model, opts);
    case "counting-und":
      return evalCountingUnd(model, opts);
    case "spatial-gen":
      return evalSpatialGen(model, opts);
    case "spatial-und":
      return evalSpatialUnd(model, opts);
    case "text-gen":
      return evalTextGen(model, opts);
    case "text-und":
      return evalTextUnd(model, opts);
    case "composition-gen":
      return evalCompositionGen(model, opts);
  }
}
