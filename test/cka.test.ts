// Linear CKA against its Gram-matrix definition, its invariances, and the representation-sharing
// analysis on a tiny model.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Rng } from "../src/core/rng";
import * as E from "../src/eval";
import * as U from "../src/umm";
import { representationSharing } from "../src/lab/diagnostics/pathway-cka";

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const randn = (rng: Rng, n: number) => Float64Array.from({ length: n }, () => rng.normal());

/** HSIC-based CKA from the n × n Gram matrices: tr(KHLH) / sqrt(tr(KHKH) tr(LHLH)). */
function gramCka(x: Float64Array, y: Float64Array, n: number, p: number, q: number): number {
  const gram = (a: Float64Array, d: number) => {
    const k = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let t = 0; t < d; t++) k[i * n + j] += a[i * d + t]! * a[j * d + t]!;
    // H K H: double centring.
    const row = new Float64Array(n);
    let all = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ((row[i] += k[i * n + j]! / n), (all += k[i * n + j]! / (n * n)));
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) k[i * n + j] = k[i * n + j]! - row[i]! - row[j]! + all;
    return k;
  };
  const K = gram(x, p);
  const L = gram(y, q);
  const tr = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i]!, 0);
  return tr(K, L) / Math.sqrt(tr(K, K) * tr(L, L));
}

test("linear CKA equals its Gram-matrix definition and is invariant to rotation and scale", () => {
  const rng = new Rng(0, "cka");
  const [n, p, q] = [30, 5, 3];
  const x = randn(rng, n * p);
  const y = Float64Array.from({ length: n * q }, (_, k) => x[Math.floor(k / q) * p + (k % q)]! + 0.5 * rng.normal());
  close(E.linearCka(x, y, n, p, q), gramCka(x, y, n, p, q), 1e-10, "CKA vs Gram form");
  close(E.linearCka(x, x, n, p, p), 1, 1e-12, "CKA(X, X)");
  // Rotate the first two columns by 0.7 rad, scale everything by 3, shift by 5: still 1.
  const c = Math.cos(0.7);
  const s = Math.sin(0.7);
  const r = Float64Array.from(x, (v, k) => {
    const i = Math.floor(k / p);
    const j = k % p;
    const a = x[i * p]!;
    const b = x[i * p + 1]!;
    return 3 * (j === 0 ? c * a - s * b : j === 1 ? s * a + c * b : v) + 5;
  });
  close(E.linearCka(x, r, n, p, p), 1, 1e-10, "rotation and scale");
  // Independent representations of many items: near 0.
  const big = 800;
  const u = E.linearCka(randn(rng, big * 4), randn(rng, big * 4), big, 4, 4);
  assert.ok(u < 0.05, `independent: ${u}`);
  assert.throws(() => E.linearCka(x, y, n, p, 4), /cka: 90 values for 30 × 4/);
});

test("representation sharing reads both pathways of every layer, with a shuffled control", { timeout: 120_000 }, async () => {
  const vocab = U.worldVocabulary();
  const m = U.UnifiedModel.create(vocab, { d: 32, layers: 2, heads: 2, seed: 0 });
  const rows = await representationSharing(m, [{ name: "base" }], { scenes: 24, batch: 16, bootstrap: 20 });
  assert.deepEqual(
    rows.map((r) => r.layer),
    [0, 1],
  );
  for (const r of rows) {
    assert.ok(r.cka > 0 && r.cka <= 1 + 1e-9, `cka ${r.cka}`);
    assert.ok(r.cka_shuffled >= 0 && r.cka_shuffled <= 1 + 1e-9);
    assert.equal(r.scenes, 24);
  }
  // The base against itself: a paired difference of exactly 0; its CKA inside its own interval.
  for (const r of rows) {
    assert.deepEqual([r.delta, r.delta_lo, r.delta_hi], [0, 0, 0]);
    assert.ok(r.cka_lo <= r.cka_hi);
  }
  const two = await representationSharing(m, [{ name: "base" }, { name: "again" }], { scenes: 24, batch: 16, bootstrap: 20 });
  assert.ok(
    two.filter((r) => r.model === "again").every((r) => r.delta === 0 && r.delta_lo === 0 && r.delta_hi === 0),
    "the same model twice: paired differences are 0",
  );
  // The same image in both pathways: scene identity lines the pathways up beyond a permutation.
  assert.ok(rows[0]!.cka > rows[0]!.cka_shuffled, JSON.stringify(rows[0]));
  // Seeded: the same numbers again.
  assert.deepEqual(await representationSharing(m, [{ name: "base" }], { scenes: 24, batch: 16, bootstrap: 20 }), rows);
});
