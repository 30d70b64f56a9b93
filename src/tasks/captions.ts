// Pretraining text in the spirit of web data: most captions describe a scene without its exact count or
// exact diagonal relation, some state them, some are wrong; questions cover the worlds but not every
// question is asked of every image. These templates feed the base models' pretraining recipe
// (src/lab/pretraining/data.ts) and the text vocabulary (every word here is a token).

import { ObjectClass, Relation, numberWord, plural, withArticle } from "./vocab";

export const VAGUE_QUANTITIES = ["some", "a few", "several", "many", "a group of", "a number of"] as const;

/** A counting-scene caption that names the class but not the count. */
export function vagueCountCaption(k: number, cls: ObjectClass, other?: ObjectClass): string {
  const forms = [
    `a photo of ${VAGUE_QUANTITIES[k % VAGUE_QUANTITIES.length]} ${plural(cls)}`,
    `${plural(cls)} on a white background`,
    `a picture with ${plural(cls)}`,
    other ? `${plural(cls)} and ${plural(other)}` : `an image of ${plural(cls)}`,
    `a photo of ${plural(cls)} scattered around`,
  ];
  return forms[k % forms.length]!;
}

/** A counting-scene caption that states a count (exact or, for noisy captions, wrong). */
export function countCaption(k: number, cls: ObjectClass, count: number): string {
  const forms = [
    `a photo of ${numberWord(count)} ${plural(cls)}`,
    `${numberWord(count)} ${plural(cls)} on a white background`,
    `an image with ${numberWord(count)} ${plural(cls)}`,
  ];
  return count === 1 ? `a photo of ${withArticle(cls)}` : forms[k % forms.length]!;
}

export const SIMPLE_RELATIONS = ["left", "right", "above", "below"] as const;
export type SimpleRelation = (typeof SIMPLE_RELATIONS)[number];

/** A spatial caption that names both objects and at most a simple (one-axis) relation. */
export function vagueSpatialCaption(k: number, a: ObjectClass, b: ObjectClass, simple: SimpleRelation): string {
  const rel = simple === "left" ? "to the left of" : simple === "right" ? "to the right of" : simple === "above" ? "above" : "below";
  const forms = [
    `${withArticle(a)} and ${withArticle(b)}`,
    `${withArticle(a)} ${rel} ${withArticle(b)}`,
    `a photo of ${withArticle(a)} near ${withArticle(b)}`,
    `the ${a} is ${rel} the ${b}`,
  ];
  return forms[k % forms.length]!;
}

/** The one-axis relation implied by a diagonal, on the axis `k` picks. */
export function simpleOf(relation: Relation, k: number): SimpleRelation {
  return k % 2 ? (relation.startsWith("top") ? "above" : "below") : relation.endsWith("left") ? "left" : "right";
}

/** A caption that places the scene's one object in a corner of the image. */
export function placementCaption(k: number, cls: ObjectClass, region: Relation): string {
  const forms = [
    `a photo of ${withArticle(cls)} in the ${region} of the picture`,
    `${withArticle(cls)} in the ${region} of the image`,
    `the ${cls} is in the ${region} of the picture`,
  ];
  return forms[k % forms.length]!;
}

export function placementQuestion(cls: ObjectClass): string {
  return `Where is the ${cls} in the image?`;
}

export function placementAnswer(cls: ObjectClass, region: Relation): string {
  return `The ${cls} is in the ${region} of the image.`;
}

/** A composition caption without the relation. */
export function compositionCaption(k: number, target: ObjectClass, count: number, anchor: ObjectClass): string {
  return k % 2
    ? `${numberWord(count)} ${plural(target)} and ${withArticle(anchor)}`
    : `${VAGUE_QUANTITIES[k % VAGUE_QUANTITIES.length]} ${plural(target)} near ${withArticle(anchor)}`;
}

export const TEXT_CAPTIONS = ["a word in black letters on a white background", "a short word", "black text on white paper", "a line of text"] as const;

// ---- pretraining questions that are not the evaluation's ----

export const WHAT_QUESTION = "What objects are in the image?";

export function whatAnswer(classes: readonly ObjectClass[]): string {
  const names = classes.map((c) => plural(c));
  return names.length === 1 ? `There are ${names[0]}.` : `There are ${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}.`;
}

export const COLOR_QUESTION = "What color are the objects?";
export const TEXT_THEME_QUESTION = "Is the text dark or light?";

export function colorAnswer(color: string): string {
  return `They are ${color}.`;
}

/** Every word the pretraining captions and questions use, for the text vocabulary. */
export function captionCorpus(): string[] {
  const out: string[] = [WHAT_QUESTION, COLOR_QUESTION, TEXT_THEME_QUESTION, "dark", "light", "There are no objects.", ...TEXT_CAPTIONS];
  for (const c of ["red", "green", "blue", "purple"]) out.push(colorAnswer(c));
  const classes: ObjectClass[] = ["circle", "square", "triangle", "cross", "ring", "diamond"];
  for (const a of classes) {
    out.push(whatAnswer([a]), whatAnswer(["circle", "square", a]));
    for (let k = 0; k < 30; k++) out.push(vagueCountCaption(k, a, a === "ring" ? "cross" : "ring"));
    for (let n = 0; n <= 20; n++) for (let k = 0; k < 3; k++) out.push(countCaption(k, a, n));
    for (const s of SIMPLE_RELATIONS) for (let k = 0; k < 4; k++) out.push(vagueSpatialCaption(k, a, "ring", s));
    for (let k = 0; k < 12; k++) out.push(compositionCaption(k, a, 1 + (k % 10), "ring"));
    for (let k = 0; k < 3; k++) out.push(placementCaption(k, a, "top-left"));
    out.push(placementQuestion(a), placementAnswer(a, "top-left"));
  }
  return out;
}
