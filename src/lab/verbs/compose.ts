// `compose` (appendix C.5): understanding trained on a counting + spatial mixture, then compositional
// generation prompts (a count and a relation at once) drawn by the base and by each tuned run on the same
// prompts and sampling seeds. The effect is paired (tuned − base, a crossed cluster bootstrap over
// prompts × training runs) for joint accuracy and for its two parts, so a change shows even where the
// joint number sits on the floor.

import * as aq from "arquero";
import { pairedEffects } from "../../viz/figures";
import { TunedRows, effectRows } from "../results/effects";
import { evaluateSet, GenRow, UndRow, summarizePooled } from "../evaluation/sets";
import type { MetricRow } from "../store/run-store";
import { summaryRows } from "../evaluation/summary-rows";
import type { Table } from "../results/tables";
import { common, evalSize, selection, training, evalOptionsOf } from "./fields";
import { defineVerb } from "./verb";

export default defineVerb({
  name: "compose",
  help: "Appendix C.5: understanding training on a counting + spatial mixture; paired effects on compositional generation prompts (joint accuracy and its parts).",
  fields: [
    ...training,
    { name: "seeds", type: "integer", help: "training seeds (runs pooled in the paired effect)", default: 3, min: 1, max: 10 },
    ...selection,
    ...evalSize,
    ...common,
  ] as const,
  live: "progress",
  async run(lab, a, hooks): Promise<{ table: Table; effects: Table; runs: string[] }> {
    const { model } = lab.base(a.base);
    const opts = evalOptionsOf(a);
    hooks.onStage?.("evaluating the baseline (test split)");
    const base = await evaluateSet(model, "composition-gen", opts);
    const rows: (MetricRow & { train: string; seed: number | null })[] = summaryRows("baseline", 0, "gen", base.summary).map((r) => ({
      train: "baseline",
      seed: null,
      ...r,
    }));
    const tuned: TunedRows[] = [];
    const pooled: (GenRow | UndRow)[][] = [];
    for (let seed = 0; seed < a.seeds; seed++) {
      hooks.onStage?.(`training on the counting + spatial mixture, seed ${seed}`);
      const h = await lab.subRun(a, { task: "compose", objective: "und", seed }, hooks);
      hooks.onStage?.(`evaluating ${h.name} (test split)`);
      const t = await evaluateSet(model, "composition-gen", { ...opts, adapter: lab.adapter(h.name) });
      tuned.push({ run: h.name, rows: t.rows });
      pooled.push(t.rows);
      rows.push(...summaryRows(h.name, 0, "gen", t.summary).map((r) => ({ train: "und", seed, ...r })));
    }
    rows.push(...summaryRows("pooled", 0, "gen", summarizePooled("composition-gen", pooled)).map((r) => ({ train: "und", seed: null, ...r })));
    // C.5 names the composition-gen accuracy "joint accuracy".
    const name = (m: string) => (m === "accuracy" ? "joint_accuracy" : m);
    const table = aq.from(rows.map(({ train, seed, run, metric, value, lo, hi, n }) => ({ train, seed, run, metric: name(metric), value, lo, hi, n })));
    const effects = effectRows("und→gen", "composition-gen", base.rows, tuned).map((e) => ({ ...e, metric: name(e.metric) }));
    return { table, effects: aq.from(effects), runs: tuned.map((t) => t.run) };
  },
  present: (r) => [
    { kind: "table", title: "Compositional generation: the base, each run, and the runs pooled (run: pooled)", table: r.table },
    {
      kind: "table",
      title: "Paired effects of mixture understanding training (same prompts and sampling seeds)",
      table: r.effects.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict", "mde", "statement"),
    },
    { kind: "figure", title: "Paired effects (C.5)", table: r.effects, draw: (t) => pairedEffects(t) },
    { kind: "result", value: r.effects.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict") },
  ],
});
