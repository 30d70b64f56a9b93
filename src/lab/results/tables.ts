// Results as Arquero tables, in one long format shared by the miniature's runs, imported runs (PyTorch
// on GPUs, other tools) and the paper's published numbers, so every table and chart can put them side
// by side. The schema (data/README.md):
//
//   source  where the number comes from ("paper", "miniature", a lab's own name)        required
//   model   the model ("Lumina-DiMOO", "shared-unified", …)                             required
//   task    counting | spatial | text | compose | general                               required
//   train   baseline | und | gen | joint (the objective trained; baseline = untuned)    required
//   side    gen | und (the side evaluated)                                              required
//   metric  accuracy | mad | cer | wer | edit_distance | bleu | meteor | f1 | is | fid | …  required
//   value   the number; accuracies as fractions (0.48, not 48%)                         required
//   lo, hi, n, rank, seed, step, table, prompts, run                                    optional

import * as fs from "node:fs";
import * as aq from "arquero";
import { dataPath } from "../../core/paths";
import { SpecError } from "../../core/fields";
import { parseCsv } from "../../core/csv";
import { LOWER_IS_BETTER, METRICS, MetricInfo } from "../../core/metrics";
import { Table, formatCell, tableFormat } from "../../core/table-format";

export type { Table };
export { formatCell, tableFormat };

export const RESULT_REQUIRED = ["source", "model", "task", "train", "side", "metric", "value"] as const;
export const RESULT_OPTIONAL = ["lo", "hi", "n", "rank", "seed", "step", "table", "prompts", "run"] as const;
const NUMERIC = new Set(["value", "lo", "hi", "n", "rank", "seed", "step", "table"]);
const TRAINS = ["baseline", "und", "gen", "joint"];
const SIDES = ["gen", "und"];

/**
 * The metrics a results row may carry, with the values each can take (src/core/metrics.ts: shares in
 * [0, 1]; distances and counts ≥ 0; benchmark scores ≥ 0), and each gain metric's strength, any finite
 * number (a strength may be negative or exceed 1). A value outside its range is a broken record.
 */
export const METRIC_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  ...Object.fromEntries(Object.entries(METRICS as Record<string, MetricInfo>).map(([k, m]) => [k, m.range])),
  ...Object.fromEntries(
    Object.entries(METRICS as Record<string, MetricInfo>)
      .filter(([, m]) => m.better !== null)
      .map(([k]) => [`strength_${k}`, [-Infinity, Infinity] as const]),
  ),
};
export const RESULT_TASKS = ["counting", "spatial", "text", "compose", "composition", "general"] as const;
/** Optional integer fields and their least value. */
const INTEGERS: Record<string, number> = { n: 1, rank: 1, seed: 0, step: 0, table: 1 };

export { LOWER_IS_BETTER };

export interface ResultRow {
  source: string;
  model: string;
  task: string;
  train: string;
  side: string;
  metric: string;
  value: number;
  [k: string]: string | number | null;
}

/** Validates result records (from a CSV or JSONL file, or made in code); errors name the line and field. */
export function checkResults(records: readonly Record<string, unknown>[], where: string, firstLine = 2): ResultRow[] {
  return records.map((r, i) => {
    const at = `${where}:${i + firstLine}`;
    const out: Record<string, string | number | null> = {};
    for (const k of RESULT_REQUIRED) {
      const v = r[k];
      if (v === undefined || v === null || v === "") throw new SpecError(`${at}: field "${k}" is missing (required: ${RESULT_REQUIRED.join(", ")})`);
    }
    for (const [k, v] of Object.entries(r)) {
      if (!(RESULT_REQUIRED as readonly string[]).includes(k) && !(RESULT_OPTIONAL as readonly string[]).includes(k)) {
        throw new SpecError(`${at}: unknown field "${k}" (allowed: ${[...RESULT_REQUIRED, ...RESULT_OPTIONAL].join(", ")})`);
      }
      if (NUMERIC.has(k)) {
        if (v === "" || v === null || v === undefined) out[k] = null;
        else {
          const n = Number(v);
          if (!Number.isFinite(n)) throw new SpecError(`${at}: field "${k}" is ${JSON.stringify(v)}, not a number`);
          out[k] = n;
        }
      } else out[k] = v === null || v === undefined ? null : String(v);
    }
    if (!(RESULT_TASKS as readonly string[]).includes(String(out["task"])))
      throw new SpecError(`${at}: field "task" is ${JSON.stringify(out["task"])} (allowed: ${RESULT_TASKS.join(", ")})`);
    const range = METRIC_RANGES[String(out["metric"])];
    if (!range) throw new SpecError(`${at}: field "metric" is ${JSON.stringify(out["metric"])} (allowed: ${Object.keys(METRIC_RANGES).join(", ")})`);
    for (const k of ["value", "lo", "hi"]) {
      const v = out[k];
      if (typeof v === "number" && (v < range[0] || v > range[1]))
        throw new SpecError(`${at}: field "${k}" is ${v}, outside the range of ${out["metric"]} (allowed: ${range[0]} to ${range[1]})`);
    }
    if (typeof out["lo"] === "number" && typeof out["hi"] === "number" && out["lo"] > out["hi"])
      throw new SpecError(`${at}: fields "lo" ${out["lo"]} and "hi" ${out["hi"]} are reversed (allowed: lo <= hi)`);
    for (const [k, least] of Object.entries(INTEGERS)) {
      const v = out[k];
      if (typeof v === "number" && (!Number.isInteger(v) || v < least)) throw new SpecError(`${at}: field "${k}" is ${v} (allowed: integers >= ${least})`);
    }
    if (!TRAINS.includes(String(out["train"]))) throw new SpecError(`${at}: field "train" is ${JSON.stringify(out["train"])} (allowed: ${TRAINS.join(", ")})`);
    if (!SIDES.includes(String(out["side"]))) throw new SpecError(`${at}: field "side" is ${JSON.stringify(out["side"])} (allowed: ${SIDES.join(", ")})`);
    for (const k of RESULT_OPTIONAL) if (!(k in out)) out[k] = null;
    return out as ResultRow;
  });
}

