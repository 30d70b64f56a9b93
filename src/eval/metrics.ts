// Metrics of the paper's tables: accuracy, MAD, WER/CER, edit distance, BLEU-4, METEOR, token F1,
// Fréchet distance, Inception-style score, transfer strength, and bootstrap confidence intervals.

import { stemmer } from "stemmer";
import { Rng } from "../core/rng";

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

export function accuracy(correct: readonly boolean[]): number {
  return mean(correct.map((c) => (c ? 1 : 0)));
}

/** Mean absolute deviation between predicted and true counts. */
export function mad(predicted: readonly number[], truth: readonly number[]): number {
  if (predicted.length !== truth.length) throw new Error(`mad: ${predicted.length} predictions for ${truth.length} truths`);
  return mean(predicted.map((p, i) => Math.abs(p - truth[i]!)));
}

/** Levenshtein distance over any sequence (characters or words). */
export { editDistance } from "../core/text";
import { editDistance } from "../core/text";

export const tokens = (s: string): string[] => s.split(/\s+/).filter((t) => t.length > 0);

function checkPairs(refs: readonly string[], hyps: readonly string[]): void {
  if (refs.length !== hyps.length) throw new Error(`metrics: ${hyps.length} hypotheses for ${refs.length} references`);
}

/** Corpus word error rate: total word edits over total reference words. */
export function wer(refs: readonly string[], hyps: readonly string[]): number {
  checkPairs(refs, hyps);
  let edits = 0;
  let n = 0;
  refs.forEach((r, i) => {
    edits += editDistance(tokens(r), tokens(hyps[i]!));
    n += tokens(r).length;
  });
  return edits / n;
}

/** Corpus character error rate: total character edits over total reference characters. */
export function cer(refs: readonly string[], hyps: readonly string[]): number {
  checkPairs(refs, hyps);
  let edits = 0;
  let n = 0;
  refs.forEach((r, i) => {
    edits += editDistance(r, hyps[i]!);
    n += [...r].length;
  });
  return edits / n;
}

/** Mean character edit distance per sample. */
export function meanEditDistance(refs: readonly string[], hyps: readonly string[]): number {
  checkPairs(refs, hyps);
  return mean(refs.map((r, i) => editDistance(r, hyps[i]!)));
}

