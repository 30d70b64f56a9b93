// `canvas`: does the generator read its own partial canvas? The base's half-drawn counting canvases are
// edited — one object of the asked class added or removed — and each model's response is measured:
// compensation (fewer further objects expected per object added; 1 = it counts its canvas) and
// pass-through (the final count's change per object added; 1 = the edit goes straight into the image).
// Adapters are compared with the base on identical canvases (paired; src/lab/diagnostics/canvas.ts).

import * as aq from "arquero";
import * as E from "../../eval";
import { SpecError } from "../../core/fields";
import { pairedEffects } from "../../viz/figures";
import { CANVAS_EDITS, CanvasRow, canvasDependence, canvasItems } from "../diagnostics/canvas";
import type { Table } from "../results/tables";
import { common, diagnosticFields, pooledByObjective } from "./fields";
import { defineVerb } from "./verb";

export const ADAPTER_POSITIONS = ["all", "image", "prompt"] as const;

const MEASURES = ["compensation", "passthrough"] as const;

/**
 * Per model × edit × measure: the mean with its interval, and (adapters) the paired Δ against the base;
 * then per group of adapters trained the same way (`groups`: a name → its runs), the pooled Δ with
 * training runs resampled as a crossed factor (the claim's interval, over ≥ 3 runs).
 */
function summarize(rows: readonly CanvasRow[], groups: ReadonlyMap<string, readonly string[]>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const models = [...new Set(rows.map((r) => r.model))];
  const units: [string, readonly string[]][] = [...models.map((m) => [m, [m]] as [string, string[]]), ...[...groups].filter(([, runs]) => runs.length > 1)];
  for (const edit of CANVAS_EDITS) {
    for (const measure of MEASURES) {
      const key = (r: CanvasRow) => `${r.id}/${r.seed}`;
      const base = new Map(rows.filter((r) => r.model === models[0] && r.edit === edit).map((r) => [key(r), r[measure]]));
      for (const [model, runs] of units) {
        const mine = rows.filter((r) => runs.includes(r.model) && r.edit === edit);
        if (!mine.length) continue;
        const level = E.pairedEffect(mine.map((r) => ({ cluster: r.id, run: r.model, tuned: r[measure], base: 0 })));
        // Every row has every column (a table's columns are its first row's): the base's Δ is empty.
        const row: Record<string, unknown> = {
          model,
          edit,
          measure,
          mean: level.estimate,
          lo: level.lo,
          hi: level.hi,
          n: mine.length,
          delta: null,
          delta_lo: null,
          delta_hi: null,
          verdict: null,
        };
        if (model !== models[0]) {
          const d = E.pairedEffect(
            mine.filter((r) => base.has(key(r))).map((r) => ({ cluster: r.id, run: model, tuned: r[measure], base: base.get(key(r))! })),
          );
          Object.assign(row, { delta: d.estimate, delta_lo: d.lo, delta_hi: d.hi, verdict: d.verdict });
        }
        out.push(row);
      }
    }
  }
  return out;
}

export default defineVerb({
  name: "canvas",
  help: "Canvas dependence: edit the base's half-drawn counting canvases (one object of the asked class added or removed) and measure whether each model compensates — the link from understanding to generation through the generator's own canvas.",
  fields: [
    ...diagnosticFields,
    { name: "step", type: "integer", help: "the sampling step whose canvas is edited", default: 6, min: 1, max: 256 },
    {
      name: "positions",
      type: "string",
      help: "where the adapters act: all positions, the image cells only, or the prompt only (patching)",
      default: "all",
      choices: ADAPTER_POSITIONS,
    },
    ...common,
  ] as const,
  live: "progress",
  async run(lab, a, hooks): Promise<{ rows: Table; summary: Table }> {
    const { model } = lab.base(a.base);
    if (a.step >= a.steps) throw new SpecError(`canvas.step: ${a.step} is not allowed (allowed: 1..${a.steps - 1}, a step before the schedule ends)`);
    const positions = a.positions === "all" ? undefined : model.layout.genPositions(a.positions);
    const models = [{ name: "base" }, ...a.adapter.map((n) => ({ name: n, adapter: lab.adapter(n), ...(positions ? { adapterPositions: positions } : {}) }))];
    const rows = await canvasDependence(model, models, {
      items: canvasItems(a.seeds),
      step: a.step,
      steps: a.steps,
      ...(a.cfg !== undefined ? { cfg: a.cfg } : {}),
      ...(hooks.onStage ? { onStage: hooks.onStage } : {}),
    });
    return { rows: aq.from(rows), summary: aq.from(summarize(rows, pooledByObjective(lab.store, a.adapter))) };
  },
  present: (r) => [
    {
      kind: "figure",
      title: "Canvas dependence",
      table: r.summary,
      draw: (t) =>
        pairedEffects(
          t.derive({ direction: (d: any) => d.model, metric: (d: any) => d.measure + " (" + d.edit + ")", delta: (d: any) => d.mean, verdict: () => "null" }),
          {
            title:
              "Canvas dependence: compensation (1 = one object fewer drawn per object already on the canvas, 0 = the edit is ignored) and pass-through (1 = the edit goes straight into the final image), mean and 95% interval per model",
          },
        ),
    },
    { kind: "table", title: "canvas dependence (mean [95% interval]; Δ = adapter − base on the same canvases)", table: r.summary },
    { kind: "result", value: r.summary },
  ],
});
