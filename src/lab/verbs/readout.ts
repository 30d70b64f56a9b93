// `readout`: a linear probe of how many objects an image holds, from each layer's image-position states,
// in the understanding pathway (finished scenes under a counting question) and on the generator's
// partial canvases, for the base and adapters; the paired Δ of the probe's error says whether an
// adapter made counts more readable on canvases, not only on finished images (src/lab/diagnostics/readout.ts).

import * as aq from "arquero";
import * as E from "../../eval";
import { readoutCurves } from "../../viz/figures";
import { READOUT_PATHWAYS, countReadout, readoutItems } from "../diagnostics/readout";
import type { Table } from "../results/tables";
import { common } from "./fields";
import { defineVerb } from "./verb";

export default defineVerb({
  name: "readout",
  help: "Count read-out: a linear probe of the number of objects from each layer's image states, on finished scenes (understanding) and on the generator's partial canvases, base and adapters, with paired Δ of the probe's error.",
  fields: [
    { name: "adapter", type: "list", items: "string", help: "run names to compare with the base (comma-separated)", default: [] },
    {
      name: "scenes",
      type: "integer",
      help: "counting scenes in the understanding layout (half fit the probe, half score it)",
      default: 256,
      min: 8,
      max: 4096,
    },
    { name: "canvases", type: "integer", help: "partial canvases from the base's sampler", default: 256, min: 8, max: 4096 },
    { name: "seed", type: "integer", help: "seed of the scenes, prompts and bootstrap", default: 0, min: 0, max: 2 ** 31 - 1 },
    ...common,
  ] as const,
  live: "progress",
  async run(lab, a, hooks): Promise<{ table: Table; effects: Table }> {
    const { model } = lab.base(a.base);
    hooks.onStage?.(`drawing ${a.scenes} scenes and ${a.canvases} canvases`);
    const items = await readoutItems(model, { scenes: a.scenes, canvases: a.canvases, seed: a.seed });
    const models = [{ name: "base" }, ...a.adapter.map((n) => ({ name: n, adapter: lab.adapter(n) }))];
    const { rows, errors } = await countReadout(model, models, items, { seed: a.seed, ...(hooks.onStage ? { onStage: hooks.onStage } : {}) });
    const effects: Record<string, unknown>[] = [];
    const key = (e: { pathway: string; layer: number; id: string }) => `${e.pathway}/${e.layer}/${e.id}`;
    const base = new Map(errors.filter((e) => e.model === "base").map((e) => [key(e), e.absError]));
    for (const name of a.adapter)
      for (const pathway of READOUT_PATHWAYS)
        for (let layer = 0; layer < model.config.layers; layer++) {
          const mine = errors.filter((e) => e.model === name && e.pathway === pathway && e.layer === layer);
          if (!mine.length) continue;
          const d = E.pairedEffect(
            mine.map((e) => ({ cluster: e.id, run: name, tuned: e.absError, base: base.get(key(e))! })),
            { better: "lower" },
          );
          effects.push({ model: name, pathway, layer, delta_abs_error: d.estimate, lo: d.lo, hi: d.hi, verdict: d.verdict, statement: d.statement });
        }
    return { table: aq.from(rows), effects: aq.from(effects) };
  },
  present: (r) => [
    { kind: "figure", title: "Count read-out", table: r.table, draw: (t) => readoutCurves(t) },
    ...(r.effects.numRows()
      ? [{ kind: "table" as const, title: "paired Δ of the probe's absolute error (adapter − base; negative = counts more readable)", table: r.effects }]
      : []),
    { kind: "result", value: r.table },
  ],
});
