// `transferlab bench demo`: the README's main job timed, with where its time goes (per phase) and the
// compute it needs priced at this machine's measured matmul peak, so the gap to the physical limit is
// visible. A benchmark prints figures; no test asserts them (the two cores are shared).
//
// Compute: every row pushed through the model is counted (src/umm/model.ts, workDone). A forward row
// costs 2·P·T multiply-adds-as-FLOPs (P parameters, T sequence positions); a LoRA training row about
// 4·P·T (the forward, and the backward through the frozen weights for the activations; the adapters'
// own gradients are a small fraction at rank 8).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DemoTask, runDemo } from "../src/cli/demo";
import { loadModel } from "../src/umm/checkpoint";
import { workDone } from "../src/umm/model";
import { defaultModelDir } from "../src/cli/command";
import { matmulPeak } from "./engine";
import { phaseSeconds } from "../src/lab/timing";

const TARGET_S = 150;

export async function benchDemo(opts: {
  task?: DemoTask;
  steps: number;
  seeds: number;
  limit?: number;
  log: (s: string) => void;
}): Promise<Record<string, unknown>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tl-bench-demo-"));
  const before = { ...workDone };
  const work0 = phaseSeconds();
  const quiet: string[] = [];
  const r = await runDemo({
    root: path.join(root, "runs"),
    out: path.join(root, "demo.html"),
    task: opts.task ?? "new-word",
    steps: opts.steps,
    seed: 0,
    seeds: opts.seeds,
    ...(opts.limit ? { limit: opts.limit } : {}),
    log: (s) => quiet.push(s),
  });
  const work1 = phaseSeconds();
  // Across the phases: training steps, validation and test evaluations, distribution-shift features.
  const work = Object.fromEntries(Object.keys(work1).map((k) => [k, Math.round(work1[k as keyof typeof work1] - work0[k as keyof typeof work0])]));
  const forwardRows = workDone.forwardRows - before.forwardRows;
  const trainRows = workDone.trainRows - before.trainRows;
  const model = loadModel(defaultModelDir());
  const P = model.base.names().reduce((n, k) => n + model.base.get(k).data.length, 0);
  const T = model.config.seq;
  const flops = 2 * P * T * forwardRows + 4 * P * T * trainRows;
  const peak = await matmulPeak(2);
  const atPeak = flops / 1e9 / peak;
  const out = {
    wall_s: Math.round(r.wall_s),
    target_s: TARGET_S,
    phases_s: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, Math.round(v)])),
    work_s: work,
    forward_rows: forwardRows,
    trained_rows: trainRows,
    gflop: Math.round(flops / 1e9),
    matmul_peak_gflops: Math.round(peak * 10) / 10,
    seconds_at_peak: Math.round(atPeak),
    efficiency: Math.round((1000 * atPeak) / r.wall_s) / 1000,
  };
  opts.log(
    `demo: ${out.wall_s} s (target ${TARGET_S} s: ${out.wall_s <= TARGET_S ? "met" : "not met"}); phases ${Object.entries(out.phases_s)
      .map(([k, v]) => `${k} ${v} s`)
      .join(", ")} (of which ${Object.entries(work)
      .map(([k, v]) => `${k} ${v} s`)
      .join(
        ", ",
      )}); ${forwardRows.toLocaleString("en-US")} forward rows + ${trainRows.toLocaleString("en-US")} trained rows ≈ ${out.gflop.toLocaleString("en-US")} GFLOP, ${out.seconds_at_peak} s at the measured matmul peak (${out.matmul_peak_gflops} GFLOP/s): ${(100 * out.efficiency).toFixed(0)}% of peak`,
  );
  fs.rmSync(root, { recursive: true, force: true });
  return out;
}
