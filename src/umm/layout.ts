// One vocabulary [specials | text | image codes] and MMaDA's two sequence layouts, padded to one length
// so that a single graph serves generation, understanding and joint training:
//
//   T2I: [T2I] prompt [EOS] [PAD]… [SOI] image [EOI] plan
//   MMU: [MMU] [SOI] image [EOI] question [PAD]… answer [EOS]…
//
// The plan slot fills the positions the text-to-image layout leaves after [EOI]: [PAD]s unless the model
// states a plan there (a tally of its canvas, src/umm/shape.ts `plan`), in the answer's words and [EOS]s.
// The prompt, question and answer slots have fixed sizes, so every position means the same thing in
// every sample (learned positions), and the image slot holds up to `image` codes.

import { ImageTokenizer } from "./image-tokenizer";
import { TextTokenizer, TokenizerError } from "./text-tokenizer";

export const SPECIALS = ["[PAD]", "[MASK]", "[T2I]", "[MMU]", "[SOI]", "[EOI]", "[EOS]"] as const;
export const PAD = 0;
export const MASK = 1;
export const T2I = 2;
export const MMU = 3;
export const SOI = 4;
export const EOI = 5;
export const EOS = 6;

export interface SlotSizes {
  /** Prompt tokens including the closing [EOS]. */
  prompt: number;
  /** Maximum image codes (64 for an 8×8 patch grid). */
  image: number;
  question: number;
  /** Answer tokens including the [EOS] padding. */
  answer: number;
}

export const DEFAULT_SLOTS: SlotSizes = { prompt: 40, image: 64, question: 36, answer: 16 };

export class Vocabulary {
  readonly textOffset = SPECIALS.length;
  readonly imageOffset: number;
  readonly size: number;

  constructor(
    readonly text: TextTokenizer,
    readonly image: ImageTokenizer,
  ) {
    this.imageOffset = this.textOffset + text.size;
    this.size = this.imageOffset + image.size;
  }

  textIds(text: string, spell: readonly string[] = []): number[] {
    return this.text.encode(text, spell).map((t) => t + this.textOffset);
  }

  decodeText(ids: readonly number[]): string {
    const out: number[] = [];
    for (const id of ids) {
      if (id === EOS || id === PAD) break;
      if (id < this.textOffset || id >= this.imageOffset) continue;
      out.push(id - this.textOffset);
    }
    return this.text.decode(out);
  }

  imageIds(codes: readonly number[]): number[] {
    return codes.map((c) => c + this.imageOffset);
  }

  codesOf(ids: readonly number[]): number[] {
    return ids.map((id) => {
      if (id < this.imageOffset || id >= this.size)
        throw new TokenizerError(`vocabulary: id ${id} is not an image code (${this.imageOffset}..${this.size - 1})`);
      return id - this.imageOffset;
    });
  }
}

export class Layout {
  readonly seq: number;
  /** First position of the image slot in each layout. */
  readonly genImageStart: number;
  readonly undImageStart: number;
  readonly questionStart: number;
  readonly answerStart: number;
  /** The text-to-image layout's plan slot: the positions after its [EOI] (12 with the default slots). */
  readonly planStart: number;
  readonly planLength: number;

  constructor(readonly slots: SlotSizes = DEFAULT_SLOTS) {
    this.genImageStart = 1 + slots.prompt + 1;
    this.undImageStart = 2;
    this.questionStart = 2 + slots.image + 1;
    this.answerStart = this.questionStart + slots.question;
    this.seq = Math.max(this.genImageStart + slots.image + 1, this.answerStart + slots.answer);
    this.planStart = this.genImageStart + slots.image + 1;
    this.planLength = this.seq - this.planStart;
  }

  private fit(what: string, ids: readonly number[], size: number): void {
    if (ids.length > size) throw new TokenizerError(`layout: the ${what} has ${ids.length} tokens but its slot holds ${size}`);
  }

  /**
   * [T2I] prompt [EOS] pads [SOI] image [EOI] plan; `prompt` may be empty (guidance's unconditional row);
   * `plan` (ids or [MASK]s, the slot's whole length) is absent for a model that states none: [PAD]s.
   */
  t2i(prompt: readonly number[], image: readonly number[], plan?: readonly number[]): number[] {
    this.fit("prompt", prompt, this.slots.prompt - 1);
    this.fit("image", image, this.slots.image);
    if (plan && plan.length !== this.planLength) throw new TokenizerError(`layout: a plan fills the plan slot's ${this.planLength} tokens, got ${plan.length}`);
    const s = new Array<number>(this.seq).fill(PAD);
    s[0] = T2I;
    prompt.forEach((t, i) => (s[1 + i] = t));
    s[1 + prompt.length] = EOS;
    s[this.genImageStart - 1] = SOI;
    image.forEach((t, i) => (s[this.genImageStart + i] = t));
    s[this.genImageStart + image.length] = EOI;
    plan?.forEach((t, i) => (s[this.planStart + i] = t));
    return s;
  }

  /** A statement as the plan slot holds it: its ids, then [EOS] to the slot's end (at least one). */
  planIds(statement: readonly number[]): number[] {
    this.fit("plan", statement, this.planLength - 1);
    return Array.from({ length: this.planLength }, (_, i) => (i < statement.length ? statement[i]! : EOS));
  }

  /**
   * Per-position weights over a text-to-image sequence for patching an adapter into part of it: "image"
   * the canvas cells, "prompt" every other position (the task token, prompt, pads and markers), "all" both.
   */
  genPositions(part: "all" | "image" | "prompt"): number[] {
    const inImage = (i: number) => i >= this.genImageStart && i < this.genImageStart + this.slots.image;
    return Array.from({ length: this.seq }, (_, i) => (part === "all" || (part === "image") === inImage(i) ? 1 : 0));
  }

  /** [MMU] [SOI] image [EOI] pads question pads answer [EOS]… (the answer slot is filled with EOS). */
  mmu(image: readonly number[], question: readonly number[], answer: readonly number[]): number[] {
    this.fit("image", image, this.slots.image);
    this.fit("question", question, this.slots.question);
    this.fit("answer", answer, this.slots.answer - 1);
    const s = new Array<number>(this.seq).fill(PAD);
    s[0] = MMU;
    s[1] = SOI;
    image.forEach((t, i) => (s[2 + i] = t));
    s[2 + image.length] = EOI;
    question.forEach((t, i) => (s[this.questionStart + i] = t));
    for (let i = 0; i < this.slots.answer; i++) s[this.answerStart + i] = i < answer.length ? answer[i]! : EOS;
    return s;
  }
}
