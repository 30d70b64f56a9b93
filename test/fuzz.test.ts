// Every parser of outside input under property-based fuzzing (bench/fuzz.ts): a named input error or a
// result, never a crash. Fixed seed and a bounded number of inputs per parser, so the suite is
// repeatable; `transferlab bench fuzz --runs N` runs more.

import { test } from "node:test";
import assert from "node:assert/strict";
import { FUZZ_TARGETS, isInputError, runFuzz } from "../bench/fuzz";

test("fuzz: every parser of outside input refuses bad input with a named error and never crashes (fixed seed)", { timeout: 300_000 }, () => {
  const counts = runFuzz({ runs: 500, seed: 20261207, log: (s) => console.log(`# ${s}`) });
  assert.equal(counts.length, FUZZ_TARGETS.length);
  for (const c of counts) assert.equal(c.inputs, 500, c.target);
  // The property can fail: a TypeError is not an input error.
  assert.equal(isInputError(new TypeError("Cannot read properties of null")), false);
  assert.equal(isInputError(Object.assign(new Error("spec.json: bad"), { name: "SpecError" })), true);
});
