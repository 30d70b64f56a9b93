// The lab's experiment API: spec validation and its messages, the run store (atomic files, a killed run
// resumed bit-identically, cache reuse, force), results import, the paper's Table 6 recomputed, and the
// magics parsing to the same calls as the API.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as aq from "arquero";
import { Field, Lab, RunStore, SpecError, VERB_NAMES, importRuns, paperResults, transferStrength, validateSpec, parseSpecFile } from "../src/lab";
import { argSpecs } from "../kernel/lab-magics";
import { parseArgs } from "../kernel/magics";

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const tiny = { steps: 8, batch: 8, rank: 2, evalEvery: 0, checkpointEvery: 2 };

test("specs: defaults, kebab-case, and errors that name the field and the allowed values", () => {
  const s = validateSpec("train", { "eval-every": 5, rank: "4" });
  assert.equal(s["evalEvery"], 5);
  assert.equal(s["rank"], 4);
  assert.equal(s["task"], "counting");
  assert.equal(s["lr"], 5e-4);
  assert.throws(
    () => validateSpec("train", { task: "countin" }),
    /train\.task: "countin" is not allowed \(allowed: counting, spatial, text, compose, new-word\); did you mean "counting"\?/,
  );
  assert.throws(() => validateSpec("train", { rank: 0 }), /train\.rank: 0 is not allowed \(allowed: integers >= 1 and <= 128\)/);
  assert.throws(() => validateSpec("train", { rank: 2.5 }), /train\.rank/);
  assert.throws(() => validateSpec("train", { lr: "fast" }), /train\.lr: "fast" is not allowed \(allowed: numbers >= 1e-9 and <= 0.5\)/);
  assert.throws(() => validateSpec("train", { rnak: 8 }), /train\.rnak: unknown field .*did you mean "rank"\?/);
  assert.throws(() => validateSpec("attention", { token: "x" }), /attention\.prompt: required/);
  assert.throws(() => validateSpec("train", { resume: "yes" }), /train\.resume: "yes" is not allowed \(allowed: true, false\)/);
  assert.deepEqual(validateSpec("ablate", { ranks: "2, 8,32" })["ranks"], [2, 8, 32]);
  assert.deepEqual(validateSpec("generate", { prompt: "a photo of two rings|a photo of five circles" })["prompt"], [
    "a photo of two rings",
    "a photo of five circles",
  ]);
  assert.throws(() => parseSpecFile('{"verb": "trian"}', "x.json"), /x\.json\[0\]\.verb: "trian" is not allowed .*did you mean "train"/);
  assert.throws(() => parseSpecFile("[1]", "x.json"), /x\.json\[0\]: expected an object/);
  const many = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ verb: "train", rank: i === 737 ? 0 : 8 })));
  assert.throws(() => parseSpecFile(many, "big.json"), /big\.json\[737\]: train\.rank: 0 is not allowed/);
  assert.deepEqual(parseSpecFile('[{"verb": "transfer", "seeds": 1}]', "x.json")[0]!.args["seeds"], 1);
  const fromYaml = parseSpecFile("- verb: ablate\n  ranks: [2, 8]\n  steps: 50\n- verb: joint\n  epochs: 4\n", "spec.yaml");
  assert.deepEqual(
    fromYaml.map((e) => e.verb),
    ["ablate", "joint"],
  );
  assert.deepEqual(fromYaml[0]!.args["ranks"], [2, 8]);
  assert.throws(() => parseSpecFile("verb: [unclosed", "bad.yml"), /bad\.yml: not YAML/);
});

