// A base's pretraining stages as one resumable file (`transferlab pretrain-chain FILE --out DIR`): each
// stage is a `pretrain` run in DIR/<stage>, started from the model its predecessor ended with, so the
// shipped base (models/recipes/shared-unified.chain.yaml) or a variant of its data — the map's novelty
// base (novelty.chain.yaml) — is one command. A finished stage is kept, an interrupted one resumes, and
// a stage whose folder holds another configuration is an error naming the field. A chain's folder packs
// into the least that continues it elsewhere (`--pack`): the run folder is a machine's scratch space,
// the pack is what a later session or another machine needs.

import * as fs from "node:fs";
import * as path from "node:path";
import { isObject, readDataFile } from "../../core/data-file";
import { SpecError, omit, validateFields } from "../../core/fields";
import { readSafetensors } from "../../engine/safetensors";
import { DEFAULT_MODEL } from "../../umm/shape";
import { PretrainConfig, pretrain, savedConfigDifference, savedForm } from "./run";
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

// A packed stage that was finished keeps its model and this record instead of its checkpoint: the next
// stage starts from the model, and nothing resumes a finished stage's optimizer.
const FINISHED_FILE = "finished.json";
const PACK_FILE = "pack.json";

/** The step a stage's folder has reached and its training seconds (its checkpoint's metadata, or a packed finished stage's record), or zeros. */
function reached(dir: string): { step: number; elapsed: number } {
  try {
    const meta = fs.existsSync(path.join(dir, "checkpoint.safetensors"))
      ? readSafetensors(path.join(dir, "checkpoint.safetensors")).metadata // ~10 MB: read whole
      : (JSON.parse(fs.readFileSync(path.join(dir, FINISHED_FILE), "utf8")) as Record<string, unknown>);
    return { step: Number(meta["step"] ?? 0) || 0, elapsed: Number(meta["elapsed_s"] ?? 0) || 0 };
  } catch {
    return { step: 0, elapsed: 0 };
  }
}

/** Whether a stage folder holds a run: a checkpoint, or a packed finished stage's record and model. */
function started(dir: string): boolean {
  return fs.existsSync(path.join(dir, "checkpoint.safetensors")) || (fs.existsSync(path.join(dir, FINISHED_FILE)) && fs.existsSync(path.join(dir, "model")));
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
    if (!started(dir)) return { name, dir, step: 0, stopAt, state: "new", elapsed_s: 0, s_per_step: null };
    const field = savedConfigDifference(dir, cfg);
    if (field)
      throw new SpecError(
        `${chain.file}: stage "${name}": ${cfgFile} holds another configuration than this stage's (${field}; was the chain file edited?); choose another --out or remove ${dir}`,
      );
    const { step, elapsed } = reached(dir);
    const state = step >= stopAt ? "finished" : "partial";
    if (state === "partial" && !fs.existsSync(path.join(dir, "checkpoint.safetensors")))
      throw new SpecError(
        `${chain.file}: stage "${name}": ${dir} was packed finished at step ${step}, but the chain now stops it at ${stopAt}; a packed stage keeps no optimizer state to continue from (was the chain file edited?)`,
      );
    return { name, dir, step, stopAt, state, elapsed_s: elapsed, s_per_step: secondsPerStep(dir) };
  });
}

/**
 * Writes to `to` the least that continues the chain under `out` elsewhere (another session, another
 * machine: copy the pack to a run folder, or pass it as --out): each started stage's config.json and logs;
 * a finished stage's model (the next stage's start and publish-base's source) with its step and seconds;
 * the unfinished stage's checkpoint (weights and optimizer moments: the resume is exact) with its logs cut
 * at the checkpoint's step. No snapshots, no finished stage's optimizer. Safe beside a live writer (its
 * checkpoints are replaced atomically). `to` must be new, empty or an earlier pack; it is replaced whole.
 */
export function packChain(chain: Chain, out: string, to: string): { stages: StageState[]; bytes: number } {
  const stages = chainState(chain, out);
  if (path.resolve(to) === path.resolve(out)) throw new SpecError(`--pack: ${to} is the chain's --out; pack into another folder`);
  if (fs.existsSync(to) && fs.readdirSync(to).length && !fs.existsSync(path.join(to, PACK_FILE)))
    throw new SpecError(`--pack: ${to} holds files and is not a pack (no ${PACK_FILE}); choose a new or empty folder`);
  const tmp = `${to.replace(/[\\/]+$/, "")}.packing-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  let bytes = 0;
  const copy = (from: string, dest: string) => {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(from, dest);
    bytes += fs.statSync(dest).size;
  };
  const write = (dest: string, text: string) => {
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, text);
    bytes += Buffer.byteLength(text);
  };
  try {
    for (const s of stages) {
      if (s.state === "new") continue;
      const dest = path.join(tmp, path.basename(s.dir));
      // Written in its saved form (the start model relative to the folder), as older folders may name it absolutely.
      const cfg = savedForm(s.dir, JSON.parse(fs.readFileSync(path.join(s.dir, "config.json"), "utf8")) as { init?: unknown });
      write(path.join(dest, "config.json"), JSON.stringify(cfg, null, 2) + "\n");
      // Log lines past the kept step would repeat when the resumed run logs those steps again.
      for (const f of ["log.jsonl", "evals.jsonl"])
        if (fs.existsSync(path.join(s.dir, f))) write(path.join(dest, f), upToStep(fs.readFileSync(path.join(s.dir, f), "utf8"), s.step));
      if (s.state === "finished") {
        const model = path.join(s.dir, "model");
        for (const f of fs.readdirSync(model)) copy(path.join(model, f), path.join(dest, "model", f));
        write(path.join(dest, FINISHED_FILE), JSON.stringify({ step: s.step, elapsed_s: s.elapsed_s }) + "\n");
      } else copy(path.join(s.dir, "checkpoint.safetensors"), path.join(dest, "checkpoint.safetensors"));
    }
    const where = stages.map((s) => ({ name: s.name, state: s.state, step: s.step, stopAt: s.stopAt }));
    write(path.join(tmp, PACK_FILE), JSON.stringify({ chain: path.basename(chain.file), stages: where }, null, 1) + "\n");
    // The checkpoint copied may be newer than the step read above: the pack records what it holds.
    for (const s of stages)
      if (s.state === "partial") {
        const { step } = reached(path.join(tmp, path.basename(s.dir)));
        if (step !== s.step) throw new Error(`--pack: stage "${s.name}" moved on while packing (step ${s.step} → ${step}); pack again`);
      }
    const old = `${to.replace(/[\\/]+$/, "")}.replaced-${process.pid}`;
    if (fs.existsSync(to)) fs.renameSync(to, old);
    fs.renameSync(tmp, to);
    fs.rmSync(old, { recursive: true, force: true });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { stages: chainState(chain, to), bytes };
}

/** The JSON lines of a log whose step is at most `step` (unreadable lines kept: they are the log's, not ours to judge). */
function upToStep(text: string, step: number): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => {
    try {
      const r = JSON.parse(l) as { step?: unknown };
      return typeof r.step !== "number" || r.step <= step;
    } catch {
      return true;
    }
  });
  return kept.length ? kept.join("\n") + "\n" : "";
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
