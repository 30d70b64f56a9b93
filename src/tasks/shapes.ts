// Object masks: each class is drawn by hand at 6×6 pixels (the size an 8-pixel cell holds with a
// 1-pixel margin) and scaled by nearest neighbour for other cell sizes. A shape covers the same pixels
// wherever it appears, so a patch tokenizer sees a small, exact set of patches.

import { ObjectClass } from "./vocab";

const BASE: Record<ObjectClass, string> = {
  circle: ".####. ###### ###### ###### ###### .####.",
  square: "###### ###### ###### ###### ###### ######",
  triangle: "..##.. ..##.. .####. .####. ###### ######",
  cross: "..##.. ..##.. ###### ###### ..##.. ..##..",
  ring: ".####. ##..## #....# #....# ##..## .####.",
  diamond: "..##.. .####. ###### ###### .####. ..##..",
};
export const BASE_SIZE = 6;

const cache = new Map<string, Uint8Array>();

/** The n × n mask (1 = ink) of a class. */
export function shapeMask(cls: ObjectClass, n: number): Uint8Array {
  const key = `${cls}:${n}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const bits = BASE[cls].replace(/ /g, "");
  const m = new Uint8Array(n * n);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const by = Math.min(BASE_SIZE - 1, Math.floor((y * BASE_SIZE) / n));
      const bx = Math.min(BASE_SIZE - 1, Math.floor((x * BASE_SIZE) / n));
      m[y * n + x] = bits[by * BASE_SIZE + bx] === "#" ? 1 : 0;
    }
  }
  cache.set(key, m);
  return m;
}
