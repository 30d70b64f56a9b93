// What every evaluation set shares: its options and rows, drawing images for prompts and answers for
// questions (batched, with each image's sampling seed a function of its prompt and seed), and the
// bootstrap summaries. Each world's sets (src/lab/worlds) judge with their own evaluators.
// Every row keeps what was asked, what came out and the verdict's reason.

import { Rng } from "../../core/rng";
import * as T from "../../tasks";
import * as E from "../../eval";
import * as U from "../../umm";

export interface EvalOptions {
  adapter?: U.Adapter;
  /** Patching: the adapter's weight per sequence position in generation (default: everywhere). */
  adapterPositions?: readonly number[];
  /** "test" (default: report) or a validation split (choose checkpoints and sampler settings); see T.EVAL_SPLITS. */
  split?: T.EvalSplit;
  /** Generation seeds per prompt (GenEval uses 4). */
  seeds?: readonly number[];
  /** Use n prompts / items, evenly spaced over the set (so a subset still covers every class and count). */
  limit?: number;
  /** The image sampler's steps, guidance and initial confidence temperature τ0 (defaults: 12 and the model's). */
  steps?: number;
  cfg?: number;
  temperature?: number;
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
  /** Composition: the share of detected targets at the asked relation of the anchor. */
  placed?: number;
  /** The share of detected objects that are of the asked class (new-word: does the word draw its shape). */
  classShare?: number;
  reason: string;
  text?: string;
  image?: T.RgbImage;
}

export interface Summary {
  n: number;
  accuracy?: E.Interval;
  mad?: E.Interval;
  /** Composition's parts: the count right, and the share of targets placed at the relation. */
  countAccuracy?: E.Interval;
  placed?: E.Interval;
  classShare?: E.Interval;
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

export const ci = <R>(groups: R[][], stat: (rows: R[]) => number) => E.bootstrapCI(groups, stat, { seed: 0, samples: 500 });

/** n items evenly spaced over a list (all of it when n is absent or not smaller). */
export function subset<X>(xs: readonly X[], n?: number): readonly X[] {
  if (n === undefined || n >= xs.length) return xs;
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!);
}

/** Rows grouped by a key (a prompt's seeds stay together for the cluster bootstrap). */
import { byKey } from "../../core/group";
export { byKey };

export async function generate(
  model: U.UnifiedModel,
  prompts: readonly T.GenPrompt[],
  opts: EvalOptions,
  spell: (p: T.GenPrompt) => string[],
  tokens: number,
): Promise<{ p: T.GenPrompt; seed: number; image: T.RgbImage }[]> {
  const jobs: { p: T.GenPrompt; seed: number }[] = [];
  const list = subset(prompts, opts.limit);
  for (const p of list) for (const seed of opts.seeds ?? p.seeds) jobs.push({ p, seed });
  const out: { p: T.GenPrompt; seed: number; image: T.RgbImage }[] = [];
  const batch = opts.batch ?? 64;
  const [cols, rows] = tokens === 64 ? [8, 8] : [8, 2];
  for (let i = 0; i < jobs.length; i += batch) {
    const chunk = jobs.slice(i, i + batch);
    const reqs = chunk.map((j) => ({ prompt: model.vocab.textIds(j.p.prompt, spell(j.p)), tokens, seed: hashSeed(j.p.id, j.seed) }));
    const { codes } = await U.generateImages(model, reqs, {
      steps: opts.steps ?? 12,
      ...(opts.cfg !== undefined ? { cfg: opts.cfg } : {}),
      ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
      ...(opts.adapter ? { adapter: opts.adapter } : {}),
      ...(opts.adapter && opts.adapterPositions ? { adapterPositions: opts.adapterPositions } : {}),
    });
    chunk.forEach((j, k) => out.push({ ...j, image: model.vocab.image.decode(codes[k]!, cols, rows) }));
  }
  return out;
}

/** The sampling seed of (prompt, seed): the same image for the same prompt and seed in every run. */
function hashSeed(id: string, seed: number): number {
  return new Rng(seed, id).nextU32();
}

export function textSummary<R extends { ref: string; hyp: string }>(rows: R[]): Summary {
  const refs = rows.map((r) => r.ref);
  const hyps = rows.map((r) => r.hyp);
  const groups = rows.map((r) => [r]);
  return {
    n: rows.length,
    accuracy: ci(groups, (r) => E.accuracy(r.map((x) => x.ref === x.hyp))),
    cer: ci(groups, (r) =>
      E.cer(
        r.map((x) => x.ref),
        r.map((x) => x.hyp),
      ),
    ),
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
export function indexed(items: readonly T.UndSample[], set: string, limit?: number): readonly { item: T.UndSample; id: string }[] {
  return subset(
    items.map((item, i) => ({ item, id: `${set}-${i}` })),
    limit,
  );
}

/**
 * The one MAD convention for counting answers (evaluate, transfer, probe, demo): an answer with no
 * count in it is scored as answering 0, so it is wrong and as far off as the true count. Every model
 * is then scored on every question, which pairing needs; `unparsed` says how many such answers there were.
 */
export function countAbsError(parsed: string | number | null, truth: number): number {
  return typeof parsed === "number" ? Math.abs(parsed - truth) : truth;
}

export async function answer(model: U.UnifiedModel, items: readonly T.UndSample[], opts: EvalOptions): Promise<string[]> {
  const list = items;
  const out: string[] = [];
  const batch = opts.batch ?? 64;
  for (let i = 0; i < list.length; i += batch) {
    const chunk = list.slice(i, i + batch);
    const reqs = chunk.map((s) => ({
      image: model.vocab.imageIds(model.vocab.image.encode(s.image)),
      question: model.vocab.textIds(s.question, s.spell ?? []),
    }));
    out.push(...(await U.answerQuestions(model, reqs, opts.adapter ? { adapter: opts.adapter } : {})).texts);
  }
  return out;
}

/** A set's questions answered (the first `limit` by even spacing, each with its index id) and each answer judged. */
export async function answerItems(
  model: U.UnifiedModel,
  items: readonly T.UndSample[],
  set: string,
  opts: EvalOptions,
  judge: (output: string, item: T.UndSample, id: string) => UndRow,
): Promise<UndRow[]> {
  const list = indexed(items, set, opts.limit);
  const outs = await answer(
    model,
    list.map((x) => x.item),
    opts,
  );
  return outs.map((output, i) => judge(output, list[i]!.item, list[i]!.id));
}

/** A statistic's interval with every row its own bootstrap cluster (questions: one answer each). */
export const perItem = <R>(rows: readonly R[], stat: (rows: R[]) => number) =>
  ci(
    rows.map((r) => [r]),
    stat,
  );
