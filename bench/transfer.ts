// `transferlab bench transfer`: one transfer condition (3 seeds × 2 objectives, 300 steps, validation
// every 50, the test sets read once) timed in a fresh run store, with where its time goes — training
// steps, validation, test evaluation, the distribution-shift features, the rest — and the compute it
// needs priced at this machine's measured matmul peak. A benchmark prints figures; no test asserts them.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Lab } from "../src/lab";
import { phaseSeconds } from "../src/lab/timing";
import { loadModel } from "../src/umm/checkpoint";
import { workDone } from "../src/umm/model";
import { defaultModelDir } from "../src/cli/command";
import { matmulPeak } from "./engine";

const TARGET_S = 480;

export async function benchTransfer(opts: {
  task: string;
  seeds: number;
  steps: number;
  evalEvery: number;
  limit?: number;
  log: (s: string) => void;
}): Promise<Record<string, unknown>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tl-bench-transfer-"));
  const before = { ...workDone };
  const phases0 = phaseSeconds();
  const t0 = performance.now();
  const lab = new Lab({ root, log: () => {} });
  await lab.transfer({ task: opts.task, seeds: opts.seeds, steps: opts.steps, evalEvery: opts.evalEvery, ...(opts.limit ? { limit: opts.limit } : {}) });
  const wall = (performance.now() - t0) / 1000;
  const phases1 = phaseSeconds();
  const phases: Record<string, number> = {};
  for (const k of Object.keys(phases1) as (keyof typeof phases1)[]) phases[k] = Math.round(phases1[k] - phases0[k]);
  phases["other"] = Math.round(wall - Object.values(phases).reduce((s, v) => s + v, 0));
  const forwardRows = workDone.forwardRows - before.forwardRows;
  const trainRows = workDone.trainRows - before.trainRows;
  const model = loadModel(defaultModelDir());
  const P = model.base.names().reduce((n, k) => n + model.base.get(k).data.length, 0);
  const T = model.config.seq;
  // The same pricing as bench demo: 2·P·T per forward row, about 4·P·T per LoRA training row.
  const flops = 2 * P * T * forwardRows + 4 * P * T * trainRows;
  const peak = await matmulPeak(2);
  const atPeak = flops / 1e9 / peak;
  const out = {
    task: opts.task,
    seeds: opts.seeds,
    steps: opts.steps,
    wall_s: Math.round(wall),
    target_s: TARGET_S,
    phases_s: phases,
    forward_rows: forwardRows,
    trained_rows: trainRows,
    gflop: Math.round(flops / 1e9),
    matmul_peak_gflops: Math.round(peak * 10) / 10,
    seconds_at_peak: Math.round(atPeak),
    efficiency: Math.round((1000 * atPeak) / wall) / 1000,
  };
  opts.log(
    `transfer (${opts.task}, ${opts.seeds} seeds × 2 objectives, ${opts.steps} steps, validation every ${opts.evalEvery}): ${out.wall_s} s (target ${TARGET_S} s: ${out.wall_s <= TARGET_S ? "met" : "not met"}); phases ${Object.entries(
      phases,
    )
      .map(([k, v]) => `${k} ${v} s`)
      .join(
        ", ",
      )}; ${forwardRows.toLocaleString("en-US")} forward rows + ${trainRows.toLocaleString("en-US")} trained rows ≈ ${out.gflop.toLocaleString("en-US")} GFLOP, ${out.seconds_at_peak} s at the measured matmul peak (${out.matmul_peak_gflops} GFLOP/s): ${(100 * out.efficiency).toFixed(0)}% of peak`,
  );
  fs.rmSync(root, { recursive: true, force: true });
  return out;
}
