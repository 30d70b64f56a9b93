// Commands on a model folder: `pretrain` a base, `baseline` (every evaluation set of a model; `eval`
// is its earlier name), `sample` (images for prompts into one PNG), `calibrate` the evaluators,
// `grounding` of relation words, and the `featurenet` behind the Fréchet distance.

import { calibrate } from "../eval/calibrate";
import { FeatureNet } from "../eval/feature-net";
import { EVAL_SETS, evaluateSet } from "../lab/evaluation/sets";
import { generateImages as generateGrid, gridPng } from "../lab/evaluation/image-grids";
import { groundingLines, relationGrounding } from "../lab/diagnostics/grounding";
import { pretrain } from "../lab/pretraining/run";
import { chainPlan, packChain, readChain, runChain } from "../lab/pretraining/chain";
import { publishBase } from "../lab/pretraining/card";
import { PRETRAIN_FIELDS, pretrainConfigOf } from "../lab/pretraining/spec";
import { writeFileAtomic } from "../core/atomic";
import { kebab } from "../core/fields";
import * as T from "../tasks";
import { loadModel } from "../umm/checkpoint";
import { Command, JSON_FLAG, MODEL_FLAG, UsageError, defaultModelDir, onePositional, flagsUsage, parseFlags } from "./command";

// The run's own fields (src/lab/pretraining/spec.ts, shared with chain files' stages) and the process's.
const PRETRAIN_FLAGS = [
  ...PRETRAIN_FIELDS,
  { name: "out", type: "string", help: "the run folder (default: runs/pretrain-ARCH)" },
  { name: "resume", type: "boolean", help: "continue from the last checkpoint", default: false },
  { name: "threads", type: "integer", help: "onnxruntime threads", min: 1, max: 256 },
  { name: "stopAfterMinutes", type: "number", help: "stop (with a checkpoint) after M minutes", min: 0, max: 100000 },
] as const;

const CHAIN_FLAGS = [
  { name: "out", type: "string", help: "the folder holding one run folder per stage", required: true },
  { name: "dryRun", type: "boolean", help: "print where each stage stands and the steps left, train nothing", default: false },
  { name: "pack", type: "string", help: "train nothing; write to this folder the least that continues the chain elsewhere" },
  { name: "threads", type: "integer", help: "onnxruntime threads", min: 1, max: 256 },
  { name: "stopAfterMinutes", type: "number", help: "stop (with a checkpoint) after M minutes in all", min: 0, max: 100000 },
  JSON_FLAG,
] as const;

const PUBLISH_FLAGS = [
  { name: "out", type: "string", help: "the chain's output folder (pretrain-chain --out)", required: true },
  { name: "to", type: "string", help: "the base's folder to write (models/<family>)", required: true },
  { name: "shipped", type: "string", help: "the base whose parameter count the card compares with", default: "models/shared-unified" },
  JSON_FLAG,
] as const;

const BASELINE_FLAGS = [
  MODEL_FLAG,
  { name: "set", type: "string", help: "one evaluation set, or all", default: "all", choices: ["all", ...EVAL_SETS] as const },
  JSON_FLAG,
] as const;

const SAMPLE_FLAGS = [
  MODEL_FLAG,
  { name: "seeds", type: "list", items: "integer", help: "sampling seeds, a column each", default: [0, 1, 2, 3], max: 2 ** 31 - 1 },
  { name: "steps", type: "integer", help: "sampling steps", default: 12, min: 1, max: 64 },
  { name: "cfg", type: "number", help: "classifier-free guidance (default: the model's)", min: 0, max: 20 },
  { name: "temperature", type: "number", help: "the sampler's initial τ0 (default: the model's)", min: 0, max: 10000 },
  { name: "out", type: "string", help: "the PNG grid", required: true },
] as const;

