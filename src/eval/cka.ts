// Linear centered kernel alignment (Kornblith et al., 2019): how similar two sets of representations of
// the same n items are, invariant to rotations and isotropic scaling of either set. With X [n, p] and
// Y [n, q] column-centred, CKA = ‖YᵀX‖²_F / (‖XᵀX‖_F · ‖YᵀY‖_F); 1 means the same geometry up to a
// rotation and a scale, values near 0 mean unrelated.

function centred(x: ArrayLike<number>, n: number, p: number): Float64Array {
  if (x.length !== n * p) throw new Error(`cka: ${x.length} values for ${n} × ${p}`);
  const out = new Float64Array(n * p);
  for (let j = 0; j < p; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * p + j]!;
    m /= n;
    for (let i = 0; i < n; i++) out[i * p + j] = x[i * p + j]! - m;
  }
  return out;
}

/** ‖AᵀB‖²_F for A [n, p], B [n, q]. */
function crossNorm2(a: Float64Array, p: number, b: Float64Array, q: number, n: number): number {
  let s = 0;
  const col = new Float64Array(q);
  for (let j = 0; j < p; j++) {
    col.fill(0);
    for (let i = 0; i < n; i++) {
      const v = a[i * p + j]!;
      if (v === 0) continue;
      for (let k = 0; k < q; k++) col[k] += v * b[i * q + k]!;
    }
    for (let k = 0; k < q; k++) s += col[k]! * col[k]!;
  }
  return s;
}

export function linearCka(x: ArrayLike<number>, y: ArrayLike<number>, n: number, p: number, q: number): number {
  if (n < 2) throw new Error(`cka: needs at least 2 items, got ${n}`);
  const X = centred(x, n, p);
  const Y = centred(y, n, q);
  const xy = crossNorm2(X, p, Y, q, n);
  const xx = Math.sqrt(crossNorm2(X, p, X, p, n));
  const yy = Math.sqrt(crossNorm2(Y, q, Y, q, n));
  return xx === 0 || yy === 0 ? NaN : xy / (xx * yy);
}
