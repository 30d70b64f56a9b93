// Composition (appendix C.5): N objects of one class, all at a diagonal relation of one anchor object;
// its prompts ask for a count and a relation at once.

import { Rng } from "../../core/rng";
import { DEFAULT_WORLD, PlacedObject, Scene, WorldConfig, cellsRelate, checkWorld, otherClass, pick, pickCells, pickable, renderObjects } from "../grid";
import { EVAL_SPLITS, EvalSplit, GenPrompt, SEEDS, VAL_SEEDS, splitPrompts } from "../samples";
import { CLASSES, COLOR_NAMES, ObjectClass, RELATIONS, Relation, TaskError, intInRange, numberWord, oneOf, plural, withArticle } from "../vocab";

export interface CompositionTruth {
  kind: "composition";
  target: ObjectClass;
  count: number;
  anchor: ObjectClass;
  relation: Relation;
}

export interface CompositionOptions {
  target?: ObjectClass;
  anchor?: ObjectClass;
  count?: number;
  relation?: Relation;
  world?: WorldConfig;
}

/** Appendix C.5: N objects of one class, all at a diagonal relation of one anchor object. */
export function sampleCompositionScene(rng: Rng, opts: CompositionOptions = {}): Scene<CompositionTruth> {
  const w = checkWorld(opts.world ?? DEFAULT_WORLD);
  const relation = opts.relation ? oneOf("relation", opts.relation, RELATIONS) : pick(rng, RELATIONS);
  const target = opts.target ? oneOf("target", opts.target, CLASSES) : pick(rng, CLASSES);
  const anchor = opts.anchor ? oneOf("anchor", opts.anchor, CLASSES) : otherClass(rng, [target]);
  if (anchor === target) throw new TaskError(`composition scene: target and anchor must be different classes (both "${target}")`);
  const maxInQuadrant = (w.grid - 1) * (w.grid - 1);
  const count = opts.count !== undefined ? intInRange("count", opts.count, 1, Math.min(10, maxInQuadrant)) : 2 + rng.int(4);
  const [cb] = pickCells(rng, w, 1, (col, row) => pickable(w, { col, row }, relation, 1, count));
  const spots = pickCells(rng, w, count, (col, row) => cellsRelate({ col, row }, cb!, relation, 1));
  const color = pick(rng, COLOR_NAMES);
  const objects: PlacedObject[] = spots.map((c) => ({ cls: target, color, ...c }));
  objects.push({
    cls: anchor,
    color: pick(
      rng,
      COLOR_NAMES.filter((c) => c !== color),
    ),
    ...cb!,
  });
  return { truth: { kind: "composition", target, count, anchor, relation }, objects, image: renderObjects(objects, w) };
}

/** "three circles are on the top-right of a square" */
export function compositionPrompt(target: ObjectClass, count: number, anchor: ObjectClass, relation: Relation): string {
  return `${numberWord(count)} ${plural(target)} are on the ${relation} of ${withArticle(anchor)}`;
}

/**
 * Appendix C.5: 400 prompts needing both a count (two…five) and a relation to an anchor. The validation
 * split draws its own stream with other sampling seeds and skips any test prompt ("val-overlap" keeps
 * them: more than half of its draws are test prompts, the space being 480 combinations).
 */
export function compositionGenEval(n = 400, seed = 0, split: EvalSplit = "test"): GenPrompt<CompositionTruth>[] {
  const rng = new Rng(seed, oneOf("split", split, EVAL_SPLITS) === "test" ? "eval/composition" : "val/composition");
  const draw = (i: number): GenPrompt<CompositionTruth> => {
    const relation: Relation = RELATIONS[i % RELATIONS.length]!;
    const target = CLASSES[rng.int(CLASSES.length)]!;
    const others = CLASSES.filter((c) => c !== target);
    const anchor = others[rng.int(others.length)]!;
    const count = 2 + rng.int(4);
    return {
      task: "composition",
      id: `compose-${i}`,
      prompt: compositionPrompt(target, count, anchor, relation),
      truth: { kind: "composition", target, count, anchor, relation },
      seeds: split === "test" ? SEEDS : VAL_SEEDS,
    };
  };
  return splitPrompts(n, split, draw, () => compositionGenEval(n, seed, "test"));
}
