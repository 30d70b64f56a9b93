// The shipped files: the base model loads fast and whole, the feature network is what its card says.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadModel, readModelCard } from "../src/umm/checkpoint";
import { FeatureNet } from "../src/eval/feature-net";

const models = path.join(__dirname, "..", "..", "models");

test("the shipped base loads in under 2 s and carries its sampler defaults", () => {
  const dir = path.join(models, "shared-unified");
  const t0 = process.hrtime.bigint();
  const m = loadModel(dir);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.ok(ms < 2000, `load took ${ms} ms`);
  const card = readModelCard(dir);
  assert.equal(card.config.arch, "shared-unified");
  assert.equal(m.base.count(), card.params);
  assert.equal(m.samplerTemperature, card.sampler!.temperature);
  const size = fs.statSync(path.join(dir, "model.safetensors")).size;
  assert.ok(size <= 20 * 1024 * 1024, `weights are ${size} bytes`);
});

test("the shipped feature network matches its card's held-out accuracy", async () => {
  const dir = path.join(models, "feature-net");
  const card = JSON.parse(fs.readFileSync(path.join(dir, "feature-net.json"), "utf8"));
  const net = FeatureNet.load(dir);
  assert.equal(await net.accuracy(1000), card.held_out_accuracy);
});
