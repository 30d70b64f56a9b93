// One home for a training field and for a model's shape: every verb that trains reads the training
// fields from src/lab/training/spec.ts (same range, same default, same error), the runs a multi-run verb starts get
// every field it was given, and the model, pretraining's flags and its defaults read one shape list.

import { test } from "node:test";
import assert from "node:assert/strict";
import { VERBS, validateSpec } from "../src/lab";
import { validateFields } from "../src/core/fields";
import { TRAINING_KNOBS, TRAIN_SPEC_FIELDS, checkSpec } from "../src/lab/training/spec";
import { runFieldsOf } from "../src/lab/verbs/fields";
import { PRETRAIN_FIELDS } from "../src/lab/pretraining/spec";
import { DEFAULT_PRETRAIN } from "../src/lab/pretraining/run";
import * as U from "../src/umm";

const errorOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
};

test("every verb that trains takes each training field from its one home, range and default included", () => {
  // A verb may leave out a field it sets itself (ablate's ranks, joint's epochs × steps per epoch).
  const leftOut: Record<string, string[]> = { ablate: ["rank"], joint: ["steps"] };
  for (const verb of ["train", "transfer", "ablate", "compose", "joint"] as const) {
    const fields = VERBS[verb].fields as readonly { name: string }[];
    for (const knob of TRAINING_KNOBS) {
      if (leftOut[verb]?.includes(knob.name)) continue;
      assert.equal(
        fields.find((f) => f.name === knob.name),
        knob,
        `${verb}.${knob.name} is not train-spec's field`,
      );
    }
  }
  // The training loop's check and the verb's are one check: the same message for the same bad value.
  for (const [field, bad] of [
    ["rank", 0],
    ["rank", 129],
    ["lr", 3],
    ["batch", 1],
    ["alpha", 0],
    ["steps", 0],
    ["plain", 1.5],
    ["counts", "many"],
    ["seed", -1],
  ] as const) {
    const fromVerb = errorOf(() => validateSpec("train", { [field]: bad }));
    assert.match(fromVerb, new RegExp(`^train\\.${field}: `));
    assert.equal(
      errorOf(() => checkSpec({ [field]: bad })),
      fromVerb,
      field,
    );
  }
  // A rank a LoRA layer refuses is one train refuses: one bound.
  const rank = TRAINING_KNOBS.find((f) => f.name === "rank")!;
  assert.equal(rank.max, U.MAX_LORA_RANK);
  assert.throws(
    () => U.checkLora({ r: U.MAX_LORA_RANK + 1, alpha: 1, dropout: 0, targetModules: ["q"] }),
    /lora\.r: 129 is not allowed \(allowed: integers 1\.\.128\)/,
  );
  assert.throws(() => validateSpec("ablate", { ranks: "2,200" }), /ablate\.ranks: "200" is not allowed \(allowed: integers >= 1 and <= 128\)/);
});

test("checkSpec fills the verb's defaults; a multi-run verb's runs get every training field it was given", () => {
  const spec = checkSpec({});
  for (const f of TRAIN_SPEC_FIELDS) assert.equal(spec[f.name], "default" in f ? f.default : undefined, f.name);
  assert.equal(checkSpec({ objective: "gen" }).objective, "gen");
  // Non-default values of every training field survive the hand-over to `train`.
  const given: Record<string, unknown> = {
    rank: 4,
    alpha: 3,
    steps: 7,
    lr: 1e-3,
    batch: 6,
    captions: "target-only",
    counts: "eval",
    plain: 0.25,
    questions: "choice",
    dataSeed: "shared",
    valPrompts: "overlap",
    select: "other",
  };
  const transferArgs = validateSpec("transfer", given);
  const runArgs: Record<string, unknown> = validateSpec("train", { ...runFieldsOf(transferArgs), task: "counting", objective: "und" });
  for (const [k, v] of Object.entries(given)) assert.equal(runArgs[k], v, k);
});

test("a model's shape is declared once: the model's defaults, pretraining's flags and its defaults agree", () => {
  const vocab = U.worldVocabulary(U.fitWorldImageTokenizer({ codes: 16, seed: 0 }));
  const m = U.UnifiedModel.create(vocab, { layers: 1, d: 16, heads: 2 });
  assert.deepEqual(
    { arch: m.config.arch, mlpRatio: m.config.mlpRatio, tied: m.config.tied, d: m.config.d },
    { arch: U.DEFAULT_MODEL.arch, mlpRatio: U.DEFAULT_MODEL.mlpRatio, tied: U.DEFAULT_MODEL.tied, d: 16 },
  );
  // Defaults are left out of the saved config (older bases' files stay byte for byte).
  assert.equal("embStd" in m.config, false);
  assert.equal("weightInit" in m.config, false);
  for (const f of PRETRAIN_FIELDS) {
    const shape = U.MODEL_SHAPE_FIELDS.find((s) => s.name === f.name);
    if (shape) assert.equal(f, shape, `pretrain.${f.name} is not the model's shape field`);
  }
  for (const k of ["arch", "d", "layers", "heads", "tied"] as const) assert.equal(DEFAULT_PRETRAIN[k], U.DEFAULT_MODEL[k], k);
  // The shape's ranges bound pretraining's flags and chain files.
  assert.throws(() => validateFields("pretrain", PRETRAIN_FIELDS, { d: 5000 }), /pretrain\.d: 5000 is not allowed \(allowed: integers >= 1 and <= 4096\)/);
});
