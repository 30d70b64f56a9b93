// `transferlab pretrain`: a reproducible pretraining run of a base model on the recipe of
// pretrain-data.ts, with a logged config, checkpoints every few minutes, exact resume, and quick
// evaluations along the way (kept as snapshots, so the shipped step can be chosen on measurements).

import * as fs from "node:fs";
import * as path from "node:path";
import { acquireLock } from "../../core/lock";
import { firstDifference } from "../../core/json-difference";
import { Schedule, cosineWithWarmup, loadCheckpoint, saveCheckpoint, writeFileAtomic } from "../../engine";
import * as U from "../../umm";
import { DEFAULT_RECIPE, Recipe, pretrainBatch } from "./data";
import { evalCountingGen, evalCountingUnd, evalSpatialGen, evalTextGen } from "../evaluation/sets";

/**
 * A pretraining run's configuration, as its config.json holds it: the model's shape (src/umm/shape.ts;
 * the positions and initialisation fields only where not their defaults, so older bases' files stay as
 * they were) and the run's schedule, batches, data and sampler.
 */
export type PretrainConfig = Pick<U.ModelShape, "arch" | "d" | "layers" | "heads" | "tied"> &
  Partial<Pick<U.ModelShape, "cellPositions" | "weightInit" | "embStd" | "plan">> & {
    seed: number;
    steps: number;
    gen: number;
    und: number;
    lr: number;
    warmup: number;
    minLr: number;
    weightDecay: number;
    clip: number;
    checkpointMinutes: number;
    evalEvery: number;
    codes: number;
    /** Sampler of the quick evaluations and of the saved model (sparse worlds need a large τ0). */
    sampler: { temperature: number; cfg: number };
    recipe: Recipe;
    /** Start from this model's weights (continued pretraining) instead of a fresh init; with it, the initialisation fields are ignored. */
    init?: string;
  };

export const DEFAULT_PRETRAIN: PretrainConfig = {
  // The shape's fields first: a run's config.json is compared as text on resume.
  arch: U.DEFAULT_MODEL.arch,
  d: U.DEFAULT_MODEL.d,
  layers: U.DEFAULT_MODEL.layers,
  heads: U.DEFAULT_MODEL.heads,
  tied: U.DEFAULT_MODEL.tied,
  seed: 0,
  steps: 3000,
  gen: 32,
  und: 32,
  lr: 1e-3,
  warmup: 100,
  minLr: 1e-4,
  weightDecay: 0.01,
  clip: 1,
  checkpointMinutes: 3,
  evalEvery: 250,
  codes: 256,
  // Guidance 0: a base that binds shape words to shapes over-fills scenes under guidance (models/README.md).
  sampler: { temperature: 1000, cfg: 0 },
  recipe: DEFAULT_RECIPE,
};

export interface QuickEval {
  step: number;
  counting_gen_acc: number;
  counting_gen_mad: number;
  counting_und_acc: number;
  counting_und_mad: number;
  spatial_gen_acc: number;
  text_gen_cer: number;
}

/** A fast look at the base along training: one seed per prompt, subsets of the understanding sets. */
export async function quickEval(model: U.UnifiedModel, step: number): Promise<QuickEval> {
  const cg = await evalCountingGen(model, { seeds: [0] });
  const cu = await evalCountingUnd(model, { limit: 200 });
  const sg = await evalSpatialGen(model, { seeds: [0] });
  const tg = await evalTextGen(model, { limit: 100 });
  return {
    step,
    counting_gen_acc: cg.summary.accuracy!.estimate,
    counting_gen_mad: cg.summary.mad!.estimate,
    counting_und_acc: cu.summary.accuracy!.estimate,
    counting_und_mad: cu.summary.mad!.estimate,
    spatial_gen_acc: sg.summary.accuracy!.estimate,
    text_gen_cer: tg.summary.cer!.estimate,
  };
}

