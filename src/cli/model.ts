// Commands on a model folder: `pretrain` a base, `baseline` (every evaluation set of a model; `eval`
// is its earlier name), `sample` (images for prompts into one PNG), `calibrate` the evaluators,
// `grounding` of relation words, and the `featurenet` behind the Fréchet distance.

import * as nodeFs from "node:fs";
import * as nodePath from "node:path";
import { parseArgs } from "node:util";
import { calibrate } from "../eval/calibrate";
import { FeatureNet } from "../eval/feature-net";
import { EVAL_SETS, evaluateSet } from "../lab/evaluate";
import { generateImages as generateGrid, gridPng } from "../lab/generate";
import { groundingLines, relationGrounding } from "../lab/grounding";
import { DEFAULT_PRETRAIN, pretrain } from "../lab/pretrain";
import * as T from "../tasks";
import { architectureNames } from "../umm/arch";
import { loadModel } from "../umm/checkpoint";
import { Command, UsageError, defaultModelDir, flagsUsage, guidanceOption, parseFlags, positiveInt, recipeFromFile, weightInitOption } from "./command";

const BASELINE_FLAGS = [
  { name: "model", type: "string", help: "the model folder (default: the shipped base)" },
  { name: "set", type: "string", help: "one evaluation set, or all", default: "all", choices: ["all", ...EVAL_SETS] as const },
  { name: "json", type: "boolean", help: "end with one JSON object", default: false },
] as const;

const SAMPLE_FLAGS = [
  { name: "model", type: "string", help: "the model folder (default: the shipped base)" },
  { name: "seeds", type: "list", items: "integer", help: "sampling seeds, a column each", default: [0, 1, 2, 3] },
  { name: "steps", type: "integer", help: "sampling steps", default: 12, min: 1, max: 64 },
  { name: "cfg", type: "number", help: "classifier-free guidance (default: the model's)", min: 0, max: 20 },
  { name: "temperature", type: "number", help: "the sampler's initial τ0 (default: the model's)", min: 0, max: 10000 },
  { name: "out", type: "string", help: "the PNG grid", required: true },
] as const;

const CALIBRATE_FLAGS = [
  { name: "json", type: "boolean", help: "end with one JSON object", default: false },
  { name: "ocrWords", type: "integer", help: "words rendered for the OCR check", default: 250, min: 1 },
] as const;

const GROUNDING_FLAGS = [
  { name: "model", type: "string", help: "the model folder (default: the shipped base)" },
  { name: "a", type: "string", help: "the first class", default: "circle", choices: T.CLASSES },
  { name: "b", type: "string", help: "the second class", default: "square", choices: T.CLASSES },
  { name: "questions", type: "integer", help: "placement questions", default: 120, min: 1 },
  { name: "json", type: "boolean", help: "end with one JSON object", default: false },
] as const;

const FEATURENET_FLAGS = [
  { name: "out", type: "string", help: "where its weights and card go", default: "models/feature-net" },
  { name: "steps", type: "integer", help: "training steps", default: 400, min: 1 },
  { name: "seed", type: "integer", help: "seed", default: 0, min: 0 },
] as const;