test("magics parse to the same calls as the API", () => {
  const lines: Record<string, [string, Record<string, unknown>]> = {
    train: [
      "--task spatial --objective gen --rank 16 --alpha 32 --steps 300 --lr 1e-4 --seed 2 --name r1 --eval-every 50",
      { task: "spatial", objective: "gen", rank: 16, alpha: 32, steps: 300, lr: 1e-4, seed: 2, name: "r1", evalEvery: 50 },
    ],
    generate: [
      '"a photo of five circles" --adapter a,b --seeds 4 --steps 12 --cfg 2',
      { prompt: "a photo of five circles", adapter: ["a", "b"], seeds: 4, steps: 12, cfg: 2 },
    ],
    evaluate: ["--adapter r1 --task counting --side gen", { adapter: "r1", task: "counting", side: "gen" }],
    transfer: ["--task counting --rank 8 --seeds 3", { task: "counting", rank: 8, seeds: 3 }],
    joint: ["--task counting --epochs 10", { task: "counting", epochs: 10 }],
    ablate: ["--task counting --ranks 2,8,32", { task: "counting", ranks: [2, 8, 32] }],
    compose: ["--steps 100", { steps: 100 }],
    attention: ['"a photo of five circles" --token circles --adapter r1', { prompt: "a photo of five circles", token: "circles", adapter: ["r1"] }],
    sharing: ["--adapter r1,r2 --scenes 64", { adapter: ["r1", "r2"], scenes: 64 }],
    canvas: ["--adapter r1 --seeds 200,201 --step 4 --positions image", { adapter: ["r1"], seeds: [200, 201], step: 4, positions: "image" }],
    readout: ["--adapter r1 --scenes 64 --canvases 32", { adapter: ["r1"], scenes: 64, canvases: 32 }],
    patch: ["--task new-word --adapter r1,r2 --limit 3", { task: "new-word", adapter: ["r1", "r2"], limit: 3 }],
    statement: ["--adapter r1,r2 --seeds 200 --steps 8", { adapter: ["r1", "r2"], seeds: [200], steps: 8 }],
  };
  assert.deepEqual(Object.keys(lines).sort(), [...VERB_NAMES].sort());
  for (const verb of VERB_NAMES) {
    const [line, api] = lines[verb]!;
    const fromMagic = validateSpec(verb, parseArgs(verb, argSpecs(verb), line));
    assert.deepEqual(fromMagic, validateSpec(verb, api), verb);
  }
});

test("run store: train writes a PEFT adapter, metrics and status; the same spec is reused; force retrains", { timeout: 120_000 }, async () => {
  const root = tmp("tl-store-");
  const lab = new Lab({ root });
  const evals: number[] = [];
  const h = await lab.train({ ...tiny, evalEvery: 4, evalPrompts: 3, evalQuestions: 6, name: "a" }, { onEval: (rows) => evals.push(rows[0]!.step) });
  assert.deepEqual(evals, [0, 4, 8]);
  assert.equal(h.status.state, "finished");
  const cfg = JSON.parse(fs.readFileSync(path.join(root, "a", "adapter", "adapter_config.json"), "utf8"));
  assert.equal(cfg.peft_type, "LORA");
  assert.equal(cfg.r, 2);
  assert.match(cfg.base_model_name_or_path, /^shared-unified@[0-9a-f]{12}$/);
  const metrics = h.metrics().objects() as Record<string, unknown>[];
  assert.ok(metrics.some((m) => m["side"] === "gen" && m["metric"] === "accuracy" && m["step"] === 8));
  assert.ok(metrics.some((m) => m["side"] === "train" && m["metric"] === "loss"));
  // No temporary files left behind by the atomic writes.
  assert.deepEqual(
    fs.readdirSync(path.join(root, "a")).filter((f) => f.includes(".tmp")),
    [],
  );
  const mtime = fs.statSync(path.join(root, "a", "adapter", "adapter_model.safetensors")).mtimeMs;
  const again = await lab.train({ ...tiny, evalEvery: 4, evalPrompts: 3, evalQuestions: 6, name: "a" });
  // Reused, not retrained: the adapter file was not rewritten.
  assert.equal(fs.statSync(path.join(again.dir, "adapter", "adapter_model.safetensors")).mtimeMs, mtime);
  await assert.rejects(
    lab.train({ ...tiny, rank: 4, name: "a" }),
    (e: Error) => e instanceof SpecError && /run "a" already holds another spec \(rank: 2 there, 4 here\)/.test(e.message),
  );
  await lab.train({ ...tiny, evalEvery: 4, evalPrompts: 3, evalQuestions: 6, name: "a", force: true });
  assert.notEqual(fs.statSync(path.join(root, "a", "adapter", "adapter_model.safetensors")).mtimeMs, mtime, "force retrains");
  assert.equal(lab.runs().numRows(), 1);
  assert.throws(() => lab.adapter("nope"), /adapter: no run named "nope" .*runs: a/);
  // An evaluation leaves its manifest: model, adapter, sampler, detector thresholds, every verdict's reason.
  const ev = await lab.evaluate({ adapter: "a", side: "gen", limit: 3 });
  const manifest = JSON.parse(fs.readFileSync(ev.manifest, "utf8"));
  assert.equal(path.basename(ev.manifest), "a-counting-gen-limit3.json");
  assert.equal(manifest.adapter, "a");
  assert.equal(manifest.detector.threshold, 90);
  assert.equal(manifest.prompts_rewritten, false);
  assert.equal(manifest.items.length, 12, "3 prompts × 4 seeds");
  assert.ok(manifest.items.every((i: { reason: string; seed: number }) => typeof i.reason === "string" && i.reason.length > 0 && Number.isInteger(i.seed)));
});

