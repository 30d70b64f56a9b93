// Evaluation of a model (and optional adapter) on the evaluation sets of the worlds: generate or answer,
// judge with the shipped evaluators, and summarize with bootstrap 95% intervals over prompts and seeds.
// Each set is defined by its world (src/lab/worlds); the shared machinery is in core.ts.

import type * as U from "../../umm";
import type { EvalOptions, EvalResult, GenRow, TextRow, UndRow, Summary } from "./core";
import { timed } from "../timing";
import { EVAL_SETS, EvalSet, evalSetDef } from "../worlds";
import { countingGen, countingUnd } from "../worlds/counting";
import { spatialGen } from "../worlds/spatial";
import { textGen } from "../worlds/text";

export * from "./core";
export { EVAL_SETS };
export type { EvalSet };

/**
 * A set's summary from its rows (also rows pooled over several runs: a generation prompt's images, over
 * seeds and runs, stay one cluster of the bootstrap).
 */
export function summarize(set: EvalSet, rows: readonly (GenRow | UndRow)[]): Summary {
  return (evalSetDef(set) as { summarize(r: readonly (GenRow | UndRow)[]): Summary }).summarize(rows);
}

/** One summary of several runs' rows on a set: each run's items stay bootstrap clusters of their own. */
export function summarizePooled(set: EvalSet, runs: readonly (readonly (GenRow | UndRow)[])[]): Summary {
  return summarize(
    set,
    runs.flatMap((rows, k) => rows.map((r) => ({ ...r, id: `${r.id}#${k}` }))),
  );
}

export function evaluateSet(model: U.UnifiedModel, set: EvalSet, opts: EvalOptions = {}): Promise<EvalResult<GenRow | UndRow>> {
  return timed(opts.split && opts.split !== "test" ? "validation" : "test", () => evalSetDef(set).evaluate(model, opts));
}

// Each set by name, for the pretraining's quick evaluations, benchmarks and tests.
export const evalCountingGen = (model: U.UnifiedModel, opts: EvalOptions = {}): Promise<EvalResult<GenRow>> => countingGen.evaluate(model, opts);
export const evalCountingUnd = (model: U.UnifiedModel, opts: EvalOptions = {}): Promise<EvalResult<UndRow>> => countingUnd.evaluate(model, opts);
export const evalSpatialGen = (model: U.UnifiedModel, opts: EvalOptions = {}): Promise<EvalResult<GenRow>> => spatialGen.evaluate(model, opts);
export const evalTextGen = (model: U.UnifiedModel, opts: Parameters<typeof textGen.evaluate>[1] = {}): Promise<EvalResult<TextRow>> =>
  textGen.evaluate(model, opts);
