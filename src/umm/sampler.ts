// Samplers. Images: iterative unmasking (MaskGIT / MMaDA) with a cosine schedule, confidence = log p of
// the sampled code + τ·Gumbel with τ annealed to 0, classifier-free guidance against the empty prompt,
// logits restricted to image codes. Answers: low-confidence remasking at temperature 0 (LLaDA).
// Every random draw comes from a generator seeded per request, so an image depends on its prompt and
// seed only, not on what else shares the batch. A model that states a tally (src/umm/shape.ts `plan`)
// first reads its canvas each step — one forward fills the plan slot by argmax — and then draws with that
// statement in view; guidance's unconditional row holds no statement, as in training.

import { Rng } from "../core/rng";
import { Adapter } from "./lora";
import { EOS, MASK } from "./layout";
import { UnifiedModel } from "./model";

export interface ImageRequest {
  /** Prompt token ids (unified vocabulary). */
  prompt: number[];
  /** Image codes to generate (64 for a scene, 16 for a word strip). */
  tokens: number;
  seed: number;
}

export interface SamplerOptions {
  steps?: number;
  /** Guidance scale w: logits = (1 + w)·cond − w·uncond; 0 turns guidance off. */
  cfg?: number;
  /** Initial scale of the Gumbel noise added to confidences, annealed linearly to 0 (default: the model's). */
  temperature?: number;
  adapter?: Adapter;
  /** Patching: the adapter's weight at each sequence position (default: 1 everywhere, the full adapter). */
  adapterPositions?: readonly number[];
  /** Called before each step's forward with the conditional sequences (attention capture uses it). */
  onStep?: (step: number, rows: number[][]) => Promise<void> | void;
  /**
   * A tally model's statement replaced before it is drawn with (the statement diagnostic's
   * intervention): given the step, the request's index and the stated plan slot, the slot to draw with.
   */
  restate?: (step: number, request: number, stated: readonly number[]) => readonly number[];
  /**
   * Continue from partial canvases (image ids with MASK where undecided, one per request) at this step of
   * the schedule instead of an empty canvas at step 0 (canvas diagnostics edit a canvas and continue).
   */
  start?: { step: number; canvases: readonly (readonly number[])[] };
}

