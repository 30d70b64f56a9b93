// The command line: help, errors with allowed values, the engine demo, the counting demo and spec files.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const bin = path.join(__dirname, "..", "..", "bin", "transferlab.js");
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("help lists every command", () => {
  const r = run("help");
  assert.equal(r.status, 0);
  for (const c of [
    "demo",
    "run",
    "report",
    "execute",
    "runs",
    "calibrate",
    "pretrain",
    "pretrain-chain",
    "map",
    "install",
    "uninstall",
    "doctor",
    "probe",
    "generate",
    "sample",
    "baseline",
    "eval",
    "sharing",
    "grounding",
    "featurenet",
    "bench engine",
    "help",
    "version",
    "train",
    "evaluate",
    "transfer",
    "joint",
    "ablate",
    "compose",
    "attention",
  ]) {
    assert.match(r.stdout, new RegExp(`transferlab ${c}`));
  }
});

test("an unknown command names the allowed ones and a near match", () => {
  const r = run("bnch");
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /unknown command "bnch" \(allowed: demo, run, train, generate, evaluate, transfer, probe, joint, ablate, compose, attention, sharing, canvas, readout, patch, statement, map, sweep, import-geneval, runs, report, execute, install, uninstall, doctor, pretrain, pretrain-chain, publish-base, baseline, sample, calibrate, grounding, featurenet, eval, bench, help, version\); did you mean "bench"\?/,
  );
});

test("names of Object methods are unknown commands and verbs, not crashes", () => {
  for (const name of ["toString", "constructor", "hasOwnProperty", "__proto__"]) {
    const r = run(name);
    assert.equal(r.status, 2, name);
    assert.match(r.stderr, new RegExp(`unknown command "${name}" \\(allowed: demo, `));
    assert.match(run("help", name).stderr, new RegExp(`unknown command "${name}"`));
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-proto-"));
  const spec = path.join(dir, "spec.json");
  fs.writeFileSync(spec, JSON.stringify([{ verb: "toString" }]));
  const r = run("run", spec);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /spec\.json\[0\]\.verb: "toString" is not allowed \(allowed: train, /);
});

test("the run store: $TRANSFERLAB_RUNS is the CLI's default root; pseudo-filesystems are refused at once", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "tl-env-"));
  fs.mkdirSync(path.join(root, "r1"));
  fs.writeFileSync(path.join(root, "r1", "spec.json"), JSON.stringify({ verb: "train", task: "counting", objective: "und", rank: 8, steps: 5, key: "k" }));
  fs.writeFileSync(path.join(root, "r1", "status.json"), JSON.stringify({ state: "finished", step: 5, steps: 5, pid: 1, started: "", updated: "", wall_s: 1 }));
  const env = (v: string) =>
    spawnSync(process.execPath, [bin, "runs", "--json"], { encoding: "utf8", env: { ...process.env, TRANSFERLAB_RUNS: v }, cwd: os.tmpdir() });
  const listed = JSON.parse(env(root).stdout.trim().split("\n").pop()!) as { name: string }[];
  assert.deepEqual(
    listed.map((x) => x.name),
    ["r1"],
  );
  // An empty value means unset (./runs), not the current folder itself.
  assert.deepEqual(JSON.parse(env("").stdout.trim().split("\n").pop()!), []);
  const r = run("train", "--root", "/proc/self/runs", "--steps", "1", "--eval-every", "0");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /root: "\/proc\/self\/runs" is on a proc filesystem/);
});

test("a --json line larger than a pipe's buffer arrives whole", { timeout: 120_000 }, () => {
  const r = run("evaluate", "--side", "und", "--json", "--root", fs.mkdtempSync(path.join(os.tmpdir(), "tl-json-")));
  assert.equal(r.status, 0, r.stderr);
  const line = r.stdout.trim().split("\n").pop()!;
  assert.ok(line.length > 65536, `${line.length} bytes`);
  assert.equal(JSON.parse(line).rows.length, 540);
});