test("a killed run reads as interrupted, keeps its checkpoint, and resumes to the uninterrupted result", { timeout: 180_000 }, async () => {
  const rootA = tmp("tl-kill-");
  const rootB = tmp("tl-ref-");
  const spec = { ...tiny, steps: 14, name: "k" };
  const script = `const { Lab } = require(${JSON.stringify(path.join(__dirname, "..", "src", "lab"))}); new Lab({ root: ${JSON.stringify(rootA)} }).train(${JSON.stringify(spec)}).then(() => process.exit(0));`;
  const child = spawn(process.execPath, ["-e", script], { stdio: "ignore" });
  const statusFile = path.join(rootA, "k", "status.json");
  const deadline = Date.now() + 90_000;
  for (;;) {
    await new Promise((r) => setTimeout(r, 50));
    if (fs.existsSync(statusFile)) {
      const s = JSON.parse(fs.readFileSync(statusFile, "utf8"));
      if (s.step >= 4) break;
    }
    assert.ok(Date.now() < deadline, "the child never checkpointed");
  }
  child.kill("SIGKILL");
  await new Promise((r) => child.once("exit", r));
  const lab = new Lab({ root: rootA });
  const st = lab.store.run("k").status();
  assert.equal(st.state, "interrupted");
  assert.equal(st.reason, "killed");
  assert.ok(st.step >= 4 && st.step < 14);
  assert.ok(fs.existsSync(path.join(rootA, "k", "checkpoint.safetensors")));
  await assert.rejects(lab.train(spec), /resume: run "k" was interrupted \(killed\) at step \d+\/14; pass resume/);
  const resumed = await lab.train({ ...spec, resume: true });
  assert.equal(resumed.status.state, "finished");
  const ref = await new Lab({ root: rootB }).train(spec);
  const a = fs.readFileSync(path.join(resumed.dir, "adapter", "adapter_model.safetensors"));
  const b = fs.readFileSync(path.join(ref.dir, "adapter", "adapter_model.safetensors"));
  assert.ok(a.equals(b), "the resumed adapter is bit-identical to the uninterrupted one");
  assert.deepEqual(resumed.metrics().objects(), ref.metrics().objects(), "and its metric rows (loss windows included) are the uninterrupted ones");
});

