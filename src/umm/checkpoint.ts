// Model checkpoints: a folder with model.json (architecture, slots, tokenizer and vocabulary hashes),
// model.safetensors (weights) and the tokenizers. A model loads only with the tokenizers it was trained
// with; every field is checked before use, so a mismatched or corrupt checkpoint is a clear error.

import * as fs from "node:fs";
import * as path from "node:path";
import { ParamStore } from "../engine/params";
import { SafeDType, readSafetensors, writeFileAtomic, writeSafetensors } from "../engine/safetensors";
import { ModelConfig, architecture } from "./arch";
import { ImageTokenizer } from "./image-tokenizer";
import { Layout, SlotSizes, Vocabulary } from "./layout";
import { UnifiedModel } from "./model";
import { TextTokenizer } from "./text-tokenizer";

export const FORMAT = "transferlab.model";

export class CheckpointError extends Error {
  override name = "CheckpointError";
}

export interface ModelCard {
  format: typeof FORMAT;
  version: 1;
  config: ModelConfig;
  slots: SlotSizes;
  tokenizers: { text: { hash: string; size: number }; image: { hash: string; size: number; patch: number } };
  vocab: number;
  params: number;
  /** Sampler defaults measured for this model. */
  sampler?: { temperature: number; cfg?: number };
  metadata: Record<string, string>;
}

export function saveModel(dir: string, model: UnifiedModel, opts: { dtype?: SafeDType; metadata?: Record<string, string> } = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const { vocab } = model;
  const card: ModelCard = {
    format: FORMAT,
    version: 1,
    config: model.config,
    slots: model.layout.slots,
    tokenizers: {
      text: { hash: vocab.text.hash, size: vocab.text.size },
      image: { hash: vocab.image.hash, size: vocab.image.size, patch: vocab.image.patch },
    },
    vocab: vocab.size,
    params: model.base.count(),
    sampler: { temperature: model.samplerTemperature, cfg: model.samplerCfg },
    metadata: opts.metadata ?? {},
  };
  vocab.image.save(path.join(dir, "image-tokenizer.safetensors"));
  writeFileAtomic(path.join(dir, "text-tokenizer.json"), JSON.stringify(vocab.text.toJSON()) + "\n");
  const tensors: Record<string, { shape: readonly number[]; data: Float32Array; dtype: SafeDType }> = {};
  for (const [k, t] of model.base.tensors) tensors[k] = { shape: t.shape, data: t.data, dtype: opts.dtype ?? "F32" };
  writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: FORMAT, config: JSON.stringify(model.config) });
  writeFileAtomic(path.join(dir, "model.json"), JSON.stringify(card, null, 2) + "\n");
}

function readCard(dir: string): ModelCard {
  const file = path.join(dir, "model.json");
  let card: ModelCard;
  try {
    card = JSON.parse(fs.readFileSync(file, "utf8")) as ModelCard;
  } catch (e) {
    throw new CheckpointError(`${file}: cannot read the model card (${(e as Error).message})`);
  }
  const need = (ok: boolean, what: string) => {
    if (!ok) throw new CheckpointError(`${file}: ${what}`);
  };
  need(card.format === FORMAT, `format is ${JSON.stringify(card.format)}, expected "${FORMAT}"`);
  need(card.version === 1, `version ${JSON.stringify(card.version)} is not supported (allowed: 1)`);
  const c = card.config;
  need(typeof c === "object" && c !== null, "config is missing");
  for (const k of ["d", "layers", "heads", "mlpRatio", "vocab", "seq"] as const)
    need(Number.isInteger(c[k]) && c[k] > 0, `config.${k} must be a positive integer, got ${JSON.stringify(c[k])}`);
  architecture(c.arch);
  need(
    c.weightInit === undefined || c.weightInit === "torch" || c.weightInit === "gpt2",
    `config.weightInit must be "torch" or "gpt2", got ${JSON.stringify(c.weightInit)}`,
  );
  need(
    c.embStd === undefined || (typeof c.embStd === "number" && c.embStd > 0 && c.embStd <= 1),
    `config.embStd must be a number in (0, 1], got ${JSON.stringify(c.embStd)}`,
  );
  need(c.plan === undefined || c.plan === "none" || c.plan === "tally", `config.plan must be "none" or "tally", got ${JSON.stringify(c.plan)}`);
  if (c.imageCells !== undefined) {
    const ic = c.imageCells;
    need(
      typeof ic === "object" && ic !== null && Number.isInteger(ic.count) && ic.count > 0 && Number.isInteger(ic.cols) && ic.cols > 0,
      `config.imageCells must be { starts, count, cols } with positive integers, got ${JSON.stringify(ic)}`,
    );
    need(
      Array.isArray(ic.starts) && ic.starts.length > 0 && ic.starts.every((s) => Number.isInteger(s) && s >= 0 && s + ic.count <= c.seq),
      `config.imageCells.starts must hold slot starts in 0..${c.seq - ic.count}, got ${JSON.stringify(ic.starts)}`,
    );
  }
  need(typeof card.tokenizers?.text?.hash === "string" && typeof card.tokenizers?.image?.hash === "string", "tokenizer hashes are missing");
  return card;
}

