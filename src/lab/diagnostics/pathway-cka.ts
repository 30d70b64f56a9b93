// Representation sharing: do the understanding and generation pathways of a model represent the same
// scene alike? For n counting scenes, every layer's residual stream is read in two sequences that hold
// the same image: understanding (the image and the counting question, the answer slot masked) and
// generation (the count-aware caption and the image, as a teacher-forced training row). Each sequence's
// image tokens are averaged into one vector per scene and layer; linear CKA compares the two sets. A
// control pairs each understanding scene with another scene's generation row (a fixed permutation):
// what CKA gives when only the shared image statistics, not the scene, line up.

import { Rng } from "../../core/rng";
import * as E from "../../eval";
import * as T from "../../tasks";
import * as U from "../../umm";
import { MASK } from "../../umm/layout";

export interface SharingRow {
  model: string;
  layer: number;
  /** CKA between the two pathways' image-token means of the same scenes. */
  cka: number;
  /** The same with generation rows of other scenes (a permutation): the level that scene identity must beat. */
  cka_shuffled: number;
  /** 95% interval of cka from a bootstrap over scenes. */
  cka_lo: number;
  cka_hi: number;
  /** Paired against the first model (the base) on the same scene resamples: cka − cka(base), with its interval. */
  delta: number;
  delta_lo: number;
  delta_hi: number;
  scenes: number;
}

/** The mean over a row's image positions of one layer's states [rows, S, d] → [rows, d]. */
function imageMeans(states: Float32Array, rows: number, seq: number, d: number, start: number, count: number): Float32Array {
  const out = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) {
    for (let t = start; t < start + count; t++) {
      const o = (r * seq + t) * d;
      for (let k = 0; k < d; k++) out[r * d + k] += states[o + k]! / count;
    }
  }
  return out;
}

export async function representationSharing(
  model: U.UnifiedModel,
  models: readonly { name: string; adapter?: U.Adapter }[],
  opts: { scenes?: number; seed?: number; batch?: number; bootstrap?: number } = {},
): Promise<SharingRow[]> {
  const n = opts.scenes ?? 256;
  const rng = new Rng(opts.seed ?? 0, "sharing/scenes");
  const { vocab, layout } = model;
  const d = model.config.d;
  const seq = layout.seq;
  // Scenes of the validation stream's kind (targets among distractors), not the test sets.
  const pairs = Array.from({ length: n }, (_, i) =>
    T.countingPair(T.sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6 }), "every-category", i),
  );
  const und = pairs.map((p) => {
    const image = vocab.imageIds(vocab.image.encode(p.und.image));
    const answer = new Array<number>(layout.slots.answer - 1).fill(MASK);
    return layout.mmu(image, vocab.textIds(p.und.question), answer);
  });
  const gen = pairs.map((p) => layout.t2i(vocab.textIds(p.gen.prompt), vocab.imageIds(vocab.image.encode(p.gen.image))));
  const perm = new Rng(opts.seed ?? 0, "sharing/permutation").shuffle(Array.from({ length: n }, (_, i) => i));
  const cells = layout.slots.image;
  const out: SharingRow[] = [];
  // One set of scene resamples for every model and layer, so differences against the base are paired.
  const B = opts.bootstrap ?? 100;
  const brng = new Rng(opts.seed ?? 0, "sharing/bootstrap");
  const resamples = Array.from({ length: B }, () => Array.from({ length: n }, () => brng.int(n)));
  const pick = (x: Float32Array, idx: number[]) => {
    const o = new Float32Array(idx.length * d);
    idx.forEach((j, i) => o.set(x.subarray(j * d, (j + 1) * d), i * d));
    return o;
  };
  const baseDraws: number[][] = [];
  for (const [mi, m] of models.entries()) {
    const read = async (rows: number[][], start: number) => {
      const per: Float32Array[] = [];
      const batch = opts.batch ?? 64;
      for (let i = 0; i < rows.length; i += batch) {
        const chunk = rows.slice(i, i + batch);
        const states = await model.hiddenStates(chunk, m.adapter);
        states.forEach((s, l) => {
          const means = imageMeans(s, chunk.length, seq, d, start, cells);
          per[l] = per[l] ? concat(per[l]!, means) : means;
        });
      }
      return per;
    };
    const u = await read(und, 2);
    const g = await read(gen, layout.genImageStart);
    for (let l = 0; l < u.length; l++) {
      const cka = E.linearCka(u[l]!, g[l]!, n, d, d);
      const draws = resamples.map((idx) => E.linearCka(pick(u[l]!, idx), pick(g[l]!, idx), n, d, d));
      if (mi === 0) baseDraws[l] = draws;
      const base0 = mi === 0 ? cka : out.find((r) => r.model === models[0]!.name && r.layer === l)!.cka;
      const deltas = draws.map((x, b) => x - baseDraws[l]![b]!);
      out.push({
        model: m.name,
        layer: l,
        cka,
        cka_shuffled: E.linearCka(u[l]!, pick(g[l]!, perm), n, d, d),
        ...interval("cka", draws),
        delta: cka - base0,
        ...interval("delta", deltas),
        scenes: n,
      } as SharingRow);
    }
  }
  return out;
}

/** The 2.5% and 97.5% percentiles of bootstrap draws, as `${name}_lo` and `${name}_hi`. */
function interval(name: string, draws: number[]): Record<string, number> {
  const s = [...draws].filter(Number.isFinite).sort((a, b) => a - b);
  return { [`${name}_lo`]: E.percentile(s, 0.025), [`${name}_hi`]: E.percentile(s, 0.975) };
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
