// LoRA fine-tuning of a base on one task through one objective: understanding (VQA), generation
// (text-to-image) or both (joint). Understanding and generation samples come from the same images.

import { Rng } from "../rng";
import * as T from "../tasks";
import * as U from "../umm";

export const OBJECTIVES = ["und", "gen", "joint"] as const;
export type Objective = (typeof OBJECTIVES)[number];
export const TRAIN_TASKS = ["counting", "spatial", "text"] as const;
export type TrainTask = (typeof TRAIN_TASKS)[number];

export interface TrainSpec {
  task: TrainTask;
  objective: Objective;
  rank: number;
  alpha: number;
  steps: number;
  lr: number;
  batch: number;
  seed: number;
  /** Training pairs drawn (once, from data seed 0, the same for every run seed). */
  pool?: number;
  targetModules?: readonly string[];
  dropout?: number;
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

/** The task's training pairs, tokenized; cached per vocabulary. */
export function trainingPool(vocab: U.Vocabulary, task: TrainTask, size = 2000): EncodedPool {
  let byTask = pools.get(vocab);
  if (!byTask) pools.set(vocab, (byTask = new Map()));
  const key = `${task}:${size}`;
  let pool = byTask.get(key);
  if (!pool) {
    const pairs = T.trainPairs(task, size, 0);
    const spell = (p: T.SamplePair) => (task === "text" ? [p.und.answer] : []);
    pool = {
      gen: pairs.map((p) => ({ prompt: vocab.textIds(p.gen.prompt, spell(p)), image: vocab.imageIds(vocab.image.encode(p.gen.image)) })),
      und: pairs.map((p) => ({ image: vocab.imageIds(vocab.image.encode(p.und.image)), question: vocab.textIds(p.und.question), answer: vocab.textIds(p.und.answer, spell(p)) })),
    };
    byTask.set(key, pool);
  }
  return pool;
}

export function checkSpec(s: TrainSpec): TrainSpec {
  T.oneOf("task", s.task, TRAIN_TASKS);
  T.oneOf("objective", s.objective, OBJECTIVES);
  for (const [k, v, lo] of [["steps", s.steps, 1], ["batch", s.batch, 1], ["rank", s.rank, 1], ["seed", s.seed, 0]] as const) {
    if (!Number.isInteger(v) || v < lo) throw new T.TaskError(`${k}: ${JSON.stringify(v)} is not allowed (allowed: integers >= ${lo})`);
  }
  if (!(s.lr > 0 && s.lr < 1)) throw new T.TaskError(`lr: ${s.lr} is not allowed (allowed: 0 < lr < 1)`);
  if (!(s.alpha > 0)) throw new T.TaskError(`alpha: ${s.alpha} is not allowed (allowed: > 0)`);
  return s;
}

/**
 * Trains a fresh rank-r adapter; calls `onStep` after every step (for curves, progress bars and
 * interrupts: returning false stops the run after that step).
 */
export async function trainAdapter(model: U.UnifiedModel, spec: TrainSpec, onStep?: (p: TrainProgress, adapter: U.Adapter) => Promise<boolean | void> | boolean | void): Promise<U.Adapter> {
  checkSpec(spec);
  const adapter = model.newAdapter({ r: spec.rank, alpha: spec.alpha, dropout: spec.dropout ?? 0, targetModules: spec.targetModules ?? [...U.LORA_MODULES] }, spec.seed);
  const trainer = await model.trainer({ adapter, lr: spec.lr, seed: spec.seed });
  const pool = trainingPool(model.vocab, spec.task, spec.pool ?? 2000);
  const rng = new Rng(spec.seed, `train/${spec.task}/${spec.objective}`);
  const pick = <X>(xs: X[], n: number) => Array.from({ length: n }, () => xs[rng.int(xs.length)]!);
  for (let step = 0; step < spec.steps; step++) {
    let batch: U.Batch;
    if (spec.objective === "gen") batch = U.genBatch(pick(pool.gen, spec.batch), model.layout, rng);
    else if (spec.objective === "und") batch = U.undBatch(pick(pool.und, spec.batch), model.layout, rng);
    else {
      const half = Math.max(1, spec.batch >> 1);
      batch = U.jointBatch(U.genBatch(pick(pool.gen, half), model.layout, rng), U.undBatch(pick(pool.und, spec.batch - half), model.layout, rng));
    }
    const r = await trainer.run(batch);
    if (onStep && (await onStep({ step: step + 1, loss: r.loss }, adapter)) === false) break;
  }
  return adapter;
}
