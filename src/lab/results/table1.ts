// Table 1 in miniature: each architecture family's und→gen and gen→und effects (paired, with their
// intervals, from one map condition per family) beside the paper's model of that family (one run each,
// no interval). The family of a condition is its base's; the paper's model is the family's own
// declaration (src/umm/arch: `paper.model`).

import { architecture } from "../../umm/arch";
import { Table, rowsOf } from "./tables";

type Row = Record<string, unknown>;

/** The directions Table 1 reports: transfer each way. */
export const TABLE1_DIRECTIONS = ["und→gen", "gen→und"] as const;

/** The paper's Table 1 effect of a model: the transfer row minus the baseline row on the evaluated side. */
function paperDelta(paper: Table, model: string, task: string, direction: string, metric: string): number | null {
  const [trained, side] = direction === "und→gen" ? ["und", "gen"] : ["gen", "und"];
  const rows = rowsOf(paper).filter((r) => Number(r["table"]) === 1 && r.model === model && r.task === task && r.side === side && r.metric === metric);
  const at = (train: string) => rows.find((r) => r.train === train)?.value;
  const tuned = at(trained);
  const base = at("baseline");
  return tuned === undefined || base === undefined ? null : Number(tuned) - Number(base);
}

/**
 * One row per condition × direction × metric (a condition is one family on one task; the task joins the
 * row label where the table holds more than one): the miniature's Δ with its interval and verdict, and the
 * paper's Δ for the family's model. `conditions` are map conditions (settings.arch: the family; effects:
 * the paired effects), one per family.
 */
export function table1Rows(conditions: readonly { id: string; settings: Row; effects: readonly Row[] }[], paper: Table): Row[] {
  const out: Row[] = [];
  const tasks = new Set(conditions.map((c) => String(c.settings["task"] ?? "counting")));
  for (const c of conditions) {
    const task = String(c.settings["task"] ?? "counting");
    const family = String(c.settings["arch"] ?? "");
    if (!family) throw new Error(`table1: condition ${c.id} has no family (settings.arch)`);
    const model = architecture(family).paper?.model ?? null;
    for (const direction of TABLE1_DIRECTIONS) {
      for (const e of c.effects.filter((x) => x["direction"] === direction && ["accuracy", "mad"].includes(String(x["metric"])))) {
        const metric = String(e["metric"]);
        out.push({
          family,
          paper_model: model,
          condition: c.id,
          // The row label a forest plot shows: the family, the paper's model of it, the direction.
          direction: `${family}${model ? ` (${model})` : ""}: ${tasks.size > 1 ? `${task} ` : ""}${direction}`,
          task,
          metric,
          delta: e["delta"],
          lo: e["lo"],
          hi: e["hi"],
          verdict: e["verdict"],
          better: e["better"],
          statement: e["statement"],
          paper: model ? paperDelta(paper, model, task, direction, metric) : null,
        });
      }
    }
  }
  return out;
}
