// The text tokenizer: a closed word-level vocabulary covering every template and prompt of the worlds,
// plus one token per letter for spelled words (the text world's payload), so that test words never
// seen in training are still expressible. An unknown word is an error that names it.

import { createHash } from "node:crypto";
import {
  captionCorpus,
  CLASSES,
  MAX_COUNT,
  NUMBER_WORDS,
  RELATIONS,
  SPATIAL_PROMPT_FORMS,
  SPATIAL_TEMPLATES,
  TEXT_EVAL_QUESTION,
  TEXT_QUESTION,
  compositionPrompt,
  countingAnswer,
  countingPrompt,
  countingQuestion,
  spatialAnswer,
  spatialMultipleChoice,
  spatialPrompt,
  spatialQuestion,
  textPrompt,
} from "../tasks";

/** Words, numbers, hyphenated words, the count markers and punctuation, each one token. */
const TOKEN_RE = /\*\*|<count>|\n|[a-z]+(?:-[a-z]+)*|\d+|[.,?:;!()/]/g;

export const LETTERS = "abcdefghijklmnopqrstuvwxyz";
const letterToken = (c: string) => `<${c}>`;

export class TokenizerError extends Error {
  override name = "TokenizerError";
}

/** Every string the worlds' templates can produce (without spelled payloads). */
export function templateCorpus(): string[] {
  const out: string[] = [TEXT_QUESTION, TEXT_EVAL_QUESTION, textPrompt("")];
  for (const c of CLASSES) {
    out.push(countingQuestion(c));
    for (let n = 0; n <= MAX_COUNT; n++) out.push(countingAnswer(c, n), countingPrompt(c, n));
    for (const b of CLASSES) {
      if (b === c) continue;
      for (const r of RELATIONS) {
        for (let k = 0; k < SPATIAL_TEMPLATES.length; k++) {
          out.push(spatialQuestion(k, c, b), spatialAnswer(k, c, b, r), spatialMultipleChoice(k, c, b, r).question, spatialMultipleChoice(k, c, b, r).answer);
        }
        for (let f = 0; f < SPATIAL_PROMPT_FORMS.length; f++) out.push(spatialPrompt(f, c, b, r));
        for (let n = 1; n <= 10; n++) out.push(compositionPrompt(c, n, b, r));
      }
    }
  }
  out.push(NUMBER_WORDS.join(" "));
  out.push(...captionCorpus());
  return out;
}

export function splitWords(text: string): string[] {
  return text.toLowerCase().match(TOKEN_RE) ?? [];
}

export class TextTokenizer {
  readonly tokens: readonly string[];
  private readonly index: Map<string, number>;

  constructor(tokens: readonly string[]) {
    this.tokens = tokens;
    this.index = new Map(tokens.map((t, i) => [t, i]));
    if (this.index.size !== tokens.length) throw new TokenizerError("text tokenizer: duplicate tokens in the vocabulary");
  }

  /** The vocabulary of the worlds: every template word, sorted, then the 26 letter tokens. */
  static forWorlds(): TextTokenizer {
    const words = new Set<string>();
    for (const s of templateCorpus()) for (const w of splitWords(s)) words.add(w);
    return new TextTokenizer([...[...words].sort(), ...[...LETTERS].map(letterToken)]);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** A hash of the vocabulary, stored in checkpoints so a model loads only with its own tokenizer. */
  get hash(): string {
    return createHash("sha256").update(this.tokens.join("\n")).digest("hex").slice(0, 16);
  }

  /**
   * Token ids of a text. Words listed in `spell` (the text world's payload) become letter tokens; any
   * other word outside the vocabulary is an error naming it.
   */
  encode(text: string, spell: readonly string[] = []): number[] {
    // Characters no token can write (another script, emoji, quotes) are an error, not silently dropped:
    // a prompt that tokenizes to nothing would generate unconditioned.
    const leftover = [...new Set(text.toLowerCase().replace(TOKEN_RE, " ").replace(/\s+/g, ""))];
    if (leftover.length)
      throw new TokenizerError(
        `text tokenizer: ${JSON.stringify(text.length > 80 ? text.slice(0, 77) + "..." : text)} has characters the vocabulary cannot write (${leftover
          .slice(0, 8)
          .map((c) => JSON.stringify(c))
          .join(", ")}${leftover.length > 8 ? ", …" : ""}; allowed: the worlds' English words, digits and . , ? : ; ! ( ) /)`,
      );
    const spelled = new Set(spell.map((w) => w.toLowerCase()));
    const out: number[] = [];
    for (const w of splitWords(text)) {
      if (spelled.has(w)) {
        for (const c of w) {
          const id = this.index.get(letterToken(c));
          if (id === undefined) throw new TokenizerError(`text tokenizer: cannot spell "${w}": "${c}" is not a letter a-z`);
          out.push(id);
        }
        continue;
      }
      const id = this.index.get(w);
      if (id === undefined)
        throw new TokenizerError(
          `text tokenizer: unknown word "${w}" in ${JSON.stringify(text.length > 80 ? text.slice(0, 77) + "..." : text)} (spell payload words with the spell option)`,
        );
      out.push(id);
    }
    return out;
  }

  /** Text from token ids: words joined by spaces, consecutive letter tokens joined into one word. */
  decode(ids: readonly number[]): string {
    const parts: string[] = [];
    let word = "";
    for (const id of ids) {
      const t = this.tokens[id];
      if (t === undefined) throw new TokenizerError(`text tokenizer: id ${id} is outside the vocabulary (0..${this.size - 1})`);
      if (/^<[a-z]>$/.test(t)) {
        word += t[1];
        continue;
      }
      if (word) {
        parts.push(word);
        word = "";
      }
      parts.push(t);
    }
    if (word) parts.push(word);
    return parts.join(" ");
  }

  toJSON(): { tokens: readonly string[] } {
    return { tokens: this.tokens };
  }
}
