// Paired effects: the difference tuned − base on the same prompts and sampling seeds, with a bootstrap
// 95% interval that resamples prompts (each with all its sampling seeds: a cluster) and training runs,
// crossed. Pairing removes the prompt-to-prompt spread that unpaired intervals carry, so a small effect
// is visible; resampling training runs keeps the run-to-run spread in the interval, so a lucky seed is
// not read as an effect. A null effect is stated with an equivalence bound, never as "intervals overlap".

import { Rng } from "../core/rng";
import { Interval } from "./metrics";

/** One paired observation: a prompt (cluster) × sampling seed × training run, the two models' values. */
export interface PairedCell {
  /** The prompt or question: every sampling seed of it stays in one bootstrap cluster. */
  cluster: string;
  /** The training run (seed) of the tuned model; runs are resampled as a second, crossed factor. */
  run: string | number;
  tuned: number;
  base: number;
}

export interface PairedEffect extends Interval {
  /** Standard error (bootstrap standard deviation). */
  se: number;
  /** The smallest δ with the 95% interval inside (−δ, +δ): "|Δ| < δ with 95% confidence". */
  bound: number;
  /** Minimum detectable effect at 80% power and α 0.05, two-sided: (1.96 + 0.84)·se. */
  mde: number;
  verdict: "positive" | "negative" | "null";
  /** The effect in words, naming its interval or its equivalence bound. */
  statement: string;
  clusters: number;
  runs: number;
  n: number;
}

export interface PairedOptions {
  samples?: number;
  seed?: number;
  level?: number;
  /** Resample training runs too (default true; with one run it changes nothing). */
  resampleRuns?: boolean;
  /** For words: "higher" when a larger value is better (accuracy), "lower" for MAD or CER. */
  better?: "higher" | "lower";
}

/** Sums and counts per (cluster, run): a resample's statistic is a weighted ratio of these. */
interface Grid {
  clusters: string[];
  runs: (string | number)[];
  sum: Float64Array;
  count: Float64Array;
}

function grid(cells: readonly PairedCell[], value: (c: PairedCell) => number, clusters?: string[], runs?: (string | number)[]): Grid {
  const cs = clusters ?? [...new Set(cells.map((c) => c.cluster))];
  const rs = runs ?? [...new Set(cells.map((c) => c.run))];
  const ci = new Map(cs.map((c, i) => [c, i]));
  const ri = new Map(rs.map((r, i) => [r, i]));
  const sum = new Float64Array(cs.length * rs.length);
  const count = new Float64Array(cs.length * rs.length);
  for (const c of cells) {
    const v = value(c);
    if (!Number.isFinite(v)) throw new Error(`paired: a non-finite value ${v} in cluster ${c.cluster}, run ${c.run}`);
    const k = ci.get(c.cluster)! * rs.length + ri.get(c.run)!;
    sum[k] += v;
    count[k] += 1;
  }
  return { clusters: cs, runs: rs, sum, count };
}

/** Mean over cells with cluster weights w and run weights v (multiplicities of a resample). */
function weightedMean(g: Grid, w: Float64Array, v: Float64Array): number {
  let s = 0;
  let n = 0;
  const R = g.runs.length;
  for (let i = 0; i < g.clusters.length; i++) {
    if (w[i] === 0) continue;
    for (let j = 0; j < R; j++) {
      const k = i * R + j;
      const m = w[i]! * v[j]!;
      s += m * g.sum[k]!;
      n += m * g.count[k]!;
    }
  }
  return n > 0 ? s / n : NaN;
}

function multiplicities(rng: Rng, n: number, resample: boolean): Float64Array {
  const w = new Float64Array(n);
  if (!resample) return w.fill(1);
  for (let i = 0; i < n; i++) w[rng.int(n)] += 1;
  return w;
}

/** The p-quantile of sorted draws (the percentile bootstrap's reading). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(p * sorted.length)))] ?? NaN;
}

function checkCells(cells: readonly PairedCell[], what: string): void {
  if (cells.length === 0) throw new Error(`paired: no cells for ${what}`);
}

/** Turns bootstrap draws of Δ into the effect with its interval, equivalence bound and verdict. */
function effect(estimate: number, draws: number[], level: number, better: "higher" | "lower", g: Grid): PairedEffect {
  draws.sort((a, b) => a - b);
  const lo = percentile(draws, (1 - level) / 2);
  const hi = percentile(draws, 1 - (1 - level) / 2);
  const m = draws.reduce((a, b) => a + b, 0) / draws.length;
  const se = Math.sqrt(draws.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, draws.length - 1));
  const bound = Math.max(Math.abs(lo), Math.abs(hi));
  const verdict = lo > 0 ? "positive" : hi < 0 ? "negative" : "null";
  const f = (x: number) => (x >= 0 ? "+" : "") + x.toFixed(3);
  const pct = Math.round(level * 100);
  const good = verdict === "null" ? "" : (verdict === "positive") === (better === "higher") ? " (better)" : " (worse)";
  const n = g.count.reduce((a, b) => a + b, 0);
  // Every resample equal (e.g. both models wrong on every item): a bootstrap interval of width 0 bounds
  // nothing, so it is not written as an equivalence statement.
  const statement =
    lo === hi && verdict === "null"
      ? `Δ ${f(estimate)}: no pair differs in any resample of the ${n} pairs, so the set cannot bound an effect at this size`
      : verdict === "null"
        ? `Δ ${f(estimate)} [${f(lo)}, ${f(hi)}]: no effect shown; |Δ| < ${bound.toFixed(3)} with ${pct}% confidence`
        : `Δ ${f(estimate)} [${f(lo)}, ${f(hi)}]${good}`;
  return { estimate, lo, hi, se, bound, mde: 2.8 * se, verdict, statement, clusters: g.clusters.length, runs: g.runs.length, n };
}

