// Seeded random numbers, shared by every layer (worlds, initializers, samplers). Every random choice in TransferLab draws from one of these, so a seed fixes
// the numbers. xoshiro128** (public-domain algorithm by Blackman and Vigna) seeded through splitmix32;
// a few lines here rather than a dependency because parameter init draws millions of values and a
// typed, allocation-free loop is what keeps that fast.

/** FNV-1a hash of a string, to derive independent streams from (seed, name). */
export function hashString(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  constructor(seed: number, stream = "") {
    if (!Number.isFinite(seed)) throw new Error(`rng: seed must be a finite number, got ${seed}`);
    let x = hashString(stream, (Math.trunc(seed) ^ 0x9e3779b9) >>> 0);
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** The generator's state, to checkpoint a stream and continue it exactly after a resume. */
  getState(): string {
    return JSON.stringify([this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0, this.spare ?? null]);
  }

  setState(state: string): this {
    const v = JSON.parse(state) as unknown;
    if (
      !Array.isArray(v) ||
      v.length !== 5 ||
      !v.slice(0, 4).every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32) ||
      !(v[4] === null || typeof v[4] === "number")
    ) {
      throw new Error(`rng: ${JSON.stringify(state).slice(0, 60)} is not a generator state`);
    }
    [this.s0, this.s1, this.s2, this.s3] = v as number[];
    this.spare = v[4] === null ? undefined : (v[4] as number);
    return this;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal (Box–Muller, the spare value kept). */
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = this.next();
    while (u <= 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Gumbel(0, 1) noise. */
  gumbel(): number {
    let u = this.next();
    while (u <= 0) u = this.next();
    return -Math.log(-Math.log(u));
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
