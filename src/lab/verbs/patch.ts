// `patch`: where does an adapter's effect on generation enter? The adapters (runs trained the same way,
// pooled) act at every position, at the image cells only, or at the prompt only, while the base draws a
// task's test prompts; each placement is paired against the base on the same prompts and sampling seeds
// (crossed bootstrap over prompts and runs). An effect reproduced at the prompt alone entered through the
// text the two pathways share; one reproduced at the image cells alone, through the canvas.

import * as aq from "arquero";
import { evaluateSet } from "../evaluation/sets";
import { effectRows } from "../results/effects";
import type { Table } from "../results/tables";
import { ADAPTER_POSITIONS } from "./canvas";
import { ALL_TASKS, common } from "./fields";
import { defineVerb } from "./verb";
import { pairedEffects } from "../../viz/figures";
import { SpecError } from "../../core/fields";
import { GEN_SET } from "../evaluation/summary-rows";

export default defineVerb({
  name: "patch",
  help: "Patching: apply adapters (pooled) at all positions, at the image cells only, or at the prompt only while generating a task's test prompts, each paired against the base — where an effect enters generation.",
  fields: [
    { name: "task", type: "string", help: "the generation set's task", default: "counting", choices: ALL_TASKS },
    { name: "adapter", type: "list", items: "string", help: "run names, pooled (comma-separated; trained the same way)", default: [] },
    { name: "limit", type: "integer", help: "the first N prompts only", min: 1, max: 100000 },
    ...common,
  ] as const,
  live: "progress",
  async run(lab, a, hooks): Promise<{ effects: Table }> {
    if (!a.adapter.length) throw new SpecError("patch.adapter: required (allowed: run names of the run store, comma-separated)");
    const { model } = lab.base(a.base);
    const set = GEN_SET[a.task];
    const opts = { split: "test" as const, ...(a.limit ? { limit: a.limit } : {}) };
    hooks.onStage?.(`evaluating the base on ${set}`);
    const base = (await evaluateSet(model, set, opts)).rows;
    const effects: Record<string, unknown>[] = [];
    for (const where of ADAPTER_POSITIONS) {
      const adapterPositions = where === "all" ? undefined : model.layout.genPositions(where);
      const tuned = [];
      for (const run of a.adapter) {
        hooks.onStage?.(`evaluating ${run} at ${where === "all" ? "every position" : `the ${where} positions only`}`);
        const r = await evaluateSet(model, set, { ...opts, adapter: lab.adapter(run), ...(adapterPositions ? { adapterPositions } : {}) });
        tuned.push({ run, rows: r.rows });
      }
      for (const e of effectRows(`adapter at ${where === "all" ? "all positions" : `${where} only`}`, set, base, tuned))
        effects.push({ ...e, positions: where });
    }
    return { effects: aq.from(effects) };
  },
  present: (r) => [
    {
      kind: "figure",
      title: "Patching",
      table: r.effects,
      draw: (t) =>
        pairedEffects(t, { title: "Where the adapters' effect enters generation: Δ against the base with the adapters at each placement (95% interval)" }),
    },
    {
      kind: "table",
      title: "patching (paired against the base; runs pooled)",
      table: r.effects.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict", "runs", "n"),
    },
    { kind: "result", value: r.effects },
  ],
});