test("an aborted training stops after its step, marked interrupted, and resumes", { timeout: 120_000 }, async () => {
  const lab = new Lab({ root: tmp("tl-abort-") });
  const ac = new AbortController();
  await assert.rejects(
    lab.train({ ...tiny, name: "x" }, { signal: ac.signal, onStep: (p) => p.step === 3 && ac.abort() }),
    (e: Error) => e.name === "KeyboardInterrupt" && /interrupted at step 3\/8/.test(e.message),
  );
  const st = lab.store.run("x").status();
  assert.deepEqual([st.state, st.reason, st.step], ["interrupted", "interrupt", 3]);
  const h = await lab.train({ ...tiny, name: "x", resume: true });
  assert.equal(h.status.step, 8);
});

test("changed or missing files are refused with the file named, never used silently", { timeout: 180_000 }, async () => {
  const root = tmp("tl-tamper-");
  const lab = new Lab({ root });
  const ac = new AbortController();
  await assert.rejects(lab.train({ ...tiny, name: "x" }, { signal: ac.signal, onStep: (p) => p.step === 3 && ac.abort() }));
  const run = lab.store.run("x");
  // A flipped bit in the checkpoint's tensors: not resumed.
  const ck = fs.readFileSync(run.checkpointFile);
  const flipped = Buffer.from(ck);
  flipped[flipped.length - 5] ^= 0x40;
  fs.writeFileSync(run.checkpointFile, flipped);
  await assert.rejects(lab.train({ ...tiny, name: "x", resume: true }), /checkpoint\.safetensors: the tensors or metadata do not match the checksum/);
  // A deleted checkpoint with resume: an error, not a silent start from step 0.
  fs.rmSync(run.checkpointFile);
  await assert.rejects(lab.train({ ...tiny, name: "x", resume: true }), /resume: run "x" has no checkpoint \(.*checkpoint\.safetensors is missing\)/);
  // Garbage in metrics.csv is named by line, not kept and written back.
  const done = await lab.train({ ...tiny, name: "y" });
  fs.appendFileSync(path.join(done.dir, "metrics.csv"), "y,seven,train,loss,1,,,5\n");
  assert.throws(() => lab.store.run("y").metrics(), /metrics\.csv:\d+: field "step" is "seven", not a number/);
  // An adapter edited after training, or loaded on another base: named errors.
  const cfgFile = path.join(done.dir, "adapter", "adapter_config.json");
  const cfg = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, lora_alpha: 1600 }));
  assert.throws(() => new Lab({ root }).adapter("y"), /adapter_config\.json has lora_alpha 1600, but run y was trained with 16/);
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, base_model_name_or_path: "shared-unified@000000000000" }));
  assert.throws(() => new Lab({ root }).adapter("y"), /was trained on base shared-unified@000000000000, but the base loaded is shared-unified@/);
  fs.writeFileSync(cfgFile, JSON.stringify({ ...cfg, r: 0 }));
  assert.throws(() => new Lab({ root }).adapter("y"), /adapter_config\.json: .*r/);
  // A flipped bit in the adapter's tensors: refused.
  const wfile = path.join(done.dir, "adapter", "adapter_model.safetensors");
  const good = fs.readFileSync(wfile);
  const bad = Buffer.from(good);
  bad[bad.length - 3] ^= 0x10;
  fs.writeFileSync(wfile, bad);
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  assert.throws(() => new Lab({ root }).adapter("y"), /adapter_model\.safetensors: the tensors do not match the checksum/);
  fs.writeFileSync(wfile, good);
  // An adapter/ beside a status that is not finished (a run that failed while finishing) is not used.
  fs.writeFileSync(cfgFile, JSON.stringify(cfg));
  assert.ok(new Lab({ root }).adapter("y"));
  lab.store.run("y").setStatus({ state: "failed", error: "ENOSPC" });
  assert.throws(() => new Lab({ root }).adapter("y"), /adapter: run y is failed at step 8\/8 \(ENOSPC\); its adapter is not final/);
  // A broken status or spec names its file (and the store lists it as a problem, not as nothing).
  fs.writeFileSync(path.join(done.dir, "status.json"), "{ broken");
  assert.throws(() => lab.store.run("y").status(), /y[\\/]status\.json: not JSON/);
  assert.match(lab.store.list().problems.join("\n"), /^y: .*status\.json: not JSON/m);
  const broken = (lab.runs().objects() as { name: string; state: string; problem: string }[]).find((r) => r.name === "y")!;
  assert.equal(broken.state, "broken");
  assert.match(broken.problem, /status\.json: not JSON/);
});

