// `ablate` (Table 12): und→gen transfer against the LoRA rank: one understanding run per rank, its
// generation side evaluated beside the base's.

import * as aq from "arquero";
import { omit } from "../../core/fields";
import { rankAblation } from "../../viz/figures";
import { evaluateSet } from "../evaluation/sets";
import { GEN_SET, summaryRows } from "../evaluation/summary-rows";
import type { Table } from "../results/tables";
import { CAPABILITY_TASKS, common, evalSize, seedField, selection, training, evalOptionsOf } from "./fields";
import { TRAINING_KNOBS } from "../training/spec";

/** Each rank is checked as `train` checks its rank. */
const RANK = TRAINING_KNOBS[0];
import { defineVerb } from "./verb";

export default defineVerb({
  name: "ablate",
  help: "Rank ablation of und→gen transfer (Table 12): one understanding run per rank, generation evaluated.",
  fields: [
    { name: "task", type: "string", help: "capability", default: "counting", choices: CAPABILITY_TASKS },
    { name: "ranks", type: "list", items: "integer", help: "LoRA ranks", default: [2, 8, 32], min: RANK.min, max: RANK.max },
    ...omit(training, "rank"),
    seedField,
    ...selection,
    ...evalSize,
    ...common,
  ] as const,
  live: "progress",
  async run(lab, a, hooks): Promise<{ table: Table }> {
    const { model } = lab.base(a.base);
    const opts = evalOptionsOf(a);
    hooks.onStage?.("evaluating the baseline");
    const base = await evaluateSet(model, GEN_SET[a.task], opts);
    const rows: Record<string, unknown>[] = summaryRows("baseline", 0, "gen", base.summary)
      .filter((r) => r.metric === "accuracy" || r.metric === "mad" || r.metric === "cer")
      .map((r) => ({ rank: 0, ...r }));
    const baseVal = new Map(rows.map((r) => [r["metric"], r["value"] as number]));
    for (const rank of a.ranks) {
      hooks.onStage?.(`training rank ${rank}`);
      const h = await lab.subRun(a, { task: a.task, objective: "und", rank }, hooks);
      const r = await evaluateSet(model, GEN_SET[a.task], { ...opts, adapter: lab.adapter(h.name) });
      for (const m of summaryRows(h.name, 0, "gen", r.summary)) if (baseVal.has(m.metric)) rows.push({ rank, ...m, delta: m.value! - baseVal.get(m.metric)! });
    }
    return { table: aq.from(rows).select(aq.not("step")) };
  },
  present: (r) => [
    { kind: "figure", title: "Rank ablation", table: r.table, draw: (t) => rankAblation(t) },
    { kind: "result", value: r.table },
  ],
});
