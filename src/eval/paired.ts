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
function effect(estimate: number, draws: number[], level: number, better: "higher" | "lower", g: Grid, name = "Δ"): PairedEffect {
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
      ? `${name} ${f(estimate)}: no pair differs in any resample of the ${n} pairs, so the set cannot bound an effect at this size`
      : verdict === "null"
        ? `${name} ${f(estimate)} [${f(lo)}, ${f(hi)}]: no effect shown; |${name}| < ${bound.toFixed(3)} with ${pct}% confidence`
        : `${name} ${f(estimate)} [${f(lo)}, ${f(hi)}]${good}`;
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

/**
 * A paired effect's cells in compact form: per (cluster, run) the sum and count of tuned − base. It is all a
 * crossed bootstrap reads, so an effect can be pooled or compared with another after its runs are gone.
 */
export interface CellGrid {
  clusters: string[];
  runs: (string | number)[];
  /** Row-major over clusters × runs. */
  sum: number[];
  count: number[];
}

export function cellGrid(cells: readonly PairedCell[]): CellGrid {
  checkCells(cells, "the grid");
  const g = grid(cells, (c) => c.tuned - c.base);
  return { clusters: g.clusters, runs: g.runs, sum: [...g.sum], count: [...g.count] };
}

function gridOf(c: CellGrid, at: string): Grid {
  const n = c.clusters.length * c.runs.length;
  if (c.sum.length !== n || c.count.length !== n)
    throw new Error(`trend: ${at} holds ${c.sum.length} sums and ${c.count.length} counts for ${c.clusters.length} clusters × ${c.runs.length} runs`);
  return { clusters: c.clusters, runs: c.runs, sum: Float64Array.from(c.sum), count: Float64Array.from(c.count) };
}

export interface TrendEffect extends PairedEffect {
  /** Each point's paired Δ, in the order given. */
  deltas: number[];
}

/**
 * How a paired effect changes along x (e.g. log2 of a model's parameters): the least-squares slope of the
 * points' Δ on x. One bootstrap draw of clusters serves every point (they are measured on the same prompts),
 * each point's training runs are drawn on their own (different models, different runs) — the interval
 * carries both the prompt-to-prompt and the run-to-run spread. A null trend gets an equivalence bound.
 */
export function effectTrend(points: readonly { x: number; cells: CellGrid }[], opts: PairedOptions = {}): TrendEffect {
  return trendOf(points, opts, "slope");
}

/**
 * The difference between two conditions' paired effects, Δ(b) − Δ(a) (e.g. the same training on two
 * architectures' bases, measured on the same prompts): the trend of two points one apart, with its bootstrap.
 */
export function effectContrast(a: CellGrid, b: CellGrid, opts: PairedOptions = {}): TrendEffect {
  return trendOf(
    [
      { x: 0, cells: a },
      { x: 1, cells: b },
    ],
    opts,
    "difference",
  );
}

function trendOf(points: readonly { x: number; cells: CellGrid }[], opts: PairedOptions, name: string): TrendEffect {
  if (points.length < 2) throw new Error(`trend: needs at least 2 points, got ${points.length}`);
  const xs = points.map((p) => p.x);
  if (xs.some((x) => !Number.isFinite(x))) throw new Error(`trend: every point needs a finite x (got ${xs.join(", ")})`);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sxx = xs.reduce((a, x) => a + (x - mx) ** 2, 0);
  if (sxx === 0) throw new Error(`trend: the points' x are all ${mx}; a slope needs two different x`);
  const clusters = [...new Set(points.flatMap((p) => p.cells.clusters))];
  const index = new Map(clusters.map((c, i) => [c, i]));
  // Every point's grid re-laid over the union of clusters, so one cluster draw weights all points alike.
  const grids = points.map((p, i) => {
    const own = gridOf(p.cells, `point ${i}`);
    const R = own.runs.length;
    const sum = new Float64Array(clusters.length * R);
    const count = new Float64Array(clusters.length * R);
    own.clusters.forEach((c, ci) => {
      const k = index.get(c)! * R;
      for (let j = 0; j < R; j++) {
        sum[k + j] = own.sum[ci * R + j]!;
        count[k + j] = own.count[ci * R + j]!;
      }
    });
    return { clusters, runs: own.runs, sum, count };
  });
  const slope = (ds: number[]) => ds.reduce((a, d, i) => a + (xs[i]! - mx) * d, 0) / sxx;
  const ones = (n: number) => new Float64Array(n).fill(1);
  const deltas = grids.map((g) => weightedMean(g, ones(clusters.length), ones(g.runs.length)));
  const rng = new Rng(opts.seed ?? 0, "trend-bootstrap");
  const draws: number[] = [];
  for (let b = 0; b < (opts.samples ?? 2000); b++) {
    const w = multiplicities(rng, clusters.length, true);
    const s = slope(grids.map((g) => weightedMean(g, w, multiplicities(rng, g.runs.length, opts.resampleRuns ?? true))));
    if (Number.isFinite(s)) draws.push(s);
  }
  const all: Grid = { clusters, runs: grids.flatMap((g) => g.runs), sum: new Float64Array(0), count: Float64Array.from(grids.flatMap((g) => [...g.count])) };
  return { ...effect(slope(deltas), draws, opts.level ?? 0.95, opts.better ?? "higher", all, name), deltas };
}
