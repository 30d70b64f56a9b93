// Does a model ground relation words? The diagnostic behind the model card's reading of spatial results:
// where the first sampling step (every image code masked) puts each named class's mass, per relation
// word, for the evaluation's spatial prompts and for one-object placement captions; how far the
// generation logits move when only the relation word changes (against only a class word); how much
// attention image positions pay to the relation word; and whether understanding can name the corner of
// a lone object. A model that ignores relation words shows the same centroid for all four relations.

import * as E from "../../eval";
import * as T from "../../tasks";
import * as U from "../../umm";
import { MASK } from "../../umm/layout";
import { Rng } from "../../core/rng";

export interface Centroid {
  /** Expected number of objects of the class over the scene (summed probability mass). */
  mass: number;
  col: number;
  row: number;
}

export interface GroundingReport {
  /** "The {A} located in the {relation} of a {B}." for each relation: centroids of A's and B's mass. */
  spatial: { relation: T.Relation; a: Centroid; b: Centroid }[];
  /** "a photo of a {cls} in the {region} of the picture": centroid of the class's mass. */
  placement: { region: T.Relation; centroid: Centroid }[];
  /**
   * Mean distance (in cells) of the four relation-conditioned centroids of A from their mean; 0 when the
   * relation word is ignored. A model that puts A in the named quadrant reaches about 2.
   */
  spatialSpread: number;
  placementSpread: number;
  /** Largest change of any generation logit when only the relation word / only the A word changes. */
  logitShift: { relationWord: number; classWord: number };
  /** Per layer, the largest head's mean attention from image positions to the relation word / to A. */
  attention: { layer: number; relationWord: number; classWord: number }[];
  /**
   * B drawn at a cell, every other code masked, the spatial prompt for each relation: the share of A's
   * mass in the cells where A would stand at the asked relation of B (as the verdict judges it), against
   * the share a placement blind to B would give (A's mass spread evenly over the other cells). Equal
   * shares: the model cannot place A relative to a B already drawn, so no sampler can fix spatial
   * generation; a much larger share: the relation is there and the sampler must give it a chance.
   */
  conditional: { relation: T.Relation; inRelation: number; blind: number }[];
  /** "Where is the {cls} in the image?" on one-object scenes (chance 0.25). */
  placementUnd: { accuracy: number; n: number; answers: Record<string, number> };
}

/** The object class each image code draws (null for background and fragments), by decoding it alone. */
export function codeClasses(vocab: U.Vocabulary): (T.ObjectClass | null)[] {
  const C = vocab.size - vocab.imageOffset;
  let blank = -1;
  for (let c = 0; c < C && blank < 0; c++) if (vocab.image.decode([c], 1, 1).data.every((v) => v === 255)) blank = c;
  if (blank < 0) throw new Error("grounding: the image tokenizer has no blank (all-white) code");
  return Array.from({ length: C }, (_, c) => {
    const codes = new Array<number>(9).fill(blank);
    codes[4] = c;
    const dets = E.detect(vocab.image.decode(codes, 3, 3));
    return dets.length === 1 ? dets[0]!.cls : null;
  });
}

/** Softmax mass of one class over a [cells × C] logit block, and its centroid on a `cols`-wide grid. */
export function classCentroid(
  logits: Float32Array | readonly number[],
  cells: number,
  C: number,
  classes: readonly (string | null)[],
  cls: string,
  cols: number,
): Centroid {
  let mass = 0,
    col = 0,
    row = 0;
  for (let p = 0; p < cells; p++) {
    let max = -Infinity;
    for (let j = 0; j < C; j++) max = Math.max(max, logits[p * C + j]!);
    let z = 0;
    for (let j = 0; j < C; j++) z += Math.exp(logits[p * C + j]! - max);
    for (let j = 0; j < C; j++) {
      if (classes[j] !== cls) continue;
      const q = Math.exp(logits[p * C + j]! - max) / z;
      mass += q;
      col += q * (p % cols);
      row += q * Math.floor(p / cols);
    }
  }
  return { mass, col: mass > 0 ? col / mass : NaN, row: mass > 0 ? row / mass : NaN };
}

/** Mean distance (cells) of centroids from their mean: 0 when a word that should move them is ignored. */
export function centroidSpread(points: readonly { col: number; row: number }[]): number {
  const mc = points.reduce((s, p) => s + p.col, 0) / points.length;
  const mr = points.reduce((s, p) => s + p.row, 0) / points.length;
  return points.reduce((s, p) => s + Math.hypot(p.col - mc, p.row - mr), 0) / points.length;
}

/** The head that reads image-code logits at every cell of the generation slot. */
function genImageSlot(model: U.UnifiedModel) {
  const { vocab, layout } = model;
  return { kind: "slot" as const, start: layout.genImageStart, length: layout.slots.image, vocabStart: vocab.imageOffset, vocabEnd: vocab.size };
}

