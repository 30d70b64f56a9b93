// A unified model: configuration, vocabulary, layout and base weights, with compiled graphs for training
// (full or LoRA), slot logits (the samplers' hot path) and attention capture.

import type * as ort from "onnxruntime-node";
import { AdamW, Compiled, ParamStore, RuntimeOptions, TrainStep, clipGradNorm, compile, feedsFrom, floatTensor, int64Tensor } from "../engine";
import { Rng } from "../core/rng";
import { BuildOptions, BuiltModel, HeadSpec, LoraConfig, ModelConfig, architecture } from "./arch";
import { Layout, MMU, SlotSizes, DEFAULT_SLOTS, T2I, Vocabulary } from "./layout";
import { Adapter, checkLora } from "./lora";
import { DEFAULT_MODEL, ModelShape } from "./shape";
import { Batch } from "./objectives";

/** A fresh model's shape (any field left out takes DEFAULT_MODEL's), its weights' seed and its slot sizes. */
export type ModelOptions = Partial<ModelShape> & { seed?: number; slots?: SlotSizes };

/**
 * Rows this process has pushed through a model: forward-only (sampling, answering, states) and trained
 * (forward and backward). Benchmarks price the work at the machine's matmul peak from these counts.
 */
export const workDone = { forwardRows: 0, trainRows: 0, fullTrainRows: 0 };

/** Dropout is a training-time noise: inference graphs of a dropout adapter are built without it. */
const inference = (c: LoraConfig): LoraConfig => (c.dropout > 0 ? { ...c, dropout: 0 } : c);

function flat(rows: readonly number[][]): number[] {
  const out: number[] = [];
  for (const r of rows) for (const x of r) out.push(x);
  return out;
}

export class UnifiedModel {
  private readonly built = new Map<string, BuiltModel>();
  private readonly adapterBuilt = new WeakMap<ParamStore, Set<string>>();
  private readonly trainSteps = new WeakMap<BuiltModel, Promise<TrainStep>>();
  /**
   * The image sampler's default confidence temperature τ0 (confidence = log p + τ·Gumbel, τ annealed
   * from τ0 to 0). A checkpoint carries the value measured best for it (models/README.md).
   */
  samplerTemperature = 1;
  /** The image sampler's default guidance scale. */
  samplerCfg = 2;

  /** Whether generation rows carry a tally statement (the shape's `plan`), read by the objectives and the sampler. */
  get tally(): boolean {
    return this.config.plan === "tally";
  }

  constructor(
    readonly config: ModelConfig,
    readonly vocab: Vocabulary,
    readonly layout: Layout,
    readonly base: ParamStore,
    public runtime: RuntimeOptions = { threads: 2 },
  ) {
    architecture(config.arch);
  }

  static create(vocab: Vocabulary, opts: ModelOptions = {}, runtime?: RuntimeOptions): UnifiedModel {
    const layout = new Layout(opts.slots ?? DEFAULT_SLOTS);
    const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as ModelOptions;
    const shape = { ...DEFAULT_MODEL, ...given };
    const config: ModelConfig = {
      arch: shape.arch,
      d: shape.d,
      layers: shape.layers,
      heads: shape.heads,
      mlpRatio: shape.mlpRatio,
      tied: shape.tied,
      vocab: vocab.size,
      seq: layout.seq,
      // Left out at their defaults, so the saved configs of older bases stay as they were.
      ...(shape.weightInit === "gpt2" ? { weightInit: "gpt2" as const } : {}),
      ...(shape.embStd !== DEFAULT_MODEL.embStd ? { embStd: shape.embStd } : {}),
      ...(shape.plan !== DEFAULT_MODEL.plan ? { plan: shape.plan } : {}),
      ...(shape.cellPositions
        ? { imageCells: { starts: [layout.genImageStart, layout.undImageStart], count: layout.slots.image, cols: Math.round(Math.sqrt(layout.slots.image)) } }
        : {}),
    };
    const m = new UnifiedModel(config, vocab, layout, new ParamStore(opts.seed ?? 0), runtime);
    m.graph({ head: { kind: "train" } }); // creates every base parameter
    return m;
  }

