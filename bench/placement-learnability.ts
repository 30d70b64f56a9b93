// `transferlab bench placement`: how fast a fresh model learns to put an object where its caption says
// ("a circle in the top-left of the picture"), for several token-embedding scales in the same run.
// Each model is trained on placement captions only (generation objective); every `every` steps the
// first sampling step's class-mass centroids are read for the four corner words (src/lab/grounding):
// their spread is 0 while the corner word is ignored and about 2.8 cells (3×3 corner blocks) or 4.9
// (the corner cell itself, --block 1) once it is grounded. The step at which the spread first passes 1
// cell is the figure; the default embedding scale (0.02) is the peer.

import { Rng } from "../src/core/rng";
import * as T from "../src/tasks";
import * as U from "../src/umm";
import { centroidSpread, codeClasses, placementCentroids } from "../src/lab/diagnostics/grounding";

export interface PlacementBenchOptions {
  vocab: U.Vocabulary;
  d: number;
  layers: number;
  heads: number;
  embStds: number[];
  steps: number;
  rows: number;
  lr: number;
  /** Corner block side in cells: 3 is the world's block, 1 the corner cell alone. */
  block: 1 | 2 | 3;
  weightInit: "torch" | "gpt2";
  /** One fresh model per (embedding scale, seed): the escape step varies from seed to seed. */
  seeds: number[];
  every: number;
  log: (s: string) => void;
}

export interface PlacementBenchRow {
  embStd: number;
  seed: number;
  /** First evaluated step whose spread passed 1 cell (null: not within the run). */
  groundedAt: number | null;
  finalSpread: number;
  curve: { step: number; loss: number; spread: number }[];
  seconds: number;
}

/** A placement scene whose object sits within `block` cells of its corner (rejection sampling). */
function placementScene(rng: Rng, block: number): T.Scene<T.PlacementTruth> {
  const grid = T.DEFAULT_WORLD.grid;
  let s = T.samplePlacementScene(rng);
  for (;;) {
    const o = s.objects[0]!;
    if (Math.min(o.col, grid - 1 - o.col) < block && Math.min(o.row, grid - 1 - o.row) < block) return s;
    s = T.samplePlacementScene(rng, { region: s.truth.region });
  }
}

export async function benchPlacement(opts: PlacementBenchOptions): Promise<PlacementBenchRow[]> {
  const classes = codeClasses(opts.vocab);
  const rows: PlacementBenchRow[] = [];
  for (const embStd of opts.embStds)
    for (const seed of opts.seeds) {
      const t0 = Date.now();
      const model = U.UnifiedModel.create(opts.vocab, {
        d: opts.d,
        layers: opts.layers,
        heads: opts.heads,
        cellPositions: true,
        weightInit: opts.weightInit,
        embStd,
        seed,
      });
      const trainer = await model.trainer({ lr: opts.lr, seed });
      const rng = new Rng(seed, "bench/placement");
      const curve: PlacementBenchRow["curve"] = [];
      let lossSum = 0;
      let groundedAt: number | null = null;
      for (let step = 1; step <= opts.steps; step++) {
        const items: U.GenItem[] = [];
        for (let i = 0; i < opts.rows; i++) {
          const s = placementScene(rng, opts.block);
          items.push({
            prompt: opts.vocab.textIds(T.placementCaption(rng.int(3), s.truth.cls, s.truth.region)),
            image: opts.vocab.imageIds(opts.vocab.image.encode(s.image)),
          });
        }
        // Linear warm-up over the first 100 steps, then constant: the escape step is what is measured.
        const r = await trainer.run(U.genBatch(items, model.layout, rng), opts.lr * Math.min(1, step / 100));
        lossSum += r.loss;
        if (step % opts.every === 0 || step === opts.steps) {
          const spread = centroidSpread((await placementCentroids(model, "circle", classes)).map((p) => p.centroid));
          const n = step % opts.every === 0 ? opts.every : step % opts.every;
          curve.push({ step, loss: lossSum / n, spread });
          lossSum = 0;
          if (groundedAt === null && spread > 1) groundedAt = step;
          opts.log(`emb std ${embStd}, seed ${seed}: step ${step}  loss ${curve.at(-1)!.loss.toFixed(4)}  spread ${spread.toFixed(3)} cells`);
        }
      }
      rows.push({ embStd, seed, groundedAt, finalSpread: curve.at(-1)!.spread, curve, seconds: (Date.now() - t0) / 1000 });
    }
  return rows;
}