/** The generation slot's logits at the first sampling step (every image code masked) for a prompt. */
function firstStepLogits(model: U.UnifiedModel, prompt: string): Promise<Float32Array> {
  const { vocab, layout } = model;
  return model.slotLogits([layout.t2i(vocab.textIds(prompt, []), new Array(layout.slots.image).fill(MASK))], genImageSlot(model));
}

/** First-step centroid of `cls`'s mass for "a photo of a {cls} in the {region} of the picture", per corner. */
export async function placementCentroids(
  model: U.UnifiedModel,
  cls: T.ObjectClass,
  classes: readonly (string | null)[],
): Promise<GroundingReport["placement"]> {
  const cells = model.layout.slots.image;
  const C = model.vocab.size - model.vocab.imageOffset;
  const out: GroundingReport["placement"] = [];
  for (const region of T.RELATIONS)
    out.push({
      region,
      centroid: classCentroid(await firstStepLogits(model, T.placementCaption(0, cls, region)), cells, C, classes, cls, Math.round(Math.sqrt(cells))),
    });
  return out;
}

export async function relationGrounding(
  model: U.UnifiedModel,
  opts: { a?: T.ObjectClass; b?: T.ObjectClass; questions?: number; seed?: number } = {},
): Promise<GroundingReport> {
  const { vocab, layout } = model;
  const a = opts.a ?? "circle";
  const b = opts.b ?? "square";
  if (a === b) throw new Error(`grounding: a and b must be different classes (both "${a}")`);
  const cells = layout.slots.image;
  const cols = Math.round(Math.sqrt(cells));
  const C = vocab.size - vocab.imageOffset;
  const classes = codeClasses(vocab);
  const maxShift = (x: Float32Array, y: Float32Array) => x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);

  const spatial: GroundingReport["spatial"] = [];
  const spatialLogits: Float32Array[] = [];
  for (const relation of T.RELATIONS) {
    const l = await firstStepLogits(model, T.spatialPrompt(0, a, b, relation));
    spatialLogits.push(l);
    spatial.push({ relation, a: classCentroid(l, cells, C, classes, a, cols), b: classCentroid(l, cells, C, classes, b, cols) });
  }
  const placement = await placementCentroids(model, a, classes);
  const other = T.CLASSES.find((c) => c !== a && c !== b)!;
  const logitShift = {
    relationWord: Math.max(...spatialLogits.slice(1).map((l) => maxShift(l, spatialLogits[0]!))),
    classWord: maxShift(await firstStepLogits(model, T.spatialPrompt(0, other, b, T.RELATIONS[0])), spatialLogits[0]!),
  };

  // Attention of the all-masked image positions to the relation word and to A's word.
  const promptIds = vocab.textIds(T.spatialPrompt(0, a, b, T.RELATIONS[0]), []);
  const row = layout.t2i(promptIds, new Array(cells).fill(MASK));
  const relId = vocab.textIds(T.RELATIONS[0], [])[0]!;
  const aId = vocab.textIds(a, [])[0]!;
  const relPos = row.indexOf(relId);
  const aPos = row.indexOf(aId);
  if (relPos < 0 || aPos < 0) throw new Error(`grounding: the prompt's tokens lack "${T.RELATIONS[0]}" or "${a}" as one token each`);
  const S = model.config.seq;
  const H = model.config.heads;
  const att = await model.attention([row]);
  const attention = att.map((m, layer) => {
    let rel = 0,
      cls = 0;
    for (let h = 0; h < H; h++) {
      let r = 0,
        c = 0;
      for (let q = layout.genImageStart; q < layout.genImageStart + cells; q++) {
        r += m[(h * S + q) * S + relPos]! / cells;
        c += m[(h * S + q) * S + aPos]! / cells;
      }
      rel = Math.max(rel, r);
      cls = Math.max(cls, c);
    }
    return { layer, relationWord: rel, classWord: cls };
  });

  const conditional: GroundingReport["conditional"] = [];
  for (const relation of T.RELATIONS) conditional.push({ relation, ...(await conditionalShare(model, a, b, relation, classes)) });

  const n = opts.questions ?? 120;
  const rng = new Rng(opts.seed ?? 0, "grounding/placement");
  const reqs: U.QuestionRequest[] = [];
  const truth: T.Relation[] = [];
  for (let i = 0; i < n; i++) {
    const s = T.samplePlacementScene(rng, { region: T.RELATIONS[i % 4]! });
    reqs.push({ image: vocab.imageIds(vocab.image.encode(s.image)), question: vocab.textIds(T.placementQuestion(s.truth.cls)) });
    truth.push(s.truth.region);
  }
  const answers: Record<string, number> = {};
  let correct = 0;
  (await U.answerQuestions(model, reqs)).texts.forEach((t, i) => {
    const r = T.parseRelation(t);
    answers[r ?? "none"] = (answers[r ?? "none"] ?? 0) + 1;
    if (r === truth[i]) correct++;
  });

  return {
    spatial,
    placement,
    spatialSpread: centroidSpread(spatial.map((s) => s.a)),
    placementSpread: centroidSpread(placement.map((p) => p.centroid)),
    logitShift,
    conditional,
    attention,
    placementUnd: { accuracy: n ? correct / n : NaN, n, answers },
  };
}

