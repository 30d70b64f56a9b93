// Chain files (a base's pretraining stages as one resumable command) and the pretraining run's guards:
// stopping a longer schedule at a step, one writer per run folder.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { chainState, packChain, readChain, runChain } from "../src/lab/pretraining/chain";
import { publishBase } from "../src/lab/pretraining/card";
import { DEFAULT_PRETRAIN, pretrain } from "../src/lab/pretraining/run";
import { readSafetensors } from "../src/engine";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tl-chain-"));
const bin = path.resolve(__dirname, "..", "..", "bin", "transferlab.js");
const recipesDir = path.resolve(__dirname, "..", "..", "models", "recipes");

/** A chain file in its own folder (recipes are relative to it), returned as its path. */
function chainFile(name: string, text: string, recipe?: object): string {
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  if (recipe) fs.writeFileSync(path.join(dir, "less-counting.json"), JSON.stringify(recipe));
  const file = path.join(dir, `${name}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

const TINY = `about: a tiny two-stage chain
defaults: { d: 16, layers: 1, heads: 2, genRows: 2, undRows: 2, evalEvery: 1000 }
stages:
  - name: first
    recipe: less-counting.json
    steps: 3
  - name: second
    steps: 6
    stopAt: 2
    lr: 5.0e-4
`;

test("a chain file is validated: the file, the stage and the field are named, with the allowed values", () => {
  const bad = (text: string, re: RegExp, recipe?: object) => assert.throws(() => readChain(chainFile("bad", text, recipe)), re);
  bad("stages: []\n", /bad\.yaml\.stages: expected a non-empty list of stages/);
  bad("about: x\nstage: []\n", /bad\.yaml\.stage: unknown field \(allowed: about, from, defaults, stages\)/);
  bad("stages:\n  - steps: 3\n", /stages\[0\]\.name: undefined is not allowed \(allowed: letters, digits/);
  bad("stages:\n  - { name: a }\n  - { name: a }\n", /stages\[1\]\.name: "a" names an earlier stage too/);
  bad("stages:\n  - { name: a, stpes: 3 }\n", /stages\[0\] \("a"\)\.stpes: unknown field \(allowed: arch, steps, stopAt, .*\); did you mean "steps"\?/);
  bad("stages:\n  - { name: a, steps: 3, stopAt: 4 }\n", /stages\[0\] \("a"\)\.stopAt: 4 is not allowed \(allowed: integers >= 1 and <= steps = 3\)/);
  bad("stages:\n  - { name: a, init: x }\n", /stages\[0\] \("a"\)\.init: unknown field/);
  bad(
    "stages:\n  - { name: a }\n  - { name: b, embStd: 0.1 }\n",
    /stages\[1\] \("b"\)\.embStd: sets fresh weights, but this stage continues from "a"'s model \(allowed: on the first stage only\)/,
  );
  bad("stages:\n  - { name: a, recipe: missing.json }\n", /recipe: cannot read .*missing\.json as JSON/);
  assert.throws(() => readChain(path.join(tmp, "absent.yaml")), /absent\.yaml: cannot be read \(ENOENT\)/);
  bad("stages:\n  - { name: a, recipe: less-counting.json }\n", /less-counting\.json: recipe\.pCountQuestoin: unknown field/, { pCountQuestoin: 0.05 });
  bad("stages:\n  - { name: a, arch: moe }\n", /stages\[0\] \("a"\)\.arch: "moe" is not allowed \(allowed: shared-unified, shared-separate, mot, decoupled\)/);
  bad("stages: [ { name: a ", /bad\.yaml: not YAML/);
});

test("the families' chains are the shipped chain with their own architecture and width", () => {
  const base = readChain(path.join(recipesDir, "shared-unified.chain.yaml"));
  for (const [family, d] of [
    ["shared-separate", 128],
    ["mot", 92],
    ["decoupled", 128],
  ] as const) {
    const chain = readChain(path.join(recipesDir, `${family}.chain.yaml`));
    assert.equal(chain.stages.length, base.stages.length, family);
    chain.stages.forEach((s, i) => {
      const b = base.stages[i]!;
      assert.deepEqual([s.cfg.arch, s.cfg.d], [family, d], `${family} stage ${i}`);
      const same = (x: typeof s) => ({ ...x.cfg, arch: "", d: 0, init: x.cfg.init ? "@prev" : null, stopAt: x.stopAt });
      assert.deepEqual(same(s), same(b), `${family} stage ${i}: everything but arch and d as the shipped chain`);
    });
  }
});

test("the shipped chains: the card's four stages, and the novelty base differing in one recipe field", () => {
  const base = readChain(path.join(recipesDir, "shared-unified.chain.yaml"));
  const novelty = readChain(path.join(recipesDir, "novelty.chain.yaml"));
  assert.deepEqual(
    base.stages.map((s) => [s.name, s.cfg.steps, s.stopAt, s.cfg.lr, s.cfg.init ?? null]),
    [
      ["v11", 6000, 6000, 1e-3, null],
      ["v12", 2000, 2000, 5e-4, "@v11"],
      ["v13", 2500, 2000, 5e-4, "@v12"],
      ["v14", 600, 400, 3e-4, "@v13"],
    ],
  );
  assert.equal(base.stages[0]!.cfg.weightInit, "gpt2");
  assert.equal(base.stages[0]!.cfg.embStd, 0.1);
  assert.equal(novelty.stages.length, base.stages.length);
  for (let i = 0; i < base.stages.length; i++) {
    const b = base.stages[i]!;
    const n = novelty.stages[i]!;
    assert.equal(b.cfg.recipe.pCountQuestion, 0.75);
    assert.equal(n.cfg.recipe.pCountQuestion, 0.05);
    // Everything else is the shipped chain's (the init names the stage before, whatever it is called).
    const strip = (s: typeof b) => ({ ...s.cfg, recipe: { ...s.cfg.recipe, pCountQuestion: 0 }, init: s.cfg.init ? "@prev" : null, stopAt: s.stopAt });
    assert.deepEqual(strip(n), strip(b), `stage ${i}`);
  }
});

test("a chain runs its stages in order, resumes an interrupted one, keeps finished ones and refuses an edited one", { timeout: 300_000 }, async () => {
  const file = chainFile("tiny", TINY, { pCountQuestion: 0.05 });
  const out = path.join(tmp, "tiny-out");
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  // Interrupted after one step of the first stage (a time budget of 0 stops after the step).
  assert.deepEqual(
    chainState(readChain(file), out).map((s) => s.state),
    ["new", "new"],
  );
  const first = await runChain(readChain(file), out, { log, stopAfterMinutes: 0 });
  assert.deepEqual(
    chainState(readChain(file), out).map((s) => [s.state, s.step]),
    [
      ["partial", 1],
      ["new", 0],
    ],
  );
  // The rate prices the steps left: the median of the log's intervals, so a pause does not inflate it.
  const logFile = path.join(out, "first", "log.jsonl");
  fs.writeFileSync(logFile, [25, 50, 75, 100].map((step, i) => JSON.stringify({ step, elapsed_s: [10, 20, 1000, 1010][i] })).join("\n") + "\n");
  assert.equal(chainState(readChain(file), out)[0]!.s_per_step, 0.4);
  fs.rmSync(logFile);
  const dry = spawnSync(process.execPath, [bin, "pretrain-chain", file, "--out", out, "--dry-run"], { encoding: "utf8" });
  assert.equal(dry.status, 0, dry.stderr);
  assert.match(dry.stdout, /first: partial, step 1\/3 .*\nsecond: new, step 0\/2 .*\n4 steps left\n/, "no rate before a stage has logged 25 steps");
  assert.equal(first.finished, false);
  assert.deepEqual(first.stages, [{ name: "first", dir: path.join(out, "first"), step: 1, stopAt: 3, action: "new" }]);
  const done = await runChain(readChain(file), out, { log });
  assert.equal(done.finished, true);
  assert.deepEqual(
    done.stages.map((s) => [s.name, s.step, s.action]),
    [
      ["first", 3, "resumed"],
      ["second", 2, "new"],
    ],
  );
  assert.equal(done.model, path.join(out, "second", "model"));
  // The second stage started from the first's model and ran 2 steps of a 6-step schedule.
  const second = JSON.parse(fs.readFileSync(path.join(out, "second", "config.json"), "utf8"));
  assert.equal(second.init, "../first/model", "saved relative to the stage's folder, so the chain's folder may move");
  assert.equal(second.steps, 6);
  assert.equal(second.recipe.pCountQuestion, DEFAULT_PRETRAIN.recipe.pCountQuestion, "the recipe is per stage: the second has none");
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, "first", "config.json"), "utf8")).recipe.pCountQuestion, 0.05);
  assert.equal(JSON.parse(fs.readFileSync(path.join(done.model, "model.json"), "utf8")).metadata.step, "2");
  assert.ok(fs.existsSync(path.join(out, "second", "snapshots", "step-2", "model.json")), "the stop step is evaluated and kept as a snapshot");
  // The interrupted-and-resumed first stage equals an uninterrupted run of it (exact resume).
  const whole = path.join(tmp, "whole-first");
  await pretrain(whole, readChain(file).stages[0]!.cfg);
  const A = readSafetensors(path.join(whole, "checkpoint.safetensors"));
  const B = readSafetensors(path.join(out, "first", "checkpoint.safetensors"));
  for (const [k, t] of A.tensors) assert.deepEqual(B.tensors.get(k)!.data, t.data, k);
  // Where it stands, without training: every stage finished.
  assert.deepEqual(
    chainState(readChain(file), out).map((s) => [s.name, s.state, s.step, s.stopAt]),
    [
      ["first", "finished", 3, 3],
      ["second", "finished", 2, 2],
    ],
  );
  // Run again: nothing is trained.
  const again = await runChain(readChain(file), out, { log });
  assert.deepEqual(
    again.stages.map((s) => s.action),
    ["kept", "kept"],
  );
  assert.match(lines.join("\n"), /stage 1\/2 "first": resuming at step 1, to step 3 of 3/);
  // An edited stage is refused, naming the stage and the way out; the folder is untouched.
  const before = fs.readFileSync(path.join(out, "second", "checkpoint.safetensors"));
  fs.writeFileSync(file, TINY.replace("lr: 5.0e-4", "lr: 2.0e-4"));
  await assert.rejects(
    runChain(readChain(file), out, { log }),
    /stage "second": .*config\.json holds another configuration than this stage's \(lr: saved 0\.0005, now 0\.0002; was the chain file edited\?\); choose another --out/,
  );
  assert.deepEqual(fs.readFileSync(path.join(out, "second", "checkpoint.safetensors")), before);
});

test(
  "a packed chain continues elsewhere exactly: finished stages keep their model, the open one its checkpoint, no snapshots",
  { timeout: 300_000 },
  async () => {
    const file = chainFile("pack", TINY, { pCountQuestion: 0.05 });
    const whole = path.join(tmp, "pack-whole");
    await runChain(readChain(file), whole);
    // Another run of the same chain, stopped in its second stage, then packed.
    const out = path.join(tmp, "pack-out");
    await runChain(readChain(file), out, { stopAfterMinutes: 0 }); // first stage: 1 step
    await runChain(readChain(file), out, { stopAfterMinutes: 0 }); // ... 2 steps
    await runChain(readChain(file), out, { stopAfterMinutes: 0 }); // ... finished, then the second stage: 1 step of 2
    // A log line past the checkpoint's step (the run logged on after its last checkpoint) is not packed.
    fs.writeFileSync(path.join(out, "second", "evals.jsonl"), JSON.stringify({ step: 1 }) + "\n" + JSON.stringify({ step: 2 }) + "\n");
    const pack = path.join(tmp, "packs", "tiny");
    const r = packChain(readChain(file), out, pack);
    assert.deepEqual(
      r.stages.map((s) => [s.name, s.state, s.step]),
      [
        ["first", "finished", 3],
        ["second", "partial", 1],
      ],
    );
    const files = (d: string): string[] => fs.readdirSync(d, { recursive: true }).map(String).sort();
    assert.deepEqual(
      files(path.join(pack, "first")),
      [
        "config.json",
        "evals.jsonl",
        "finished.json", // no log.jsonl: it logs every 25 steps
        "model",
        ...fs.readdirSync(path.join(out, "first", "model")).map((f) => path.join("model", f)),
      ].sort(),
    );
    assert.deepEqual(files(path.join(pack, "second")), ["checkpoint.safetensors", "config.json", "evals.jsonl"]);
    assert.equal(fs.readFileSync(path.join(pack, "second", "evals.jsonl"), "utf8"), JSON.stringify({ step: 1 }) + "\n", "logs cut at the checkpoint's step");
    // Moved elsewhere (as a commit is checked out in another folder), it continues to the same weights.
    const moved = path.join(tmp, "elsewhere", "tiny");
    fs.cpSync(pack, moved, { recursive: true });
    const done = await runChain(readChain(file), moved);
    assert.deepEqual(
      done.stages.map((s) => [s.name, s.action]),
      [
        ["first", "kept"],
        ["second", "resumed"],
      ],
    );
    const A = readSafetensors(path.join(whole, "second", "checkpoint.safetensors"));
    const B = readSafetensors(path.join(moved, "second", "checkpoint.safetensors"));
    for (const [k, t] of A.tensors) assert.deepEqual(B.tensors.get(k)!.data, t.data, k);
    // A pack is replaced by the next one; a folder that is not a pack is refused and left as it was.
    assert.equal(packChain(readChain(file), moved, pack).stages[1]!.state, "finished");
    assert.equal(fs.existsSync(path.join(pack, "second", "checkpoint.safetensors")), false, "a finished stage keeps its model, not its optimizer");
    assert.equal(fs.readdirSync(path.join(tmp, "packs")).join(","), "tiny", "no temporary folder is left beside it");
    const other = fs.mkdtempSync(path.join(tmp, "not-a-pack-"));
    fs.writeFileSync(path.join(other, "notes.txt"), "mine");
    assert.throws(() => packChain(readChain(file), out, other), /--pack: .* holds files and is not a pack \(no pack\.json\); choose a new or empty folder/);
    assert.deepEqual(fs.readdirSync(other), ["notes.txt"]);
    // A packed finished stage cannot be stretched: it kept no optimizer state.
    fs.writeFileSync(file, TINY.replace("stopAt: 2", "stopAt: 4"));
    assert.throws(
      () => chainState(readChain(file), pack),
      /stage "second": .* was packed finished at step 2, but the chain now stops it at 4; a packed stage keeps no optimizer state/,
    );
  },
);

test("a pretraining run has one writer: a live holder is refused, a dead one's lock is taken over", { timeout: 120_000 }, async () => {
  const cfg = { ...DEFAULT_PRETRAIN, d: 16, layers: 1, heads: 2, steps: 4, gen: 2, und: 2, warmup: 0, evalEvery: 1000 };
  const dir = path.join(tmp, "locked");
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, ".pretrain.lock");
  fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid }));
  await assert.rejects(pretrain(dir, cfg), new RegExp(`is being trained by process ${process.ppid}; wait for it or stop it first`));
  assert.equal(fs.existsSync(path.join(dir, "config.json")), false, "nothing is written under a live holder");
  // A pid that has exited: the lock is stale.
  const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  fs.writeFileSync(lock, JSON.stringify({ pid: Number(gone.stdout) }));
  const r = await pretrain(dir, cfg, { stopAt: 2 });
  assert.deepEqual(r, { step: 2, finished: true });
  assert.equal(fs.existsSync(lock), false, "released at the end");
  await assert.rejects(pretrain(dir, cfg, { resume: true, stopAt: 5 }), /stopAt: 5 is not allowed \(allowed: integers >= 1 and <= steps = 4\)/);
  await assert.rejects(pretrain(dir, { ...cfg, lr: 2e-3 }, { resume: true }), /differs from this run's configuration \(lr: saved 0\.001, now 0\.002\)/);
});

test("pretrain-chain on the command line: one chain file, errors in one line with exit code 2", () => {
  const none = spawnSync(process.execPath, [bin, "pretrain-chain", "--out", path.join(tmp, "x")], { encoding: "utf8" });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /pretrain-chain: expected one chain file \(got none\)/);
  const noOut = spawnSync(process.execPath, [bin, "pretrain-chain", "a.yaml"], { encoding: "utf8" });
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /pretrain-chain: --out is required/);
  const file = chainFile("cli", "stages:\n  - { name: a, lr: 2 }\n");
  const bad = spawnSync(process.execPath, [bin, "pretrain-chain", file, "--out", path.join(tmp, "y")], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /cli\.yaml\.stages\[0\] \("a"\)\.lr: 2 is not allowed \(allowed: numbers >= 1e-9 and <= 0.999\)/);
  assert.equal(fs.existsSync(path.join(tmp, "y")), false);
});

test("publish-base: a finished chain's model copied with its card (family, stages, baselines with intervals, samples); refused before it is finished", async () => {
  const file = chainFile(
    "pub",
    `about: a one-stage chain to publish\nstages:\n  - { name: only, recipe: less-counting.json, steps: 2, d: 16, layers: 1, heads: 2, genRows: 2, undRows: 2, evalEvery: 1000 }\n`,
    {
      pCountQuestion: 0.05,
    },
  );
  const out = path.join(tmp, "pub-out");
  const to = path.join(tmp, "pub-base");
  await assert.rejects(
    publishBase(readChain(file), out, to),
    /stage "only" is not started under .*pub-out; finish the chain first \(transferlab pretrain-chain .*pub\.yaml --out/,
  );
  assert.equal(fs.existsSync(to), false, "nothing is written before the chain is finished");
  await runChain(readChain(file), out);
  const shipped = path.resolve(__dirname, "..", "..", "models", "shared-unified");
  const card = await publishBase(readChain(file), out, to, { sets: ["counting-gen"], shipped });
  for (const f of ["model.json", "model.safetensors", "README.md", "card.json", "samples.png"]) assert.ok(fs.existsSync(path.join(to, f)), f);
  assert.equal(card.family, "shared-unified");
  assert.equal(card.paper?.model, "Lumina-DiMOO");
  assert.ok(card.shipped_params! > card.params, "the tiny base against the shipped one");
  assert.deepEqual(
    card.stages.map((s) => [s.name, s.recipe, s.step, s.steps]),
    [["only", "less-counting.json", 2, 2]],
  );
  const acc = card.baselines.find((b) => b.set === "counting-gen" && b.metric === "accuracy")!;
  assert.ok(acc.lo! <= acc.value! && acc.value! <= acc.hi!, "an interval around the estimate");
  assert.equal(acc.n, 216);
  const md = fs.readFileSync(path.join(to, "README.md"), "utf8");
  assert.match(md, /^# The shared-unified base — Lumina-DiMOO's family in miniature/);
  assert.match(md, /\| only \| less-counting\.json \| 2 \/ 2 \|/);
  assert.match(md, /\| counting-gen \| accuracy \| \d\.\d{3} \| \[\d\.\d{3}, \d\.\d{3}\] \| 216 \|/);
  assert.match(md, /!\[samples\]\(samples\.png\)/);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(to, "card.json"), "utf8")).params, card.params);
  // A folder holding anything but a base is not written into.
  const other = fs.mkdtempSync(path.join(tmp, "not-a-base-"));
  fs.writeFileSync(path.join(other, "notes.txt"), "mine");
  await assert.rejects(publishBase(readChain(file), out, other), /--to: .* holds files other than a base's; choose an empty or new folder/);
  assert.deepEqual(fs.readdirSync(other), ["notes.txt"]);
});
