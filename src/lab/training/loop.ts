// LoRA fine-tuning of a base on one task through one objective: understanding (VQA), generation
// (text-to-image) or both (joint). Understanding and generation samples come from the same images.

import { Rng } from "../../core/rng";
import { timed } from "../timing";
import * as T from "../../tasks";
import * as U from "../../umm";
import { loadCheckpoint, readSafetensors, saveCheckpoint, verifyCheckpoint } from "../../engine";
import { PoolData, Protocol, TrainTask, World, world } from "../worlds";
import { checkSpec, specProtocol, TrainSpec } from "./spec";
import { specKey } from "../store/run-store";

export { OBJECTIVES, checkSpec } from "./spec";
export type { Objective, TrainSpec } from "./spec";
/** Every world's task ("compose" is appendix C.5's mixture: counting and spatial pairs, half each). */
export { TRAIN_TASKS } from "../worlds";
export type { TrainTask } from "../worlds";

export interface TrainProgress {
  step: number;
  loss: number;
}

export interface EncodedPool {
  gen: U.GenItem[];
  und: U.UndItem[];
}

const pools = new WeakMap<U.Vocabulary, Map<string, EncodedPool>>();

export type { PoolData };

/** The data fields of a spec, defaults left out (so old specs keep their pool and their key). */
export function poolData(s: PoolData): PoolData {
  return {
    ...(s.captions ? { captions: s.captions } : {}),
    ...(s.counts ? { counts: s.counts } : {}),
    ...(s.plain ? { plain: s.plain } : {}),
    ...(s.questions && s.questions !== "how-many" ? { questions: s.questions } : {}),
  };
}

/** A world's training pairs as token ids: the prompt and image of generation, the image, question and answer of understanding. */
export function encodePairs(vocab: U.Vocabulary, { pairs, spell }: ReturnType<NonNullable<World["pairs"]>>): EncodedPool {
  return {
    gen: pairs.map((p) => ({
      prompt: vocab.textIds(p.gen.prompt, spell(p)),
      image: vocab.imageIds(vocab.image.encode(p.gen.image)),
      ...(p.gen.objects && (p.gen.truth as T.CountingTruth | undefined)?.kind === "counting"
        ? { tally: U.countingTally(vocab, p.gen.truth as T.CountingTruth, p.gen.objects, T.DEFAULT_WORLD.grid) }
        : {}),
    })),
    und: pairs.map((p) => ({
      image: vocab.imageIds(vocab.image.encode(p.und.image)),
      question: vocab.textIds(p.und.question, p.und.spell ?? []),
      answer: vocab.textIds(p.und.answer, spell(p)),
    })),
  };
}

/**
 * The task's training pairs, tokenized; cached per vocabulary. The protocol decides the data seed (the
 * run's, or 0 for every run) and whether validation items a world draws from its pool are held out.
 */
export function trainingPool(vocab: U.Vocabulary, task: TrainTask, size = 2000, data: PoolData = {}, runSeed = 0, protocol?: Protocol): EncodedPool {
  let byTask = pools.get(vocab);
  if (!byTask) pools.set(vocab, (byTask = new Map()));
  const w = world(task);
  const p = protocol ?? specProtocol(task, {});
  const seed = p.dataSeed === "per-run" ? runSeed : 0;
  const heldOut = p.valPrompts === "disjoint";
  const key = `${task}:${size}:${data.captions ?? "target-only"}:${data.counts ?? "uniform"}:${data.plain ?? 0}:${data.questions ?? "how-many"}:${seed}:${heldOut}`;
  let pool = byTask.get(key);
  if (!pool && w.mixture) {
    // The first part keeps the counting data fields (the mixture's counting half is drawn like counting's).
    const a = trainingPool(vocab, w.mixture[0] as TrainTask, Math.ceil(size / 2), data, runSeed, p);
    const b = trainingPool(vocab, w.mixture[1] as TrainTask, Math.floor(size / 2), {}, runSeed, p);
    pool = { gen: [...a.gen, ...b.gen], und: [...a.und, ...b.und] };
    byTask.set(key, pool);
  }
  if (!pool) {
    if (!w.pairs) throw new T.TaskError(`task ${task}: the world has no training pairs`);
    pool = encodePairs(vocab, w.pairs(size, poolData(data), seed, heldOut));
    byTask.set(key, pool);
  }
  return pool;
}

/**
 * One adapter's training, a step at a time, with an exact checkpoint: the adapter's factors, AdamW's
 * moments and the batch sampler's state, so a resumed run sees the batches an uninterrupted one would.
 */
