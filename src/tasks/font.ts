// A 5×9 bitmap font for lowercase letters, drawn here rather than taken from a system font so that
// text images are identical on every machine (no fontconfig, no anti-aliasing differences) and each
// glyph always covers the same pixels of its cell, which keeps image tokenization exact.
// Rows 0–1 hold ascenders, rows 2–6 the x-height, rows 7–8 descenders.

const GLYPHS: Record<string, string> = {
  a: "..... ..... .###. ....# .#### #...# .#### ..... .....",
  b: "#.... #.... ####. #...# #...# #...# ####. ..... .....",
  c: "..... ..... .#### #.... #.... #.... .#### ..... .....",
  d: "....# ....# .#### #...# #...# #...# .#### ..... .....",
  e: "..... ..... .###. #...# ##### #.... .#### ..... .....",
  f: "..### .#... ####. .#... .#... .#... .#... ..... .....",
  g: "..... ..... .#### #...# #...# #...# .#### ....# .###.",
  h: "#.... #.... ####. #...# #...# #...# #...# ..... .....",
  i: "..#.. ..... .##.. ..#.. ..#.. ..#.. .###. ..... .....",
  j: "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..",
  k: "#.... #.... #..#. #.#.. ##... #.#.. #..#. ..... .....",
  l: ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###. ..... .....",
  m: "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.# ..... .....",
  n: "..... ..... ####. #...# #...# #...# #...# ..... .....",
  o: "..... ..... .###. #...# #...# #...# .###. ..... .....",
  p: "..... ..... ####. #...# #...# #...# ####. #.... #....",
  q: "..... ..... .#### #...# #...# #...# .#### ....# ....#",
  r: "..... ..... #.##. ##..# #.... #.... #.... ..... .....",
  s: "..... ..... .#### #.... .###. ....# ####. ..... .....",
  t: ".#... .#... ####. .#... .#... .#..# ..##. ..... .....",
  u: "..... ..... #...# #...# #...# #..## .##.# ..... .....",
  v: "..... ..... #...# #...# #...# .#.#. ..#.. ..... .....",
  w: "..... ..... #...# #...# #.#.# #.#.# .#.#. ..... .....",
  x: "..... ..... #...# .#.#. ..#.. .#.#. #...# ..... .....",
  y: "..... ..... #...# #...# #...# #...# .#### ....# .###.",
  z: "..... ..... ##### ...#. ..#.. .#... ##### ..... .....",
};

export const GLYPH_WIDTH = 5;
export const GLYPH_HEIGHT = 9;

const masks = new Map<string, Uint8Array>();
for (const [ch, rows] of Object.entries(GLYPHS)) {
  const bits = rows.replace(/ /g, "");
  masks.set(
    ch,
    Uint8Array.from(bits, (c) => (c === "#" ? 1 : 0)),
  );
}

/** The glyph's pixel mask, row-major GLYPH_WIDTH × GLYPH_HEIGHT, 1 = ink. */
export function glyphMask(ch: string): Uint8Array {
  const m = masks.get(ch);
  if (!m) throw new Error(`font: no glyph for ${JSON.stringify(ch)} (allowed: lowercase letters a-z)`);
  return m;
}