test("a full disk mid-run: the original error, no temp files, no adapter used, a clean resume", { timeout: 180_000 }, async (t) => {
  const mnt = tmp("tl-enospc-");
  // A small tmpfs is a real full disk; mounting needs root (CI runs as root), so elsewhere this skips.
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt]);
  if (m.status !== 0) return t.skip(`cannot mount a tmpfs here (${String(m.stderr).trim()})`);
  try {
    const lab = new Lab({ root: mnt });
    const fill = path.join(mnt, "filler");
    await assert.rejects(
      lab.train(
        { ...tiny, name: "full" },
        {
          onStep: (p) => {
            if (p.step === 3) fs.writeFileSync(fill, Buffer.alloc(Math.max(0, fs.statfsSync(mnt).bavail * fs.statfsSync(mnt).bsize)));
          },
        },
      ),
      /ENOSPC/,
    );
    const files = fs.readdirSync(path.join(mnt, "full"));
    assert.deepEqual(
      files.filter((f) => f.includes(".tmp-")),
      [],
      "no temp files left",
    );
    assert.throws(() => lab.adapter("full"), /adapter: run full (has no adapter yet|is (running|failed|interrupted) at step \d+\/8)/);
    fs.rmSync(fill);
    const h = await new Lab({ root: mnt }).train({ ...tiny, name: "full", resume: true });
    assert.equal(h.status.state, "finished");
    assert.equal(h.status.step, 8);
  } finally {
    spawnSync("umount", [mnt]);
  }
});

test("select best keeps the adapter of the best validation step; curves read the validation split", { timeout: 120_000 }, async () => {
  const lab = new Lab({ root: tmp("tl-select-") });
  const spec = { steps: 6, batch: 8, rank: 2, lr: 2e-2, objective: "und", evalEvery: 2, evalPrompts: 2, evalSeeds: 1, evalQuestions: 12 };
  const best = await lab.train({ ...spec, name: "best" });
  const st = best.status;
  const curve = (best.metrics().objects() as { step: number; side: string; metric: string; value: number }[]).filter(
    (r) => r.side === "und" && r.metric === "accuracy" && r.step > 0,
  );
  assert.deepEqual(
    curve.map((r) => r.step),
    [2, 4, 6],
  );
  // The kept step is the first step with the highest validation accuracy, and its adapter is adapter/.
  const top = Math.max(...curve.map((r) => r.value));
  assert.equal(st.selected_step, curve.find((r) => r.value === top)!.step);
  assert.equal(st.selected_score, top);
  const read = (dir: string) => fs.readFileSync(path.join(dir, "adapter_model.safetensors"));
  assert.deepEqual(read(path.join(best.dir, "adapter")), read(path.join(best.dir, "best")));
  // The validation curve is what the store says it is: re-evaluating the kept adapter on val gives the score.
  const ev = await lab.evaluate({ adapter: "best", side: "und", split: "val", limit: 12 });
  assert.equal(ev.sets[0]!.summary.accuracy!.estimate, top);
  const last = await lab.train({ ...spec, select: "last", name: "last" });
  assert.equal(last.status.selected_step, 6);
  // select other: the step is chosen on the side not trained (here generation's validation accuracy).
  const other = await lab.train({ ...spec, select: "other", name: "other" });
  const genCurve = (other.metrics().objects() as { step: number; side: string; metric: string; value: number }[]).filter(
    (r) => r.side === "gen" && r.metric === "accuracy" && r.step > 0,
  );
  const genTop = Math.max(...genCurve.map((r) => r.value));
  assert.equal(other.status.selected_step, genCurve.find((r) => r.value === genTop)!.step);
  assert.equal(other.status.selected_score, genTop);
});