/** Reads results from a CSV (header line) or JSONL file with the schema above. */
export function importRuns(file: string): Table {
  if (!fs.existsSync(file)) throw new SpecError(`importRuns: ${file} does not exist`);
  const text = fs.readFileSync(file, "utf8");
  let records: Record<string, unknown>[];
  if (/\.jsonl?$/i.test(file) || text.trimStart().startsWith("{")) {
    records = text
      .split("\n")
      .map((l, i) => [l, i] as const)
      .filter(([l]) => l.trim() !== "")
      .map(([l, i]) => {
        let v: unknown;
        try {
          v = JSON.parse(l);
        } catch (e) {
          throw new SpecError(`${file}:${i + 1}: not JSON (${(e as Error).message})`);
        }
        if (typeof v !== "object" || v === null || Array.isArray(v))
          throw new SpecError(`${file}:${i + 1}: expected one JSON object per line, got ${JSON.stringify(v).slice(0, 40)}`);
        return v as Record<string, unknown>;
      });
    // JSONL has no header line: its first record is line 1.
    return aq.from(checkResults(records, file, 1));
  }
  records = parseCsv(text, file);
  return aq.from(checkResults(records, file));
}

/** The paper's published numbers (Tables 1–7, 10–13), shipped in data/paper-results.csv. */
export function paperResults(): Table {
  return importRuns(dataPath("paper-results.csv"));
}

/** Rows of a results table as plain objects. */
export function rowsOf(t: Table): ResultRow[] {
  return t.objects() as ResultRow[];
}

/**
 * Transfer strength (the paper's Table 6): the improvement from transfer over the improvement from
 * direct training on the same side, per source, model, task and metric. und→gen compares train=und with
 * train=gen on the generation side; gen→und compares train=gen with train=und on the understanding side.
 * The ratio is left null where direct training did not move the metric (no upper bound to divide by),
 * and flagged where direct training made the metric worse (the ratio then has no meaning as a share).
 */
export function transferStrength(results: Table, opts: { metrics?: readonly string[] } = {}): Table {
  const rows = rowsOf(results);
  const groups = new Map<string, ResultRow[]>();
  for (const r of rows) {
    if (opts.metrics && !opts.metrics.includes(r.metric)) continue;
    if (r.metric.startsWith("strength_") || r.metric === "is" || r.metric === "fid") continue;
    const k = JSON.stringify([r.source, r.model, r.task, r.metric, r.side, r["rank"] ?? null, r["prompts"] ?? null]);
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const out: Record<string, unknown>[] = [];
  for (const g of groups.values()) {
    const side = g[0]!.side;
    const mean = (train: string) => {
      const xs = g.filter((r) => r.train === train).map((r) => r.value);
      return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
    };
    const base = mean("baseline");
    const transfer = mean(side === "gen" ? "und" : "gen");
    const direct = mean(side === "gen" ? "gen" : "und");
    if (base === null || transfer === null || direct === null) continue;
    const sign = LOWER_IS_BETTER.has(g[0]!.metric) ? -1 : 1;
    const dT = transfer - base;
    const dD = direct - base;
    const ratio = Math.abs(dD) < 1e-12 ? null : dT / dD;
    out.push({
      source: g[0]!.source,
      model: g[0]!.model,
      task: g[0]!.task,
      direction: side === "gen" ? "und→gen" : "gen→und",
      metric: g[0]!.metric,
      baseline: base,
      transfer,
      direct,
      transfer_gain: sign * dT,
      direct_gain: sign * dD,
      strength: ratio,
      note: ratio === null ? "direct training did not move the metric" : sign * dD < 0 ? "direct training made it worse: the ratio is not a share" : "",
    });
  }
  return aq.from(out);
}
