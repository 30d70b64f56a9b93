// The data side of the worlds the base was pretrained on: each file holds a world's scenes, its
// templates, its answer parser, its training pairs and its evaluation items. What the lab does with
// them (how a model is judged on each set) is src/lab/worlds. A new world's data can live in its lab
// file alone; these four are here because pretraining, the tokenizers and the evaluators draw them too.

import { DEFAULT_WORLD, WorldConfig } from "../grid";
import { RgbImage } from "../image";
import { GenPrompt } from "../samples";
import { Rng } from "../../core/rng";
import { CompositionTruth, sampleCompositionScene } from "./composition";
import { CountingTruth, sampleCountingScene } from "./counting";
import { SpatialTruth, sampleSpatialScene } from "./spatial";
import { TextTruth, renderText } from "./text";

export * from "./counting";
export * from "./spatial";
export * from "./text";
export * from "./composition";

/** The ground truths of the pretrained worlds' prompts and items. */
export type Truth = CountingTruth | SpatialTruth | CompositionTruth | TextTruth;

/** A clean rendering of what a generation prompt asks for: what calibration feeds the evaluators. */
export function renderPromptTruth(p: GenPrompt<Truth>, seed: number, world: WorldConfig = DEFAULT_WORLD): RgbImage {
  const rng = new Rng(seed, `truth/${p.id}`);
  const t = p.truth;
  switch (t.kind) {
    case "counting":
      return sampleCountingScene(rng, { target: t.target, count: t.count, world }).image;
    case "spatial":
      return sampleSpatialScene(rng, { a: t.a, b: t.b, relation: t.relation, world }).image;
    case "composition":
      return sampleCompositionScene(rng, { target: t.target, anchor: t.anchor, count: t.count, relation: t.relation, world }).image;
    case "text":
      return renderText(t.word, "clean_light", world).image;
  }
}