test("two processes opening the same runs at once: each run is claimed by exactly one", { timeout: 60_000 }, async () => {
  const root = tmp("tl-race-");
  const names = Array.from({ length: 60 }, (_, i) => `r${i}`);
  const script = `const { RunStore } = require(${JSON.stringify(path.join(__dirname, "..", "src", "lab"))});
    const s = new RunStore(${JSON.stringify(root)}); const out = {};
    const start = Number(process.argv[1]); while (Date.now() < start) {}
    for (const n of ${JSON.stringify(names)}) { try { out[n] = s.open(n, { verb: "train", rank: 8 }, { steps: 5 }).action; } catch (e) { out[n] = "refused"; } }
    process.stdout.write(JSON.stringify(out));`;
  const start = String(Date.now() + 1500);
  const go = () =>
    new Promise<Record<string, string>>((resolve, reject) => {
      const p = spawn(process.execPath, ["-e", script, start]);
      let out = "";
      p.stdout.on("data", (d) => (out += d));
      p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`))));
    });
  const [a, b] = await Promise.all([go(), go()]);
  for (const n of names) {
    assert.equal([a[n], b[n]].filter((x) => x === "new").length, 1, `${n}: ${a[n]} / ${b[n]}`);
  }
  assert.ok(
    fs.readdirSync(root).every((f) => !f.endsWith(".lock")),
    "no lock left behind",
  );
});

test("force never deletes a run that another live process is training", () => {
  const root = tmp("tl-force-");
  const store = new RunStore(root);
  store.open("busy", { verb: "train", rank: 8 }, { steps: 5 });
  const sleeper = spawn("sleep", ["30"]);
  try {
    store.run("busy").setStatus({ pid: sleeper.pid! });
    assert.throws(
      () => store.open("busy", { verb: "train", rank: 4 }, { steps: 5, force: true }),
      new RegExp(`run "busy" is running in process ${sleeper.pid}; stop it \\(or wait\\) before forcing it`),
    );
    assert.equal(store.run("busy").spec()["rank"], 8, "the running run's folder is untouched");
  } finally {
    sleeper.kill();
  }
});

test("importRuns reads CSV and JSONL, and names the line and field of a bad record", () => {
  const dir = tmp("tl-import-");
  const csv = path.join(dir, "r.csv");
  fs.writeFileSync(
    csv,
    "source,model,task,train,side,metric,value,seed\nlab,m,counting,baseline,gen,accuracy,0.4,\nlab,m,counting,und,gen,accuracy,0.5,0\nlab,m,counting,gen,gen,accuracy,0.6,0\n",
  );
  const t = importRuns(csv);
  assert.equal(t.numRows(), 3);
  const s = transferStrength(t).objects() as Record<string, unknown>[];
  assert.equal(s.length, 1);
  assert.ok(Math.abs((s[0]!["strength"] as number) - 0.5) < 1e-9);
  const jsonl = path.join(dir, "r.jsonl");
  fs.writeFileSync(jsonl, '{"source":"a","model":"m","task":"counting","train":"und","side":"gen","metric":"mad","value":1.2}\n');
  assert.equal(importRuns(jsonl).numRows(), 1);
  fs.writeFileSync(jsonl, '{"source":"a","model":"m","task":"counting","train":"und","side":"both","metric":"mad","value":1.2}\n');
  assert.throws(() => importRuns(jsonl), /r\.jsonl:1: field "side" is "both"/, "JSONL errors name the file's own line");
  fs.writeFileSync(csv, "source,model,task,train,side,metric,value\nlab,m,counting,base,gen,accuracy,0.4\n");
  assert.throws(() => importRuns(csv), /r\.csv:2: field "train" is "base" \(allowed: baseline, und, gen, joint\)/);
  fs.writeFileSync(csv, "source,model,task,train,side,metric,value,colour\nlab,m,counting,und,gen,accuracy,0.4,red\n");
  assert.throws(() => importRuns(csv), /unknown field "colour"/);
  fs.writeFileSync(csv, "source,model,task,train,side,metric,value\nlab,m,counting,und,gen,accuracy,high\n");
  assert.throws(() => importRuns(csv), /field "value" is "high", not a number/);
  // Values a metric cannot take, integers that are not, unknown names, duplicate columns, null lines.
  const bad: [string, RegExp][] = [
    ["value\nlab,m,counting,und,gen,accuracy,1.7", /r\.csv:2: field "value" is 1\.7, outside the range of accuracy \(allowed: 0 to 1\)/],
    ["value\nlab,m,counting,und,gen,mad,-3", /r\.csv:2: field "value" is -3, outside the range of mad \(allowed: 0 to Infinity\)/],
    ["value,n\nlab,m,counting,und,gen,mad,1,1.5", /r\.csv:2: field "n" is 1\.5 \(allowed: integers >= 1\)/],
    ["value,rank\nlab,m,counting,und,gen,mad,1,-3", /r\.csv:2: field "rank" is -3 \(allowed: integers >= 1\)/],
    ["value\nlab,m,juggling,und,gen,mad,1", /r\.csv:2: field "task" is "juggling" \(allowed: counting, /],
    ["value\nlab,m,counting,und,gen,happiness,1", /r\.csv:2: field "metric" is "happiness" \(allowed: accuracy, /],
    ["value,lo,hi\nlab,m,counting,und,gen,mad,1,2,0.5", /r\.csv:2: fields "lo" 2 and "hi" 0\.5 are reversed/],
    ["value,value\nlab,m,counting,und,gen,mad,1,2", /r\.csv:1: column "value" appears twice in the header/],
  ];
  for (const [tail, re] of bad) {
    fs.writeFileSync(csv, `source,model,task,train,side,metric,${tail}\n`);
    assert.throws(() => importRuns(csv), re, tail);
  }
  fs.writeFileSync(jsonl, "null\n");
  assert.throws(() => importRuns(jsonl), /r\.jsonl:1: expected one JSON object per line, got null/);
});

test("the paper's Table 6 is recomputed from its Tables 1-5", () => {
  const paper = paperResults();
  const rows = paper.objects() as Record<string, unknown>[];
  const published = rows.filter((r) => r["table"] === 6);
  const inputs = paper.filter(aq.escape((d: Record<string, unknown>) => d["model"] === "Lumina-DiMOO" && [1, 2, 3, 4, 5].includes(d["table"] as number)));
  const computed = transferStrength(inputs).objects() as Record<string, unknown>[];
  assert.equal(published.length, 12);
  for (const p of published) {
    const metric = String(p["metric"]).replace("strength_", "");
    const direction = p["side"] === "gen" ? "und→gen" : "gen→und";
    const c = computed.find((r) => r["task"] === p["task"] && r["metric"] === metric && r["direction"] === direction);
    assert.ok(c, `${p["task"]} ${metric} ${direction}`);
    assert.ok(Math.abs((c!["strength"] as number) - (p["value"] as number)) < 0.001, `${p["task"]} ${metric} ${direction}: ${c!["strength"]} vs ${p["value"]}`);
  }
});

// Adding a verb is its file and a line in the list: the API method, the magic (and its aliases), the
// command with a flag per field, and spec files all come from the list, for every verb in it.
test("every verb of the list is an API method, a magic and a command with a flag per field", async () => {
  const { VERB_LIST, defineVerb, findVerb } = await import("../src/lab");
  const { registerLabMagics } = await import("../kernel/lab-magics");
  const { MagicRegistry } = await import("../kernel/magics");
  const magics = new MagicRegistry();
  registerLabMagics({ magics } as unknown as Parameters<typeof registerLabMagics>[0], new Lab({ root: tmp("tl-verbs-") }));
  const bin = path.join(__dirname, "..", "..", "bin", "transferlab.js");
  for (const v of VERB_LIST) {
    assert.equal(typeof (new Lab() as unknown as Record<string, unknown>)[v.name], "function", `lab.${v.name}`);
    for (const name of [v.name, ...(v.aliases ?? [])]) {
      assert.ok(magics.get(name), `%${name}`);
      assert.equal(findVerb(name), v, `findVerb(${name})`);
    }
    const help = spawnSync(process.execPath, [bin, "help", v.name], { encoding: "utf8" });
    assert.equal(help.status, 0, help.stderr);
    for (const f of v.fields as readonly Field[])
      assert.ok(
        help.stdout.includes(f.positional ? `<${f.name}>` : `--${f.name.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`),
        `transferlab ${v.name} lacks the flag of ${f.name}`,
      );
    assert.deepEqual(
      parseSpecFile(
        JSON.stringify({
          verb: v.name,
          ...Object.fromEntries((v.fields as readonly Field[]).filter((f) => f.required).map((f) => [f.name, f.type === "list" ? ["x"] : "x"])),
        }),
        "s.json",
      )[0]!.verb,
      v.name,
    );
  }
  // A verb defined outside the list is an ordinary object: the list is what makes it an API method.
  const extra = defineVerb({
    name: "noop",
    help: "nothing",
    fields: [{ name: "n", type: "integer", help: "a number", default: 1 }] as const,
    live: "progress",
    run: async (_l, a) => a.n + 1,
    present: () => [],
  });
  assert.equal(await extra.run(new Lab(), { n: 2 }, {}), 3);
});

test("the shipped transfer map: every condition has paired effects; the long runs' curves carry both sides of every run", async () => {
  const { readTransferMap, mapEffects, mapCurves } = await import("../src/lab");
  const m = readTransferMap();
  assert.ok(m.conditions.length >= 9 && m.conditions.every((c) => c.effects.length > 0 && c.verdict.length > 0));
  assert.ok(mapEffects(m).numRows() > 0);
  const curves = mapCurves(m).objects() as { run: string; objective: string; side: string; step: number }[];
  const runs = new Set(curves.map((r) => r.run));
  assert.equal(runs.size, 6, "3 seeds × 2 objectives");
  for (const run of runs) {
    const mine = curves.filter((r) => r.run === run);
    assert.deepEqual([...new Set(mine.map((r) => r.side))].sort(), ["gen", "und"], `${run}: both sides along training`);
    assert.equal(Math.max(...mine.map((r) => r.step)), 1500);
  }
  // The spec the map is built from (`transferlab map`) is checked in test/map-build.test.ts.
  // The studies beside the conditions: C.5's paired effects on joint accuracy and its parts; Fig. 8's
  // pooled curve over every epoch on both sides and a paired change per side and half.
  const { mapStudies, mapStudy } = await import("../src/lab");
  assert.deepEqual((mapStudies(m).objects() as { study: string }[]).map((s) => s.study).sort(), ["c5", "fig8"]);
  const c5 = mapStudy("c5", "effects", m).objects() as { metric: string; direction: string }[];
  for (const d of ["und→gen, guidance 0", "und→gen, guidance 1"])
    assert.deepEqual(
      c5.filter((e) => e.direction === d).map((e) => e.metric),
      ["joint_accuracy", "count_accuracy", "placed"],
      d,
    );
  const curve = mapStudy("fig8", "curve", m).objects() as { epoch: number; side: string; metric: string }[];
  for (const side of ["gen", "und"])
    assert.deepEqual(
      [...new Set(curve.filter((r) => r.side === side && r.metric === "accuracy").map((r) => r.epoch))].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
  const halves = (mapStudy("fig8", "effects", m).objects() as { direction: string; metric: string }[])
    .filter((e) => e.metric === "accuracy")
    .map((e) => e.direction);
  assert.deepEqual(halves.sort(), ["gen 1st half", "gen 2nd half", "und 1st half", "und 2nd half"]);
  assert.throws(() => mapStudy("fig9", "effects", m), /study: "fig9" is not in the map \(allowed: c5, fig8\)/);
});
