// The measured map of where transfer appears in the shipped miniature: each condition of the
// protocol run with 3 training seeds, its paired effects and strengths, and the representation-sharing
// diagnostic. Shipped as models/transfer-map.json (built by `transferlab map examples/transfer-map.yaml`:
// src/lab/results/map-build.ts), read here so notebooks and reports show the same numbers as the card.

import * as fs from "node:fs";
import * as aq from "arquero";
import { packageRoot } from "../../core/paths";
import * as path from "node:path";
import { SpecError } from "../../core/fields";
import type { Table } from "./tables";

export interface MapCondition {
  id: string;
  hypothesis: string;
  settings: Record<string, unknown>;
  /** The run-store runs behind it (3 per objective). */
  runs?: string[];
  verdict: string;
  /**
   * A confirmatory condition's predictions, declared in the map spec before its test sets were read, each
   * with whether it held; a condition without them is exploratory.
   */
  predictions?: { direction: string; metric: string; expect: string; held: boolean; statement: string }[];
  effects: Record<string, unknown>[];
  strength: Record<string, unknown>[];
  /** The effects' cells in compact form (E.CellGrid per direction and metric), which a trend over conditions reads. */
  grids?: Record<string, unknown>[];
}

export interface TransferMap {
  base: string;
  created: string;
  protocol: string;
  conditions: MapCondition[];
  sharing: Record<string, unknown>[];
  /**
   * Validation curves of the long runs (the step dose): one row per run, step, side and metric, with the
   * run's objective and seed (both sides evaluated along training, so transfer shows where it would peak).
   */
  curves?: Record<string, unknown>[];
  /** The studies beside the map's conditions: C.5 (compose) and Fig. 8 (joint), each with its paired effects. */
  studies?: MapStudy[];
  /** Table 1 in miniature (results/table1.ts): each family's transfer both ways beside the paper's model of it. */
  table1?: Record<string, unknown>[];
  /** Each Table 1 condition's sharing diagnostic (its base and adapters; rows of `sharing` with family and condition). */
  table1_sharing?: Record<string, unknown>[];
  /** How an effect changes with the base's size (map-build.ts trendRows): each point's Δ and the slope per doubling of parameters. */
  trends?: Record<string, unknown>[];
  /** One effect on two conditions set against each other (map-build.ts contrastRows): each Δ and their difference. */
  contrasts?: Record<string, unknown>[];
}

/**
 * A study measured beside the conditions: what it asks, the command that measured it, its verdict, its
 * paired effects (or changes along training) and, where it has one, its pooled curve.
 */
export interface MapStudy {
  id: string;
  question: string;
  command: string;
  verdict: string;
  effects: Record<string, unknown>[];
  table?: Record<string, unknown>[];
  curve?: Record<string, unknown>[];
}

/** A shipped map: "transfer-map" (counting's 16 conditions, the default) or "new-word-map" (knowledge transfer). */
export const SHIPPED_MAPS = ["transfer-map", "new-word-map", "sampler-map", "families-map", "tally-map"] as const;

export function mapFile(name: (typeof SHIPPED_MAPS)[number] = "transfer-map"): string {
  if (!(SHIPPED_MAPS as readonly string[]).includes(name))
    throw new SpecError(`map: ${JSON.stringify(name)} is not shipped (allowed: ${SHIPPED_MAPS.join(", ")})`);
  return path.join(packageRoot(), "models", `${name}.json`);
}

/** The shipped map, checked for the fields the tables below read. */
export function readTransferMap(file = mapFile()): TransferMap {
  let v: TransferMap;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8")) as TransferMap;
  } catch (e) {
    throw new SpecError(`${file}: cannot read the transfer map (${(e as Error).message.split("\n")[0]})`);
  }
  if (!Array.isArray(v.conditions) || !Array.isArray(v.sharing)) throw new SpecError(`${file}: expected "conditions" and "sharing" lists`);
  if (v.curves !== undefined && !Array.isArray(v.curves)) throw new SpecError(`${file}: "curves" must be a list of rows`);
  if (v.studies !== undefined && !Array.isArray(v.studies)) throw new SpecError(`${file}: "studies" must be a list`);
  (v.studies ?? []).forEach((s, i) => {
    for (const k of ["id", "question", "command", "verdict"] as const)
      if (typeof s[k] !== "string") throw new SpecError(`${file}: studies[${i}].${k} must be a string`);
    if (!Array.isArray(s.effects)) throw new SpecError(`${file}: studies[${i}] needs an "effects" list`);
  });
  v.conditions.forEach((c, i) => {
    for (const k of ["id", "hypothesis", "verdict"] as const)
      if (typeof c[k] !== "string") throw new SpecError(`${file}: conditions[${i}].${k} must be a string`);
    if (!Array.isArray(c.effects) || !Array.isArray(c.strength)) throw new SpecError(`${file}: conditions[${i}] needs "effects" and "strength" lists`);
  });
  return v;
}

