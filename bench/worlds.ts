// `transferlab bench worlds`: how fast the worlds render (the target: 10,000 counting scenes in under 10 s).

import { Rng } from "../src/core/rng";
import { renderText, sampleCountingScene, sampleSpatialScene, toPng } from "../src/tasks";

export async function benchWorlds(opts: { scenes: number; log: (s: string) => void }): Promise<Record<string, number>> {
  const time = (f: () => void) => {
    const t0 = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  const rng = new Rng(0, "bench-worlds");
  const counting = time(() => {
    for (let i = 0; i < opts.scenes; i++) sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6 });
  });
  opts.log(
    `${opts.scenes} counting scenes (0–20 objects + up to 6 distractors, 64×64): ${counting.toFixed(3)} s (${(opts.scenes / counting).toFixed(0)} scenes/s)`,
  );
  const spatial = time(() => {
    for (let i = 0; i < opts.scenes; i++) sampleSpatialScene(rng);
  });
  opts.log(`${opts.scenes} spatial scenes: ${spatial.toFixed(3)} s`);
  const text = time(() => {
    for (let i = 0; i < opts.scenes; i++) renderText("wizard", "sepia");
  });
  opts.log(`${opts.scenes} word strips: ${text.toFixed(3)} s`);
  const n = Math.min(1000, opts.scenes);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await toPng(sampleCountingScene(rng).image);
  const png = Number(process.hrtime.bigint() - t0) / 1e9;
  opts.log(`${n} counting scenes rendered and PNG-encoded with sharp: ${png.toFixed(3)} s`);
  return { scenes: opts.scenes, counting_s: counting, spatial_s: spatial, text_s: text, png_per_s: n / png };
}
