// The architecture families' bases as one table: which family has a published base (models/<family>,
// with its card), how far an unpublished one's pretraining has come (its committed pack,
// models/pretraining/<family>), and what each family's two tasks share — where notebook 04 and the
// families map start from, read off the registry and the files rather than written down twice.

import * as fs from "node:fs";
import * as path from "node:path";
import * as aq from "arquero";
import { packageRoot } from "../../core/paths";
import * as U from "../../umm";
import type { Table } from "./tables";

/** The baselines a family row shows: counting on both sides, the capability of Table 1's first rows. */
const SHOWN = [
  { set: "counting-gen", metric: "accuracy", column: "gen_accuracy" },
  { set: "counting-und", metric: "accuracy", column: "und_accuracy" },
] as const;

interface CardFile {
  params?: number;
  cpu_minutes?: number;
  baselines?: { set: string; metric: string; value: number | null; lo?: number | null; hi?: number | null }[];
}

interface PackFile {
  stages?: { name: string; state: string; step: number; stopAt: number }[];
}

function readJson<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
  } catch {
    return null;
  }
}

/** Where a pack's chain stands, in words: the open stage and its step, or every stage finished. */
function packProgress(pack: PackFile): string {
  const stages = pack.stages ?? [];
  const done = stages.reduce((n, s) => n + Math.min(s.step, s.stopAt), 0);
  const all = stages.reduce((n, s) => n + s.stopAt, 0);
  const open = stages.find((s) => s.step < s.stopAt);
  return open
    ? `pretraining: stage ${open.name} at step ${open.step}/${open.stopAt}; ${done.toLocaleString("en-US")} of ${all.toLocaleString("en-US")} steps`
    : `pretrained (${all.toLocaleString("en-US")} steps), not yet published`;
}

/**
 * One row per registered family: its paper model and what its tasks share, its base's state (published,
 * pretraining with its progress, or not started), parameters and pretraining CPU minutes, and its counting
 * baselines with 95% intervals from its card (null where there is no card: the shipped base's numbers are
 * in models/README.md).
 */
export function familyBases(models = path.join(packageRoot(), "models")): Table {
  const rows = U.architectureNames().map((family) => {
    const arch = U.architecture(family);
    const dir = path.join(models, family);
    const published = fs.existsSync(path.join(dir, "model.json"));
    const card = published ? readJson<CardFile>(path.join(dir, "card.json")) : null;
    const pack = readJson<PackFile>(path.join(models, "pretraining", family, "pack.json"));
    const row: Record<string, unknown> = {
      family,
      paper_model: arch.paper?.model ?? null,
      shares: arch.paper?.shares ?? null,
      base: published ? `published: models/${family}` : pack ? packProgress(pack) : "not started",
      params: card?.params ?? (published ? U.loadModel(dir).base.count() : null),
      cpu_minutes: card?.cpu_minutes ?? null,
    };
    for (const s of SHOWN) {
      const b = card?.baselines?.find((x) => x.set === s.set && x.metric === s.metric);
      row[s.column] = b?.value ?? null;
      row[`${s.column}_lo`] = b?.lo ?? null;
      row[`${s.column}_hi`] = b?.hi ?? null;
    }
    return row;
  });
  return aq.from(rows);
}
