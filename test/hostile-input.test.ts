// Hostile input, second round: writers that would destroy what they replace, a store that would delete
// what it cannot read, a stale lock taken over twice, a "finished" run without its adapter.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { writeFileAtomic } from "../src/core/atomic";
import { Lab } from "../src/lab";

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const tiny = { steps: 4, batch: 8, rank: 2, evalEvery: 0, checkpointEvery: 2 };

test("a writer refuses a device, a FIFO or a folder, and writes through a symlink instead of replacing it", () => {
  assert.throws(
    () => writeFileAtomic("/dev/null", "x"),
    /\/dev\/null: is a device; refusing to write over it \(allowed: a regular file or a path that does not exist\)/,
  );
  assert.ok(fs.statSync("/dev/null").isCharacterDevice(), "the device node is still a device");
  const dir = tmp("tl-writers-");
  assert.throws(() => writeFileAtomic(dir, "x"), /is a folder; refusing/);
  const fifo = path.join(dir, "fifo");
  require("node:child_process").execFileSync("mkfifo", [fifo]);
  assert.throws(() => writeFileAtomic(fifo, "x"), /is a FIFO; refusing/);
  const target = path.join(dir, "target.html");
  fs.writeFileSync(target, "old");
  const link = path.join(dir, "link.html");
  fs.symlinkSync(target, link);
  writeFileAtomic(link, "new");
  assert.ok(fs.lstatSync(link).isSymbolicLink(), "the link is kept");
  assert.equal(fs.readFileSync(target, "utf8"), "new", "its target is written");
  fs.symlinkSync(path.join(dir, "loop-b"), path.join(dir, "loop-a"));
  fs.symlinkSync(path.join(dir, "loop-a"), path.join(dir, "loop-b"));
  assert.throws(() => writeFileAtomic(path.join(dir, "loop-a"), "x"), /is a symlink whose target cannot be resolved/);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.includes(".tmp-")),
    [],
    "no temp file is left",
  );
});

test("report --out over a device node is refused and the node survives", () => {
  const bin = path.join(__dirname, "..", "..", "bin", "transferlab.js");
  const dir = tmp("tl-report-out-");
  const nb = path.join(dir, "n.ipynb");
  fs.writeFileSync(nb, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [{ cell_type: "markdown", metadata: {}, source: "# hi" }] }));
  const r = require("node:child_process").spawnSync(process.execPath, [bin, "report", nb, "--out", "/dev/null"], { encoding: "utf8" });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /\/dev\/null: is a device; refusing to write over it/);
  assert.ok(fs.statSync("/dev/null").isCharacterDevice());
});