test("a failure of a file prints one line naming it; the stack only with TRANSFERLAB_DEBUG=1", () => {
  const missing = path.join(os.tmpdir(), "tl-no-such-model");
  const r = run("eval", "--model", missing, "--set", "counting-und");
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /tl-no-such-model[\\/]model\.json: cannot read the model card .* \(set TRANSFERLAB_DEBUG=1 for the stack trace\)$/);
  const d = spawnSync(process.execPath, [bin, "eval", "--model", missing], { encoding: "utf8", env: { ...process.env, TRANSFERLAB_DEBUG: "1" } });
  assert.match(d.stderr, /\n\s+at /, "the stack when asked for");
});

test("bad option values are named", () => {
  assert.match(run("demo", "--steps", "0").stderr, /demo --steps: "0" is not allowed \(allowed: integers >= 1 and <= 100000\)/);
  assert.match(run("bench", "gpu").stderr, /unknown benchmark "gpu" \(allowed: engine, worlds, umm, kernel, demo, transfer, fuzz, sampler, placement\)/);
  assert.equal(run("demo", "--stepz", "3").status, 2);
  assert.match(run("bench", "sampler", "--seeds", "7,x").stderr, /bench sampler --seeds: "x" is not allowed \(allowed: integers >= 0 and <= 2147483647\)/);
  assert.match(
    run("bench", "sampler", "--text-words", "1.5").stderr,
    /bench sampler --text-words: "1\.5" is not allowed \(allowed: integers >= 0 and <= 100000\)/,
  );
});

test("bench placement names bad options and reports one row per embedding scale", { timeout: 120_000 }, () => {
  assert.match(run("bench", "placement", "--block", "4").stderr, /bench placement --block: "4" is not allowed \(allowed: integers >= 1 and <= 3\)/);
  assert.match(
    run("bench", "placement", "--emb-stds", "0.02,0").stderr,
    /bench placement --emb-stds: "0" is not allowed \(allowed: numbers >= 0\.000001 and <= 1\)/,
  );
  assert.match(run("bench", "placement", "--d", "30", "--heads", "4").stderr, /--d 30 is not divisible by --heads 4/);
  const r = run("bench", "placement", "--d", "32", "--layers", "1", "--heads", "2", "--steps", "6", "--rows", "4", "--every", "3", "--seeds", "0");
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.deepEqual(
    rows.map((x: { embStd: number }) => x.embStd),
    [0.02, 0.1],
  );
  for (const row of rows) {
    assert.deepEqual(
      row.curve.map((c: { step: number }) => c.step),
      [3, 6],
    );
    assert.ok(
      row.curve.every((c: { loss: number; spread: number }) => Number.isFinite(c.loss) && c.spread >= 0 && c.spread < 8),
      JSON.stringify(row),
    );
    assert.equal(row.groundedAt === null || row.groundedAt === 3 || row.groundedAt === 6, true);
  }
  assert.match(r.stdout, /emb std 0\.02: grounded in [01] of 1 seeds, at steps (never|3|6)/);
});

test("the engine demo trains and its loss falls", () => {
  const r = run("demo", "--engine", "--steps", "40");
  assert.equal(r.status, 0, r.stderr);
  const m = r.stdout.match(/loss ([\d.]+) → ([\d.]+) in 40 steps/);
  assert.ok(m, r.stdout);
  assert.ok(Number(m![2]) < Number(m![1]) / 2, r.stdout);
});

