// `transferlab bench demo`: the README's main job timed, with where its time goes (per phase) and the
// compute it needs priced at this machine's measured matmul peak, so the gap to the physical limit is
// visible (bench/work.ts prices it). A benchmark prints figures; no test asserts them (the two cores are
// shared).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DemoTask, runDemo } from "../src/cli/demo";
import { markWork, workLine } from "./work";

const TARGET_S = 150;

export async function benchDemo(opts: {
  task?: DemoTask;
  steps: number;
  seeds: number;
  limit?: number;
  workers?: number;
  log: (s: string) => void;
}): Promise<Record<string, unknown>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tl-bench-demo-"));
  const priced = markWork();
  const quiet: string[] = [];
  const r = await runDemo({
    root: path.join(root, "runs"),
    out: path.join(root, "demo.html"),
    task: opts.task ?? "new-word",
    steps: opts.steps,
    seed: 0,
    seeds: opts.seeds,
    ...(opts.limit ? { limit: opts.limit } : {}),
    ...(opts.workers ? { workers: opts.workers } : {}),
    log: (s) => quiet.push(s),
  });
  const w = await priced(r.wall_s);
  const out = {
    wall_s: Math.round(r.wall_s),
    target_s: TARGET_S,
    phases_s: Object.fromEntries(Object.entries(r.phases).map(([k, v]) => [k, Math.round(v)])),
    ...w,
  };
  opts.log(
    `demo: ${out.wall_s} s (target ${TARGET_S} s: ${out.wall_s <= TARGET_S ? "met" : "not met"}); steps of the page ${Object.entries(out.phases_s)
      .map(([k, v]) => `${k} ${v} s`)
      .join(", ")}; work ${workLine(w)}`,
  );
  fs.rmSync(root, { recursive: true, force: true });
  return out;
}
