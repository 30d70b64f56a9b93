// Fault injection, as SQLite's tests do it: a training run is repeated with its k-th file write failing
// (ENOSPC), for every k; after each failure the store must be consistent — no temp files, no adapter
// used from a run that is not finished, a readable status that is not ahead of the checkpoint — and a
// resume (or a fresh start where nothing was claimed) must finish with the adapter an uninterrupted
// run writes, bit for bit.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Lab } from "../src/lab";

const spec = { steps: 6, batch: 8, rank: 2, evalEvery: 0, checkpointEvery: 2, name: "f" };
const WRITES = ["writeFileSync", "renameSync", "appendFileSync", "mkdirSync", "cpSync", "rmSync", "openSync"] as const;

/** Counts (or fails at the k-th of) the fs calls that write under `root`; returns the restore function. */
function intercept(root: string, failAt: number | null, seen: { n: number; where: string[] }): () => void {
  const saved = WRITES.map((name) => [name, (fs as unknown as Record<string, unknown>)[name]] as const);
  const mod = require("node:fs") as Record<string, unknown>;
  for (const [name, orig] of saved) {
    mod[name] = (...args: unknown[]) => {
      const p = String(args[0]);
      if (p.startsWith(root)) {
        seen.n++;
        seen.where.push(`${name} ${path.relative(root, p)}`);
        if (seen.n === failAt) throw Object.assign(new Error(`ENOSPC: no space left on device, ${name} '${p}' (injected)`), { code: "ENOSPC" });
      }
      return (orig as (...a: unknown[]) => unknown)(...args);
    };
  }
  return () => {
    for (const [name, orig] of saved) mod[name] = orig;
  };
}

const adapterBytes = (root: string) => fs.readFileSync(path.join(root, "f", "adapter", "adapter_model.safetensors"));

test("every write of a training run failing in turn leaves a consistent store that resumes to the same adapter", { timeout: 600_000 }, async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "tl-faults-"));
  const ref = path.join(base, "ref");
  const seen = { n: 0, where: [] as string[] };
  const restore = intercept(ref, null, seen);
  try {
    await new Lab({ root: ref }).train(spec);
  } finally {
    restore();
  }
  const points = seen.n;
  assert.ok(points >= 15, `a run writes at ${points} points`);
  const want = adapterBytes(ref);
  let harmless = 0;
  for (let k = 1; k <= points; k++) {
    const root = path.join(base, `k${k}`);
    const at = { n: 0, where: [] as string[] };
    const undo = intercept(root, k, at);
    let failed: Error | null = null;
    try {
      await new Lab({ root }).train(spec);
    } catch (e) {
      failed = e as Error;
    } finally {
      undo();
    }
    const where = at.where[k - 1];
    if (!failed) {
      // A write whose failure cannot hurt (removing the claim lock) may let the run finish: then it must
      // really have finished.
      assert.equal(new Lab({ root }).store.run("f").status().state, "finished", `write ${k} (${where})`);
      assert.deepEqual(adapterBytes(root), want, `write ${k} (${where})`);
      harmless++;
      continue;
    }
    assert.match(failed.message, /ENOSPC/, `write ${k} (${where}): the original error is kept`);
    const dir = path.join(root, "f");
    if (fs.existsSync(dir)) {
      assert.deepEqual(
        fs
          .readdirSync(dir, { recursive: true })
          .map(String)
          .filter((f) => f.includes(".tmp-")),
        [],
        `write ${k} (${where}): temp files left`,
      );
    }
    const lab = new Lab({ root });
    if (fs.existsSync(path.join(dir, "status.json"))) {
      const st = lab.store.run("f").status();
      assert.notEqual(st.state, "finished", `write ${k} (${where}): a failed run reads as finished`);
      assert.throws(() => lab.adapter("f"), /adapter: run f (has no adapter yet|is \w+ at step)/, `write ${k} (${where})`);
    }
    // Recover as a user would: resume where there is a checkpoint, start over where there is none.
    const hasCheckpoint = fs.existsSync(path.join(dir, "checkpoint.safetensors"));
    const h = await lab.train({ ...spec, ...(hasCheckpoint ? { resume: true } : { force: true }) });
    assert.equal(h.status.state, "finished", `write ${k} (${where})`);
    assert.deepEqual(adapterBytes(root), want, `write ${k} (${where}): the recovered adapter differs from an uninterrupted run's`);
  }
  assert.ok(harmless <= 2, `${harmless} write failures went unreported`);
  console.log(`fault injection: ${points} write points exercised, each failed once (${harmless} harmless: the claim lock's removal) and recovered`);
});