export async function pretrain(
  dir: string,
  cfg: PretrainConfig,
  opts: { resume?: boolean; log?: (s: string) => void; stopAfterMinutes?: number; stopAt?: number; threads?: number } = {},
): Promise<{ step: number; finished: boolean }> {
  const log = opts.log ?? (() => {});
  const schedule = cosineWithWarmup(cfg.lr, cfg.warmup, cfg.steps, cfg.minLr); // validates before anything is written
  // A run may end before its schedule does (a kept snapshot of a longer schedule, as the shipped base's
  // third and fourth stages): the schedule and every batch stay those of cfg.steps.
  const stopAt = opts.stopAt ?? cfg.steps;
  if (!(Number.isInteger(stopAt) && stopAt >= 1 && stopAt <= cfg.steps))
    throw new Error(`pretrain stopAt: ${stopAt} is not allowed (allowed: integers >= 1 and <= steps = ${cfg.steps})`);
  fs.mkdirSync(dir, { recursive: true });
  // One writer per run folder: a second process on it would interleave checkpoints silently.
  const release = acquireLock(path.join(dir, ".pretrain.lock"), {
    waitMs: 0,
    held: (pid) => new Error(`pretrain: ${dir} is being trained by process ${pid}; wait for it or stop it first`),
  });
  try {
    return await pretrainHeld(dir, cfg, schedule, stopAt, opts, log);
  } finally {
    release();
  }
}

