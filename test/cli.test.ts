// The command line: help, errors with allowed values, and the engine demo.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const bin = path.join(__dirname, "..", "..", "bin", "transferlab.js");
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: "utf8" });

test("help lists every command", () => {
  const r = run("help");
  assert.equal(r.status, 0);
  for (const c of ["demo", "calibrate", "pretrain", "install", "uninstall", "doctor", "probe", "generate", "eval", "featurenet", "bench engine", "help", "version"]) {
    assert.match(r.stdout, new RegExp(`transferlab ${c}`));
  }
});

test("an unknown command names the allowed ones and a near match", () => {
  const r = run("bnch");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unknown command "bnch" \(allowed: demo, calibrate, pretrain, install, uninstall, doctor, probe, generate, eval, featurenet, bench, help, version\); did you mean "bench"\?/);
});

test("bad option values are named", () => {
  assert.match(run("demo", "--steps", "0").stderr, /--steps must be a positive integer, got "0"/);
  assert.match(run("bench", "gpu").stderr, /unknown benchmark "gpu" \(allowed: engine, worlds, umm, kernel, sampler\)/);
  assert.equal(run("demo", "--stepz", "3").status, 2);
});

test("the demo trains and its loss falls", () => {
  const r = run("demo", "--steps", "40");
  assert.equal(r.status, 0, r.stderr);
  const m = r.stdout.match(/loss ([\d.]+) → ([\d.]+) in 40 steps/);
  assert.ok(m, r.stdout);
  assert.ok(Number(m![2]) < Number(m![1]) / 2, r.stdout);
});
