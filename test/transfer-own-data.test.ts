// `transfer --und/--gen`: each objective on its own training data (the paper trains understanding on
// PixMo-Count and generation on count-aware captions). The override reaches that objective's runs only,
// the other objective's runs are the ones an unsplit call makes (the same run store entries), and a bad
// pair names transfer.<objective>.<field> and the allowed values before anything trains.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Lab, SpecError } from "../src/lab";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tl-own-data-"));
const TINY = { task: "counting", seeds: 1, steps: 2, batch: 4, limit: 4, evalEvery: 0 };
const specOf = (lab: Lab, run: string) => JSON.parse(fs.readFileSync(path.join(lab.store.root, run, "spec.json"), "utf8")) as Record<string, unknown>;

test("transfer --gen gives the generation runs their own fields and leaves the understanding runs as they were", { timeout: 600_000 }, async () => {
  const lab = new Lab({ root: path.join(tmp, "runs") });
  const plain = (await lab.call("transfer", TINY, {})) as { runs: string[] };
  const own = (await lab.call("transfer", { ...TINY, gen: "counts=eval, plain=1" }, {})) as { runs: string[] };
  assert.equal(own.runs[0], plain.runs[0], "the understanding run is the unsplit call's run, reused");
  assert.notEqual(own.runs[1], plain.runs[1], "the generation run is another run");
  const gen = specOf(lab, own.runs[1]!);
  assert.deepEqual([gen["objective"], gen["counts"], gen["plain"]], ["gen", "eval", 1]);
  const und = specOf(lab, own.runs[0]!);
  assert.deepEqual([und["objective"], und["counts"], und["plain"]], ["und", "small", 0.5]);
});

test("a bad --und/--gen pair names the objective, the field and the allowed values", async () => {
  const lab = new Lab({ root: path.join(tmp, "bad") });
  const bad = async (args: Record<string, unknown>, re: RegExp) => {
    await assert.rejects(lab.call("transfer", { ...TINY, ...args }, {}), (e: Error) => e instanceof SpecError && re.test(e.message));
  };
  await bad({ gen: "counts=tiny" }, /transfer\.gen\.counts: "tiny" is not allowed \(allowed: small, uniform, eval\)/);
  await bad({ und: "count=eval" }, /transfer\.und\.count: unknown field \(allowed: rank, alpha, steps.*\); did you mean "counts"\?/);
  await bad({ gen: "plain" }, /transfer\.gen: "plain" is not field=value/);
  await bad({ und: "plain=2" }, /transfer\.und\.plain: "2" is not allowed \(allowed: numbers/);
  await bad({ gen: "rank=4,rank=8" }, /transfer\.gen\.rank: given twice/);
  assert.ok(!fs.existsSync(path.join(tmp, "bad")) || fs.readdirSync(path.join(tmp, "bad")).length === 0, "nothing trained or written");
});