/** Loads a checkpoint folder, checking tokenizers, vocabulary and every weight against the card. */
export function loadModel(dir: string): UnifiedModel {
  const card = readCard(dir);
  const image = ImageTokenizer.load(path.join(dir, "image-tokenizer.safetensors"));
  const textFile = path.join(dir, "text-tokenizer.json");
  let text: TextTokenizer;
  try {
    text = new TextTokenizer((JSON.parse(fs.readFileSync(textFile, "utf8")) as { tokens: string[] }).tokens);
  } catch (e) {
    throw new CheckpointError(`${textFile}: cannot read the text tokenizer (${(e as Error).message})`);
  }
  if (text.hash !== card.tokenizers.text.hash)
    throw new CheckpointError(`${dir}: text tokenizer hash ${text.hash} does not match the model's ${card.tokenizers.text.hash}`);
  if (image.hash !== card.tokenizers.image.hash)
    throw new CheckpointError(`${dir}: image tokenizer hash ${image.hash} does not match the model's ${card.tokenizers.image.hash}`);
  const vocab = new Vocabulary(text, image);
  if (vocab.size !== card.config.vocab)
    throw new CheckpointError(`${dir}: tokenizers give a vocabulary of ${vocab.size}, the model was built for ${card.config.vocab}`);
  const layout = new Layout(card.slots);
  if (layout.seq !== card.config.seq) throw new CheckpointError(`${dir}: slots give sequence length ${layout.seq}, the model was built for ${card.config.seq}`);
  const model = new UnifiedModel(card.config, vocab, layout, new ParamStore(0));
  model.graph({ head: { kind: "train" } });
  const weights = readSafetensors(path.join(dir, "model.safetensors"));
  const names = new Set(model.base.names());
  for (const [k, t] of weights.tensors) {
    if (!names.has(k)) throw new CheckpointError(`${dir}: weight "${k}" is not a parameter of ${card.config.arch}`);
    const want = model.base.get(k).shape;
    if (t.shape.join(",") !== want.join(",") || !(t.data instanceof Float32Array))
      throw new CheckpointError(`${dir}: weight "${k}" has shape [${t.shape}] but the model needs [${want}]`);
  }
  for (const n of names) if (!weights.tensors.has(n)) throw new CheckpointError(`${dir}: weight "${n}" is missing`);
  for (const [k, t] of weights.tensors) model.base.get(k).data = t.data as Float32Array;
  const tau = card.sampler?.temperature;
  if (tau !== undefined) {
    if (!(typeof tau === "number" && tau >= 0 && Number.isFinite(tau)))
      throw new CheckpointError(`${dir}: sampler.temperature must be a number >= 0, got ${JSON.stringify(tau)}`);
    model.samplerTemperature = tau;
  }
  const cfg = card.sampler?.cfg;
  if (cfg !== undefined) {
    if (!(typeof cfg === "number" && cfg >= 0 && Number.isFinite(cfg)))
      throw new CheckpointError(`${dir}: sampler.cfg must be a number >= 0, got ${JSON.stringify(cfg)}`);
    model.samplerCfg = cfg;
  }
  return model;
}

export function readModelCard(dir: string): ModelCard {
  return readCard(dir);
}
