// Training runs in worker processes, several at once, the machine's cores split between them. The model's
// matrices are small (d ≈ 128), so a second thread on one run gives 1.6×, not 2×: on the 2-core reference
// machine the demo's two runs side by side took 11% less time than one after the other with two threads
// (`transferlab bench demo --workers 1|2` prints both). Each worker runs `transferlab run` on
// one `train` spec into the same run store; the verb that asked then finds the runs finished and reuses
// them. The same spec gives the same run, and the thread count changes no number (test/workers.test.ts).

import { spawn, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeFileAtomic } from "../../core/atomic";
import { packageRoot } from "../../core/paths";
import { InterruptedError, Hooks } from "../hooks";
import type { Lab } from "../lab";
import { runKey } from "./run-store";
import { workDone } from "../../umm/model";
import { addPhaseSeconds, phaseSeconds } from "../timing";

/**
 * Where a worker leaves what it computed (rows through the model, seconds per phase), so a benchmark in
 * the parent prices the whole job (bench/work.ts): set for each worker, written when its command ends.
 */
export const WORK_FILE_ENV = "TRANSFERLAB_WORK_FILE";

/** In a worker: writes this process's work counters to the file its parent named (no-op otherwise). */
export function reportWork(): void {
  const file = process.env[WORK_FILE_ENV];
  if (file) writeFileAtomic(file, JSON.stringify({ rows: workDone, phases: phaseSeconds() }) + "\n");
}

/** In the parent: adds a finished worker's counters to this process's (a missing file adds nothing). */
function addWork(file: string): void {
  try {
    const w = JSON.parse(fs.readFileSync(file, "utf8")) as { rows: typeof workDone; phases: Record<string, number> };
    for (const k of Object.keys(workDone) as (keyof typeof workDone)[]) workDone[k] += Number(w.rows[k] ?? 0);
    addPhaseSeconds(w.phases);
  } catch {
    // a worker that ended before writing (killed): its rows are not counted
  }
}

/** The cores this process may use: its own share when it is itself a worker (TRANSFERLAB_THREADS), else the machine's. */
export function coresHere(): number {
  const given = Number(process.env["TRANSFERLAB_THREADS"] ?? "");
  return Number.isInteger(given) && given > 0 ? given : os.cpus().length;
}

/** Whether the store holds a planned `train` run, finished (a worker would only reuse it). */
function finished(lab: Lab, plan: ReturnType<Lab["trainPlan"]>): boolean {
  const run = lab.store.run(plan.name);
  return fs.existsSync(run.specFile) && run.status().state === "finished" && run.spec().key === runKey(plan.spec, plan.notInKey);
}

/**
 * Trains `train` specs in `workers` processes at a time (each with its share of the cores), skipping runs
 * the store holds finished. Progress arrives as stage lines (each run's step every quarter); an abort
 * stops every worker after its step, with a checkpoint; a worker that fails ends the call with its log's
 * last lines.
 */
export async function trainInWorkers(lab: Lab, specs: readonly Record<string, unknown>[], workers: number, hooks: Hooks = {}): Promise<void> {
  const todo = specs
    .map((spec) => {
      const plan = lab.trainPlan(spec);
      return { spec, name: plan.name, plan };
    })
    .filter((t) => !finished(lab, t.plan));
  if (!todo.length) return;
  const lanes = Math.max(1, Math.min(workers, todo.length));
  const threads = Math.max(1, Math.floor(coresHere() / lanes));
  const dir = path.join(lab.store.root, ".workers");
  fs.mkdirSync(dir, { recursive: true });
  hooks.onStage?.(`training ${todo.length} run(s), ${lanes} at a time, ${threads} thread(s) each (logs: ${dir})`);
  const children = new Set<ChildProcess>();
  const stop = () => children.forEach((c) => c.kill("SIGINT"));
  hooks.signal?.addEventListener("abort", stop);
  let failure: Error | undefined;
  const runOne = ({ spec, name }: (typeof todo)[number]) =>
    new Promise<void>((resolve) => {
      const file = path.join(dir, `${name}.json`);
      const log = path.join(dir, `${name}.log`);
      const work = path.join(dir, `${name}.work.json`);
      fs.rmSync(work, { force: true });
      writeFileAtomic(file, JSON.stringify({ verb: "train", ...spec }) + "\n");
      const out = fs.openSync(log, "w");
      const child = spawn(process.execPath, [path.join(packageRoot(), "bin", "transferlab.js"), "run", file, "--root", lab.store.root], {
        stdio: ["ignore", out, out],
        env: { ...process.env, TRANSFERLAB_THREADS: String(threads), [WORK_FILE_ENV]: work },
      });
      children.add(child);
      // Each run's step, read from its status file, every quarter of its steps.
      let quarter = 0;
      const watch = setInterval(() => {
        try {
          const st = lab.store.run(name).status();
          const q = st.steps ? Math.floor((4 * st.step) / st.steps) : 0;
          if (q > quarter && q < 4) ((quarter = q), hooks.onStage?.(`${name}: step ${st.step}/${st.steps}`));
        } catch {
          // not written yet
        }
      }, 1000);
      child.on("exit", (code, signal) => {
        clearInterval(watch);
        children.delete(child);
        addWork(work);
        fs.closeSync(out);
        if (code !== 0 && !failure) {
          const tail = fs.readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n");
          failure = hooks.signal?.aborted
            ? new InterruptedError(`training of ${name} interrupted; the run keeps its checkpoint (resume: true / --resume)`)
            : new Error(`the worker training ${name} exited with ${signal ?? code} (log: ${log}):\n${tail}`);
          stop();
        } else if (code === 0) hooks.onStage?.(`${name}: finished`);
        resolve();
      });
    });
  const queue = [...todo];
  try {
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        for (let s = queue.shift(); s && !failure && !hooks.signal?.aborted; s = queue.shift()) await runOne(s);
      }),
    );
  } finally {
    hooks.signal?.removeEventListener("abort", stop);
  }
  if (failure) throw failure;
  if (hooks.signal?.aborted) throw new InterruptedError("training interrupted; the runs keep their checkpoints (resume: true / --resume)");
}