  /** The built graph for a head / LoRA / attention combination; adapter factors are created on first use. */
  graph(opts: BuildOptions, adapter?: Adapter): BuiltModel {
    const key = JSON.stringify([opts.head, opts.lora ?? null, !!opts.attention, !!opts.hidden, !!opts.loraPositions]);
    let b = this.built.get(key);
    const seen = adapter ? (this.adapterBuilt.get(adapter.store) ?? new Set<string>()) : undefined;
    if (!b || (adapter && !seen!.has(key))) {
      b = architecture(this.config.arch).build(this.config, this.base, adapter?.store, opts);
      this.built.set(key, b);
      if (adapter) {
        seen!.add(key);
        this.adapterBuilt.set(adapter.store, seen!);
      }
    }
    return b;
  }

  /** A fresh adapter (A random, B zero) for this model. */
  newAdapter(config: LoraConfig, seed = 0): Adapter {
    const adapter = { config: checkLora(config, architecture(this.config.arch).modules), store: new ParamStore(seed) };
    this.graph({ head: { kind: "train" }, lora: config }, adapter);
    return adapter;
  }

  /** The family's inputs beyond the ids (e.g. which positions hold an image), as feeds. */
  extraFeeds(rows: readonly (readonly number[])[]): Record<string, ort.Tensor> {
    const arch = architecture(this.config.arch);
    if (!arch.extraInputs) return {};
    const { layout } = this;
    const info = {
      seq: layout.seq,
      imageTokens: layout.slots.image,
      genImageStart: layout.genImageStart,
      undImageStart: layout.undImageStart,
      t2iToken: T2I,
      mmuToken: MMU,
      imageOffset: this.vocab.imageOffset,
      codebook: this.vocab.image.codebook,
      patchDim: this.vocab.image.dim,
    };
    return Object.fromEntries(Object.entries(arch.extraInputs(rows, info)).map(([k, v]) => [k, floatTensor(v.data, [rows.length, layout.seq, v.width])]));
  }

  stores(adapter?: Adapter): ParamStore[] {
    return adapter ? [this.base, adapter.store] : [this.base];
  }

  async trainer(opts: { adapter?: Adapter; lr: number; weightDecay?: number; clip?: number; seed?: number }): Promise<Trainer> {
    const built = this.graph({ head: { kind: "train" }, ...(opts.adapter ? { lora: opts.adapter.config } : {}) }, opts.adapter);
    // Appending the backward pass mutates the graph, so each built graph gets one TrainStep.
    let pending = this.trainSteps.get(built);
    if (!pending) {
      const trainable = opts.adapter ? built.loraParams : this.base.names();
      pending = TrainStep.create(built.graph, built.out, { ...this.runtime, trainable });
      this.trainSteps.set(built, pending);
    }
    const step = await pending;
    const optim = new AdamW({ lr: opts.lr, weightDecay: opts.weightDecay ?? (opts.adapter ? 0 : 0.01) });
    return new Trainer(this, step, optim, opts.adapter, opts.clip ?? 1, new Rng(opts.seed ?? 0, "lora-dropout"));
  }

  /**
   * Logits of a slot for a batch of sequences: Float32Array [rows, length, vocabEnd − vocabStart].
   * `positions` (with an adapter): the adapter's weight at each sequence position, the same for every row
   * (patching; see BuildOptions.loraPositions).
   */
  async slotLogits(
    ids: readonly number[][],
    slot: Extract<HeadSpec, { kind: "slot" }>,
    adapter?: Adapter,
    positions?: readonly number[],
  ): Promise<Float32Array> {
    const patched = !!adapter && positions !== undefined;
    if (patched && positions.length !== this.config.seq)
      throw new Error(`slotLogits: ${positions.length} position weights for a sequence of ${this.config.seq}`);
    const built = this.graph({ head: slot, ...(adapter ? { lora: inference(adapter.config) } : {}), ...(patched ? { loraPositions: true } : {}) }, adapter);
    const c = await this.compiled(built, ["logits"]);
    const seq = this.config.seq;
    const feeds = { ...feedsFrom(built.graph, this.stores(adapter)), ...this.extraFeeds(ids), ids: int64Tensor(flat(ids), [ids.length, seq]) };
    if (patched) {
      const w = new Float32Array(ids.length * seq);
      for (let r = 0; r < ids.length; r++) for (let i = 0; i < seq; i++) w[r * seq + i] = positions[i]!;
      Object.assign(feeds, { lora_positions: floatTensor(w, [ids.length, seq, 1]) });
    }
    const out = await c.run(feeds);
    workDone.forwardRows += ids.length;
    return out["logits"]!.data as Float32Array;
  }