export class AdapterTraining {
  step = 0;
  private constructor(
    readonly model: U.UnifiedModel,
    readonly spec: TrainSpec,
    readonly adapter: U.Adapter,
    readonly trainer: U.Trainer,
    private readonly pool: EncodedPool,
    private readonly rng: Rng,
  ) {}

  /** `pool` trains on given encoded pairs instead of the spec's world's (a world outside the list, a test). */
  static async start(model: U.UnifiedModel, given: Partial<TrainSpec>, pool?: EncodedPool): Promise<AdapterTraining> {
    const spec = checkSpec(given, pool !== undefined);
    const adapter = model.newAdapter(
      { r: spec.rank, alpha: spec.alpha, dropout: spec.dropout ?? 0, targetModules: spec.targetModules ?? [...U.LORA_MODULES] },
      spec.seed,
    );
    const trainer = await model.trainer({ adapter, lr: spec.lr, seed: spec.seed });
    return new AdapterTraining(
      model,
      spec,
      adapter,
      trainer,
      pool ?? trainingPool(model.vocab, spec.task, spec.pool ?? 2000, poolData(spec), spec.seed, specProtocol(spec.task, spec)),
      new Rng(spec.seed, `train/${spec.task}/${spec.objective}`),
    );
  }

  get done(): boolean {
    return this.step >= this.spec.steps;
  }

  /** One optimizer step on a fresh batch of the spec's objective. */
  async next(): Promise<TrainProgress> {
    const { spec, rng, pool } = this;
    const layout = this.model.layout;
    const pick = <X>(xs: X[], n: number) => Array.from({ length: n }, () => xs[rng.int(xs.length)]!);
    let batch: U.Batch;
    const tally = { tally: this.model.tally };
    if (spec.objective === "gen") batch = U.genBatch(pick(pool.gen, spec.batch), layout, rng, tally);
    else if (spec.objective === "und") batch = U.undBatch(pick(pool.und, spec.batch), layout, rng);
    else {
      const half = Math.max(1, spec.batch >> 1);
      batch = U.jointBatch(U.genBatch(pick(pool.gen, half), layout, rng, tally), U.undBatch(pick(pool.und, spec.batch - half), layout, rng));
    }
    const r = await timed("train", () => this.trainer.run(batch));
    this.step++;
    return { step: this.step, loss: r.loss };
  }

  /** Writes the resumable state (atomically: the engine's checkpoint writer renames into place). */
  save(file: string): void {
    saveCheckpoint(file, this.adapter.store, this.trainer.optim, { step: String(this.step), rng: this.rng.getState(), spec: JSON.stringify(this.spec) });
  }

  /** Restores a state written by save() for the same spec; validates before changing anything. */
  restore(file: string): void {
    // The checksum (tensors and metadata, the step included) is verified before anything is read from it.
    verifyCheckpoint(file);
    const meta = readSafetensors(file).metadata;
    const step = Number(meta["step"]);
    if (!Number.isInteger(step) || step < 0 || step > this.spec.steps)
      throw new Error(`${file}: step ${meta["step"]} is not a step of this run (0..${this.spec.steps})`);
    // Compared as checked specs: one written before a default was filled in is the same run.
    let written: TrainSpec | undefined;
    try {
      written = checkSpec(JSON.parse(meta["spec"] ?? "null"), true);
    } catch {
      written = undefined;
    }
    if (!written || specKey(written) !== specKey(this.spec)) throw new Error(`${file}: the checkpoint was written for another spec`);
    const rngState = meta["rng"];
    if (!rngState) throw new Error(`${file}: no sampler state (rng) in the checkpoint metadata`);
    new Rng(0).setState(rngState); // validate before the parameters change
    loadCheckpoint(file, this.adapter.store, this.trainer.optim);
    this.rng.setState(rngState);
    this.step = step;
  }
}

/**
 * Trains a fresh rank-r adapter; calls `onStep` after every step (for curves, progress bars and
 * interrupts: returning false stops the run after that step).
 */
export async function trainAdapter(
  model: U.UnifiedModel,
  spec: Partial<TrainSpec>,
  onStep?: (p: TrainProgress, adapter: U.Adapter) => Promise<boolean | void> | boolean | void,
): Promise<U.Adapter> {
  const t = await AdapterTraining.start(model, spec);
  while (!t.done) {
    const p = await t.next();
    if (onStep && (await onStep(p, t.adapter)) === false) break;
  }
  return t.adapter;
}