const CALIBRATE_FLAGS = [
  JSON_FLAG,
  { name: "ocrWords", type: "integer", help: "words rendered for the OCR check", default: 250, min: 1, max: 100000 },
] as const;

const GROUNDING_FLAGS = [
  MODEL_FLAG,
  { name: "a", type: "string", help: "the first class", default: "circle", choices: T.CLASSES },
  { name: "b", type: "string", help: "the second class", default: "square", choices: T.CLASSES },
  { name: "questions", type: "integer", help: "placement questions", default: 120, min: 1, max: 100000 },
  JSON_FLAG,
] as const;

const FEATURENET_FLAGS = [
  { name: "out", type: "string", help: "where its weights and card go", default: "models/feature-net" },
  { name: "steps", type: "integer", help: "training steps", default: 400, min: 1, max: 1000000 },
  { name: "seed", type: "integer", help: "seed", default: 0, min: 0, max: 2 ** 31 - 1 },
] as const;

export const MODEL_COMMANDS: Record<string, Command> = {
  pretrain: {
    fields: PRETRAIN_FLAGS,
    usage: `transferlab pretrain ${flagsUsage(PRETRAIN_FLAGS)}`,
    summary:
      "Pretrain a base model on the worlds' mixture of understanding and generation data (recipe: src/lab/pretraining/data.ts, models/README.md). Logs the config, checkpoints every few minutes and at every quick evaluation (snapshots/step-N), resumes exactly with --resume; Ctrl-C finishes the step and keeps a checkpoint. --cfg and --sampler-temperature set the image sampler written into the model (guidance scale, initial τ0 of the confidence noise) and used by the quick evaluations. --cell-positions gives both image slots one shared learned embedding per cell, started from a row/column sinusoid (added to an --init model that lacks it). --weight-init gpt2 starts fresh linear weights at N(0, 0.02), residual projections at N(0, 0.02/√(2·layers)) (default torch: U(±1/√fan_in)). --emb-std sets the standard deviation of fresh token embeddings (default 0.02; its effect on grounding a corner word: `bench placement`, models/README.md). Both set fresh weights, so they are refused together with --init. --stop-at N ends the run at step N of the --steps schedule (the snapshot a longer run would have kept); one process trains a run folder at a time. A base's stages in one command: `pretrain-chain`.",
    run: async (argv) => {
      const { args: a } = parseFlags("pretrain", PRETRAIN_FLAGS, argv);
      const { cfg, stopAt } = pretrainConfigOf(a, { owner: "pretrain ", name: (f) => `--${kebab(f)}` });
      const out = a.out ?? `runs/pretrain-${cfg.arch}`;
      const r = await pretrain(out, cfg, {
        resume: a.resume,
        stopAt,
        log: console.log,
        ...(a.stopAfterMinutes !== undefined ? { stopAfterMinutes: a.stopAfterMinutes } : {}),
        ...(a.threads !== undefined ? { threads: a.threads } : {}),
      });
      console.log(JSON.stringify({ out, ...r }));
    },
  },
  "pretrain-chain": {
    fields: CHAIN_FLAGS,
    usage: `transferlab pretrain-chain CHAIN.yaml ${flagsUsage(CHAIN_FLAGS)}`,
    summary:
      "Pretrain a base through the stages of a chain file (YAML or JSON: `about`, `defaults`, `stages`, each stage a name and `pretrain`'s fields — recipe paths relative to the file — plus `stopAt`, the step at which a stage with a longer schedule is kept). Each stage is a `pretrain` run in OUT/<stage>, started from its predecessor's model; a finished stage is kept, an interrupted one resumes (Ctrl-C, a crash or --stop-after-minutes: run the same command again), and a stage folder holding another configuration is refused; --dry-run prints where each stage stands and the steps left. --pack DIR trains nothing and writes to DIR what a later session or another machine needs to continue exactly (each stage's config and logs, a finished stage's model, the unfinished stage's checkpoint; no snapshots: a few MB per finished stage, about 10 MB for the open one), safe beside a running chain; continue from a copy of it (cp -r DIR OUT) or from DIR itself. The shipped base is models/recipes/shared-unified.chain.yaml; the map's novelty base is novelty.chain.yaml. Prints the last stage's model folder (with --json one JSON object).",
    run: async (argv) => {
      const { args: a, positionals } = parseFlags("pretrain-chain", CHAIN_FLAGS, argv);
      const chain = readChain(onePositional("pretrain-chain", positionals, "chain file"));
      if (a.pack !== undefined) {
        if (a.dryRun) throw new UsageError("pretrain-chain: --pack and --dry-run: choose one");
        const r = packChain(chain, a.out, a.pack);
        if (a.json) console.log(JSON.stringify(r));
        else {
          for (const s of r.stages) console.log(`${s.name}: ${s.state}, step ${s.step}/${s.stopAt}`);
          console.log(
            `packed into ${a.pack} (${(r.bytes / 2 ** 20).toFixed(1)} MiB); to continue: cp -r ${a.pack} ${a.out} && transferlab pretrain-chain ${chain.file} --out ${a.out}`,
          );
        }
        return;
      }
      if (a.dryRun) {
        const plan = chainPlan(chain, a.out);
        if (a.json) console.log(JSON.stringify(plan));
        else {
          for (const s of plan.stages) console.log(`${s.name}: ${s.state}, step ${s.step}/${s.stopAt} (${s.dir})`);
          const minutes = plan.minutes_left !== undefined ? `, about ${Math.round(plan.minutes_left)} min at this machine's rate so far` : "";
          console.log(`${plan.steps_left} steps left${minutes}`);
        }
        return;
      }
      const r = await runChain(chain, a.out, {
        log: console.log,
        ...(a.threads !== undefined ? { threads: a.threads } : {}),
        ...(a.stopAfterMinutes !== undefined ? { stopAfterMinutes: a.stopAfterMinutes } : {}),
      });
      if (a.json) console.log(JSON.stringify(r));
      else if (r.finished) console.log(`chain finished: the base is ${r.model}`);
      else console.log(`chain interrupted in stage "${r.stages.at(-1)!.name}" at step ${r.stages.at(-1)!.step}; run the same command again to continue`);
    },
  },
  "publish-base": {
    fields: PUBLISH_FLAGS,
    usage: `transferlab publish-base CHAIN.yaml ${flagsUsage(PUBLISH_FLAGS)}`,
    summary:
      "Make a finished chain a base others can use: copy its last stage's model to --to and write its card there (README.md and card.json: the family and the paper's model of it, parameters beside the shipped base's, each stage's recipe, schedule, kept step and CPU time here, baselines on every evaluation set with 95% intervals — the test split, read once — and samples.png with its prompts). Refused until every stage is finished.",
    run: async (argv) => {
      const { args: a, positionals } = parseFlags("publish-base", PUBLISH_FLAGS, argv);
      const card = await publishBase(readChain(onePositional("publish-base", positionals, "chain file")), a.out, a.to, {
        shipped: a.shipped,
        log: console.log,
      });
      console.log(
        `wrote ${a.to}: the ${card.family} base (${card.params.toLocaleString("en-US")} parameters, ${card.cpu_minutes.toFixed(0)} CPU minutes) with README.md, card.json and samples.png`,
      );
      if (a.json) console.log(JSON.stringify(card));
    },
  },
  baseline: {
    fields: BASELINE_FLAGS,
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
    fields: SAMPLE_FLAGS,
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
      writeFileAtomic(a.out, await gridPng(rows));
      console.log(`wrote ${a.out}: ${positionals.length} prompts × ${rows[0]!.length} seeds`);
    },
  },
  calibrate: {
    fields: CALIBRATE_FLAGS,
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
    fields: GROUNDING_FLAGS,
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
    fields: FEATURENET_FLAGS,
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
