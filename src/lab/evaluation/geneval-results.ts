// Results from real runs: GenEval's per-image results.jsonl (what `evaluation/evaluate_images.py`
// writes: filename, tag, prompt, correct, reason, metadata and details as JSON strings) read into
// per-image rows (prompt × sample, for paired statistics) and summary rows in the results schema
// (tables.ts), so the figures and the transfer-strength tables work on a real model's numbers.

import { isObject } from "../../core/data-file";
import * as fs from "node:fs";
import * as aq from "arquero";
import { SpecError } from "../../core/fields";
import { Table, checkResults } from "../results/tables";

/** GenEval's tags as this project's tasks ("position" is the paper's spatial relation). */
const TASK_OF_TAG: Record<string, string> = { counting: "counting", position: "spatial" };

export interface GenEvalImage {
  /** The prompt's folder index and the sample's file index (GenEval's <prompt>/samples/<seed>.png). */
  prompt_id: number;
  sample: number;
  tag: string;
  prompt: string;
  correct: boolean;
  /** Counting prompts: the count asked and the boxes of that class detected. */
  asked: number | null;
  detected: number | null;
}

function parseJsonField(v: unknown, at: string, field: string): Record<string, unknown> {
  if (typeof v === "object" && v !== null) return v as Record<string, unknown>;
  if (typeof v !== "string") throw new SpecError(`${at}: field "${field}" must be a JSON string (GenEval writes json.dumps of it)`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (e) {
    throw new SpecError(`${at}: field "${field}" is not JSON (${(e as Error).message})`);
  }
  if (!isObject(parsed)) throw new SpecError(`${at}: field "${field}" must hold a JSON object`);
  return parsed as Record<string, unknown>;
}

/** Per-image rows of a GenEval results.jsonl; errors name the line and the field. */
export function readGenEvalImages(file: string): GenEvalImage[] {
  if (!fs.existsSync(file)) throw new SpecError(`geneval: ${file} does not exist`);
  const out: GenEvalImage[] = [];
  fs.readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      if (!line.trim()) return;
      const at = `${file}:${i + 1}`;
      let r: Record<string, unknown>;
      try {
        r = JSON.parse(line) as Record<string, unknown>;
      } catch (e) {
        throw new SpecError(`${at}: not JSON (${(e as Error).message})`);
      }
      if (!isObject(r)) throw new SpecError(`${at}: expected one JSON object per line, got ${JSON.stringify(r).slice(0, 40)}`);
      for (const k of ["filename", "tag", "prompt", "correct", "metadata"])
        if (!(k in r))
          throw new SpecError(`${at}: field "${k}" is missing (GenEval's results.jsonl has filename, tag, prompt, correct, reason, metadata, details)`);
      if (typeof r["correct"] !== "boolean") throw new SpecError(`${at}: field "correct" is ${JSON.stringify(r["correct"])} (allowed: true, false)`);
      const m = /(\d+)[\\/]samples[\\/](\d+)\.png$/.exec(String(r["filename"]));
      if (!m) throw new SpecError(`${at}: field "filename" ${JSON.stringify(r["filename"])} is not GenEval's <prompt>/samples/<n>.png`);
      const meta = parseJsonField(r["metadata"], at, "metadata");
      const include = (meta["include"] ?? []) as { class: string; count: number }[];
      if (!Array.isArray(include) || include.some((x) => typeof x !== "object" || x === null || typeof x.class !== "string"))
        throw new SpecError(`${at}: field "metadata.include" must be a list of {class, count} objects`);
      const tag = String(r["tag"]);
      let asked: number | null = null;
      let detected: number | null = null;
      if (tag === "counting" && include.length) {
        asked = Number(include[0]!.count);
        const details = r["details"] === undefined ? {} : parseJsonField(r["details"], at, "details");
        detected = Array.isArray(details[include[0]!.class]) ? (details[include[0]!.class] as unknown[]).length : 0;
      }
      out.push({ prompt_id: Number(m[1]), sample: Number(m[2]), tag, prompt: String(r["prompt"]), correct: r["correct"] as boolean, asked, detected });
    });
  return out;
}

/**
 * Summary rows (results schema) of a GenEval results.jsonl: accuracy per task (counting, spatial), and
 * for counting the MAD of detected against asked counts, each with n images.
 */
export function importGenEval(file: string, who: { model: string; train: string; source?: string; seed?: number }): Table {
  const images = readGenEvalImages(file);
  const rows: Record<string, unknown>[] = [];
  for (const [tag, task] of Object.entries(TASK_OF_TAG)) {
    const g = images.filter((x) => x.tag === tag);
    if (!g.length) continue;
    const base = {
      source: who.source ?? "geneval",
      model: who.model,
      task,
      train: who.train,
      side: "gen",
      n: g.length,
      ...(who.seed !== undefined ? { seed: who.seed } : {}),
      prompts: String(new Set(g.map((x) => x.prompt_id)).size),
    };
    rows.push({ ...base, metric: "accuracy", value: g.filter((x) => x.correct).length / g.length });
    const counted = g.filter((x) => x.asked !== null);
    if (counted.length)
      rows.push({ ...base, n: counted.length, metric: "mad", value: counted.reduce((s, x) => s + Math.abs(x.detected! - x.asked!), 0) / counted.length });
  }
  if (!rows.length)
    throw new SpecError(`geneval: ${file} has no counting or position images (tags found: ${[...new Set(images.map((x) => x.tag))].join(", ") || "none"})`);
  return aq.from(checkResults(rows, file));
}