async function pretrainHeld(
  dir: string,
  cfg: PretrainConfig,
  schedule: Schedule,
  stopAt: number,
  opts: { resume?: boolean; stopAfterMinutes?: number; threads?: number },
  log: (s: string) => void,
): Promise<{ step: number; finished: boolean }> {
  const cfgFile = path.join(dir, "config.json");
  const ckpt = path.join(dir, "checkpoint.safetensors");
  if (opts.resume) {
    if (!fs.existsSync(ckpt)) throw new Error(`pretrain --resume: no checkpoint in ${dir}`);
    const field = savedConfigDifference(dir, cfg);
    if (field) throw new Error(`pretrain --resume: ${cfgFile} differs from this run's configuration (${field}); resume with the same options`);
  } else {
    if (fs.existsSync(ckpt)) throw new Error(`pretrain: ${dir} already holds a run; pass --resume to continue it or choose another --out`);
    writeFileAtomic(cfgFile, JSON.stringify(savedForm(dir, cfg), null, 2) + "\n");
  }
  const vocab = U.worldVocabulary(U.fitWorldImageTokenizer({ codes: cfg.codes, seed: cfg.seed }));
  const model = U.UnifiedModel.create(
    vocab,
    {
      arch: cfg.arch,
      d: cfg.d,
      layers: cfg.layers,
      heads: cfg.heads,
      tied: cfg.tied,
      seed: cfg.seed,
      ...(cfg.cellPositions ? { cellPositions: true } : {}),
      ...(cfg.weightInit === "gpt2" ? { weightInit: "gpt2" as const } : {}),
      ...(cfg.embStd !== undefined ? { embStd: cfg.embStd } : {}),
      ...(cfg.plan !== undefined ? { plan: cfg.plan } : {}),
    },
    opts.threads ? { threads: opts.threads } : undefined,
  );
  model.samplerTemperature = cfg.sampler.temperature;
  model.samplerCfg = cfg.sampler.cfg;
  const trainer = await model.trainer({ lr: cfg.lr, weightDecay: cfg.weightDecay, clip: cfg.clip });
  let step = 0;
  let elapsed = 0;
  if (opts.resume) {
    const meta = loadCheckpoint(ckpt, model.base, trainer.optim);
    step = Number(meta["step"]);
    elapsed = Number(meta["elapsed_s"] ?? 0);
    log(`resumed at step ${step} (${(elapsed / 60).toFixed(1)} min of training so far)`);
  } else if (cfg.init) {
    // Continued pretraining: the same tokenizers and shapes are required, checked before any copy.
    const from = U.loadModel(cfg.init);
    if (from.vocab.size !== vocab.size) throw new Error(`pretrain --init: ${cfg.init} has a vocabulary of ${from.vocab.size}, this run ${vocab.size}`);
    // Parameters this run adds (only pos.cell may be added) keep their fresh initialisation.
    const added = new Set(model.base.names().filter((n) => !from.base.has(n)));
    const unexpected = [...added].filter((n) => n !== "pos.cell");
    if (unexpected.length) throw new Error(`pretrain --init: ${cfg.init} lacks ${unexpected.join(", ")}`);
    for (const name of from.base.names())
      if (!model.base.has(name)) throw new Error(`pretrain --init: ${cfg.init} has ${name}, which this run's model has not (different options?)`);
    for (const name of model.base.names()) {
      if (added.has(name)) continue;
      const a = model.base.get(name);
      const b = from.base.get(name);
      if (a.shape.join(",") !== b.shape.join(",")) throw new Error(`pretrain --init: ${name} is [${b.shape}] in ${cfg.init}, [${a.shape}] here`);
    }
    for (const name of model.base.names()) if (!added.has(name)) model.base.set(name, Float32Array.from(from.base.get(name).data));
    log(`continuing from ${cfg.init}: ${cfg.steps} steps of ${cfg.gen} + ${cfg.und} rows${added.size ? `; new: ${[...added].join(", ")}` : ""}`);
  } else
    log(
      `pretraining ${cfg.arch}: d ${cfg.d}, ${cfg.layers} layers, ${model.base.count().toLocaleString("en")} parameters, vocabulary ${vocab.size}, ${cfg.steps} steps of ${cfg.gen} + ${cfg.und} rows`,
    );
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    log("interrupt: finishing this step and writing a checkpoint");
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const save = () => {
    saveCheckpoint(ckpt, model.base, trainer.optim, { step: String(step), elapsed_s: String(elapsed) });
    U.saveModel(path.join(dir, "model"), model, { metadata: { step: String(step) } });
  };
  const started = Date.now();
  let lastSave = Date.now();
  let window: number[] = [];
  try {
    while (step < stopAt && !interrupted) {
      const t0 = Date.now();
      const batch = pretrainBatch(cfg.seed, step, vocab, model.layout, cfg.recipe, { gen: cfg.gen, und: cfg.und }, model.tally);
      const r = await trainer.run(batch, schedule(step));
      step++;
      elapsed += (Date.now() - t0) / 1000;
      window.push(r.loss);
      if (step % 25 === 0) {
        const rec = {
          step,
          loss: window.reduce((a, b) => a + b, 0) / window.length,
          lr: schedule(step - 1),
          grad_norm: r.gradNorm,
          elapsed_s: Math.round(elapsed),
        };
        fs.appendFileSync(path.join(dir, "log.jsonl"), JSON.stringify(rec) + "\n");
        log(`step ${step}/${cfg.steps}  loss ${rec.loss.toFixed(4)}  lr ${rec.lr.toExponential(2)}  ${(elapsed / 60).toFixed(1)} min`);
        window = [];
      }
      if (step % cfg.evalEvery === 0 || step === stopAt) {
        save();
        lastSave = Date.now();
        const q = await quickEval(model, step);
        fs.appendFileSync(path.join(dir, "evals.jsonl"), JSON.stringify(q) + "\n");
        U.saveModel(path.join(dir, "snapshots", `step-${step}`), model, { metadata: { step: String(step) } });
        log(`eval @${step}: ${JSON.stringify(q)}`);
      } else if (Date.now() - lastSave > cfg.checkpointMinutes * 60_000) {
        save();
        lastSave = Date.now();
      }
      if (opts.stopAfterMinutes !== undefined && (Date.now() - started) / 60_000 >= opts.stopAfterMinutes) break;
    }
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    save();
  }
  return { step, finished: step >= stopAt };
}

/**
 * A config as its run folder records it: the model it starts from (`init`) relative to the folder, so a
 * chain's folder compares equal wherever it lies (a pack committed here, resumed in another checkout).
 * An absolute init (older folders) reads the same once made relative.
 */
export function savedForm<T extends { init?: unknown }>(dir: string, cfg: T): T {
  if (typeof cfg.init !== "string") return cfg;
  return { ...cfg, init: path.relative(path.resolve(dir), path.resolve(dir, cfg.init)).split(path.sep).join("/") };
}

/** "" when a pretraining folder's config.json holds `cfg`, else the first field that differs (see firstDifference). */
export function savedConfigDifference(dir: string, cfg: PretrainConfig): string {
  const saved = fs.readFileSync(path.join(dir, "config.json"), "utf8");
  const now = JSON.stringify(savedForm(dir, cfg), null, 2);
  if (saved.trim() === now.trim()) return "";
  return firstDifference(savedForm(dir, JSON.parse(saved) as { init?: unknown }), JSON.parse(now)) || "the file's layout";
}
