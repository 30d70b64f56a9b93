// `statement`: for a tally model (plan-then-draw: it states how many objects of the asked class its canvas
// holds before each drawing step), does the statement read the canvas, and does the drawing read the
// statement? Adapters are compared with the base on the same prompts and seeds (src/lab/diagnostics/statement.ts).

import * as aq from "arquero";
import * as E from "../../eval";
import { pairedEffects } from "../../viz/figures";
import { canvasItems } from "../diagnostics/canvas";
import { STATEMENT_CLAIMS, StatementRow, statementDependence } from "../diagnostics/statement";
import type { Table } from "../results/tables";
import { common, diagnosticFields, pooledByObjective } from "./fields";
import { defineVerb } from "./verb";

type Unit = [name: string, runs: readonly string[]];

/**
 * Per model (and pooled group of adapters trained the same way): the statement's error with its interval
 * and, for adapters, its paired Δ against the base; the final count under each claim and its paired Δ
 * against the model's own statement (how much the drawing reads the statement).
 */
function summarize(rows: readonly StatementRow[], units: readonly Unit[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const key = (r: StatementRow) => `${r.id}/${r.seed}`;
  const own = (runs: readonly string[]) => rows.filter((r) => runs.includes(r.model) && r.claim === "own");
  const base = new Map(own([units[0]![0]]).map((r) => [key(r), r.statedError]));
  const row = (model: string, measure: string, level: E.PairedEffect, n: number, d?: E.PairedEffect) => ({
    model,
    measure,
    mean: level.estimate,
    lo: level.lo,
    hi: level.hi,
    n,
    delta: d?.estimate ?? null,
    delta_lo: d?.lo ?? null,
    delta_hi: d?.hi ?? null,
    verdict: d?.verdict ?? null,
  });
  for (const [model, runs] of units) {
    const mine = own(runs).filter((r) => r.statedError !== null);
    if (mine.length) {
      const level = E.pairedEffect(mine.map((r) => ({ cluster: r.id, run: r.model, tuned: r.statedError!, base: 0 })));
      const paired = mine.filter((r) => base.get(key(r)) != null);
      const d =
        model !== units[0]![0] && paired.length
          ? E.pairedEffect(
              paired.map((r) => ({ cluster: r.id, run: r.model, tuned: r.statedError!, base: base.get(key(r))! })),
              { better: "lower" },
            )
          : undefined;
      out.push(row(model, "statement error (|stated − shown|, per step)", level, mine.length, d));
    }
    const ownFinal = new Map(own(runs).map((r) => [`${r.model}/${key(r)}`, r.final]));
    for (const claim of STATEMENT_CLAIMS) {
      const under = rows.filter((r) => runs.includes(r.model) && r.claim === claim);
      if (!under.length) continue;
      const level = E.pairedEffect(under.map((r) => ({ cluster: r.id, run: r.model, tuned: r.final, base: 0 })));
      const d =
        claim === "own"
          ? undefined
          : E.pairedEffect(under.map((r) => ({ cluster: r.id, run: r.model, tuned: r.final, base: ownFinal.get(`${r.model}/${key(r)}`)! })));
      out.push(row(model, `objects drawn (${claim === "own" ? "its own statement" : `claim: ${claim}`})`, level, under.length, d));
    }
  }
  return out;
}

export default defineVerb({
  name: "statement",
  help: "Plan-then-draw, for a tally model: how far each step's statement of the canvas is from what the canvas shows, and whether the drawing reads the statement (the final count when the statement is replaced by 'nothing drawn yet' or 'every asked object drawn'), base and adapters paired.",
  fields: [...diagnosticFields, ...common] as const,
  live: "progress",
  async run(lab, a, hooks): Promise<{ rows: Table; summary: Table }> {
    const { model } = lab.base(a.base);
    const models = [{ name: "base" }, ...a.adapter.map((n) => ({ name: n, adapter: lab.adapter(n) }))];
    const rows = await statementDependence(model, models, {
      items: canvasItems(a.seeds),
      steps: a.steps,
      ...(a.cfg !== undefined ? { cfg: a.cfg } : {}),
      ...(hooks.onStage ? { onStage: hooks.onStage } : {}),
    });
    const groups = pooledByObjective(lab.store, a.adapter);
    const units: Unit[] = [...models.map((m): Unit => [m.name, [m.name]]), ...[...groups].filter(([, runs]) => runs.length > 1)];
    return { rows: aq.from(rows), summary: aq.from(summarize(rows, units)) };
  },
  present: (r) => [
    {
      kind: "figure",
      title: "Plan, then draw: the statement and the drawing",
      table: r.summary,
      draw: (t) =>
        pairedEffects(t.derive({ direction: (d: any) => d.model, metric: (d: any) => d.measure, delta: (d: any) => d.mean, verdict: () => "null" }), {
          title:
            "Plan, then draw (a tally model): the statement's error against the canvas (0 = states what it drew) and the objects drawn with its own statement or a claim put in its place (a generator that reads its statement draws more under 'none-drawn', fewer under 'all-drawn'); mean and 95% interval per model",
        }),
    },
    {
      kind: "table",
      title: "statement diagnostics (mean [95% interval]; Δ: adapter − base for the error, claim − own statement for the objects drawn)",
      table: r.summary,
    },
    { kind: "result", value: r.summary },
  ],
});
