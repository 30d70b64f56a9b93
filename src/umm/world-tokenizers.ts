// The tokenizers of the worlds: the closed text vocabulary and an image codebook fitted, with a fixed
// seed, on scenes of every world and word strips in every theme.

import { Rng } from "../core/rng";
import { RgbImage, THEMES, renderText, sampleCompositionScene, sampleCountingScene, sampleSpatialScene, words } from "../tasks";
import { ImageTokenizer } from "./image-tokenizer";
import { Vocabulary } from "./layout";
import { TextTokenizer } from "./text-tokenizer";

export function fitWorldImageTokenizer(opts: { codes?: number; seed?: number; scenes?: number } = {}): ImageTokenizer {
  const rng = new Rng(opts.seed ?? 0, "tokenizer-fit");
  const images: RgbImage[] = [];
  const n = opts.scenes ?? 2000;
  for (let i = 0; i < n; i++) images.push(sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6 }).image);
  for (let i = 0; i < n / 4; i++) images.push(sampleSpatialScene(rng).image, sampleCompositionScene(rng).image);
  for (const w of words("train")) for (const t of THEMES) images.push(renderText(w, t).image);
  return ImageTokenizer.fit(images, { patch: 8, codes: opts.codes ?? 256, seed: opts.seed ?? 0 });
}

export function worldVocabulary(image: ImageTokenizer = fitWorldImageTokenizer()): Vocabulary {
  return new Vocabulary(TextTokenizer.forWorlds(), image);
}