/**
 * The paired effect Δ = mean(tuned − base) over all cells, with a crossed cluster bootstrap: each
 * replicate draws prompts with replacement and training runs with replacement, and averages Δ over the
 * drawn cells (weighted by how often each prompt and run was drawn). Seeded, so intervals reproduce.
 */
export function pairedEffect(cells: readonly PairedCell[], opts: PairedOptions = {}): PairedEffect {
  checkCells(cells, "the effect");
  const g = grid(cells, (c) => c.tuned - c.base);
  const B = opts.samples ?? 2000;
  const rng = new Rng(opts.seed ?? 0, "paired-bootstrap");
  const ones = (n: number) => new Float64Array(n).fill(1);
  const estimate = weightedMean(g, ones(g.clusters.length), ones(g.runs.length));
  const draws: number[] = [];
  for (let b = 0; b < B; b++) {
    const s = weightedMean(g, multiplicities(rng, g.clusters.length, true), multiplicities(rng, g.runs.length, opts.resampleRuns ?? true));
    if (Number.isFinite(s)) draws.push(s);
  }
  return effect(estimate, draws, opts.level ?? 0.95, opts.better ?? "higher", g);
}

export interface StrengthInterval extends Interval {
  /** Why the ratio has no meaning as a share, when it has none. */
  note: string;
}

/**
 * Table 6's transfer strength Δtransfer / Δdirect, both paired against the same base on the same side's
 * prompts, with a joint bootstrap: one draw of prompts serves both effects (they share prompts), each
 * effect's training runs are drawn on their own (they are different runs). The ratio is reported only
 * when direct training is a real upper bound, its own interval above 0 in the better direction.
 */
export function strengthInterval(transfer: readonly PairedCell[], direct: readonly PairedCell[], opts: PairedOptions = {}): StrengthInterval {
  checkCells(transfer, "the transfer effect");
  checkCells(direct, "the direct effect");
  const clusters = [...new Set([...transfer, ...direct].map((c) => c.cluster))];
  const gt = grid(transfer, (c) => c.tuned - c.base, clusters);
  const gd = grid(direct, (c) => c.tuned - c.base, clusters);
  const sign = (opts.better ?? "higher") === "higher" ? 1 : -1;
  const ones = (n: number) => new Float64Array(n).fill(1);
  const dT = weightedMean(gt, ones(clusters.length), ones(gt.runs.length));
  const dD = weightedMean(gd, ones(clusters.length), ones(gd.runs.length));
  const rng = new Rng(opts.seed ?? 0, "strength-bootstrap");
  const B = opts.samples ?? 2000;
  const ratios: number[] = [];
  const directs: number[] = [];
  for (let b = 0; b < B; b++) {
    const w = multiplicities(rng, clusters.length, true);
    const t = weightedMean(gt, w, multiplicities(rng, gt.runs.length, opts.resampleRuns ?? true));
    const d = weightedMean(gd, w, multiplicities(rng, gd.runs.length, opts.resampleRuns ?? true));
    directs.push(sign * d);
    if (d !== 0 && Number.isFinite(t / d)) ratios.push(t / d);
  }
  directs.sort((a, b) => a - b);
  const level = opts.level ?? 0.95;
  const directLo = percentile(directs, (1 - level) / 2);
  if (!(directLo > 0)) {
    return {
      estimate: NaN,
      lo: NaN,
      hi: NaN,
      note: `no upper bound: direct training's gain ${(sign * dD).toFixed(3)} has an interval reaching ${directLo.toFixed(3)} (not above 0), so a share of it is not defined`,
    };
  }
  ratios.sort((a, b) => a - b);
  return { estimate: dT / dD, lo: percentile(ratios, (1 - level) / 2), hi: percentile(ratios, 1 - (1 - level) / 2), note: "" };
}