  /** Attention probabilities of every layer for a batch: one Float32Array [rows, heads, S, S] per layer. */
  attention(ids: readonly number[][], adapter?: Adapter): Promise<Float32Array[]> {
    return this.perLayer(ids, "attention", "attn", adapter);
  }

  /** The residual stream after every block for a batch: one Float32Array [rows, S, d] per layer. */
  hiddenStates(ids: readonly number[][], adapter?: Adapter): Promise<Float32Array[]> {
    return this.perLayer(ids, "hidden", "hidden", adapter);
  }

  /** One output per layer (`${prefix}.${i}`) of a graph built with that capture switched on. */
  private async perLayer(ids: readonly number[][], capture: "attention" | "hidden", prefix: string, adapter?: Adapter): Promise<Float32Array[]> {
    const slot: HeadSpec = { kind: "slot", start: 0, length: 1, vocabStart: 0, vocabEnd: 1 };
    const built = this.graph({ head: slot, [capture]: true, ...(adapter ? { lora: inference(adapter.config) } : {}) }, adapter);
    const names = Array.from({ length: this.config.layers }, (_, i) => `${prefix}.${i}`);
    const c = await this.compiled(built, names);
    const out = await c.run({
      ...feedsFrom(built.graph, this.stores(adapter)),
      ...this.extraFeeds(ids),
      ids: int64Tensor(flat(ids), [ids.length, this.config.seq]),
    });
    return names.map((n) => out[n]!.data as Float32Array);
  }

  private async compiled(b: BuiltModel, outputs: string[]): Promise<Compiled> {
    return compile(b.graph, { outputs }, this.runtime);
  }
}

/** One optimizer step at a time on batches from src/umm/objectives. */
export class Trainer {
  constructor(
    readonly model: UnifiedModel,
    readonly step: TrainStep,
    readonly optim: AdamW,
    readonly adapter: Adapter | undefined,
    readonly clip: number,
    private readonly dropoutRng: Rng,
  ) {}

  /** The store the optimizer updates: the adapter's factors, or the base for full training. */
  get trainableStore(): ParamStore {
    return this.adapter ? this.adapter.store : this.model.base;
  }

  feeds(batch: Batch): Record<string, ort.Tensor> {
    const rows = batch.ids.length;
    const seq = this.model.config.seq;
    const feeds: Record<string, ort.Tensor> = {
      ...this.model.extraFeeds(batch.ids),
      ids: int64Tensor(flat(batch.ids), [rows, seq]),
      targets: int64Tensor(flat(batch.targets), [rows, seq]),
      weights: floatTensor(Float32Array.from(flat(batch.weights)), [rows, seq]),
    };
    const p = this.adapter?.config.dropout ?? 0;
    for (const input of this.step.graph.inputs) {
      if (!input.name.startsWith("dropout.")) continue;
      const width = input.shape[2] as number;
      const mask = new Float32Array(rows * seq * width);
      for (let i = 0; i < mask.length; i++) mask[i] = this.dropoutRng.next() < p ? 0 : 1 / (1 - p);
      feeds[input.name] = floatTensor(mask, [rows, seq, width]);
    }
    return feeds;
  }

  /** Forward, backward, gradient clipping and an AdamW update; returns the loss before the update. */
  async run(batch: Batch, lr?: number): Promise<{ loss: number; gradNorm: number }> {
    const r = await this.step.run(this.model.stores(this.adapter), this.feeds(batch));
    if (this.adapter) workDone.trainRows += batch.ids.length;
    else workDone.fullTrainRows += batch.ids.length;
    const gradNorm = clipGradNorm(r.grads, this.clip);
    this.optim.update(this.trainableStore, r.grads, lr);
    return { loss: r.loss, gradNorm };
  }
}
