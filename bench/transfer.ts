// `transferlab bench transfer`: one transfer condition (3 seeds × 2 objectives, 300 steps, validation
// every 50, the test sets read once) timed in a fresh run store, with where its time goes — training
// steps, validation, test evaluation, the distribution-shift features, the rest — and the compute it
// needs priced at this machine's measured matmul peak. A benchmark prints figures; no test asserts them.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Lab } from "../src/lab";
import { markWork, workLine } from "./work";

const TARGET_S = 480;

export async function benchTransfer(opts: {
  task: string;
  seeds: number;
  steps: number;
  evalEvery: number;
  limit?: number;
  workers: number;
  log: (s: string) => void;
}): Promise<Record<string, unknown>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tl-bench-transfer-"));
  const priced = markWork();
  const t0 = performance.now();
  const lab = new Lab({ root, log: () => {} });
  await lab.transfer({
    task: opts.task,
    seeds: opts.seeds,
    steps: opts.steps,
    evalEvery: opts.evalEvery,
    workers: opts.workers,
    ...(opts.limit ? { limit: opts.limit } : {}),
  });
  const wall = (performance.now() - t0) / 1000;
  const w = await priced(wall);
  // With workers the phases' seconds are summed over the processes, so they may add up to more than the wall time.
  const other = opts.workers > 1 ? null : Math.round(wall - Object.values(w.work_s).reduce((s, v) => s + v, 0));
  const out = {
    task: opts.task,
    seeds: opts.seeds,
    steps: opts.steps,
    workers: opts.workers,
    wall_s: Math.round(wall),
    target_s: TARGET_S,
    other_s: other,
    ...w,
  };
  opts.log(
    `transfer (${opts.task}, ${opts.seeds} seeds × 2 objectives, ${opts.steps} steps, validation every ${opts.evalEvery}, ${opts.workers} run(s) at a time): ${out.wall_s} s (target ${TARGET_S} s: ${out.wall_s <= TARGET_S ? "met" : "not met"}); work ${workLine(w)}${other === null ? " (phase seconds summed over the worker processes)" : `; other ${other} s`}`,
  );
  fs.rmSync(root, { recursive: true, force: true });
  return out;
}
