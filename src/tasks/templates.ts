// Prompt and question templates, verbatim from the paper's appendix B where they fit.

import { ObjectClass, RELATIONS, Relation, numberWord, plural, withArticle } from "./vocab";

// ---- counting (B.1) -----------------------------------------------------------------------------

export function countingQuestion(cls: ObjectClass): string {
  const p = plural(cls);
  return `How many ${p} are there in the image? Response Example: There are **<COUNT>** of ${p} in the image.`;
}

export function countingAnswer(cls: ObjectClass, count: number): string {
  return `There are **${count}** of ${plural(cls)} in the image.`;
}

/**
 * Table 8's count-aware generation description: every category in the image with its count, the asked
 * (target) class first — "a photo of six crosses and two circles and one ring". A caption that names
 * only the target teaches a tuned model to draw unnamed objects beside it (issue 16).
 */
export const COUNTING_CAPTION_FORMS = ["a photo of {LIST}", "{LIST} on a white background", "an image with {LIST}"] as const;

export function countingCaption(form: number, counts: readonly (readonly [ObjectClass, number])[]): string {
  const named = counts.filter(([, n]) => n > 0);
  const list = named.length ? named.map(([cls, n]) => `${numberWord(n)} ${n === 1 ? cls : plural(cls)}`).join(" and ") : "no objects";
  const t = COUNTING_CAPTION_FORMS[form % COUNTING_CAPTION_FORMS.length]!;
  return t.replace("{LIST}", list);
}

/** GenEval's counting prompt, "a photo of {COUNT} {OBJECT}s". */
export function countingPrompt(cls: ObjectClass, count: number): string {
  return `a photo of ${numberWord(count)} ${plural(cls)}`;
}

// ---- spatial relation (B.2) ---------------------------------------------------------------------

export interface SpatialTemplate {
  question: string;
  /** The answer sentence; {POS} is the relation, or the four options in the Response format line. */
  answer: string;
}

/**
 * Ten question templates. The first six are those shown in the paper's Table 9; the last four are ours,
 * in the same style, because the paper names ten but prints six.
 */
export const SPATIAL_TEMPLATES: readonly SpatialTemplate[] = [
  { question: "Where is the {A} located relative to the {B}?", answer: "The {A} is located in the {POS} of the {B}." },
  { question: "If you look at the {B}, where is the {A}?", answer: "The {A} is to the {POS} of the {B}." },
  { question: "Looking at the image, where does the {A} appear relative to the {B}?", answer: "The {A} appears to the {POS} of the {B}." },
  { question: "How is the {A} positioned with respect to the {B}?", answer: "The {A} is at the {POS} of the {B}." },
  { question: "Describe the spatial relationship between the {A} and the {B}.", answer: "The {A} is in the {POS} relative to the {B}." },
  { question: "What is the position of the {A} relative to the {B}?", answer: "The {A} is positioned to the {POS} of the {B}." },
  { question: "In which direction from the {B} is the {A}?", answer: "The {A} is toward the {POS} of the {B}." },
  { question: "Relative to the {B}, where can the {A} be found?", answer: "The {A} can be found to the {POS} of the {B}." },
  { question: "Where does the {A} sit in relation to the {B}?", answer: "The {A} sits in the {POS} of the {B}." },
  { question: "Which way would you move from the {B} to reach the {A}?", answer: "The {A} lies to the {POS} of the {B}." },
];

const OPTIONS = RELATIONS.join("/");

function fill(t: string, a: ObjectClass, b: ObjectClass, pos = ""): string {
  return t.replace(/\{A\}/g, a).replace(/\{B\}/g, b).replace(/\{POS\}/g, pos);
}

export function spatialQuestion(k: number, a: ObjectClass, b: ObjectClass): string {
  const t = SPATIAL_TEMPLATES[k]!;
  return `${fill(t.question, a, b)}\nResponse format: ${fill(t.answer, a, b, OPTIONS)}`;
}

export function spatialAnswer(k: number, a: ObjectClass, b: ObjectClass, relation: Relation): string {
  return fill(SPATIAL_TEMPLATES[k]!.answer, a, b, relation);
}

export const MC_LETTERS = ["a", "b", "c", "d"] as const;

/** The four-way multiple-choice form: the Response format line removed, fixed choices appended. */
export function spatialMultipleChoice(k: number, a: ObjectClass, b: ObjectClass, relation: Relation): { question: string; answer: string } {
  const choices = RELATIONS.map((r, i) => `${MC_LETTERS[i]}. ${r}`).join("\n");
  return { question: `${fill(SPATIAL_TEMPLATES[k]!.question, a, b)}\n${choices}`, answer: MC_LETTERS[RELATIONS.indexOf(relation)]! };
}

/** The three declarative forms of the paper's Fig. 9 evaluation prompts. */
export const SPATIAL_PROMPT_FORMS = [
  "The {A} located in the {POS} of {B'}.",
  "The {A} is located in {POS} of {B'}.",
  "The {A} can be found to the {POS} of {B'}.",
] as const;

export function spatialPrompt(form: number, a: ObjectClass, b: ObjectClass, relation: Relation): string {
  return SPATIAL_PROMPT_FORMS[form]!.replace("{A}", a).replace("{POS}", relation).replace("{B'}", withArticle(b));
}

// ---- text (B.3) ---------------------------------------------------------------------------------

export const TEXT_QUESTION = "Extract all text from the image.";
export const TEXT_EVAL_QUESTION = "Extract all text from the image in reading order.";

export function textPrompt(sentence: string): string {
  return (
    "A Mathpix Markdown format with sharp, legible black text. High-resolution typography, top-down view. " +
    `The text is rendered in natural left-to-right, top-to-bottom reading order. The text reads: ${sentence}`
  );
}

// ---- composition (C.5) --------------------------------------------------------------------------

/** "three circles are on the top-right of a square" */
export function compositionPrompt(target: ObjectClass, count: number, anchor: ObjectClass, relation: Relation): string {
  return `${numberWord(count)} ${plural(target)} are on the ${relation} of ${withArticle(anchor)}`;
}