/** Every condition's paired effects in one long table (condition, direction, metric, base, tuned, Δ, lo, hi, verdict…). */
export function mapEffects(m: TransferMap = readTransferMap()): Table {
  return aq.from(m.conditions.flatMap((c) => c.effects.map((e) => ({ condition: c.id, ...e }))));
}

/** Every condition's transfer strengths (null where direct training is no upper bound, with the note). */
export function mapStrength(m: TransferMap = readTransferMap()): Table {
  return aq.from(m.conditions.flatMap((c) => c.strength.map((s) => ({ condition: c.id, ...s }))));
}

/** The hypotheses and their verdicts. */
export function mapVerdicts(m: TransferMap = readTransferMap()): Table {
  return aq.from(
    m.conditions.map((c) => ({
      condition: c.id,
      kind: c.predictions ? "confirmatory" : "exploratory",
      hypothesis: c.hypothesis,
      verdict: c.verdict,
      predictions: c.predictions ? c.predictions.map((p) => p.statement).join("; ") : "",
    })),
  );
}

/**
 * How effects change with the base's size (the map's trends): one row per trend and point — the point's Δ with
 * its interval at its parameters — carrying the trend's slope per doubling of parameters with its interval, or the
 * note of what it waits for.
 */
export function mapTrends(m: TransferMap = readTransferMap()): Table {
  const rows = (m.trends ?? []).flatMap((t) =>
    (t["points"] as Record<string, unknown>[]).map((p) => ({
      trend: t["id"],
      direction: t["direction"],
      metric: t["metric"],
      ...p,
      slope: t["slope"],
      slope_lo: t["lo"],
      slope_hi: t["hi"],
      statement: t["note"] || t["statement"],
    })),
  );
  return rowsOrEmpty(rows, ["trend", "direction", "metric", "condition", "base", "params", "delta", "lo", "hi", "slope", "slope_lo", "slope_hi", "statement"]);
}

/** The map's contrasts: per contrast, the two conditions' Δ and the difference (second − first) with its interval, or what it waits for. */
export function mapContrasts(m: TransferMap = readTransferMap()): Table {
  const rows = (m.contrasts ?? []).map((c) => {
    const [a, b] = c["points"] as (Record<string, unknown> | undefined)[];
    return {
      contrast: c["id"],
      direction: c["direction"],
      metric: c["metric"],
      first: a?.["condition"] ?? null,
      first_delta: a?.["delta"] ?? null,
      second: b?.["condition"] ?? null,
      second_delta: b?.["delta"] ?? null,
      difference: c["difference"],
      lo: c["lo"],
      hi: c["hi"],
      verdict: c["verdict"],
      statement: c["note"] || c["statement"],
    };
  });
  return rowsOrEmpty(rows, [
    "contrast",
    "direction",
    "metric",
    "first",
    "first_delta",
    "second",
    "second_delta",
    "difference",
    "lo",
    "hi",
    "verdict",
    "statement",
  ]);
}

/** Rows as a table; none as an empty table with the columns a reader selects. */
function rowsOrEmpty(rows: Record<string, unknown>[], columns: string[]): Table {
  return rows.length ? aq.from(rows) : aq.table(Object.fromEntries(columns.map((c) => [c, []])));
}

/** The long runs' validation curves (run, objective, seed, step, side, metric, value, lo, hi); empty when the map has none. */
export function mapCurves(m: TransferMap = readTransferMap()): Table {
  return m.curves?.length ? aq.from(m.curves) : aq.table({ run: [], objective: [], seed: [], step: [], side: [], metric: [], value: [], lo: [], hi: [] });
}

