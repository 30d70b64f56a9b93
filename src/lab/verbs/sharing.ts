// `sharing`: per-layer linear CKA between the understanding and generation pathways' hidden states of
// the same counting scenes, for the base and adapters, beside a shuffled-scene control (src/lab/diagnostics/pathway-cka.ts).

import * as aq from "arquero";
import { sharingCurves } from "../../viz/figures";
import { representationSharing } from "../diagnostics/pathway-cka";
import type { Table } from "../results/tables";
import { common } from "./fields";
import { defineVerb } from "./verb";

export default defineVerb({
  name: "sharing",
  help: "Representation sharing: per-layer linear CKA between the understanding and generation pathways' states of the same counting scenes, for the base and adapters, beside a shuffled-scene control.",
  fields: [
    { name: "adapter", type: "list", items: "string", help: "run names to compare with the base (comma-separated)", default: [] },
    { name: "scenes", type: "integer", help: "counting scenes (not from the test sets)", default: 256, min: 8, max: 4096 },
    { name: "seed", type: "integer", help: "seed of the scenes and the control's permutation", default: 0, min: 0, max: 2 ** 31 - 1 },
    ...common,
  ] as const,
  live: "progress",
  async run(lab, a, hooks): Promise<{ table: Table }> {
    const { model } = lab.base(a.base);
    hooks.onStage?.(`reading hidden states of ${a.scenes} scenes`);
    const rows = await representationSharing(model, [{ name: "base" }, ...a.adapter.map((n) => ({ name: n, adapter: lab.adapter(n) }))], {
      scenes: a.scenes,
      seed: a.seed,
    });
    return { table: aq.from(rows) };
  },
  present: (r) => [
    { kind: "figure", title: "Representation sharing", table: r.table, draw: (t) => sharingCurves(t) },
    { kind: "result", value: r.table },
  ],
});
