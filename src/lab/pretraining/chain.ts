// A base's pretraining stages as one resumable file (`transferlab pretrain-chain FILE --out DIR`): each
// stage is a `pretrain` run in DIR/<stage>, started from the model its predecessor ended with, so the
// shipped base (models/recipes/shared-unified.chain.yaml) or a variant of its data — the map's novelty
// base (novelty.chain.yaml) — is one command. A finished stage is kept, an interrupted one resumes, and
// a stage whose folder holds another configuration is an error naming the field.

import * as fs from "node:fs";
import * as path from "node:path";
import { isObject, readDataFile } from "../../core/data-file";
import { SpecError, omit, validateFields } from "../../core/fields";
import { readSafetensors } from "../../engine/safetensors";
import { DEFAULT_MODEL } from "../../umm/shape";
import { PretrainConfig, pretrain, savedConfigDifference } from "./run";
import { PRETRAIN_FIELDS, PretrainArgs, pretrainConfigOf } from "./spec";

export interface ChainStage {
  name: string;
  cfg: PretrainConfig;
  /** The step at which this stage is finished (its schedule may run longer: a snapshot was kept). */
  stopAt: number;
  /** The data recipe file as the chain names it (relative to the chain file), if the stage names one. */
  recipe?: string;
}

export interface Chain {
  file: string;
  about: string;
  stages: ChainStage[];
}

const STAGE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// A stage continues from the one before it, so `init` is the chain's to set, not the file's.
const STAGE_FIELDS = omit(PRETRAIN_FIELDS, "init");

/**
 * A chain file (YAML or JSON): `about`, `from` (a model folder the first stage continues from; absent:
 * fresh weights), `defaults` (fields every stage shares) and `stages`, each with a `name` and its own
 * fields. Every stage after the first starts from the model its predecessor ends with. Paths (recipes,
 * `from`) are relative to the chain file. Errors name the file, the stage and the field.
 */
export function readChain(file: string): Chain {
  const v = readDataFile(file);
  if (!isObject(v)) throw new SpecError(`${file}: expected an object with "stages" (and optionally "about", "defaults")`);
  for (const k of Object.keys(v))
    if (!["about", "from", "defaults", "stages"].includes(k)) throw new SpecError(`${file}.${k}: unknown field (allowed: about, from, defaults, stages)`);
  if (v.about !== undefined && typeof v.about !== "string") throw new SpecError(`${file}.about: expected a string`);
  if (v.from !== undefined && (typeof v.from !== "string" || v.from === "" || v.from.startsWith("@")))
    throw new SpecError(`${file}.from: expected a model folder's path (relative to the chain file), got ${JSON.stringify(v.from)}`);
  const defaults = v.defaults ?? {};
  if (!isObject(defaults)) throw new SpecError(`${file}.defaults: expected an object of stage fields`);
  if (!Array.isArray(v.stages) || v.stages.length === 0) throw new SpecError(`${file}.stages: expected a non-empty list of stages`);
  const dir = path.dirname(path.resolve(file));
  const seen = new Set<string>();
  const stages = v.stages.map((raw: unknown, i: number): Omit<ChainStage, "cfg"> & { args: PretrainArgs } => {
    const at = `${file}.stages[${i}]`;
    if (!isObject(raw)) throw new SpecError(`${at}: expected an object with a "name" and stage fields`);
    const { name, ...fields } = raw;
    if (typeof name !== "string" || !STAGE_NAME.test(name))
      throw new SpecError(`${at}.name: ${JSON.stringify(name)} is not allowed (allowed: letters, digits, '.', '_', '-'; a folder name)`);
    if (seen.has(name)) throw new SpecError(`${at}.name: "${name}" names an earlier stage too (allowed: a name of its own)`);
    seen.add(name);
    const args = { ...(validateFields(`${at} ("${name}")`, STAGE_FIELDS, { ...defaults, ...fields }) as PretrainArgs) };
    return { name, stopAt: args.stopAt ?? args.steps, args };
  });
  return {
    file,
    about: (v.about as string | undefined) ?? "",
    stages: stages.map((s, i) => {
      const where = (f: string) => `${file}.stages[${i}] ("${s.name}").${f}`;
      if (i > 0 && (s.args.weightInit !== DEFAULT_MODEL.weightInit || s.args.embStd !== DEFAULT_MODEL.embStd))
        throw new SpecError(
          `${where(s.args.weightInit !== DEFAULT_MODEL.weightInit ? "weightInit" : "embStd")}: sets fresh weights, but this stage continues from "${stages[i - 1]!.name}"'s model (allowed: on the first stage only)`,
        );
      // The init is written as the predecessor's folder name; the runner makes it absolute under --out.
      const first: PretrainArgs = v.from !== undefined ? { ...s.args, init: v.from as string } : s.args;
      const args: PretrainArgs = i === 0 ? first : { ...s.args, init: `@${stages[i - 1]!.name}` };
      const { cfg } = pretrainConfigOf(args, { owner: `${file}.stages[${i}] ("${s.name}").`, name: (f) => f }, (p) =>
        p.startsWith("@") ? p : path.resolve(dir, p),
      );
      return { name: s.name, cfg, stopAt: s.stopAt, ...(s.args.recipe ? { recipe: s.args.recipe } : {}) };
    }),
  };
}

/** A stage's folder under the chain's output and the config it runs with (its init made absolute). */
function stageRun(chain: Chain, out: string, i: number): { dir: string; cfg: PretrainConfig } {
  const stage = chain.stages[i]!;
  const cfg = { ...stage.cfg };
  if (cfg.init?.startsWith("@")) cfg.init = path.resolve(out, cfg.init.slice(1), "model");
  return { dir: path.join(out, stage.name), cfg };
}