/** The studies beside the conditions (C.5, Fig. 8): what each asks, how it was measured, its verdict. */
export function mapStudies(m: TransferMap = readTransferMap()): Table {
  return aq.from((m.studies ?? []).map((s) => ({ study: s.id, question: s.question, command: s.command, verdict: s.verdict })));
}

/** One study's paired effects, its table or its pooled curve; refuses a study the map does not hold. */
export function mapStudy(id: string, part: "effects" | "table" | "curve" = "effects", m: TransferMap = readTransferMap()): Table {
  const s = (m.studies ?? []).find((x) => x.id === id);
  if (!s) throw new SpecError(`study: ${JSON.stringify(id)} is not in the map (allowed: ${(m.studies ?? []).map((x) => x.id).join(", ") || "none"})`);
  return aq.from(s[part] ?? []);
}

/** The shipped causal diagnostics (models/diagnostics/shared-unified.json: `canvas`, `readout`, patching). */
export interface Diagnostics {
  meta: { created: string; base: string; how: string; commands: string[] };
  canvas_all: Record<string, unknown>[];
  canvas_image: Record<string, unknown>[];
  canvas_prompt: Record<string, unknown>[];
  readout: Record<string, unknown>[];
  readout_effects: Record<string, unknown>[];
}

export function readDiagnostics(file = path.join(packageRoot(), "models", "diagnostics", "shared-unified.json")): Diagnostics {
  let v: Diagnostics;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8")) as Diagnostics;
  } catch (e) {
    throw new SpecError(`${file}: cannot read the diagnostics (${(e as Error).message.split("\n")[0]})`);
  }
  for (const k of ["canvas_all", "canvas_image", "canvas_prompt", "readout", "readout_effects"] as const)
    if (!Array.isArray(v[k])) throw new SpecError(`${file}: "${k}" must be a list of rows`);
  return v;
}

/**
 * Canvas dependence as paired-effect rows for the forest plot: per edit and measure, the base's level
 * and each pooled group's Δ against it, with intervals (`part`: where the adapters acted).
 */
export function diagnosticsCanvas(d: Diagnostics = readDiagnostics(), part: "all" | "image" | "prompt" = "all"): Table {
  const rows = d[`canvas_${part}`].filter((r) => String(r["model"]).includes("pooled"));
  return aq.from(
    rows.map((r) => ({
      direction: String(r["model"]).replace(" (pooled)", ""),
      metric: `${r["measure"]} (${r["edit"]})`,
      delta: r["delta"],
      lo: r["delta_lo"],
      hi: r["delta_hi"],
      verdict: r["verdict"] === "null" ? "no effect shown" : r["verdict"],
      // Green where the generator reads its canvas more: more compensation, less pass-through.
      better: r["measure"] === "passthrough" ? "lower" : "higher",
    })),
  );
}

/** A shipped diagnostic file's list of rows under `key`, as a table; errors name the file and what it should hold. */
function diagnosticRows(file: string, key: string, what: string): Table {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new SpecError(`${file}: cannot read the ${what} (${(e as Error).message.split("\n")[0]})`);
  }
  if (!Array.isArray(v[key])) throw new SpecError(`${file}: "${key}" must be a list of rows`);
  return aq.from(v[key] as Record<string, unknown>[]);
}

/**
 * The shipped patching of the new-word map's understanding adapters (models/diagnostics/new-word.json):
 * per placement (all positions, image cells only, prompt only) and metric, the paired Δ against the base.
 */
export function readPatching(file = path.join(packageRoot(), "models", "diagnostics", "new-word.json")): Table {
  return diagnosticRows(file, "patch", "patching diagnostic");
}

/**
 * The shipped statement diagnostic of the tally base (models/diagnostics/tally.json, `transferlab
 * statement`): per model (the base, each adapter, each pooled objective) the statement's error against its
 * canvas and the objects drawn under its own statement or a claim, with intervals and paired Δ.
 */
export function readStatement(file = path.join(packageRoot(), "models", "diagnostics", "tally.json")): Table {
  return diagnosticRows(file, "statement", "statement diagnostic");
}
