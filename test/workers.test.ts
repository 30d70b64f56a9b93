// Training runs in worker processes, several at once: the same numbers as one at a time in this process
// (the same spec is the same run, and the thread count changes no number), the runs reused by the verb
// that asked, and an abort that stops every worker.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Lab } from "../src/lab";
import { trainInWorkers } from "../src/lab/store/workers";
import { workDone } from "../src/umm/model";

const TINY = { task: "counting", seeds: 2, steps: 4, batch: 4, rank: 2, evalEvery: 2, evalPrompts: 3, evalQuestions: 6, limit: 6 };

async function tinyTransfer(workers: number) {
  const logs: string[] = [];
  const lab = new Lab({ root: fs.mkdtempSync(path.join(os.tmpdir(), `tl-workers-${workers}-`)), log: (s) => logs.push(s) });
  const stages: string[] = [];
  const t = await lab.transfer({ ...TINY, workers }, { onStage: (s) => stages.push(s) });
  return { lab, t, logs, stages };
}

test("transfer --workers 2 trains its runs two at a time and gives the numbers of --workers 1", { timeout: 900_000 }, async () => {
  const one = await tinyTransfer(1);
  const before = workDone.trainRows;
  const two = await tinyTransfer(2);
  // The workers' rows are counted in this process too (a benchmark prices the whole job): 4 runs × 4 steps × 4 rows.
  assert.equal(workDone.trainRows - before, 64);
  assert.deepEqual(two.t.effects.objects(), one.t.effects.objects(), "paired effects");
  assert.deepEqual(two.t.results.objects(), one.t.results.objects(), "results");
  assert.match(two.stages.join("\n"), /training 4 run\(s\), 2 at a time, \d+ thread\(s\) each/);
  // The verb then reuses what the workers trained: every run was found finished.
  assert.equal(two.logs.filter((l) => /finished earlier with this spec; reusing it/.test(l)).length, 4, two.logs.join("\n"));
  // Asked again, nothing is trained: every run is finished in the store.
  const again: string[] = [];
  await two.lab.transfer({ ...TINY, workers: 2 }, { onStage: (s) => again.push(s) });
  assert.equal(
    again.some((s) => /at a time/.test(s)),
    false,
    again.join("\n"),
  );
});

test("an abort stops every worker after its step; the error says the runs keep their checkpoints", { timeout: 300_000 }, async () => {
  const lab = new Lab({ root: fs.mkdtempSync(path.join(os.tmpdir(), "tl-workers-abort-")), log: () => {} });
  const specs = [0, 1].map((seed) => ({ task: "counting", objective: "und", steps: 2000, batch: 4, rank: 2, evalEvery: 0, seed }));
  const controller = new AbortController();
  const stages: string[] = [];
  const done = trainInWorkers(lab, specs, 2, {
    signal: controller.signal,
    onStage: (s) => {
      stages.push(s);
      // Once a run has reached its first quarter, stop everything.
      if (/: step \d+\/2000/.test(s)) controller.abort();
    },
  });
  await assert.rejects(done, (e: Error) => e.name === "KeyboardInterrupt" && /keeps? (its|their) checkpoints?/.test(e.message));
  for (const seed of [0, 1]) {
    const st = lab.store.run(lab.trainPlan(specs[seed]!).name).status();
    assert.notEqual(st.state, "finished", `seed ${seed}`);
    assert.notEqual(st.state, "running", `seed ${seed}: a worker still training after the abort`);
  }
});
