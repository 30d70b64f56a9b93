// What a pretraining run is, from user input: the one field schema of `transferlab pretrain`'s flags
// and of a chain file's stages (pretrain-chain.ts), and its conversion to a PretrainConfig with the
// checks that span fields.

import * as fs from "node:fs";
import * as path from "node:path";
import { ArgsOf, SpecError } from "../../core/fields";
import { architectureNames } from "../../umm/arch";
import { DEFAULT_MODEL, shapeField } from "../../umm/shape";
import { DEFAULT_PRETRAIN, PretrainConfig } from "./run";
import { Recipe, parseRecipe } from "./data";

/** The fields of one pretraining run (flags of `pretrain`, keys of a chain stage). */
export const PRETRAIN_FIELDS = [
  shapeField("arch"),
  { name: "steps", type: "integer", help: "optimizer steps (the length of the learning-rate schedule)", default: DEFAULT_PRETRAIN.steps, min: 1, max: 1000000 },
  { name: "stopAt", type: "integer", help: "stop at this step of the schedule (default: --steps); the run is finished there", min: 1, max: 1000000 },
  { name: "genRows", type: "integer", help: "generation rows per batch", default: DEFAULT_PRETRAIN.gen, min: 1, max: 4096 },
  { name: "undRows", type: "integer", help: "understanding rows per batch", default: DEFAULT_PRETRAIN.und, min: 1, max: 4096 },
  { name: "lr", type: "number", help: "peak learning rate, in (0, 1)", default: DEFAULT_PRETRAIN.lr, min: 1e-9, max: 0.999 },
  { name: "minLr", type: "number", help: "the cosine schedule's floor, in (0, --lr]", default: DEFAULT_PRETRAIN.minLr, min: 1e-12, max: 1 },
  shapeField("d"),
  shapeField("layers"),
  shapeField("heads"),
  { name: "seed", type: "integer", help: "seed of the weights and the batches", default: 0, min: 0, max: 2 ** 31 - 1 },
  { name: "evalEvery", type: "integer", help: "quick evaluation and snapshot every N steps", default: DEFAULT_PRETRAIN.evalEvery, min: 1, max: 100000 },
  { name: "recipe", type: "string", help: "a data recipe (JSON) overriding the default mixture" },
  { name: "init", type: "string", help: "start from this model folder's weights" },
  { name: "cfg", type: "number", help: "the sampler's guidance scale written into the model", default: DEFAULT_PRETRAIN.sampler.cfg, min: 0, max: 20 },
  {
    name: "samplerTemperature",
    type: "number",
    help: "the sampler's initial τ0 written into the model",
    default: DEFAULT_PRETRAIN.sampler.temperature,
    min: 0,
    max: 10000,
  },
  shapeField("cellPositions"),
  shapeField("weightInit"),
  shapeField("embStd"),
  shapeField("plan"),
] as const;

export type PretrainArgs = ArgsOf<typeof PRETRAIN_FIELDS>;

/** A recipe file, validated; errors name the file and the field. */
export function recipeFromFile(file: string): Recipe {
  let obj: unknown;
  try {
    obj = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new SpecError(`recipe: cannot read ${file} as JSON (${(e as Error).message})`);
  }
  try {
    return parseRecipe(obj);
  } catch (e) {
    throw new SpecError(`recipe ${file}: ${(e as Error).message}`);
  }
}

/**
 * A run's configuration from its fields. `owner` + `name(field)` names a field in errors (`pretrain
 * --lr`, `chain.yaml.stages[1] ("v12").lr`); `resolve` turns the recipe and init paths into absolute
 * ones (a chain's are relative to its file), so the saved config — which a resume compares — does not
 * depend on the working folder.
 */
export function pretrainConfigOf(
  a: PretrainArgs,
  names: { owner: string; name: (field: keyof PretrainArgs) => string },
  resolve: (p: string) => string = (p) => path.resolve(p),
) {
  const { owner, name } = names;
  const where = (f: keyof PretrainArgs) => owner + name(f);
  if (!architectureNames().includes(a.arch))
    throw new SpecError(`${where("arch")}: ${JSON.stringify(a.arch)} is not allowed (allowed: ${architectureNames().join(", ")})`);
  if (!(a.minLr <= a.lr)) throw new SpecError(`${where("minLr")}: ${a.minLr} is not allowed (allowed: numbers in (0, ${name("lr")} = ${a.lr}])`);
  if (a.stopAt !== undefined && a.stopAt > a.steps)
    throw new SpecError(`${where("stopAt")}: ${a.stopAt} is not allowed (allowed: integers >= 1 and <= ${name("steps")} = ${a.steps})`);
  if (a.init && (a.weightInit !== DEFAULT_MODEL.weightInit || a.embStd !== DEFAULT_MODEL.embStd))
    throw new SpecError(
      `${where("init")}: ${name(a.weightInit !== DEFAULT_MODEL.weightInit ? "weightInit" : "embStd")} sets fresh weights, but ${name("init")} starts from ${JSON.stringify(a.init)}'s weights; drop one of them`,
    );
  const cfg: PretrainConfig = {
    ...DEFAULT_PRETRAIN,
    arch: a.arch,
    steps: a.steps,
    d: a.d,
    layers: a.layers,
    heads: a.heads,
    seed: a.seed,
    evalEvery: a.evalEvery,
    gen: a.genRows,
    und: a.undRows,
    lr: a.lr,
    minLr: a.minLr,
    recipe: a.recipe ? recipeFromFile(resolve(a.recipe)) : DEFAULT_PRETRAIN.recipe,
    ...(a.init ? { init: resolve(a.init) } : {}),
    sampler: { temperature: a.samplerTemperature, cfg: a.cfg },
    ...(a.cellPositions ? { cellPositions: true } : {}),
    ...(a.weightInit === "gpt2" ? { weightInit: a.weightInit } : {}),
    ...(a.embStd !== DEFAULT_MODEL.embStd ? { embStd: a.embStd } : {}),
    ...(a.plan !== DEFAULT_MODEL.plan ? { plan: a.plan } : {}),
  };
  cfg.warmup = Math.min(cfg.warmup, Math.floor(cfg.steps / 10));
  return { cfg, stopAt: a.stopAt ?? a.steps };
}
