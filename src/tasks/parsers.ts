// Answer parsing as in the paper's appendix B.

import { MC_LETTERS } from "./templates";
import { CLASSES, NUMBER_WORDS, ObjectClass, PLURALS, RELATIONS, Relation } from "./vocab";

export interface ParsedCount {
  value: number | null;
  /** How the value was found: inside ** ** markers, as the ground truth anywhere, as any number, or not. */
  method: "markers" | "truth-anywhere" | "first-number" | "none";
}

const NUMBER_RE = new RegExp(`\\b(\\d+|${NUMBER_WORDS.join("|")})\\b`, "gi");

function toNumber(tok: string): number {
  const w = NUMBER_WORDS.indexOf(tok.toLowerCase() as (typeof NUMBER_WORDS)[number]);
  return w >= 0 ? w : Number.parseInt(tok, 10);
}

/**
 * B.1: the substring inside `** **` first; if that fails, whether the ground-truth count appears anywhere
 * as a numeral or an English number word; failing that, the first number in the output (so MAD can
 * still be measured).
 */
export function parseCount(output: string, truth?: number): ParsedCount {
  const marked = /\*\*\s*([^*]*?)\s*\*\*/.exec(output);
  if (marked) {
    const inner = [...marked[1]!.matchAll(NUMBER_RE)];
    if (inner.length === 1) return { value: toNumber(inner[0]![1]!), method: "markers" };
  }
  const all = [...output.matchAll(NUMBER_RE)].map((m) => toNumber(m[1]!));
  if (truth !== undefined && all.includes(truth)) return { value: truth, method: "truth-anywhere" };
  if (all.length > 0) return { value: all[0]!, method: "first-number" };
  return { value: null, method: "none" };
}

/** A multiple-choice letter (a–d) from "b", "b.", "(b)", "Answer: b", or the relation's name. */
export function parseChoice(output: string): (typeof MC_LETTERS)[number] | null {
  const t = output.trim().toLowerCase();
  const m = /^(?:answer\s*[:：]?\s*)?\(?([a-d])\)?(?:[.):\s]|$)/.exec(t);
  if (m) return m[1] as (typeof MC_LETTERS)[number];
  const rel = parseRelation(t);
  return rel ? MC_LETTERS[RELATIONS.indexOf(rel)]! : null;
}

/** The one diagonal relation named in a text, or null when none or several are. */
export function parseRelation(output: string): Relation | null {
  const t = output.toLowerCase().replace(/top\s+left/g, "top-left").replace(/top\s+right/g, "top-right").replace(/bottom\s+left/g, "bottom-left").replace(/bottom\s+right/g, "bottom-right");
  const found = RELATIONS.filter((r) => t.includes(r));
  return found.length === 1 ? found[0]! : null;
}

/** B.3's normalization: lowercase, line breaks to spaces, leading and trailing whitespace stripped. */
export function normalizeText(s: string): string {
  return s.toLowerCase().replace(/\r\n|\r|\n/g, " ").trim();
}

/**
 * The count and class a counting prompt asks for ("a photo of five circles" → 5 circle), or null when the
 * prompt names no number followed by a class: what a generated image is checked against.
 */
export function parseCountingPrompt(prompt: string): { count: number; cls: ObjectClass } | null {
  const words = prompt.toLowerCase().match(/[a-z]+|\d+/g) ?? [];
  for (let i = 0; i < words.length - 1; i++) {
    const n = NUMBER_WORDS.indexOf(words[i] as (typeof NUMBER_WORDS)[number]);
    const count = n >= 0 ? n : /^\d+$/.test(words[i]!) ? Number(words[i]) : -1;
    if (count < 0) continue;
    const cls = CLASSES.find((c) => words[i + 1] === c || words[i + 1] === PLURALS[c]);
    if (cls) return { count, cls };
  }
  return null;
}
