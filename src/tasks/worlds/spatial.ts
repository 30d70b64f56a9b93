// Spatial relations: two objects of different classes, one at a diagonal of the other. Its questions
// are B.2's ten templates (free answer, or four-way multiple choice in evaluation), its generation
// prompts Fig. 9's declarative forms. Placement (one object in a corner of the image) is the absolute
// form web captions state, used by pretraining and the grounding probe.

import { Rng } from "../../core/rng";
import {
  DEFAULT_WORLD,
  PlacedObject,
  Scene,
  WorldConfig,
  cellsRelate,
  checkWorld,
  inCorner,
  otherClass,
  pick,
  pickCells,
  pickable,
  renderObjects,
} from "../grid";
import { EvalSplit, GenPrompt, splitPrompts, SEEDS, SamplePair, UndSample, VAL_SEEDS, stream } from "../samples";
import { CLASSES, COLOR_NAMES, ObjectClass, RELATIONS, Relation, TaskError, oneOf, withArticle } from "../vocab";

export interface SpatialTruth {
  kind: "spatial";
  /** Object A is at `relation` of object B. */
  a: ObjectClass;
  b: ObjectClass;
  relation: Relation;
}

export interface SpatialOptions {
  a?: ObjectClass;
  b?: ObjectClass;
  relation?: Relation;
  /** Minimum separation in cells on both axes, so the relation is unambiguous. */
  gap?: number;
  world?: WorldConfig;
}

/** Two objects of different classes, A at a diagonal relation of B. */
export function sampleSpatialScene(rng: Rng, opts: SpatialOptions = {}): Scene<SpatialTruth> {
  const w = checkWorld(opts.world ?? DEFAULT_WORLD);
  const relation = opts.relation ? oneOf("relation", opts.relation, RELATIONS) : pick(rng, RELATIONS);
  const a = opts.a ? oneOf("a", opts.a, CLASSES) : pick(rng, CLASSES);
  const b = opts.b ? oneOf("b", opts.b, CLASSES) : otherClass(rng, [a]);
  if (a === b) throw new TaskError(`spatial scene: a and b must be different classes (both "${a}")`);
  const gap = opts.gap ?? 2;
  const [cb] = pickCells(rng, w, 1, (col, row) => pickable(w, { col, row }, relation, gap));
  const [ca] = pickCells(rng, w, 1, (col, row) => cellsRelate({ col, row }, cb!, relation, gap));
  const objects: PlacedObject[] = [
    { cls: a, color: pick(rng, COLOR_NAMES), ...ca! },
    { cls: b, color: pick(rng, COLOR_NAMES), ...cb! },
  ];
  return { truth: { kind: "spatial", a, b, relation }, objects, image: renderObjects(objects, w) };
}

export interface PlacementTruth {
  kind: "placement";
  /** The scene's one object, in the `region` corner block of the image. */
  cls: ObjectClass;
  region: Relation;
}

export interface PlacementOptions {
  cls?: ObjectClass;
  region?: Relation;
  world?: WorldConfig;
}

/**
 * One object in a corner block of the image ("a circle in the top-left of the picture"): the absolute
 * form of a diagonal relation, which web captions state far more often than relations between objects.
 */
export function samplePlacementScene(rng: Rng, opts: PlacementOptions = {}): Scene<PlacementTruth> {
  const w = checkWorld(opts.world ?? DEFAULT_WORLD);
  const region = opts.region ? oneOf("region", opts.region, RELATIONS) : pick(rng, RELATIONS);
  const cls = opts.cls ? oneOf("cls", opts.cls, CLASSES) : pick(rng, CLASSES);
  const [cell] = pickCells(rng, w, 1, (col, row) => inCorner({ col, row }, region, w));
  const objects: PlacedObject[] = [{ cls, color: pick(rng, COLOR_NAMES), ...cell! }];
  return { truth: { kind: "placement", cls, region }, objects, image: renderObjects(objects, w) };
}

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
  return t
    .replace(/\{A\}/g, a)
    .replace(/\{B\}/g, b)
    .replace(/\{POS\}/g, pos);
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
  const t = output
    .toLowerCase()
    .replace(/top\s+left/g, "top-left")
    .replace(/top\s+right/g, "top-right")
    .replace(/bottom\s+left/g, "bottom-left")
    .replace(/bottom\s+right/g, "bottom-right");
  const found = RELATIONS.filter((r) => t.includes(r));
  return found.length === 1 ? found[0]! : null;
}

export function spatialPair(scene: Scene<SpatialTruth>, rng: Rng): SamplePair<SpatialTruth> {
  const { a, b, relation } = scene.truth;
  const k = rng.int(SPATIAL_TEMPLATES.length);
  return {
    und: { task: "spatial", image: scene.image, question: spatialQuestion(k, a, b), answer: spatialAnswer(k, a, b, relation), truth: scene.truth },
    gen: { task: "spatial", image: scene.image, prompt: spatialPrompt(rng.int(SPATIAL_PROMPT_FORMS.length), a, b, relation), truth: scene.truth },
  };
}

/** n spatial training pairs from the "train" stream of a seed: a scene, one of the ten templates, one prompt form. */
export function spatialTrainPairs(n: number, seed: number, opts: { world?: WorldConfig } = {}): SamplePair<SpatialTruth>[] {
  const rng = new Rng(seed, "train/spatial");
  const world = opts.world ?? DEFAULT_WORLD;
  return Array.from({ length: n }, () => spatialPair(sampleSpatialScene(rng, { world }), rng));
}

/** 100 spatial prompts in Fig. 9's declarative forms, 25 per relation, four seeds each (validation: none of the test's). */
export function spatialGenEval(n = 100, seed = 0, split: EvalSplit = "test"): GenPrompt<SpatialTruth>[] {
  const rng = new Rng(seed, stream(split, "spatial-gen"));
  const seeds = split === "test" ? SEEDS : VAL_SEEDS;
  const draw = (i: number): GenPrompt<SpatialTruth> => {
    const relation = RELATIONS[i % RELATIONS.length]!;
    const a = CLASSES[rng.int(CLASSES.length)]!;
    const others = CLASSES.filter((c) => c !== a);
    const b = others[rng.int(others.length)]!;
    return {
      task: "spatial",
      id: `spatial-${i}`,
      prompt: spatialPrompt(i % SPATIAL_PROMPT_FORMS.length, a, b, relation),
      truth: { kind: "spatial", a, b, relation },
      seeds,
    };
  };
  return splitPrompts(n, split, draw, () => spatialGenEval(n, seed, "test"));
}

/** 250 four-way multiple-choice items on held-out scenes, balanced over relations. */
export function spatialMcEval(n = 250, seed = 0, world: WorldConfig = DEFAULT_WORLD, split: EvalSplit = "test"): UndSample<SpatialTruth>[] {
  const rng = new Rng(seed, stream(split, "spatial-mc"));
  return Array.from({ length: n }, (_, i) => {
    const scene = sampleSpatialScene(rng, { relation: RELATIONS[i % RELATIONS.length]!, world });
    const { a, b, relation } = scene.truth;
    const mc = spatialMultipleChoice(rng.int(SPATIAL_TEMPLATES.length), a, b, relation);
    return { task: "spatial", image: scene.image, question: mc.question, answer: mc.answer, truth: scene.truth };
  });
}
