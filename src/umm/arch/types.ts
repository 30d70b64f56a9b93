// The architecture interface: every UMM family of the paper (shared transformer with a unified
// tokenizer, with separate encoders, mixture-of-transformers, decoupled LLM + generator) builds its graph
// behind this one signature, so trainers, samplers and the lab never depend on a family's insides.

import { Graph, ParamStore, Value } from "../../engine";
import type { ModelShape } from "../shape";

/**
 * A built model's configuration, as its config.json holds it: its shape (src/umm/shape.ts; the
 * initialisation fields only where not their defaults), the vocabulary and sequence sizes it was built
 * for, and its shared cell positions.
 */
export type ModelConfig = Pick<ModelShape, "arch" | "d" | "layers" | "heads" | "mlpRatio" | "tied"> &
  Partial<Pick<ModelShape, "weightInit" | "embStd" | "plan">> & {
    vocab: number;
    seq: number;
    /**
     * Shared cell positions: one learned embedding per image cell (`pos.cell` [count, d], initialised to a
     * row/column sinusoid of a grid `cols` wide) added at every image slot that starts at `starts`, so the
     * generation and the understanding layouts see one spatial code (as a shared 2-D RoPE gives the
     * paper's UMMs). Absent: every position has only its own learned vector.
     */
    imageCells?: { starts: number[]; count: number; cols: number };
  };

export interface LoraConfig {
  r: number;
  alpha: number;
  dropout: number;
  /** Module names (suffixes) that get an adapter, e.g. ["q", "k", "v", "o", "up", "down"]. */
  targetModules: readonly string[];
}

export type HeadSpec =
  /** Training: inputs ids, targets, weights; output `loss` = Σ weights · cross-entropy. */
  | { kind: "train" }
  /** Logits for positions [start, start+length) over vocabulary ids [vocabStart, vocabEnd): output `logits`. */
  | { kind: "slot"; start: number; length: number; vocabStart: number; vocabEnd: number };

export interface BuildOptions {
  head: HeadSpec;
  lora?: LoraConfig;
  /** Also output the attention probabilities of every layer as `attn.{i}` [B, heads, S, S]. */
  attention?: boolean;
  /** Also output the residual stream after every block as `hidden.{i}` [B, S, d] (representation analyses). */
  hidden?: boolean;
  /**
   * Patching: every LoRA delta is multiplied by a per-position weight fed as `lora_positions` [B, S, 1],
   * so an adapter acts at some positions only (1 everywhere: the full adapter; 0: the base).
   */
  loraPositions?: boolean;
}

export interface BuiltModel {
  graph: Graph;
  /** The loss (train head) or the logits (slot head). */
  out: Value;
  /** Names of the LoRA factors in the adapter store. */
  loraParams: string[];
  /** Names of the modules that got an adapter. */
  loraModules: string[];
}

export interface Architecture {
  readonly name: string;
  /** The paper's model of this family (Table 1's row it is compared with) and, in words, what its two tasks share. */
  readonly paper?: { readonly model: string; readonly shares: string };
  /**
   * The module names (the last component of a linear layer's path) a LoRA target list may name; a
   * target outside them is an error naming these.
   */
  readonly modules: readonly string[];
  /** Creates missing base parameters in `base` and LoRA factors in `adapter`, and builds the graph. */
  build(config: ModelConfig, base: ParamStore, adapter: ParamStore | undefined, opts: BuildOptions): BuiltModel;
  /**
   * Inputs the family's graph needs beyond the token ids, computed from them (which positions hold an
   * image, in which layout; an image code's pixels): name → values [rows, seq, width], fed as float32.
   */
  extraInputs?(rows: readonly (readonly number[])[], info: SequenceInfo): Record<string, { data: Float32Array; width: number }>;
}

/** Per position of every row, whether it is an image position of the row's layout (t2i or mmu). */
export function imagePositions(rows: readonly (readonly number[])[], info: SequenceInfo, which: "any" | "gen" | "und"): Float32Array {
  const out = new Float32Array(rows.length * info.seq);
  rows.forEach((r, i) => {
    const start = r[0] === info.t2iToken && which !== "und" ? info.genImageStart : r[0] === info.mmuToken && which !== "gen" ? info.undImageStart : -1;
    if (start >= 0) out.fill(1, i * info.seq + start, i * info.seq + start + info.imageTokens);
  });
  return out;
}

/** What a family may know of the sequence: where each layout's image slot is, and the image codes' pixels. */
export interface SequenceInfo {
  seq: number;
  imageTokens: number;
  genImageStart: number;
  undImageStart: number;
  /** The first token of a text-to-image row and of an understanding row. */
  t2iToken: number;
  mmuToken: number;
  /** The first image code's id, and each code's patch pixels (codes × patchDim bytes). */
  imageOffset: number;
  codebook: Uint8Array;
  patchDim: number;
}
