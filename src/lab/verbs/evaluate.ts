// `evaluate`: the base or an adapter on a task's evaluation sets, with 95% intervals, and a manifest
// file that makes the numbers reproducible (model, sampler, detector, every item's output and verdict).

import * as path from "node:path";
import * as aq from "arquero";
import * as E from "../../eval";
import * as T from "../../tasks";
import { writeFileAtomic } from "../../core/atomic";
import { EvalSet, GenRow, Summary, UndRow, evaluateSet } from "../evaluation/sets";
import type { MetricRow } from "../store/run-store";
import { GEN_SET, UND_SET, summaryRows } from "../evaluation/summary-rows";
import type { Table } from "../results/tables";
import { ALL_TASKS, SIDES, common } from "./fields";
import { defineVerb } from "./verb";
import { ADAPTER_POSITIONS } from "./canvas";
import { SpecError } from "../../core/fields";
import { world } from "../worlds";

export default defineVerb({
  name: "evaluate",
  aliases: ["eval"],
  help: "Evaluate the base or an adapter on a task's evaluation sets, with 95% confidence intervals.",
  fields: [
    { name: "task", type: "string", help: "capability", default: "counting", choices: ALL_TASKS },
    { name: "side", type: "string", help: "which side to evaluate", default: "both", choices: SIDES },
    { name: "adapter", type: "string", help: "a run name (default: the base)" },
    { name: "limit", type: "integer", help: "the first N prompts/questions only", min: 1, max: 100000 },
    {
      name: "split",
      type: "string",
      help: "test (report), val (choose checkpoints and sampler settings: no test prompt) or val-overlap (validation as the first map had it)",
      default: "test",
      choices: T.EVAL_SPLITS,
    },
    { name: "cfg", type: "number", help: "the sampler's classifier-free guidance (default: the model's)", min: 0, max: 20 },
    {
      name: "positions",
      type: "string",
      help: "patching: where the adapter acts in generation — all positions, the image cells only, or the prompt only (needs --adapter and --side gen)",
      default: "all",
      choices: ADAPTER_POSITIONS,
    },
    ...common,
  ] as const,
  live: "progress",
  async run(lab, a, hooks): Promise<{ table: Table; rows: Table; sets: { set: EvalSet; summary: Summary }[]; manifest: string }> {
    const adapter = a.adapter ? lab.adapter(a.adapter) : undefined;
    const spec = a.adapter ? lab.store.run(a.adapter).spec() : null;
    const { model, id } = lab.base(a.base ?? (spec?.["baseDir"] as string | undefined));
    if (a.positions !== "all" && (!adapter || a.side !== "gen"))
      throw new SpecError(
        `evaluate.positions: ${JSON.stringify(a.positions)} needs an adapter and side "gen" (patching places an adapter in generation); got ${adapter ? `side "${a.side}"` : "no adapter"}`,
      );
    const adapterPositions = a.positions === "all" ? undefined : model.layout.genPositions(a.positions);
    const sets = [...(a.side !== "und" ? [GEN_SET[a.task]] : []), ...(a.side !== "gen" && !world(a.task).mixture ? [UND_SET[a.task]] : [])];
    const out: { set: EvalSet; summary: Summary }[] = [];
    const table: MetricRow[] = [];
    const items: Record<string, unknown>[] = [];
    for (const set of sets) {
      hooks.onStage?.(`evaluating ${set}`);
      const r = await evaluateSet(model, set, {
        ...(a.limit ? { limit: a.limit } : {}),
        split: a.split as T.EvalSplit,
        ...(a.cfg !== undefined ? { cfg: a.cfg } : {}),
        ...(adapter ? { adapter } : {}),
        ...(adapterPositions ? { adapterPositions } : {}),
      });
      out.push({ set, summary: r.summary });
      table.push(...summaryRows(a.adapter ?? "baseline", 0, set.endsWith("gen") ? "gen" : "und", r.summary).map((x) => ({ ...x, set })));
      for (const row of r.rows as (GenRow | UndRow)[]) {
        const { image: _i, ...rest } = row as GenRow;
        items.push({ set, ...rest });
      }
    }
    // The manifest that makes the numbers reproducible: model, adapter, sampler, detector and its
    // thresholds, seeds and images per prompt, and every item's output and verdict with its reason.
    const manifest = {
      created: new Date().toISOString(),
      base: id,
      adapter: a.adapter ?? null,
      adapter_positions: a.positions,
      task: a.task,
      sets,
      limit: a.limit ?? null,
      split: a.split,
      sampler: {
        steps: 12,
        temperature: model.samplerTemperature,
        cfg: a.cfg ?? model.samplerCfg,
        seeds:
          "GenEval: 4 per prompt for counting and spatial (test 0–3, val 100–103), 1 for text and composition; each image's seed is derived from (prompt id, seed)",
      },
      detector: { ...E.DETECTOR_DEFAULTS, position_margin: E.POSITION_MARGIN },
      prompts_rewritten: false,
      summaries: out,
      items,
    };
    const file = path.join(
      lab.store.root,
      "evaluations",
      `${a.adapter ?? "baseline"}-${a.task}-${a.side}${a.split !== "test" ? `-${a.split}` : ""}${a.cfg !== undefined ? `-cfg${a.cfg}` : ""}${a.limit ? `-limit${a.limit}` : ""}${a.positions !== "all" ? `-at-${a.positions}` : ""}.json`,
    );
    writeFileAtomic(file, JSON.stringify(manifest, null, 1) + "\n");
    return { table: aq.from(table).select(aq.not("step")), rows: aq.from(items), sets: out, manifest: file };
  },
  present: (r) => [
    { kind: "text", text: `manifest (every item's output and verdict): ${r.manifest}` },
    { kind: "result", value: r.table },
  ],
});