test("a run folder that lost its status file is left untouched and named; a bare failed claim starts over", async () => {
  const root = tmp("tl-lost-status-");
  const lab = new Lab({ root });
  await lab.train({ ...tiny, name: "kept" });
  const dir = path.join(root, "kept");
  fs.writeFileSync(path.join(dir, "my-notes.txt"), "mine");
  fs.rmSync(path.join(dir, "status.json"));
  const before = fs.readdirSync(dir).sort();
  for (const opts of [{}, { resume: true }]) {
    await assert.rejects(lab.train({ ...tiny, name: "kept", ...opts }), (e: Error) => {
      assert.match(e.message, /run "kept" has lost its status file \(.*status\.json is missing; the folder holds .*\); it is left untouched: move .* aside/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(dir).sort(), before, "nothing was deleted");
  }
  // A claim that failed between its two writes holds only its spec: nothing is lost by starting over.
  fs.mkdirSync(path.join(root, "bare"));
  fs.copyFileSync(path.join(dir, "spec.json"), path.join(root, "bare", "spec.json"));
  const h = await lab.train({ ...tiny, name: "bare" });
  assert.equal(h.status.state, "finished");
});

test("a run whose status says finished but whose adapter is missing is not reused", async () => {
  const root = tmp("tl-no-adapter-");
  const lab = new Lab({ root });
  await lab.train({ ...tiny, name: "done" });
  fs.rmSync(path.join(root, "done", "adapter"), { recursive: true });
  await assert.rejects(lab.train({ ...tiny, name: "done" }), /run "done" says finished but its adapter is missing .*; pass force to train it again/);
  const h = await lab.train({ ...tiny, name: "done", force: true });
  assert.equal(h.status.state, "finished");
  assert.ok(fs.existsSync(path.join(root, "done", "adapter", "adapter_config.json")));
});

test("a stale lock is taken over by one process at a time (two processes, many stale locks)", { timeout: 120_000 }, async () => {
  const dir = tmp("tl-stale-locks-");
  const N = 300;
  // A pid that has exited: every lock below is stale.
  const dead = await new Promise<number>((resolve) => {
    const c = spawn(process.execPath, ["-e", "0"]);
    c.on("exit", () => resolve(c.pid!));
  });
  const lockModule = path.join(__dirname, "..", "src", "core", "lock.js");
  // Each process takes every lock; while it holds one, it creates a marker exclusively: a second holder
  // finds the marker there and reports a double hold.
  const worker = `
    const fs = require("node:fs");
    const { acquireLock } = require(${JSON.stringify(lockModule)});
    const [dir, n] = [process.argv[1], Number(process.argv[2])];
    let doubles = 0;
    for (let i = 0; i < n; i++) {
      const release = acquireLock(dir + "/l" + i + ".lock", { waitMs: 5000, held: (pid) => new Error("held by " + pid) });
      const marker = dir + "/l" + i + ".held";
      try { fs.writeFileSync(marker, String(process.pid), { flag: "wx" }); } catch { doubles++; release(); continue; }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      fs.rmSync(marker);
      release();
    }
    console.log(JSON.stringify({ doubles }));
  `;
  let doubles = 0;
  for (let trial = 0; trial < 3; trial++) {
    for (let i = 0; i < N; i++) fs.writeFileSync(path.join(dir, `l${i}.lock`), JSON.stringify({ pid: dead, host: os.hostname(), started: "" }));
    const outs = await Promise.all(
      [0, 1].map(
        () =>
          new Promise<string>((resolve, reject) => {
            const c = spawn(process.execPath, ["-e", worker, dir, String(N)], { stdio: ["ignore", "pipe", "inherit"] });
            let out = "";
            c.stdout.on("data", (d) => (out += d));
            c.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}`))));
          }),
      ),
    );
    for (const o of outs) doubles += (JSON.parse(o) as { doubles: number }).doubles;
  }
  assert.equal(doubles, 0, `${doubles} locks were held by two processes at once`);
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith(".tmp") || f.endsWith(".takeover") || f.endsWith(".held")),
    [],
    "no private files, guards or markers are left",
  );
});

test("CSV: formula-like text cells are made inert for spreadsheets, numbers stay numbers; a quoted duplicate header is named", () => {
  const { toCsv, parseCsv } = require("../src/core/csv") as typeof import("../src/core/csv");
  const csv = toCsv(
    ["model", "value"],
    [
      { model: '=HYPERLINK("http://x")', value: -0.5 },
      { model: "+1", value: 1 },
      { model: "@SUM(A1)", value: 2 },
      { model: "-2", value: 3 },
      { model: "plain", value: 4 },
    ],
    { forSpreadsheets: true },
  );
  const back = parseCsv(csv);
  assert.deepEqual(
    back.map((r) => r["model"]),
    ['\'=HYPERLINK("http://x")', "'+1", "'@SUM(A1)", "'-2", "plain"],
  );
  assert.deepEqual(
    back.map((r) => r["value"]),
    ["-0.5", "1", "2", "3", "4"],
    "numbers are written as numbers",
  );
  assert.throws(() => parseCsv('value,"value"\n1,2\n', "t.csv"), /t\.csv:1: column "value" appears twice in the header/);
  const dir = tmp("tl-csv-");
  const f = path.join(dir, "dup.csv");
  fs.writeFileSync(f, 'source,model,task,train,side,metric,"metric",value\n');
  const { importRuns } = require("../src/lab") as typeof import("../src/lab");
  assert.throws(() => importRuns(f), /dup\.csv:1: column "metric" appears twice in the header/);
});

test("import-geneval: a null line, a non-object metadata or a bad include names its line; --out writes inert cells", () => {
  const bin = path.join(__dirname, "..", "..", "bin", "transferlab.js");
  const run = (...args: string[]) => require("node:child_process").spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });
  const dir = tmp("tl-geneval-hostile-");
  const good = JSON.stringify({
    filename: "/o/00000/samples/0000.png",
    tag: "counting",
    prompt: "p",
    correct: true,
    reason: "",
    metadata: JSON.stringify({ include: [{ class: "apple", count: 1 }] }),
    details: JSON.stringify({ apple: [[0, 0, 1, 1, 0.9]] }),
  });
  const cases: [string, RegExp][] = [
    ["null", /:2: expected one JSON object per line/],
    [JSON.stringify({ ...JSON.parse(good), metadata: "null" }), /:2: field "metadata" must hold a JSON object/],
    [JSON.stringify({ ...JSON.parse(good), metadata: JSON.stringify({ include: [null] }) }), /:2: field "metadata.include" must be a list/],
  ];
  for (const [bad, msg] of cases) {
    const f = path.join(dir, "r.jsonl");
    fs.writeFileSync(f, `${good}\n${bad}\n`);
    const r = run("import-geneval", f, "--model", "m", "--train", "und");
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /TypeError/);
  }
  const f = path.join(dir, "ok.jsonl");
  fs.writeFileSync(f, good + "\n");
  const out = path.join(dir, "out.csv");
  const r = run("import-geneval", f, "--model", "=cmd|' /C calc'!A0", "--train", "und", "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(fs.readFileSync(out, "utf8"), /,"'=cmd\|' \/C calc'!A0",|,'=cmd\|' \/C calc'!A0,/);
});

test(
  "sweeps and spec files are bounded: a 10^6-point grid is refused before expansion; a huge file, string or nesting is named, not echoed",
  { timeout: 60_000 },
  () => {
    const bin = path.join(__dirname, "..", "..", "bin", "transferlab.js");
    const run = (...args: string[]) => require("node:child_process").spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
    const dir = tmp("tl-bounds-");
    const sweep = path.join(dir, "big.json");
    const list = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    fs.writeFileSync(sweep, JSON.stringify({ name: "big", fixed: { steps: 1 }, grid: { rank: list(100), seed: list(100), batch: list(100) } }));
    const t0 = Date.now();
    const r = run("sweep", sweep, "--dry-run", "--root", path.join(dir, "runs"));
    console.log(`a 10^6-point sweep refused after ${Date.now() - t0} ms`);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /the grid has 1,000,000 points \(rank 100 × seed 100 × batch 100\), more than the limit of 10,000/);
    assert.ok(r.stdout.length < 10_000, "no plan is printed");
    // A spec file with a 2 MB string: the file is refused by size, and nothing huge is echoed.
    const spec = path.join(dir, "huge.json");
    fs.writeFileSync(spec, JSON.stringify({ verb: "train", task: "x".repeat(2_000_000) }));
    const h = run("run", spec);
    assert.equal(h.status, 2, h.stderr);
    assert.match(h.stderr, /huge\.json: 2,000,0\d\d bytes is too large for a data file \(allowed: at most 1,048,576 bytes\)/);
    assert.ok(h.stderr.length + h.stdout.length < 2_000);
    // Under the file limit, a long unknown field name and a long value are quoted cut.
    const long = path.join(dir, "long.json");
    fs.writeFileSync(long, JSON.stringify({ verb: "train", ["k".repeat(500_000)]: 1 }));
    const l = run("run", long);
    assert.equal(l.status, 2, l.stderr);
    assert.match(l.stderr, /unknown field/);
    assert.ok(l.stderr.length < 2_000, `the message is ${l.stderr.length} characters`);
    const name = path.join(dir, "name.json");
    fs.writeFileSync(name, JSON.stringify({ verb: "train", name: "n".repeat(500_000) }));
    const n = run("run", name);
    assert.equal(n.status, 2, n.stderr);
    assert.match(n.stderr, /characters\)/);
    assert.ok(n.stderr.length + n.stdout.length < 2_000, `the message is ${n.stderr.length} characters`);
    const deep = path.join(dir, "deep.json");
    fs.writeFileSync(deep, "[".repeat(5000) + "]".repeat(5000));
    const d = run("run", deep);
    assert.equal(d.status, 2, d.stderr);
    assert.match(d.stderr, /nested deeper than 32 levels/);
  },
);

test("integrity: a checkpoint's step is covered by its checksum; an adapter whose checksum key was deleted is refused; unsupported PEFT options are named", async () => {
  const { readSafetensors, writeSafetensors } = require("../src/engine/safetensors") as typeof import("../src/engine/safetensors");
  const root = tmp("tl-integrity-");
  const lab = new Lab({ root });
  const ac = new AbortController();
  await assert.rejects(
    lab.train({ steps: 6, batch: 8, rank: 2, evalEvery: 0, checkpointEvery: 2, name: "c" }, { signal: ac.signal, onStep: (p) => p.step === 4 && ac.abort() }),
  );
  const ck = path.join(root, "c", "checkpoint.safetensors");
  // Rewrite the step in the metadata (tensors untouched): refused, not resumed "at step 2" with step-4 weights.
  const f = readSafetensors(ck);
  const tensors = Object.fromEntries([...f.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }]));
  writeSafetensors(ck, tensors, { ...f.metadata, step: "2" });
  await assert.rejects(
    lab.train({ steps: 6, batch: 8, rank: 2, evalEvery: 0, checkpointEvery: 2, name: "c", resume: true }),
    /checkpoint\.safetensors: the tensors or metadata do not match the checksum/,
  );
  // An adapter written here with its checksum key removed.
  await lab.train({ ...tiny, name: "a" });
  const file = path.join(root, "a", "adapter", "adapter_model.safetensors");
  const a = readSafetensors(file);
  const { ["transferlab.sha256"]: _gone, ...rest } = a.metadata;
  writeSafetensors(file, Object.fromEntries([...a.tensors].map(([k, t]) => [k, { shape: t.shape, data: t.data as Float32Array }])), rest);
  assert.throws(() => new Lab({ root }).adapter("a"), /the checksum written with this adapter is missing/);
  // PEFT options this LoRA layer does not implement are refused by name.
  await lab.train({ ...tiny, name: "p" });
  const cfgFile = path.join(root, "p", "adapter", "adapter_config.json");
  const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
  for (const [k, v] of [
    ["use_rslora", true],
    ["alpha_pattern", { "blocks.0.attn.q": 4 }],
    ["use_dora", true],
  ] as const) {
    fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, [k]: v }));
    assert.throws(() => new Lab({ root }).adapter("p"), new RegExp(`${k} .* is not supported`));
  }
  // A dropout adapter evaluates (dropout is training-time noise), it does not crash.
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, lora_dropout: 0.5 }));
  const r = await lab.evaluate({ adapter: "p", side: "gen", limit: 1 });
  assert.ok(r.table.numRows() > 0);
});

test("exit codes: a prompt in a script the vocabulary lacks or an unknown word is bad input (2), named; Ctrl-C is 130", { timeout: 120_000 }, async () => {
  const bin = path.join(__dirname, "..", "..", "bin", "transferlab.js");
  const cp = require("node:child_process") as typeof import("node:child_process");
  const root = tmp("tl-exit-");
  const arabic = cp.spawnSync(process.execPath, [bin, "generate", "مرحبا 🙂", "--root", root], { encoding: "utf8" });
  assert.equal(arabic.status, 2);
  assert.match(arabic.stderr, /has characters the vocabulary cannot write \("م", .*"🙂"; allowed:/);
  const zebra = cp.spawnSync(process.execPath, [bin, "generate", "a photo of five zebras", "--root", root], { encoding: "utf8" });
  assert.equal(zebra.status, 2);
  assert.match(zebra.stderr, /unknown word "zebras"/);
  // SIGINT during training: the step finishes, a checkpoint is kept, the exit status is 130.
  const child = cp.spawn(
    process.execPath,
    [bin, "train", "--steps", "2000", "--batch", "8", "--rank", "2", "--eval-every", "0", "--checkpoint-every", "2", "--name", "intr", "--root", root],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  const deadline = Date.now() + 60_000;
  while (!fs.existsSync(path.join(root, "intr", "checkpoint.safetensors")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  child.kill("SIGINT");
  const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  assert.equal(code, 130, out.slice(-500));
  assert.equal(JSON.parse(fs.readFileSync(path.join(root, "intr", "status.json"), "utf8")).state, "interrupted");
});

test("costly values are refused with their range, and transfer prices its training before it starts", async () => {
  const { validateSpec } = require("../src/lab") as typeof import("../src/lab");
  assert.throws(() => validateSpec("evaluate", { limit: 1e8 }), /evaluate\.limit: 100000000 is not allowed \(allowed: integers >= 1 and <= 100000\)/);
  assert.throws(() => validateSpec("train", { batch: 100000 }), /train\.batch: 100000 is not allowed \(allowed: integers >= 2 and <= 512\)/);
  assert.throws(() => validateSpec("transfer", { seeds: 1000 }), /transfer\.seeds: 1000 is not allowed/);
  const root = tmp("tl-estimate-");
  const lab = new Lab({ root });
  await lab.train({ ...tiny, name: "priced" });
  // A tiny run's wall time rounds to 0 s: give it 10 s so the store has a rate to price with.
  lab.store.run("priced").setStatus({ wall_s: 10 });
  const t = new Lab({ root });
  const st: string[] = [];
  const ac = new AbortController();
  ac.abort();
  await t.transfer({ steps: 1000, seeds: 2, batch: 8, limit: 1, evalEvery: 0 }, { onStage: (s) => st.push(s), signal: ac.signal }).catch(() => undefined);
  // 10 s / (4 steps × 8 rows) per row → 4 runs × 1000 × 8 rows ≈ 10,000 s ≈ 167 min.
  assert.match(st[0] ?? "", /^transfer: 4 training runs × 1000 steps × 8 rows ≈ 167 min of training at this store's measured rate, plus evaluation/);
});

test("one sweep owns its folder at a time; a worker stops when its sweep is killed", { timeout: 180_000 }, async () => {
  const cp = require("node:child_process") as typeof import("node:child_process");
  const bin = path.join(__dirname, "..", "..", "bin", "transferlab.js");
  const dir = tmp("tl-sweep-own-");
  const root = path.join(dir, "runs");
  const file = path.join(dir, "s.json");
  fs.writeFileSync(file, JSON.stringify({ name: "own", fixed: { steps: 5000, batch: 8, rank: 2, evalEvery: 0, checkpointEvery: 5 }, grid: { seed: [0] } }));
  const first = cp.spawn(process.execPath, [bin, "sweep", file, "--root", root, "--workers", "1"], { stdio: "ignore" });
  const lock = path.join(root, "sweeps", "own", ".sweep.lock");
  const deadline = Date.now() + 60_000;
  // Wait until the worker trains (its run folder has a checkpoint).
  const runDir = () => fs.readdirSync(root).find((n) => n.startsWith("counting-"));
  while (!(fs.existsSync(lock) && runDir() && fs.existsSync(path.join(root, runDir()!, "checkpoint.safetensors"))) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  const second = cp.spawnSync(process.execPath, [bin, "sweep", file, "--root", root], { encoding: "utf8" });
  assert.equal(second.status, 2, second.stderr);
  assert.match(second.stderr, new RegExp(`sweep own: .* is being run by process ${first.pid}`));
  // SIGKILL the sweep (no chance to stop its worker): the worker notices and stops after its step.
  first.kill("SIGKILL");
  const status = path.join(root, runDir()!, "status.json");
  const until = Date.now() + 60_000;
  while (JSON.parse(fs.readFileSync(status, "utf8")).state === "running" && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  const st = JSON.parse(fs.readFileSync(status, "utf8"));
  assert.equal(st.state, "interrupted", "the orphaned worker stopped and marked its run");
  assert.ok(st.step < 5000);
});

test("an adapter config whose target_modules disagree with its tensors is refused, naming both sides; train prices its run", async () => {
  const root = tmp("tl-targets-");
  const lab = new Lab({ root });
  const stages: string[] = [];
  await lab.train({ ...tiny, name: "t" }, { onStage: (s) => stages.push(s) });
  assert.ok(
    stages.some((s) => /^t: 1 training run × 4 steps × 8 rows/.test(s)),
    stages.join("\n"),
  );
  const cfgFile = path.join(root, "t", "adapter", "adapter_config.json");
  const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, target_modules: ["q", "v"] }));
  assert.throws(
    () => new Lab({ root }).adapter("t"),
    /target_modules \["q","v"\] does not match the adapter's tensors \(adapted but not named: k, o, down, up\)/,
  );
});

test("a lock whose private file cannot be written (a full disk) leaves nothing behind", () => {
  const dir = tmp("tl-lock-enospc-");
  const { acquireLock } = require("../src/core/lock") as typeof import("../src/core/lock");
  const mod = require("node:fs") as Record<string, unknown>;
  const orig = mod["writeFileSync"] as (...a: unknown[]) => unknown;
  mod["writeFileSync"] = (...args: unknown[]) => {
    // A partial write then ENOSPC, as a full disk does.
    orig(args[0], "{");
    throw Object.assign(new Error("ENOSPC: no space left on device (injected)"), { code: "ENOSPC" });
  };
  try {
    assert.throws(() => acquireLock(path.join(dir, "x.lock"), { waitMs: 0, held: () => new Error("held") }), /ENOSPC/);
  } finally {
    mod["writeFileSync"] = orig;
  }
  assert.deepEqual(fs.readdirSync(dir), [], "no private file and no lock are left");
});
