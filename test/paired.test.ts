// Paired effects: the crossed cluster bootstrap against exact enumeration and a closed form, pairing's
// gain over unpaired intervals, the equivalence statement and the transfer strength's interval.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../src/core/rng";
import * as E from "../src/eval";

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tolerance ${tol})`);

/** Every ordered resample of n items: the exact bootstrap distribution's support (n^n draws). */
function* resamples(n: number): Generator<number[]> {
  const idx = new Array(n).fill(0);
  for (;;) {
    const w = new Array(n).fill(0);
    for (const i of idx) w[i] += 1;
    yield w;
    let k = 0;
    while (k < n && ++idx[k] === n) idx[k++] = 0;
    if (k === n) return;
  }
}

test("the crossed bootstrap's variance matches exact enumeration over prompts × runs", () => {
  // 3 prompts (2 sampling seeds each) × 2 runs, unequal differences.
  const d = [
    [0.3, -0.2, 0.1, 0.5],
    [0.0, 0.4, -0.1, 0.2],
    [1.0, 0.6, 0.2, 0.9],
  ];
  const cells: E.PairedCell[] = [];
  d.forEach((row, p) => row.forEach((x, k) => cells.push({ cluster: `p${p}`, run: k >> 1, tuned: x + 0.25, base: 0.25 })));
  // Exact: every (prompt resample, run resample) pair is equally likely.
  const stats: number[] = [];
  for (const w of resamples(3)) {
    for (const v of resamples(2)) {
      let s = 0;
      let n = 0;
      d.forEach((row, p) => row.forEach((x, k) => ((s += w[p]! * v[k >> 1]! * x), (n += w[p]! * v[k >> 1]!))));
      stats.push(s / n);
    }
  }
  const m = stats.reduce((a, b) => a + b, 0) / stats.length;
  const sd = Math.sqrt(stats.reduce((a, b) => a + (b - m) ** 2, 0) / stats.length);
  const e = E.pairedEffect(cells, { samples: 40000 });
  close(e.estimate, d.flat().reduce((a, b) => a + b, 0) / 12, 1e-12, "estimate");
  close(e.se, sd, 0.03 * sd, "bootstrap SE");
  assert.equal(e.clusters, 3);
  assert.equal(e.runs, 2);
  assert.equal(e.n, 12);
});

test("with one run and equal clusters the bootstrap SE is the closed form sqrt(Σ(c̄ᵢ − c̄)² / n²)", () => {
  const rng = new Rng(4, "closed-form");
  const cells: E.PairedCell[] = [];
  const means: number[] = [];
  for (let p = 0; p < 40; p++) {
    let s = 0;
    for (let k = 0; k < 4; k++) {
      const x = rng.next() < 0.3 ? 1 : 0;
      s += x;
      cells.push({ cluster: `p${p}`, run: 0, tuned: x, base: 0 });
    }
    means.push(s / 4);
  }
  const c = means.reduce((a, b) => a + b, 0) / means.length;
  const closed = Math.sqrt(means.reduce((a, b) => a + (b - c) ** 2, 0) / means.length ** 2);
  const e = E.pairedEffect(cells, { samples: 20000 });
  close(e.se, closed, 0.03 * closed, "SE");
  close(e.mde, 2.8 * e.se, 1e-12, "MDE");
});

test("pairing finds a 0.05 effect that unpaired intervals cannot tell from noise", () => {
  const rng = new Rng(1, "pairing");
  const cells: E.PairedCell[] = [];
  for (let p = 0; p < 60; p++) {
    const level = rng.next(); // prompts differ a lot: the spread unpaired intervals carry
    for (let k = 0; k < 4; k++) {
      const base = level + 0.02 * rng.normal();
      cells.push({ cluster: `p${p}`, run: 0, base, tuned: base + 0.05 + 0.02 * rng.normal() });
    }
  }
  const paired = E.pairedEffect(cells);
  assert.equal(paired.verdict, "positive");
  assert.ok(paired.lo > 0.03 && paired.hi < 0.07, paired.statement);
  const groups = (f: (c: E.PairedCell) => number) => [...new Set(cells.map((c) => c.cluster))].map((p) => cells.filter((c) => c.cluster === p).map(f));
  const b = E.bootstrapCI(
    groups((c) => c.base),
    E.mean,
  );
  const t = E.bootstrapCI(
    groups((c) => c.tuned),
    E.mean,
  );
  assert.ok(t.lo < b.hi, "the unpaired intervals overlap");
});

test("a null effect is stated with its equivalence bound; a negative one is named worse for accuracy", () => {
  const rng = new Rng(2, "null");
  const mk = (shift: number) => {
    const cells: E.PairedCell[] = [];
    for (let p = 0; p < 50; p++) for (let run = 0; run < 3; run++) cells.push({ cluster: `p${p}`, run, base: 0.5, tuned: 0.5 + shift + 0.1 * rng.normal() });
    return cells;
  };
  const nul = E.pairedEffect(mk(0));
  assert.equal(nul.verdict, "null");
  assert.match(nul.statement, /no effect shown; \|Δ\| < 0\.\d{3} with 95% confidence/);
  assert.ok(nul.bound >= Math.abs(nul.lo) && nul.bound >= Math.abs(nul.hi) && nul.bound < 0.05);
  const neg = E.pairedEffect(mk(-0.2));
  assert.equal(neg.verdict, "negative");
  assert.match(neg.statement, /\(worse\)$/);
  assert.match(E.pairedEffect(mk(-0.2), { better: "lower" }).statement, /\(better\)$/);
  // Same cells and seed, the same interval; another bootstrap seed, another (close) one.
  const cells = mk(0);
  assert.deepEqual(E.pairedEffect(cells), E.pairedEffect(cells));
  assert.notDeepEqual(E.pairedEffect(cells, { seed: 1 }), E.pairedEffect(cells));
});

test("transfer strength: a share of a real direct gain with its interval, undefined without one", () => {
  const rng = new Rng(3, "strength");
  const cells = (gain: number, runs: number[]) => {
    const out: E.PairedCell[] = [];
    for (let p = 0; p < 50; p++) for (const run of runs) out.push({ cluster: `p${p}`, run, base: 0.3, tuned: 0.3 + gain + 0.05 * rng.normal() });
    return out;
  };
  const s = E.strengthInterval(cells(0.05, [0, 1, 2]), cells(0.1, [3, 4, 5]));
  close(s.estimate, 0.5, 0.1, "strength");
  assert.ok(s.lo < s.estimate && s.estimate < s.hi && s.lo > 0.2 && s.hi < 0.8, JSON.stringify(s));
  assert.equal(s.note, "");
  const none = E.strengthInterval(cells(0.05, [0, 1, 2]), cells(0, [3, 4, 5]));
  assert.ok(Number.isNaN(none.estimate));
  assert.match(none.note, /no upper bound/);
  // For a lower-is-better metric a direct gain is a fall; the estimate is exactly the ratio of the means.
  const [t, d] = [cells(-0.05, [0, 1, 2]), cells(-0.1, [3, 4, 5])];
  const meanDelta = (c: E.PairedCell[]) => E.mean(c.map((x) => x.tuned - x.base));
  const mad = E.strengthInterval(t, d, { better: "lower" });
  close(mad.estimate, meanDelta(t) / meanDelta(d), 1e-12, "MAD strength");
  assert.ok(mad.lo < mad.estimate && mad.estimate < mad.hi);
  assert.match(E.strengthInterval(t, d).note, /no upper bound/, "a fall is no gain for a higher-is-better metric");
});

// Fig. 8's halves: each run's items at a later step against the same run's items at an earlier step.
test("changes along training pair each run's items with its own earlier items, runs pooled", async () => {
  const { changeRows } = await import("../src/lab/results/effects");
  const q = (id: string, correct: boolean, absError: number) => ({
    id,
    question: "",
    answer: "",
    output: "",
    parsed: null,
    correct,
    absError,
    ref: "",
    hyp: "",
  });
  // Run a: 4 items go from 1 wrong of 4 to all right (+0.25); run b: from all right to 2 wrong (−0.5).
  const a = {
    run: "a",
    from: [q("1", true, 0), q("2", true, 0), q("3", true, 0), q("4", false, 2)],
    to: [q("1", true, 0), q("2", true, 0), q("3", true, 0), q("4", true, 0)],
  };
  const b = {
    run: "b",
    from: [q("1", true, 0), q("2", true, 0), q("3", true, 0), q("4", true, 0)],
    to: [q("1", false, 1), q("2", false, 3), q("3", true, 0), q("4", true, 0)],
  };
  const [acc, mad] = changeRows("und 1st half", "counting-und", [a, b]);
  assert.equal(acc!.metric, "accuracy");
  close(acc!.delta, (0.25 - 0.5) / 2, 1e-12, "the pooled paired change is the mean of per-item differences");
  close(mad!.delta, (-0.5 + 1) / 2, 1e-12, "MAD change");
  assert.equal(acc!.runs, 2);
  assert.equal(acc!.prompts, 4);
  // Had run b been paired against run a's earlier items, its change would differ: the pairing is per run.
  const [crossed] = changeRows("x", "counting-und", [{ run: "b", from: a.from, to: b.to }]);
  assert.notEqual(crossed!.delta, -0.5);
  assert.throws(() => changeRows("x", "counting-und", [{ run: "a", from: a.from.slice(1), to: a.to }]), /item 1 of run a has no base item/);
});

test("a run's per-item curve rows are written whole and read back; a broken line is named", async () => {
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const { Run } = await import("../src/lab/store/run-store");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-curve-"));
  const run = new Run(dir, "r");
  const rows = [
    { step: 0, side: "gen" as const, id: "count-circle-2", seed: 100, correct: false, absError: 1, asked: 2, detected: 3 },
    { step: 0, side: "und" as const, id: "q0", correct: true, absError: 0 },
  ];
  run.writeCurveRows(rows);
  assert.deepEqual(run.curveRows(), rows);
  fs.appendFileSync(path.join(dir, "curve-rows.jsonl"), '{"step": 1, "side": "both", "id": "q1"}\n');
  assert.throws(() => run.curveRows(), /curve-rows\.jsonl:3: a curve row needs step \(a number\), side \(gen or und\) and id/);
});

test("Fig. 8's pattern is read from the paired changes: a side moves when a metric's interval leaves 0 in one direction", async () => {
  const { patternVerdict } = await import("../src/lab/verbs/joint");
  const row = (direction: string, metric: string, delta: number, lo: number, hi: number) =>
    ({ direction, metric, delta, lo, hi, better: metric === "mad" ? "lower" : "higher" }) as unknown as Parameters<typeof patternVerdict>[0][number];
  const paper = [
    row("und 1st half", "accuracy", 0.15, 0.1, 0.2),
    row("gen 1st half", "mad", 0.9, 0.5, 1.3),
    row("und 2nd half", "accuracy", -0.1, -0.15, -0.05),
    row("gen 2nd half", "accuracy", 0.05, -0.05, 0.15),
    row("gen 2nd half", "mad", -0.7, -1.2, -0.2),
  ];
  assert.match(patternVerdict(paper, 3), /3 training seed\(s\): shown in every half\./);
  const partial = paper.map((r) => (r.direction === "und 2nd half" ? row("und 2nd half", "accuracy", -0.02, -0.06, 0.02) : r));
  assert.match(patternVerdict(partial, 3), /shown in 3 of 4 side-halves.*und 2nd half: no change shown/);
  // A side whose metrics disagree (accuracy up, MAD worse) has no direction.
  const mixed = [row("und 1st half", "accuracy", 0.1, 0.05, 0.15), row("und 1st half", "mad", 0.3, 0.1, 0.5)];
  assert.match(patternVerdict(mixed, 1), /not shown\. und 1st half: no change shown/);
});

test("a set where no pair differs is not written as an equivalence bound", () => {
  const cells = Array.from({ length: 40 }, (_, i) => ({ cluster: `p${i}`, run: 0, base: 0, tuned: 0 }));
  const e = E.pairedEffect(cells);
  assert.equal(e.verdict, "null");
  assert.match(e.statement, /^Δ \+0\.000: no pair differs in any resample of the 40 pairs, so the set cannot bound an effect at this size$/);
  const one = E.pairedEffect(cells.map((c, i) => (i === 0 ? { ...c, tuned: 1 } : c)));
  assert.match(one.statement, /no effect shown; \|Δ\| < 0\.\d+ with 95% confidence/);
});

test("a trend over conditions: the least-squares slope of their paired Δ, one prompt draw for all, runs drawn per point", () => {
  // Three sizes (x = 0, 1, 2) whose every cell differs by exactly 0.1·x + 0.05: the slope is 0.1 in every resample.
  const grid = (delta: number, runs: number, prompts = 4) => {
    const cells: E.PairedCell[] = [];
    for (let p = 0; p < prompts; p++) for (let r = 0; r < runs; r++) cells.push({ cluster: `p${p}`, run: r, tuned: 0.5 + delta, base: 0.5 });
    return E.cellGrid(cells);
  };
  const exact = E.effectTrend([0, 1, 2].map((x) => ({ x, cells: grid(0.1 * x + 0.05, 3) })));
  close(exact.estimate, 0.1, 1e-12, "slope");
  close(exact.lo, 0.1, 1e-12, "lo");
  close(exact.hi, 0.1, 1e-12, "hi");
  assert.equal(exact.verdict, "positive");
  assert.match(exact.statement, /^slope \+0\.100 \[\+0\.100, \+0\.100\]/);
  exact.deltas.forEach((d, i) => close(d, 0.1 * i + 0.05, 1e-12, `point ${i}'s Δ`));
  // Noisy points: each point's Δ is its own paired effect's, and a flat trend is a null with its bound.
  const rng = new Rng(7);
  const noisy = [0, 1, 2].map((x) => {
    const cells: E.PairedCell[] = [];
    for (let p = 0; p < 12; p++) for (let r = 0; r < 3; r++) cells.push({ cluster: `p${p}`, run: `r${r}`, tuned: rng.next() + 0.2, base: rng.next() });
    return { x: x * 1.5, cells, grid: E.cellGrid(cells) };
  });
  const flat = E.effectTrend(noisy.map((p) => ({ x: p.x, cells: p.grid })));
  noisy.forEach((p, i) => close(flat.deltas[i]!, E.pairedEffect(p.cells).estimate, 1e-12, `point ${i}`));
  assert.equal(flat.verdict, "null");
  assert.ok(flat.lo < 0 && flat.hi > 0 && flat.bound > 0);
  assert.match(flat.statement, /^slope [+-]0\.\d{3} \[.*\]: no effect shown; \|slope\| < \d\.\d{3} with 95% confidence$/);
  assert.deepEqual(E.effectTrend(noisy.map((p) => ({ x: p.x, cells: p.grid }))), flat, "seeded: the same interval twice");
  // What cannot be a trend is refused, naming why.
  assert.throws(() => E.effectTrend([{ x: 0, cells: grid(0, 1) }]), /at least 2 points, got 1/);
  assert.throws(() => E.effectTrend([0, 0].map((x) => ({ x, cells: grid(0, 1) }))), /x are all 0; a slope needs two different x/);
  assert.throws(
    () => E.effectTrend([0, 1].map((x) => ({ x, cells: { ...grid(0, 2), sum: [1] } }))),
    /point 0 holds 1 sums and 8 counts for 4 clusters × 2 runs/,
  );
});