test("the demo runs the counting transfer experiment and writes a self-contained HTML summary", { timeout: 300_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-demo-"));
  const out = path.join(dir, "demo.html");
  const r = run("demo", "--task", "counting", "--steps", "4", "--limit", "6", "--root", path.join(dir, "runs"), "--out", out, "--json");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /\[1(–2)?\/4\] training through understanding/);
  assert.match(r.stdout, /\[3\/4\] the protocol/);
  assert.match(
    r.stdout,
    /\|direction\|metric\|baseline\|transfer\|direct\|strength\|lo\|hi\|note\|/,
    "the terminal's strength table says when a ratio is not a share",
  );
  assert.match(r.stdout, /paired effects \(tuned − base\)\n\|direction\|metric\|base\|tuned\|delta\|lo\|hi\|verdict\|mde\|/);
  const last = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.equal(last.out, out);
  assert.ok(last.strength.some((s: { direction: string }) => s.direction === "und→gen"));
  assert.ok(last.effects.some((e: { direction: string }) => e.direction === "gen→gen"));
  const html = fs.readFileSync(out, "utf8");
  for (const heading of ["Training curves", "Transfer strength (Table 6)", "Distribution shift (Table 11)", "Generated images"])
    assert.ok(html.includes(heading), heading);
  assert.match(html, /data:image\/png;base64,/);
  assert.equal((html.match(/Plotly\.newPlot/g) ?? []).length, 6, "two training curves, paired effects, strength, distribution shift, the image grid");
  assert.ok(html.includes("Paired effects against the base"));
  // The page opens with the result in words, its intervals and the paper's number beside it.
  assert.match(
    html,
    /What this page shows: .*und→gen.*\[[−+]\d\.\d{3}, [−+]\d\.\d{3}\].*the paper's Lumina-DiMOO: \d\.\d\d.*1 training seed per objective — a first look; use --seeds 3/,
  );
  // The runs it made are in the store, finished, with PEFT adapters; the protocol reused them, each
  // objective on its own data (generation on the evaluation's form).
  // The store's runs (a dot-folder holds the training workers' specs and logs).
  const runs = fs.readdirSync(path.join(dir, "runs")).filter((n) => !n.startsWith("."));
  assert.equal(runs.length, 2);
  for (const name of runs) assert.equal(JSON.parse(fs.readFileSync(path.join(dir, "runs", name, "status.json"), "utf8")).state, "finished");
  const specs = runs.map((name) => JSON.parse(fs.readFileSync(path.join(dir, "runs", name, "spec.json"), "utf8")));
  const gen = specs.find((s) => s.objective === "gen");
  assert.deepEqual([gen.counts, gen.plain], ["eval", 1]);
});

test("run executes a spec file; bad specs name the field", { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-run-"));
  const spec = path.join(dir, "spec.json");
  fs.writeFileSync(
    spec,
    JSON.stringify([
      { verb: "train", steps: 3, batch: 8, rank: 2, evalEvery: 0, name: "s1" },
      { verb: "evaluate", adapter: "s1", side: "und", limit: 6 },
    ]),
  );
  const r = run("run", spec, "--root", path.join(dir, "runs"), "--json");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.equal(out[0].run, "s1");
  assert.equal(out[1].verb, "evaluate");
  assert.ok(out[1].table.some((row: { metric: string }) => row.metric === "accuracy"));
  fs.writeFileSync(spec, JSON.stringify({ verb: "train", rank: "big" }));
  const bad = run("run", spec);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /train\.rank: "big" is not allowed \(allowed: integers >= 1 and <= 128\)/);
});

test("pretrain refuses a bad --weight-init before touching the output folder", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-pre-"));
  const r = run("pretrain", "--arch", "shared-unified", "--out", path.join(dir, "run"), "--weight-init", "xavier");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--weight-init: "xavier" is not allowed \(allowed: torch, gpt2\)/);
  assert.equal(fs.existsSync(path.join(dir, "run")), false);
});

test("pretrain refuses a bad --emb-std before touching the output folder", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-pre-"));
  const r = run("pretrain", "--arch", "shared-unified", "--out", path.join(dir, "run"), "--emb-std", "0");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /pretrain --emb-std: "0" is not allowed \(allowed: numbers >= 0\.000001 and <= 1\)/);
  assert.equal(fs.existsSync(path.join(dir, "run")), false);
  const both = run("pretrain", "--arch", "shared-unified", "--out", path.join(dir, "run"), "--init", dir, "--emb-std", "0.1");
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--init: --emb-std sets fresh weights, but --init starts from ".*"'s weights; drop one of them/);
  assert.equal(fs.existsSync(path.join(dir, "run")), false);
});