/** The step a stage's folder has reached and its training seconds (its checkpoint's metadata), or zeros. */
function reached(dir: string): { step: number; elapsed: number } {
  try {
    const meta = readSafetensors(path.join(dir, "checkpoint.safetensors")).metadata; // ~10 MB: read whole
    return { step: Number(meta["step"] ?? 0) || 0, elapsed: Number(meta["elapsed_s"] ?? 0) || 0 };
  } catch {
    return { step: 0, elapsed: 0 };
  }
}

export interface StageState {
  name: string;
  dir: string;
  /** The step its folder has reached (0: not started). */
  step: number;
  stopAt: number;
  state: "finished" | "partial" | "new";
  /** Training seconds spent so far (its checkpoint's count). */
  elapsed_s: number;
  /**
   * Seconds per step, the median over its log's 25-step intervals (a pause or a shared machine inflates
   * a few intervals, not the median); null before its first two log lines.
   */
  s_per_step: number | null;
}

function secondsPerStep(dir: string): number | null {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dir, "log.jsonl"), "utf8").trim().split("\n");
  } catch {
    return null;
  }
  const recs = lines.flatMap((l) => {
    try {
      const r = JSON.parse(l) as { step?: unknown; elapsed_s?: unknown };
      return typeof r.step === "number" && typeof r.elapsed_s === "number" ? [{ step: r.step, t: r.elapsed_s }] : [];
    } catch {
      return [];
    }
  });
  return median(recs.slice(1).flatMap((r, i) => (r.step > recs[i]!.step && r.t >= recs[i]!.t ? [(r.t - recs[i]!.t) / (r.step - recs[i]!.step)] : [])));
}

/** The upper median (null for none): a few inflated values (a pause, a shared machine) do not move it. */
function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Where each stage of a chain stands under `out`, without training: finished, partial (at a step) or
 * new. A stage folder holding another configuration (an edited chain file) is an error naming the field.
 */
export function chainState(chain: Chain, out: string): StageState[] {
  return chain.stages.map(({ name, stopAt }, i) => {
    const { dir, cfg } = stageRun(chain, out, i);
    const cfgFile = path.join(dir, "config.json");
    if (!fs.existsSync(path.join(dir, "checkpoint.safetensors"))) return { name, dir, step: 0, stopAt, state: "new", elapsed_s: 0, s_per_step: null };
    const field = savedConfigDifference(dir, cfg);
    if (field)
      throw new SpecError(
        `${chain.file}: stage "${name}": ${cfgFile} holds another configuration than this stage's (${field}; was the chain file edited?); choose another --out or remove ${dir}`,
      );
    const { step, elapsed } = reached(dir);
    return { name, dir, step, stopAt, state: step >= stopAt ? "finished" : "partial", elapsed_s: elapsed, s_per_step: secondsPerStep(dir) };
  });
}

/**
 * What is left of a chain under `out` (`pretrain-chain --dry-run`): each stage's state, the steps left and,
 * once a stage has logged, the minutes they take at the median of the stages' seconds per step here.
 */
export function chainPlan(chain: Chain, out: string): { stages: StageState[]; steps_left: number; minutes_left?: number } {
  const stages = chainState(chain, out);
  const left = stages.reduce((n, s) => n + Math.max(0, s.stopAt - s.step), 0);
  const rate = median(stages.flatMap((s) => (s.s_per_step === null ? [] : [s.s_per_step])));
  return { stages, steps_left: left, ...(rate ? { minutes_left: (left * rate) / 60 } : {}) };
}

export interface ChainResult {
  /** The last stage's model folder once every stage is finished. */
  model: string;
  finished: boolean;
  stages: { name: string; dir: string; step: number; stopAt: number; action: "kept" | "resumed" | "new" }[];
}

/**
 * Runs a chain's stages in order into `out`. Stages already at their stop step are kept (after checking
 * their folder holds this stage's configuration); the first unfinished one resumes or starts; an
 * interrupted stage (Ctrl-C) ends the chain with finished false, and the next call continues it.
 */
export async function runChain(
  chain: Chain,
  out: string,
  opts: { log?: (s: string) => void; threads?: number; stopAfterMinutes?: number } = {},
): Promise<ChainResult> {
  const log = opts.log ?? (() => {});
  const result: ChainResult = { model: "", finished: false, stages: [] };
  const started = Date.now();
  const states = chainState(chain, out); // every stage checked before any trains
  for (let i = 0; i < chain.stages.length; i++) {
    const { name, dir, step, stopAt, state } = states[i]!;
    if (state === "finished") {
      log(`stage ${i + 1}/${chain.stages.length} "${name}": finished at step ${step}, kept (${dir})`);
      result.stages.push({ name, dir, step, stopAt, action: "kept" });
      continue;
    }
    const { cfg } = stageRun(chain, out, i);
    const exists = state === "partial";
    log(`stage ${i + 1}/${chain.stages.length} "${name}": ${exists ? `resuming at step ${step}` : "starting"}, to step ${stopAt} of ${cfg.steps} (${dir})`);
    const minutesLeft = opts.stopAfterMinutes === undefined ? undefined : Math.max(0, opts.stopAfterMinutes - (Date.now() - started) / 60_000);
    const r = await pretrain(dir, cfg, {
      resume: exists,
      stopAt,
      log,
      ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      ...(minutesLeft !== undefined ? { stopAfterMinutes: minutesLeft } : {}),
    });
    result.stages.push({ name, dir, step: r.step, stopAt, action: exists ? "resumed" : "new" });
    if (!r.finished) return result;
  }
  result.finished = true;
  result.model = path.join(stageRun(chain, out, chain.stages.length - 1).dir, "model");
  return result;
}
