// `transferlab probe`: the paper's first experiment (Table 1) on a base model. Baseline, und→gen and
// gen→und for a task: rank-r LoRA with the same steps and learning rate for both objectives, several
// seeds; accuracy and MAD with bootstrap 95% intervals on both sides; Fréchet distance of each tuned
// model's generated images to the baseline's, next to the baseline's own seed-to-seed distance.

import * as E from "../eval";
import * as U from "../umm";
import { GenRow, UndRow, byKey, evalCountingGen, evalCountingUnd } from "./evaluate";
import { Objective, trainAdapter } from "./train";

export interface ProbeOptions {
  rank: number;
  alpha: number;
  steps: number;
  lr: number;
  batch: number;
  seeds: readonly number[];
  features: E.FeatureNet;
  log?: (s: string) => void;
}

export interface ProbeRow {
  model: string;
  side: "gen" | "und";
  /** Whether this side is the trained one (direct) or the other one (transfer). */
  role: "baseline" | "direct" | "transfer";
  accuracy: number;
  accuracy_lo: number;
  accuracy_hi: number;
  mad: number;
  mad_lo: number;
  mad_hi: number;
  n: number;
  fd_to_baseline: number | null;
}

function summarizeGen(name: string, role: ProbeRow["role"], rows: GenRow[], fd: number | null): ProbeRow {
  const g = byKey(rows, (r) => r.id);
  const acc = E.bootstrapCI(g, (x) => E.accuracy(x.map((r) => r.correct)), { seed: 0, samples: 500 });
  const mad = E.bootstrapCI(g, (x) => E.mean(x.map((r) => r.absError!)), { seed: 0, samples: 500 });
  return { model: name, side: "gen", role, accuracy: acc.estimate, accuracy_lo: acc.lo, accuracy_hi: acc.hi, mad: mad.estimate, mad_lo: mad.lo, mad_hi: mad.hi, n: rows.length, fd_to_baseline: fd };
}

function summarizeUnd(name: string, role: ProbeRow["role"], rows: UndRow[]): ProbeRow {
  const items = rows.map((r) => [r]);
  const acc = E.bootstrapCI(items, (x) => E.accuracy(x.map((r) => r.correct)), { seed: 0, samples: 500 });
  // An unparsable answer counts as wrong, and as far off as answering 0, for MAD.
  const mad = E.bootstrapCI(items, (x) => E.mean(x.map((r) => r.absError ?? Number(r.ref))), { seed: 0, samples: 500 });
  return { model: name, side: "und", role, accuracy: acc.estimate, accuracy_lo: acc.lo, accuracy_hi: acc.hi, mad: mad.estimate, mad_lo: mad.lo, mad_hi: mad.hi, n: rows.length, fd_to_baseline: null };
}

export async function probeCounting(model: U.UnifiedModel, opts: ProbeOptions): Promise<{ rows: ProbeRow[]; fd_floor: number; settings: Record<string, unknown> }> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const el = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  const baseGen = await evalCountingGen(model, { keepImages: true });
  const baseUnd = await evalCountingUnd(model);
  const baseImages = baseGen.rows.map((r) => r.image!);
  const otherSeeds = await evalCountingGen(model, { keepImages: true, seeds: [4, 5, 6, 7] });
  const fdFloor = await opts.features.frechet(baseImages, otherSeeds.rows.map((r) => r.image!));
  const rows: ProbeRow[] = [summarizeGen("baseline", "baseline", baseGen.rows, null), summarizeUnd("baseline", "baseline", baseUnd.rows)];
  log(`baseline: gen acc ${rows[0]!.accuracy.toFixed(3)} MAD ${rows[0]!.mad.toFixed(2)}; und acc ${rows[1]!.accuracy.toFixed(3)} MAD ${rows[1]!.mad.toFixed(2)}; FD floor (baseline vs other seeds) ${fdFloor.toFixed(3)} (${el()})`);
  for (const objective of ["und", "gen"] as Objective[]) {
    const name = `${objective}->${objective === "und" ? "gen" : "und"}`;
    const genRows: GenRow[] = [];
    const undRows: UndRow[] = [];
    const fds: number[] = [];
    for (const seed of opts.seeds) {
      const adapter = await trainAdapter(model, { task: "counting", objective, rank: opts.rank, alpha: opts.alpha, steps: opts.steps, lr: opts.lr, batch: opts.batch, seed });
      const g = await evalCountingGen(model, { adapter, keepImages: true });
      const u = await evalCountingUnd(model, { adapter });
      fds.push(await opts.features.frechet(baseImages, g.rows.map((r) => r.image!)));
      // Images are needed only for the Fréchet distance above; the rows keep the verdicts.
      genRows.push(...g.rows.map(({ image: _image, ...r }) => r));
      undRows.push(...u.rows);
      log(`${name} seed ${seed}: gen acc ${g.summary.accuracy!.estimate.toFixed(3)} MAD ${g.summary.mad!.estimate.toFixed(2)}; und acc ${u.summary.accuracy!.estimate.toFixed(3)}; FD ${fds[fds.length - 1]!.toFixed(3)} (${el()})`);
    }
    const fd = E.mean(fds);
    rows.push(summarizeGen(name, objective === "gen" ? "direct" : "transfer", genRows, fd), summarizeUnd(name, objective === "und" ? "direct" : "transfer", undRows));
  }
  return {
    rows,
    fd_floor: fdFloor,
    settings: { task: "counting", rank: opts.rank, alpha: opts.alpha, steps: opts.steps, lr: opts.lr, batch: opts.batch, seeds: opts.seeds, wall_s: (Date.now() - t0) / 1000 },
  };
}