function ngrams(ts: readonly string[], n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i + n <= ts.length; i++) {
    const k = ts.slice(i, i + n).join("\u0001");
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/**
 * Sentence BLEU-4 on whitespace tokens, uniform weights, brevity penalty, with NLTK's smoothing
 * method 1 (a zero n-gram match count becomes ε = 0.1); 0 when no unigram matches, as NLTK.
 */
export function sentenceBleu(ref: string, hyp: string, eps = 0.1): number {
  const r = tokens(ref);
  const h = tokens(hyp);
  if (h.length === 0) return 0;
  const logs: number[] = [];
  for (let n = 1; n <= 4; n++) {
    const hn = ngrams(h, n);
    const rn = ngrams(r, n);
    let match = 0;
    let total = 0;
    for (const [k, c] of hn) {
      match += Math.min(c, rn.get(k) ?? 0);
      total += c;
    }
    if (n === 1 && match === 0) return 0;
    logs.push(Math.log((match === 0 ? eps : match) / Math.max(1, total)));
  }
  const bp = h.length > r.length ? 1 : Math.exp(1 - r.length / h.length);
  return bp * Math.exp(mean(logs));
}

/** Mean sentence BLEU-4 over samples. */
export function bleu(refs: readonly string[], hyps: readonly string[]): number {
  checkPairs(refs, hyps);
  return mean(refs.map((r, i) => sentenceBleu(r, hyps[i]!)));
}

type Enum = [number, string][];

// NLTK's alignment: hypothesis words from the last, each to the last unmatched equal reference word.
function matchEnums(hyp: Enum, ref: Enum, key: (w: string) => string): [number, number][] {
  const out: [number, number][] = [];
  for (let i = hyp.length - 1; i >= 0; i--) {
    for (let j = ref.length - 1; j >= 0; j--) {
      if (key(hyp[i]![1]) === key(ref[j]![1])) {
        out.push([hyp[i]![0], ref[j]![0]]);
        hyp.splice(i, 1);
        ref.splice(j, 1);
        break;
      }
    }
  }
  return out;
}

/**
 * METEOR with NLTK's formula: exact then Porter-stem unigram matches (no WordNet synonyms), α 0.9,
 * β 3, γ 0.5: F = P·R / (α·P + (1−α)·R), penalty = γ·(chunks/matches)^β, score = F·(1 − penalty).
 */
export function sentenceMeteor(ref: string, hyp: string, alpha = 0.9, beta = 3, gamma = 0.5): number {
  const r = tokens(ref.toLowerCase());
  const h = tokens(hyp.toLowerCase());
  if (h.length === 0 || r.length === 0) return 0;
  const he: Enum = h.map((w, i) => [i, w]);
  const re: Enum = r.map((w, i) => [i, w]);
  const matches = [...matchEnums(he, re, (w) => w), ...matchEnums(he, re, (w) => stemmer(w))].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const m = matches.length;
  if (m === 0) return 0;
  const p = m / h.length;
  const rc = m / r.length;
  const f = (p * rc) / (alpha * p + (1 - alpha) * rc);
  let chunks = 1;
  for (let i = 0; i + 1 < m; i++) {
    if (!(matches[i + 1]![0] === matches[i]![0] + 1 && matches[i + 1]![1] === matches[i]![1] + 1)) chunks++;
  }
  return f * (1 - gamma * (chunks / m) ** beta);
}

export function meteor(refs: readonly string[], hyps: readonly string[]): number {
  checkPairs(refs, hyps);
  return mean(refs.map((r, i) => sentenceMeteor(r, hyps[i]!)));
}

/** Token precision, recall and F1 from the multiset overlap of whitespace tokens, averaged over samples. */
export function tokenPrf(refs: readonly string[], hyps: readonly string[]): { precision: number; recall: number; f1: number } {
  checkPairs(refs, hyps);
  const per = refs.map((ref, i) => {
    const r = tokens(ref);
    const h = tokens(hyps[i]!);
    const counts = new Map<string, number>();
    for (const t of r) counts.set(t, (counts.get(t) ?? 0) + 1);
    let overlap = 0;
    for (const t of h) {
      const c = counts.get(t) ?? 0;
      if (c > 0) {
        overlap++;
        counts.set(t, c - 1);
      }
    }
    const precision = h.length ? overlap / h.length : 0;
    const recall = r.length ? overlap / r.length : 0;
    return { precision, recall, f1: precision + recall ? (2 * precision * recall) / (precision + recall) : 0 };
  });
  return { precision: mean(per.map((x) => x.precision)), recall: mean(per.map((x) => x.recall)), f1: mean(per.map((x) => x.f1)) };
}

// ---- Fréchet distance ---------------------------------------------------------------------------

/** Eigenvalues and eigenvectors of a symmetric matrix (cyclic Jacobi); columns of `vectors`. */
export function symmetricEigen(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * n + q]! - m[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = m[i * n + i]!;
  return { values, vectors: v };
}

export interface GaussianStats {
  mean: Float64Array;
  cov: Float64Array;
  dim: number;
}

/** Mean and unbiased covariance of feature rows (n × d, row-major). */
export function gaussianStats(features: ArrayLike<number>, n: number, d: number): GaussianStats {
  if (n < 2) throw new Error(`gaussianStats: need at least 2 feature rows, got ${n}`);
  if (features.length !== n * d) throw new Error(`gaussianStats: ${features.length} values are not ${n} rows of ${d}`);
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j]! += features[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const xj = features[i * d + j]! - mu[j]!;
      for (let k = j; k < d; k++) cov[j * d + k]! += (xj * (features[i * d + k]! - mu[k]!)) / (n - 1);
    }
  }
  for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) cov[j * d + k] = cov[k * d + j]!;
  return { mean: mu, cov, dim: d };
}