export const MODEL_COMMANDS: Record<string, Command> = {
  pretrain: {
    usage:
      "transferlab pretrain --arch shared-unified [--resume] [--out DIR] [--steps 3000] [--gen-rows 32] [--und-rows 32] [--lr 1e-3] [--d 128] [--layers 4] [--heads 4] [--seed 0] [--eval-every 250] [--min-lr 1e-4] [--recipe FILE.json] [--init MODEL_DIR] [--threads N] [--stop-after-minutes M] [--cfg 0] [--sampler-temperature 1000] [--cell-positions] [--weight-init torch|gpt2] [--emb-std 0.02]",
    summary:
      "Pretrain a base model on the worlds' mixture of understanding and generation data (recipe: src/lab/pretrain-data.ts, models/README.md). Logs the config, checkpoints every few minutes and at every quick evaluation (snapshots/step-N), resumes exactly with --resume; Ctrl-C finishes the step and keeps a checkpoint. --cfg and --sampler-temperature set the image sampler written into the model (guidance scale, initial τ0 of the confidence noise) and used by the quick evaluations. --cell-positions gives both image slots one shared learned embedding per cell, started from a row/column sinusoid (added to an --init model that lacks it). --weight-init gpt2 starts fresh linear weights at N(0, 0.02), residual projections at N(0, 0.02/√(2·layers)) (default torch: U(±1/√fan_in)). --emb-std sets the standard deviation of fresh token embeddings (default 0.02; its effect on grounding a corner word: `bench placement`, models/README.md). Both set fresh weights, so they are refused together with --init.",
    run: async (argv) => {
      const { values } = parseArgs({
        args: argv,
        options: {
          arch: { type: "string", default: "shared-unified" },
          resume: { type: "boolean", default: false },
          out: { type: "string" },
          steps: { type: "string", default: String(DEFAULT_PRETRAIN.steps) },
          d: { type: "string", default: String(DEFAULT_PRETRAIN.d) },
          layers: { type: "string", default: String(DEFAULT_PRETRAIN.layers) },
          heads: { type: "string", default: String(DEFAULT_PRETRAIN.heads) },
          seed: { type: "string", default: "0" },
          "eval-every": { type: "string", default: String(DEFAULT_PRETRAIN.evalEvery) },
          "gen-rows": { type: "string", default: String(DEFAULT_PRETRAIN.gen) },
          "und-rows": { type: "string", default: String(DEFAULT_PRETRAIN.und) },
          lr: { type: "string", default: String(DEFAULT_PRETRAIN.lr) },
          "min-lr": { type: "string", default: String(DEFAULT_PRETRAIN.minLr) },
          recipe: { type: "string" },
          init: { type: "string" },
          threads: { type: "string" },
          "stop-after-minutes": { type: "string" },
          cfg: { type: "string", default: String(DEFAULT_PRETRAIN.sampler.cfg) },
          "cell-positions": { type: "boolean", default: false },
          "sampler-temperature": { type: "string", default: String(DEFAULT_PRETRAIN.sampler.temperature) },
          "weight-init": { type: "string", default: "torch" },
          "emb-std": { type: "string", default: "0.02" },
        },
      });
      if (!architectureNames().includes(values.arch!))
        throw new UsageError(`--arch: ${JSON.stringify(values.arch)} is not allowed (allowed: ${architectureNames().join(", ")})`);
      const weightInit = weightInitOption(values["weight-init"]);
      const embStd = Number(values["emb-std"]);
      if (!(embStd > 0 && embStd <= 1)) throw new UsageError(`--emb-std must be a number in (0, 1], got ${JSON.stringify(values["emb-std"])}`);
      const cfg = {
        ...DEFAULT_PRETRAIN,
        arch: values.arch!,
        steps: positiveInt("--steps", values.steps!),
        d: positiveInt("--d", values.d!),
        layers: positiveInt("--layers", values.layers!),
        heads: positiveInt("--heads", values.heads!),
        seed: positiveInt("--seed", values.seed!, true),
        evalEvery: positiveInt("--eval-every", values["eval-every"]!),
        gen: positiveInt("--gen-rows", values["gen-rows"]!),
        und: positiveInt("--und-rows", values["und-rows"]!),
        lr: Number(values.lr),
        minLr: Number(values["min-lr"]),
        recipe: values.recipe ? recipeFromFile(values.recipe) : DEFAULT_PRETRAIN.recipe,
        ...(values.init ? { init: nodePath.resolve(values.init) } : {}),
        sampler: { temperature: Number(values["sampler-temperature"]), cfg: guidanceOption(values.cfg!) },
        ...(values["cell-positions"] ? { cellPositions: true } : {}),
        ...(weightInit === "gpt2" ? { weightInit } : {}),
        ...(embStd !== 0.02 ? { embStd } : {}),
      };
      if (values.init && (cfg.embStd !== undefined || cfg.weightInit !== undefined))
        throw new UsageError(
          `--init: ${cfg.weightInit ? "--weight-init" : "--emb-std"} sets fresh weights, but --init starts from ${JSON.stringify(values.init)}'s weights; drop one of them`,
        );
      if (!(cfg.sampler.temperature >= 0 && cfg.sampler.temperature <= 1e4))
        throw new UsageError(`--sampler-temperature must be a number in [0, 10000], got ${JSON.stringify(values["sampler-temperature"])}`);
      if (!(cfg.lr > 0 && cfg.lr < 1)) throw new UsageError(`--lr must be a number in (0, 1), got ${JSON.stringify(values.lr)}`);
      if (!(cfg.minLr > 0 && cfg.minLr <= cfg.lr)) throw new UsageError(`--min-lr must be a number in (0, --lr], got ${JSON.stringify(values["min-lr"])}`);
      cfg.warmup = Math.min(cfg.warmup, Math.floor(cfg.steps / 10));
      const out = values.out ?? `runs/pretrain-${cfg.arch}`;
      const r = await pretrain(out, cfg, {
        resume: values.resume!,
        log: console.log,
        ...(values["stop-after-minutes"] ? { stopAfterMinutes: Number(values["stop-after-minutes"]) } : {}),
        ...(values.threads ? { threads: positiveInt("--threads", values.threads) } : {}),
      });
      console.log(JSON.stringify({ out, ...r }));
    },
  },
  baseline: {
    usage: `transferlab baseline ${flagsUsage(BASELINE_FLAGS)}`,
    summary:
      "Evaluate a model folder (default: the shipped base) on every evaluation set of the worlds with the shipped evaluators (the model card's baselines; `transferlab eval` is its earlier name, and `evaluate` the verb for one task of the base or an adapter); metrics with bootstrap 95% intervals. With --json the last line is one JSON object.",
    run: async (argv) => {
      const { args: a } = parseFlags("baseline", BASELINE_FLAGS, argv);
      const sets = a.set === "all" ? [...EVAL_SETS] : [a.set];
      const model = loadModel(a.model ?? defaultModelDir());
      const out: Record<string, unknown> = {};
      for (const s of sets) {
        const t0 = Date.now();
        const r = await evaluateSet(model, s);
        out[s] = r.summary;
        console.log(`${s}: ${JSON.stringify(r.summary)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
      if (a.json) console.log(JSON.stringify(out));
    },
  },
  sample: {
    usage: `transferlab sample "a photo of five circles" ["PROMPT" …] ${flagsUsage(SAMPLE_FLAGS)}`,
    summary:
      "Sample a model folder's images for prompts (the pretraining view: any model folder, a seed list, --temperature; `generate` is the verb on the base and adapters) (a row each, a column per seed) and write them as one PNG grid. A prompt ending in \"The text reads: WORD\" makes a word strip. --cfg (guidance scale) and --temperature (τ0) default to the model's sampler (model.json; the shipped base: guidance 0, τ0 1000).",
    run: async (argv) => {
      const { args: a, positionals } = parseFlags("sample", SAMPLE_FLAGS, argv);
      if (positionals.length === 0) throw new UsageError('sample: give at least one prompt, e.g. "a photo of five circles"');
      const model = loadModel(a.model ?? defaultModelDir());
      const rows = await generateGrid(model, positionals, {
        seeds: a.seeds,
        steps: a.steps,
        ...(a.cfg !== undefined ? { cfg: a.cfg } : {}),
        ...(a.temperature !== undefined ? { temperature: a.temperature } : {}),
      });
      nodeFs.writeFileSync(a.out, await gridPng(rows));
      console.log(`wrote ${a.out}: ${positionals.length} prompts × ${rows[0]!.length} seeds`);
    },
  },
  calibrate: {
    usage: `transferlab calibrate ${flagsUsage(CALIBRATE_FLAGS)}`,
    summary:
      "Run the detector, the GenEval-style verdicts and OCR on clean renders of every evaluation set and print how often they are right; with --json the last line is one JSON object (detector_count_acc, detector_class_acc, spatial_acc, ocr_word_acc, …).",
    run: async (argv) => {
      const { args: a } = parseFlags("calibrate", CALIBRATE_FLAGS, argv);
      const r = await calibrate({ log: console.log, ocrWords: a.ocrWords });
      const targets: [string, number, number][] = [
        ["detector_count_acc", r.detector_count_acc, 0.99],
        ["detector_class_acc", r.detector_class_acc, 0.99],
        ["spatial_acc", r.spatial_acc, 0.99],
        ["ocr_word_acc", r.ocr_word_acc, 0.95],
      ];
      for (const [k, v, t] of targets) console.log(`${k.padEnd(20)} ${v.toFixed(4)}  (target >= ${t}: ${v >= t ? "met" : "NOT met"})`);
      if (a.json) console.log(JSON.stringify(r));
    },
  },
  grounding: {
    usage: `transferlab grounding ${flagsUsage(GROUNDING_FLAGS)}`,
    summary:
      "Does the model ground relation words? Where the first sampling step puts each named class's mass for the four relations (spatial prompts and one-object placement captions), the largest logit change from the relation word against a class word, image positions' attention to the relation word, and placement understanding. With --json the last line is one JSON object.",
    run: async (argv) => {
      const { args: a } = parseFlags("grounding", GROUNDING_FLAGS, argv);
      if (a.a === a.b) throw new UsageError(`grounding: --a and --b must be different classes (both ${JSON.stringify(a.a)})`);
      const model = loadModel(a.model ?? defaultModelDir());
      const r = await relationGrounding(model, { a: a.a, b: a.b, questions: a.questions });
      for (const line of groundingLines(r)) console.log(line);
      if (a.json) console.log(JSON.stringify(r));
    },
  },
  featurenet: {
    usage: `transferlab featurenet ${flagsUsage(FEATURENET_FLAGS)}`,
    summary:
      "Train the feature network behind Fréchet distance and the Inception-style score (a small classifier of rendered counting scenes: 6 shapes × 4 count bands) and write its weights and card; prints its held-out accuracy.",
    run: async (argv) => {
      const { args: a } = parseFlags("featurenet", FEATURENET_FLAGS, argv);
      const t0 = Date.now();
      const { net, heldOutAccuracy } = await FeatureNet.train({ steps: a.steps, seed: a.seed, log: console.log });
      const card = {
        steps: a.steps,
        batch: 128,
        seed: a.seed,
        held_out_accuracy: heldOutAccuracy,
        held_out_scenes: 1000,
        classes: "6 shapes × 4 count bands (1-2, 3-4, 5-7, 8-10)",
        features: 64,
        wall_s: (Date.now() - t0) / 1000,
      };
      net.save(a.out, card);
      console.log(JSON.stringify(card));
    },
  },
};

// `eval` kept for scripts and the model card's commands: the same command as `baseline`.
MODEL_COMMANDS["eval"] = {
  ...MODEL_COMMANDS["baseline"]!,
  usage: MODEL_COMMANDS["baseline"]!.usage.replace("transferlab baseline", "transferlab eval"),
  summary: "The earlier name of `transferlab baseline`.",
};