export interface SamplerStats {
  forwardMs: number;
  totalMs: number;
  forwards: number;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Codes per request, in request order; for a model that states a tally, `plans` holds each request's last
 * statement (the plan slot's ids before the final step).
 */
export async function generateImages(
  model: UnifiedModel,
  reqs: readonly ImageRequest[],
  opts: SamplerOptions = {},
): Promise<{ codes: number[][]; stats: SamplerStats; plans?: number[][] }> {
  const stats: SamplerStats = { forwardMs: 0, totalMs: 0, forwards: 0 };
  const t0 = now();
  const codes: number[][] = new Array(reqs.length);
  const plans: number[][] = new Array(reqs.length);
  const groups = new Map<number, number[]>();
  reqs.forEach((r, i) => groups.set(r.tokens, [...(groups.get(r.tokens) ?? []), i]));
  for (const [tokens, idx] of groups) {
    const start = opts.start ? { step: opts.start.step, canvases: idx.map((i) => opts.start!.canvases[i]!) } : undefined;
    // A group's requests are numbered within it; the caller's hooks see the caller's numbering.
    const restate = opts.restate;
    const groupOpts: SamplerOptions = {
      ...opts,
      ...(start ? { start } : {}),
      ...(restate ? { restate: (k: number, j: number, p: readonly number[]) => restate(k, idx[j]!, p) } : {}),
    };
    const out = await generateGroup(
      model,
      idx.map((i) => reqs[i]!),
      tokens,
      groupOpts,
      stats,
    );
    idx.forEach((i, k) => ((codes[i] = out.codes[k]!), (plans[i] = out.plans[k]!)));
  }
  stats.totalMs = now() - t0;
  return model.tally ? { codes, stats, plans } : { codes, stats };
}

/**
 * The rows a drawing step reads: each prompt with its canvas and, for a tally model, the statement the
 * model makes of that canvas first (one forward of the masked plan slot; `restate` may replace it).
 */
export async function drawingRows(
  model: UnifiedModel,
  prompts: readonly (readonly number[])[],
  canvases: readonly (readonly number[])[],
  opts: Pick<SamplerOptions, "adapter" | "adapterPositions" | "restate"> & { step?: number } = {},
  stats: SamplerStats = { forwardMs: 0, totalMs: 0, forwards: 0 },
): Promise<{ rows: number[][]; plans: number[][] }> {
  const { layout } = model;
  if (!model.tally) return { rows: prompts.map((p, i) => layout.t2i(p, canvases[i]!)), plans: [] };
  const masked = new Array<number>(layout.planLength).fill(MASK);
  const stated = await statePlans(
    model,
    prompts.map((p, i) => layout.t2i(p, canvases[i]!, masked)),
    opts,
    stats,
  );
  const plans = opts.restate ? stated.map((p, i) => [...opts.restate!(opts.step ?? 0, i, p)]) : stated;
  return { rows: prompts.map((p, i) => layout.t2i(p, canvases[i]!, plans[i])), plans };
}

/** The plan slot of each row, filled by argmax over answer tokens from one forward of the masked slot. */
async function statePlans(model: UnifiedModel, rows: number[][], opts: SamplerOptions, stats: SamplerStats): Promise<number[][]> {
  const { layout, vocab } = model;
  const P = layout.planLength;
  const C = vocab.imageOffset - EOS;
  const slot = { kind: "slot" as const, start: layout.planStart, length: P, vocabStart: EOS, vocabEnd: vocab.imageOffset };
  const f0 = now();
  const logits = await model.slotLogits(rows, slot, opts.adapter, opts.adapterPositions);
  stats.forwardMs += now() - f0;
  stats.forwards++;
  return rows.map((_, r) =>
    Array.from({ length: P }, (_, pos) => {
      const o = (r * P + pos) * C;
      let best = 0;
      for (let j = 1; j < C; j++) if (logits[o + j]! > logits[o + best]!) best = j;
      return best + EOS;
    }),
  );
}

async function generateGroup(
  model: UnifiedModel,
  reqs: ImageRequest[],
  n: number,
  opts: SamplerOptions,
  stats: SamplerStats,
): Promise<{ codes: number[][]; plans: number[][] }> {
  const { layout, vocab } = model;
  const K = opts.steps ?? 12;
  const w = opts.cfg ?? model.samplerCfg;
  const tau0 = opts.temperature ?? model.samplerTemperature;
  const C = vocab.size - vocab.imageOffset;
  const rngs = reqs.map((r) => new Rng(r.seed, "sample-image"));
  const images = opts.start ? opts.start.canvases.map((c) => c.slice()) : reqs.map(() => new Array<number>(n).fill(MASK));
  if (images.length !== reqs.length || images.some((c) => c.length !== n)) throw new Error(`sampler: start needs one canvas of ${n} ids per request`);
  const slot = { kind: "slot" as const, start: layout.genImageStart, length: n, vocabStart: vocab.imageOffset, vocabEnd: vocab.size };
  const logp = new Float64Array(C);
  const probs = new Float64Array(C);
  let plans: number[][] = [];
  for (let k = opts.start?.step ?? 0; k < K; k++) {
    const drawing = await drawingRows(
      model,
      reqs.map((r) => r.prompt),
      images,
      { ...opts, step: k },
      stats,
    );
    const cond = drawing.rows;
    plans = drawing.plans;
    if (opts.onStep) await opts.onStep(k, cond);
    const rows = w !== 0 ? [...cond, ...reqs.map((_, i) => layout.t2i([], images[i]!))] : cond;
    const f0 = now();
    const logits = await model.slotLogits(rows, slot, opts.adapter, opts.adapterPositions);
    stats.forwardMs += now() - f0;
    stats.forwards++;
    const keepMasked = k === K - 1 ? 0 : Math.floor(n * Math.cos((Math.PI / 2) * ((k + 1) / K)));
    const tau = tau0 * (1 - (k + 1) / K);
    reqs.forEach((_, r) => {
      const img = images[r]!;
      const rng = rngs[r]!;
      const cand: { pos: number; code: number; conf: number }[] = [];
      for (let pos = 0; pos < n; pos++) {
        if (img[pos] !== MASK) continue;
        const oc = (r * n + pos) * C;
        const ou = ((reqs.length + r) * n + pos) * C;
        let max = -Infinity;
        for (let j = 0; j < C; j++) {
          const l = w !== 0 ? (1 + w) * logits[oc + j]! - w * logits[ou + j]! : logits[oc + j]!;
          logp[j] = l;
          if (l > max) max = l;
        }
        let z = 0;
        for (let j = 0; j < C; j++) z += probs[j] = Math.exp(logp[j]! - max);
        // Inverse-CDF draw from softmax(logits): one uniform per position.
        let u = rng.next() * z;
        let best = C - 1;
        for (let j = 0; j < C; j++) {
          u -= probs[j]!;
          if (u < 0) {
            best = j;
            break;
          }
        }
        const lz = max + Math.log(z);
        cand.push({ pos, code: best, conf: logp[best]! - lz + tau * rng.gumbel() });
      }
      const unmask = Math.max(1, cand.length - keepMasked);
      cand.sort((a, b) => b.conf - a.conf || a.pos - b.pos);
      for (const c of cand.slice(0, unmask)) img[c.pos] = c.code + vocab.imageOffset;
    });
  }
  return { codes: images.map((img) => vocab.codesOf(img)), plans };
}

export interface QuestionRequest {
  image: number[];
  question: number[];
}

/**
 * Answers by low-confidence remasking at temperature 0: the answer slot starts fully masked; each step
 * predicts every masked position by argmax and keeps the most confident ones, answer/steps at a time.
 */
export async function answerQuestions(
  model: UnifiedModel,
  reqs: readonly QuestionRequest[],
  opts: { steps?: number; adapter?: Adapter } = {},
): Promise<{ ids: number[][]; texts: string[]; stats: SamplerStats }> {
  const { layout, vocab } = model;
  const A = layout.slots.answer;
  const K = Math.min(A, opts.steps ?? A / 2);
  const stats: SamplerStats = { forwardMs: 0, totalMs: 0, forwards: 0 };
  const t0 = now();
  const answers = reqs.map(() => new Array<number>(A).fill(MASK));
  // Answer tokens are text tokens or [EOS]; [EOS] sits just below the text range.
  const slot = { kind: "slot" as const, start: layout.answerStart, length: A, vocabStart: EOS, vocabEnd: vocab.imageOffset };
  const C = vocab.imageOffset - EOS;
  for (let k = 0; k < K; k++) {
    const rows = reqs.map((r, i) => {
      const s = layout.mmu(r.image, r.question, []);
      answers[i]!.forEach((t, j) => (s[layout.answerStart + j] = t));
      return s;
    });
    const f0 = now();
    const logits = await model.slotLogits(rows, slot, opts.adapter);
    stats.forwardMs += now() - f0;
    stats.forwards++;
    const quota = Math.ceil(((k + 1) * A) / K) - Math.ceil((k * A) / K);
    reqs.forEach((_, r) => {
      const ans = answers[r]!;
      const cand: { pos: number; id: number; conf: number }[] = [];
      for (let pos = 0; pos < A; pos++) {
        if (ans[pos] !== MASK) continue;
        const o = (r * A + pos) * C;
        let best = 0;
        let max = -Infinity;
        for (let j = 0; j < C; j++) if (logits[o + j]! > max) ((max = logits[o + j]!), (best = j));
        let z = 0;
        for (let j = 0; j < C; j++) z += Math.exp(logits[o + j]! - max);
        cand.push({ pos, id: best + EOS, conf: -Math.log(z) });
      }
      cand.sort((a, b) => b.conf - a.conf || a.pos - b.pos);
      for (const c of cand.slice(0, quota)) ans[c.pos] = c.id;
    });
  }
  stats.totalMs = now() - t0;
  return { ids: answers, texts: answers.map((a) => vocab.decodeText(a)), stats };
}

/**
 * Text-token → image-token attention (the paper's Fig. 10): runs the sampler to `step`, then returns, per
 * layer, the attention of the prompt token at `tokenIndex` over the image slot, averaged over heads.
 */
export async function attentionMaps(
  model: UnifiedModel,
  req: ImageRequest,
  tokenIndex: number,
  opts: SamplerOptions & { step?: number } = {},
): Promise<Float32Array[]> {
  const step = opts.step ?? 0;
  const K = opts.steps ?? 12;
  if (step < 0 || step >= K) throw new Error(`attention: step ${step} is out of range (allowed: 0..${K - 1})`);
  if (tokenIndex < 0 || tokenIndex >= req.prompt.length)
    throw new Error(`attention: token index ${tokenIndex} is outside the prompt (0..${req.prompt.length - 1})`);
  const { layout } = model;
  const heads = model.config.heads;
  const S = model.config.seq;
  let maps: Float32Array[] = [];
  await generateImages(model, [req], {
    ...opts,
    onStep: async (k, rows) => {
      if (k !== step) return;
      const att = await model.attention([rows[0]!], opts.adapter);
      const q = 1 + tokenIndex;
      maps = att.map((a) => {
        const m = new Float32Array(req.tokens);
        for (let h = 0; h < heads; h++) for (let i = 0; i < req.tokens; i++) m[i]! += a[(h * S + q) * S + layout.genImageStart + i]! / heads;
        return m;
      });
    },
  });
  return maps;
}
