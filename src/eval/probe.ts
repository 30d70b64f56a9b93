// Linear probes: ridge regression in closed form, w = (XᵀX + λI)⁻¹ Xᵀy on centred features, solved by
// Cholesky (XᵀX + λI is symmetric positive definite for λ > 0). Used to ask whether a quantity (how many
// objects an image holds) can be read linearly from a layer's states.

export interface RidgeProbe {
  /** Weights over the d features, and the intercept. */
  w: Float64Array;
  b: number;
  predict(x: ArrayLike<number>, offset?: number): number;
}

/** Fits y ≈ X·w + b; X is n × d row-major. */
export function fitRidge(X: ArrayLike<number>, y: readonly number[], n: number, d: number, lambda: number): RidgeProbe {
  if (X.length !== n * d || y.length !== n) throw new Error(`ridge: X has ${X.length} values and y ${y.length} for n ${n}, d ${d}`);
  if (!(lambda > 0)) throw new Error(`ridge: lambda ${lambda} is not allowed (allowed: numbers > 0)`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += X[i * d + j]! / n;
  const ym = y.reduce((a, b) => a + b, 0) / n;
  const A = new Float64Array(d * d);
  const r = new Float64Array(d);
  const xc = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xc[j] = X[i * d + j]! - mean[j]!;
    const yc = y[i]! - ym;
    for (let j = 0; j < d; j++) {
      r[j]! += xc[j]! * yc;
      for (let k = 0; k <= j; k++) A[j * d + k]! += xc[j]! * xc[k]!;
    }
  }
  for (let j = 0; j < d; j++) A[j * d + j]! += lambda;
  const w = choleskySolve(A, r, d);
  let b = ym;
  for (let j = 0; j < d; j++) b -= w[j]! * mean[j]!;
  return {
    w,
    b,
    predict(x, offset = 0) {
      let s = b;
      for (let j = 0; j < d; j++) s += w[j]! * x[offset + j]!;
      return s;
    },
  };
}

/** Solves A x = r for symmetric positive definite A (lower triangle read), n × n. */
function choleskySolve(A: Float64Array, r: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error("ridge: the system is not positive definite");
        L[i * n + i] = Math.sqrt(s);
      } else L[i * n + j] = s / L[j * n + j]!;
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = r[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * z[k]!;
    z[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/** The share of y's variance around its mean that predictions explain: 1 − SSE/SST (can be < 0). */
export function rSquared(y: readonly number[], yhat: readonly number[]): number {
  const m = y.reduce((a, b) => a + b, 0) / y.length;
  let sse = 0;
  let sst = 0;
  y.forEach((v, i) => ((sse += (v - yhat[i]!) ** 2), (sst += (v - m) ** 2)));
  return sst === 0 ? (sse === 0 ? 1 : -Infinity) : 1 - sse / sst;
}