/**
 * ‖μ₁−μ₂‖² + Tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^½). The trace term is computed as Σ √λ of A Σ₂ A with A = Σ₁^½, a
 * symmetric positive semi-definite matrix, so no non-symmetric square root (and no complex parts) occurs.
 */
export function frechetDistance(s1: GaussianStats, s2: GaussianStats): number {
  const d = s1.dim;
  if (s2.dim !== d) throw new Error(`frechetDistance: dimensions differ (${d} vs ${s2.dim})`);
  let diff = 0;
  for (let j = 0; j < d; j++) diff += (s1.mean[j]! - s2.mean[j]!) ** 2;
  const e1 = symmetricEigen(s1.cov, d);
  const sqrt1 = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += e1.vectors[i * d + k]! * Math.sqrt(Math.max(0, e1.values[k]!)) * e1.vectors[j * d + k]!;
      sqrt1[i * d + j] = s;
    }
  }
  const tmp = matmul(sqrt1, s2.cov, d);
  const m = matmul(tmp, sqrt1, d);
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) m[i * d + j] = m[j * d + i] = (m[i * d + j]! + m[j * d + i]!) / 2;
  const em = symmetricEigen(m, d);
  let trSqrt = 0;
  for (let k = 0; k < d; k++) trSqrt += Math.sqrt(Math.max(0, em.values[k]!));
  let tr = 0;
  for (let k = 0; k < d; k++) tr += s1.cov[k * d + k]! + s2.cov[k * d + k]!;
  return Math.max(0, diff + tr - 2 * trSqrt);
}

function matmul(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) c[i * n + j]! += aik * b[k * n + j]!;
    }
  return c;
}

/** exp(E_x KL(p(y|x) ‖ p(y))) from class probabilities (n × k, rows summing to 1). */
export function inceptionScore(probs: ArrayLike<number>, n: number, k: number): number {
  if (probs.length !== n * k || n === 0) throw new Error(`inceptionScore: ${probs.length} values are not ${n} rows of ${k}`);
  const marginal = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) marginal[j]! += probs[i * k + j]! / n;
  let kl = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      const p = probs[i * k + j]!;
      if (p > 0) kl += (p * (Math.log(p) - Math.log(marginal[j]!))) / n;
    }
  }
  return Math.exp(kl);
}

/**
 * Table 6's transfer strength: the gain from transfer over the gain from direct training, both measured
 * from the baseline. The ratio reads the same for higher-better and lower-better metrics (both gains
 * negative for MAD); it is undefined (null) when direct training gains nothing.
 */
export function transferStrength(baseline: number, transfer: number, direct: number): number | null {
  const directGain = direct - baseline;
  if (directGain === 0 || !Number.isFinite(directGain)) return null;
  return (transfer - baseline) / directGain;
}

export interface Interval {
  estimate: number;
  lo: number;
  hi: number;
}

/**
 * Percentile bootstrap 95% interval of a statistic over groups of items (prompts × seeds): groups are
 * resampled with replacement, then items within each chosen group. Seeded, so intervals reproduce.
 */
export function bootstrapCI<T>(
  groups: readonly (readonly T[])[],
  stat: (items: T[]) => number,
  opts: { samples?: number; seed?: number; level?: number } = {},
): Interval {
  const B = opts.samples ?? 1000;
  const level = opts.level ?? 0.95;
  const rng = new Rng(opts.seed ?? 0, "bootstrap");
  const all = groups.flat();
  const estimate = stat(all);
  const stats: number[] = [];
  for (let b = 0; b < B; b++) {
    const items: T[] = [];
    for (let g = 0; g < groups.length; g++) {
      const grp = groups[rng.int(groups.length)]!;
      for (let i = 0; i < grp.length; i++) items.push(grp[rng.int(grp.length)]!);
    }
    const s = stat(items);
    if (Number.isFinite(s)) stats.push(s);
  }
  stats.sort((a, b) => a - b);
  const q = (p: number) => stats[Math.min(stats.length - 1, Math.max(0, Math.floor(p * stats.length)))] ?? NaN;
  return { estimate, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) };
}
