// Shapes with static and symbolic dimensions.
//
// A dimension is a number (static) or a name (symbolic: the batch "B", the sequence "S"). Products of
// dimensions, which appear when a [B,S,d] activation is flattened to [B*S,d], are written as the sorted
// factors joined by "*" with the numeric factors multiplied out, so "S*B*1" and "B*S" compare equal.

export type Dim = number | string;
export type Shape = readonly Dim[];

export function formatShape(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

export function isStatic(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === "number");
}

export function staticSize(shape: Shape): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") return undefined;
    n *= d;
  }
  return n;
}

/** Product of dimensions, symbolic where any factor is. */
export function dimProduct(dims: readonly Dim[]): Dim {
  let num = 1;
  const names: string[] = [];
  for (const d of dims) {
    if (typeof d === "number") num *= d;
    else {
      for (const f of d.split("*")) {
        const asNum = Number(f);
        if (Number.isFinite(asNum) && f !== "") num *= asNum;
        else names.push(f);
      }
    }
  }
  if (names.length === 0 || num === 0) return num;
  names.sort();
  return num === 1 ? names.join("*") : [String(num), ...names].join("*");
}

export function dimEqual(a: Dim, b: Dim): boolean {
  return typeof a === typeof b ? a === b : false;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => dimEqual(d, b[i]!));
}

/**
 * Numpy-style broadcast of several shapes, or undefined when they do not broadcast. A symbolic dim
 * broadcasts against 1 and against itself only: "B" vs 64 is refused because nothing guarantees B = 64.
 */
export function broadcastShapes(...shapes: Shape[]): Dim[] | undefined {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let dim: Dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i];
      if (d === undefined || d === 1) continue;
      if (dim === 1) dim = d;
      else if (!dimEqual(dim, d)) return undefined;
    }
    out.push(dim);
  }
  return out;
}

/** Normalizes a possibly negative axis against a rank, or throws naming the op. */
export function normAxis(op: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for rank ${rank} (allowed ${-rank}..${rank - 1})`);
  }
  return a;
}

export class ShapeError extends Error {
  override name = "ShapeError";
}
