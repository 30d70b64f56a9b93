// LoRA fine-tuning of a base on one task through one objective: understanding (VQA), generation
// (text-to-image) or both (joint). Understanding and generation samples come from the same images.

import { Rng } from "../core/rng";
import { timed } from "./timing";
import * as T from "../tasks";
import * as U from "../umm";
import { loadCheckpoint, readSafetensors, saveCheckpoint, verifyCheckpoint } from "../engine";
import { PoolData, TRAIN_TASKS, TrainTask, World, world } from "./worlds";

export const OBJECTIVES = ["und", "gen", "joint"] as const;
export type Objective = (typeof OBJECTIVES)[number];
/** Every world's task ("compose" is appendix C.5's mixture: counting and spatial pairs, half each). */
export { TRAIN_TASKS } from "./worlds";
export type { TrainTask } from "./worlds";

export interface TrainSpec {
  task: TrainTask;
  objective: Objective;
  rank: number;
  alpha: number;
  steps: number;
  lr: number;
  batch: number;
  seed: number;
  /** Training pairs drawn (once per data seed: 0 for every run, or the run's seed where the world draws per run). */
  pool?: number;
  targetModules?: readonly string[];
  dropout?: number;
  /** Counting generation captions (src/tasks/vocab.ts COUNTING_CAPTIONS; default "target-only"). */
  captions?: T.CountingCaptions;
  /** Counting target counts (COUNT_DISTRIBUTIONS; default "uniform"). */
  counts?: T.CountDistribution;
  /** Share of counting scenes with the target class alone (default 0). */
  plain?: number;
  /** Counting understanding questions (COUNTING_QUESTIONS; default "how-many"). */
  questions?: T.CountingQuestions;
}

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
    gen: pairs.map((p) => ({ prompt: vocab.textIds(p.gen.prompt, spell(p)), image: vocab.imageIds(vocab.image.encode(p.gen.image)) })),
    und: pairs.map((p) => ({
      image: vocab.imageIds(vocab.image.encode(p.und.image)),
      question: vocab.textIds(p.und.question, p.und.spell ?? []),
      answer: vocab.textIds(p.und.answer, spell(p)),
    })),
  };
}

/** The task's training pairs, tokenized; cached per vocabulary. */
export function trainingPool(vocab: U.Vocabulary, task: TrainTask, size = 2000, data: PoolData = {}, runSeed = 0): EncodedPool {
  let byTask = pools.get(vocab);
  if (!byTask) pools.set(vocab, (byTask = new Map()));
  const w = world(task);
  const seed = w.dataSeed === "per-run" ? runSeed : 0;
  const key = `${task}:${size}:${data.captions ?? "target-only"}:${data.counts ?? "uniform"}:${data.plain ?? 0}:${data.questions ?? "how-many"}:${seed}`;
  let pool = byTask.get(key);
  if (!pool && w.mixture) {
    // The first part keeps the counting data fields (the mixture's counting half is drawn like counting's).
    const a = trainingPool(vocab, w.mixture[0] as TrainTask, Math.ceil(size / 2), data);
    const b = trainingPool(vocab, w.mixture[1] as TrainTask, Math.floor(size / 2));
    pool = { gen: [...a.gen, ...b.gen], und: [...a.und, ...b.und] };
    byTask.set(key, pool);
  }
  if (!pool) {
    if (!w.pairs) throw new T.TaskError(`task ${task}: the world has no training pairs`);
    pool = encodePairs(vocab, w.pairs(size, poolData(data), seed));
    byTask.set(key, pool);
  }
  return pool;
}

export function checkSpec(s: TrainSpec, pool?: EncodedPool): TrainSpec {
  if (!pool) T.oneOf("task", s.task, TRAIN_TASKS);
  T.oneOf("objective", s.objective, OBJECTIVES);
  if (s.captions !== undefined) T.oneOf("captions", s.captions, T.COUNTING_CAPTIONS);
  if (s.counts !== undefined) T.oneOf("counts", s.counts, T.COUNT_DISTRIBUTIONS);
  if (s.questions !== undefined) T.oneOf("questions", s.questions, T.COUNTING_QUESTIONS);
  if (s.plain !== undefined && !(s.plain >= 0 && s.plain <= 1)) throw new T.TaskError(`plain: ${s.plain} is not allowed (allowed: 0 <= plain <= 1)`);
  for (const [k, v, lo] of [
    ["steps", s.steps, 1],
    ["batch", s.batch, 1],
    ["rank", s.rank, 1],
    ["seed", s.seed, 0],
  ] as const) {
    if (!Number.isInteger(v) || v < lo) throw new T.TaskError(`${k}: ${JSON.stringify(v)} is not allowed (allowed: integers >= ${lo})`);
  }
  if (!(s.lr > 0 && s.lr < 1)) throw new T.TaskError(`lr: ${s.lr} is not allowed (allowed: 0 < lr < 1)`);
  if (!(s.alpha > 0)) throw new T.TaskError(`alpha: ${s.alpha} is not allowed (allowed: > 0)`);
  return s;
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
  static async start(model: U.UnifiedModel, spec: TrainSpec, pool?: EncodedPool): Promise<AdapterTraining> {
    checkSpec(spec, pool);
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
      pool ?? trainingPool(model.vocab, spec.task, spec.pool ?? 2000, poolData(spec), spec.seed),
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
    if (spec.objective === "gen") batch = U.genBatch(pick(pool.gen, spec.batch), layout, rng);
    else if (spec.objective === "und") batch = U.undBatch(pick(pool.und, spec.batch), layout, rng);
    else {
      const half = Math.max(1, spec.batch >> 1);
      batch = U.jointBatch(U.genBatch(pick(pool.gen, half), layout, rng), U.undBatch(pick(pool.und, spec.batch - half), layout, rng));
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
    if (meta["spec"] !== JSON.stringify(this.spec)) throw new Error(`${file}: the checkpoint was written for another spec`);
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
  spec: TrainSpec,
  onStep?: (p: TrainProgress, adapter: U.Adapter) => Promise<boolean | void> | boolean | void,
): Promise<U.Adapter> {
  const t = await AdapterTraining.start(model, spec);
  while (!t.done) {
    const p = await t.next();
    if (onStep && (await onStep(p, t.adapter)) === false) break;
  }
  return t.adapter;
}