/** Mean over every cell of B with room at the relation: A's mass share at the relation, and the blind share. */
async function conditionalShare(
  model: U.UnifiedModel,
  a: T.ObjectClass,
  b: T.ObjectClass,
  relation: T.Relation,
  classes: readonly (string | null)[],
): Promise<{ inRelation: number; blind: number }> {
  const { vocab, layout } = model;
  const cells = layout.slots.image;
  const cols = Math.round(Math.sqrt(cells));
  const C = vocab.size - vocab.imageOffset;
  const world = { ...T.DEFAULT_WORLD, grid: cols };
  const promptIds = vocab.textIds(T.spatialPrompt(0, a, b, relation), []);
  const rows: number[][] = [];
  const spots: { col: number; row: number; room: number }[] = [];
  for (let p = 0; p < cells; p++) {
    const col = p % cols,
      row = Math.floor(p / cols);
    let room = 0;
    // gap 1: A strictly beside B on both axes, as relationOf judges the detected centres
    for (let q = 0; q < cells; q++) if (T.cellsRelate({ col: q % cols, row: Math.floor(q / cols) }, { col, row }, relation, 1)) room++;
    if (!room) continue;
    const codes = vocab.image.encode(T.renderObjects([{ cls: b, color: T.COLOR_NAMES[p % T.COLOR_NAMES.length]!, col, row }], world));
    const image = new Array<number>(cells).fill(MASK);
    image[p] = vocab.imageIds([codes[p]!])[0]!;
    rows.push(layout.t2i(promptIds, image));
    spots.push({ col, row, room });
  }
  const logits = await model.slotLogits(rows, genImageSlot(model));
  let inRelation = 0,
    blind = 0;
  spots.forEach((s, i) => {
    const block = logits.subarray(i * cells * C, (i + 1) * cells * C);
    let total = 0,
      hit = 0;
    for (let p = 0; p < cells; p++) {
      if (p === s.row * cols + s.col) continue;
      const m = classCentroid(block.subarray(p * C, (p + 1) * C), 1, C, classes, a, 1).mass;
      total += m;
      if (T.cellsRelate({ col: p % cols, row: Math.floor(p / cols) }, s, relation, 1)) hit += m;
    }
    inRelation += total > 0 ? hit / total : 0;
    blind += s.room / (cells - 1);
  });
  return { inRelation: inRelation / spots.length, blind: blind / spots.length };
}

/** The report as text lines for the terminal. */
export function groundingLines(r: GroundingReport): string[] {
  const c = (x: Centroid) => `mass ${x.mass.toFixed(2)} at (col ${x.col.toFixed(2)}, row ${x.row.toFixed(2)})`;
  return [
    "first sampling step, every code masked — where each named class's mass sits:",
    ...r.spatial.map((s) => `  spatial   ${s.relation.padEnd(12)} A ${c(s.a)}  B ${c(s.b)}`),
    ...r.placement.map((p) => `  placement ${p.region.padEnd(12)} ${c(p.centroid)}`),
    `spread of A's centroid over the four relations: spatial ${r.spatialSpread.toFixed(2)} cells, placement ${r.placementSpread.toFixed(2)} cells (0: the relation word is ignored)`,
    `largest logit change: relation word only ${r.logitShift.relationWord.toFixed(3)}, A's class word only ${r.logitShift.classWord.toFixed(3)}`,
    `attention from image positions (largest head per layer), relation word / A's word: ${r.attention.map((x) => `L${x.layer} ${x.relationWord.toFixed(3)}/${x.classWord.toFixed(3)}`).join("  ")}`,
    `B drawn, rest masked — share of A's mass at the asked relation of B (blind placement in brackets): ${r.conditional.map((c) => `${c.relation} ${c.inRelation.toFixed(2)} (${c.blind.toFixed(2)})`).join("  ")}`,
    `placement understanding ("Where is the … in the image?"): ${r.placementUnd.accuracy.toFixed(3)} on ${r.placementUnd.n} scenes (chance 0.25), answers ${JSON.stringify(r.placementUnd.answers)}`,
  ];
}