test("grounding names bad classes and prints one JSON report", { timeout: 60_000 }, () => {
  const bad = run("grounding", "--a", "hexagon");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--a: "hexagon" is not allowed \(allowed: circle, square, triangle, cross, ring, diamond\)/);
  const r = run("grounding", "--questions", "8", "--json");
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
  assert.deepEqual(
    out.spatial.map((s: { relation: string }) => s.relation),
    ["top-left", "top-right", "bottom-left", "bottom-right"],
  );
  assert.equal(out.placementUnd.n, 8);
  assert.match(r.stdout, /largest logit change: relation word only [\d.]+, A's class word only [\d.]+/);
});

test("sample draws with the model's own guidance unless --cfg is given", { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-gen-"));
  const model = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "models", "shared-unified", "model.json"), "utf8"));
  const own = String(model.sampler.cfg);
  const other = String(model.sampler.cfg + 2);
  const png = (name: string, ...extra: string[]) => {
    const r = run("sample", "a photo of five rings", "--seeds", "0,1", "--out", path.join(dir, name), ...extra);
    assert.equal(r.status, 0, r.stderr);
    return fs.readFileSync(path.join(dir, name));
  };
  const byDefault = png("default.png");
  assert.deepEqual(byDefault, png("own.png", "--cfg", own));
  assert.notDeepEqual(byDefault, png("other.png", "--cfg", other));
  assert.match(
    run("sample", "a photo of five rings", "--cfg", "25", "--out", path.join(dir, "x.png")).stderr,
    /sample --cfg: "25" is not allowed \(allowed: numbers >= 0 and <= 20\)/,
  );
});

test("a verb command names a misspelt flag, the allowed ones and the near one", () => {
  const r = run("train", "--rnk", "3");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /train: unknown option --rnk \(allowed: .*--rank.*\); did you mean "--rank"\?/);
});

test("generate is the verb of %generate: the grid PNG with --out, figures and tables with --html", { timeout: 120_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-genverb-"));
  const r = run(
    "generate",
    "a photo of three circles",
    "--seeds",
    "2",
    "--steps",
    "4",
    "--out",
    path.join(dir, "g.png"),
    "--html",
    path.join(dir, "g.html"),
    "--root",
    dir,
    "--json",
  );
  assert.equal(r.status, 0, r.stderr);
  const png = fs.readFileSync(path.join(dir, "g.png"));
  assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
  assert.match(fs.readFileSync(path.join(dir, "g.html"), "utf8"), /Generated images \(caption: detected of asked, \d\/2 correct\)/);
  assert.equal(JSON.parse(r.stdout.trim().split("\n").pop()!).png, path.join(dir, "g.png"));
});

test("doctor exits non-zero when a check fails", () => {
  // An empty Jupyter data folder and a PATH without jupyter: the kernelspec and jupyter checks fail.
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "tl-doctor-"));
  const env = { ...process.env, JUPYTER_DATA_DIR: path.join(home, "data"), JUPYTER_PATH: "", HOME: home, PATH: path.dirname(process.execPath) };
  const r = spawnSync(process.execPath, [bin, "doctor"], { encoding: "utf8", env });
  const report = JSON.parse(r.stdout.trim().split("\n").pop()!) as { ok: boolean; checks: { name: string; ok: boolean }[] };
  assert.equal(report.ok, false);
  assert.ok(report.checks.some((c) => c.name === "kernelspec" && !c.ok));
  assert.equal(r.status, 1, "a failed check is a failed command");
  assert.doesNotMatch(r.stdout, /apt-get install[^\n]*jupyterlab-widgets/, "no Debian package that does not exist is suggested");
});
