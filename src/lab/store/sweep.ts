// Sweeps: a grid of training runs expanded from one spec file and run either on this machine's pool of
// worker processes or as a Slurm job array, on the run store's own semantics: each point is a `train`
// whose name comes from its fields (the spec key), so a finished point is reused, an interrupted one
// resumes from its checkpoint, and every point's metrics join one long table.
//
// The spec (JSON or YAML):
//   { "name": "rank-dose", "verb": "train",
//     "fixed": { "task": "counting", "objective": "und", "steps": 300 },
//     "grid": { "rank": [4, 8, 16], "seed": [0, 1, 2] },
//     "exclude": [{ "rank": 16, "seed": 2 }], "include": [{ "rank": 32, "seed": 0 }] }

import { spawn, spawnSync, ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as aq from "arquero";
import { isObject, readDataFile, readDataText } from "../../core/data-file";
import { packageRoot } from "../../core/paths";
import { writeFileAtomic } from "../../engine";
import type { Lab } from "../lab";
import { ArgsOf, Field, SpecError } from "../../core/fields";
import { acquireLock, alive } from "../../core/lock";
import { specKey } from "./run-store";
import { Table, importRuns } from "../results/tables";
import { importGenEval } from "../evaluation/geneval-results";

export interface SweepSpec {
  name: string;
  verb: SweepVerb;
  fixed: Record<string, unknown>;
  grid: Record<string, unknown[]>;
  exclude: Record<string, unknown>[];
  include: Record<string, unknown>[];
  /** verb "command": a shell command template ({field} and {out} are replaced, shell-quoted). */
  command?: string;
  /** verb "command": where a point's results land ({out}, {field}); GenEval results.jsonl or a results CSV/JSONL. */
  results?: string;
}

const TOP_LEVEL = ["name", "verb", "fixed", "grid", "exclude", "include", "command", "results"];
/**
 * What a point is: "train", one run of the store; "command", an external program (a PyTorch/PEFT
 * training and evaluation of a real UMM on a GPU partition) whose results come back through the readers.
 */
export const SWEEP_VERBS = ["train", "command"] as const;
export type SweepVerb = (typeof SWEEP_VERBS)[number];

/** The environment variable that tells a local worker its sweep's pid (it stops when that process is gone). */
const PARENT_ENV = "TRANSFERLAB_SWEEP_PARENT";

/** The most points one sweep may have: every point is a run folder, a line of the plan, an array task. */
export const MAX_SWEEP_POINTS = 10_000;

/** A sweep spec read from JSON or YAML text; every error names the file and the field. */
export function parseSweepSpec(text: string, file: string): SweepSpec {
  let raw: unknown;
  try {
    raw = readDataFile(file, text);
  } catch (e) {
    throw new SpecError(`sweep: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new SpecError(`sweep: ${file} must hold one object (fields: ${TOP_LEVEL.join(", ")})`);
  const unknown = Object.keys(raw).filter((k) => !TOP_LEVEL.includes(k));
  if (unknown.length) throw new SpecError(`sweep: ${file}: unknown field(s) ${unknown.join(", ")} (allowed: ${TOP_LEVEL.join(", ")})`);
  const name = raw["name"];
  if (typeof name !== "string" || !/^[A-Za-z0-9][\w.-]*$/.test(name))
    throw new SpecError(`sweep: ${file}: name must be a folder-safe string (letters, digits, . _ -), got ${JSON.stringify(name)}`);
  const verb = raw["verb"] ?? (raw["command"] !== undefined ? "command" : "train");
  if (!SWEEP_VERBS.includes(verb as SweepVerb))
    throw new SpecError(
      `sweep: ${file}: verb ${JSON.stringify(verb)} is not allowed (allowed: ${SWEEP_VERBS.join(", ")}; a point is one run of the store or one external command)`,
    );
  if (verb === "command" && (typeof raw["command"] !== "string" || !raw["command"].trim()))
    throw new SpecError(`sweep: ${file}: verb "command" needs command, a shell command template such as "python train.py --rank {rank} --out {out}"`);
  if (verb !== "command" && raw["command"] !== undefined)
    throw new SpecError(`sweep: ${file}: command is only for verb "command" (verb here: ${JSON.stringify(verb)})`);
  if (raw["results"] !== undefined && typeof raw["results"] !== "string")
    throw new SpecError(`sweep: ${file}: results must be a path template such as "{out}/results.jsonl"`);
  const fixed = raw["fixed"] ?? {};
  if (!isObject(fixed)) throw new SpecError(`sweep: ${file}: fixed must be an object of field values`);
  const grid = raw["grid"];
  if (!isObject(grid) || !Object.keys(grid).length)
    throw new SpecError(`sweep: ${file}: grid must be an object of field → list of values, e.g. {"rank": [4, 8]}`);
  for (const [k, v] of Object.entries(grid)) {
    if (!Array.isArray(v) || !v.length) throw new SpecError(`sweep: ${file}: grid.${k} must be a non-empty list of values`);
    if (k in fixed) throw new SpecError(`sweep: ${file}: ${k} is both fixed and in the grid`);
  }
  // Counted before anything is expanded: a grid's size is the product of its lists' lengths.
  const lists = Object.entries(grid as Record<string, unknown[]>);
  const size = lists.reduce((n, [, v]) => n * v.length, 1) + (Array.isArray(raw["include"]) ? raw["include"].length : 0);
  if (size > MAX_SWEEP_POINTS)
    throw new SpecError(
      `sweep: ${file}: the grid has ${size.toLocaleString("en-US")} points (${lists.map(([k, v]) => `${k} ${v.length}`).join(" × ")}), more than the limit of ${MAX_SWEEP_POINTS.toLocaleString("en-US")} (docs/limits.md); split it into several sweeps`,
    );
  const rows = (key: "exclude" | "include") => {
    const v = raw[key] ?? [];
    if (!Array.isArray(v) || !v.every(isObject)) throw new SpecError(`sweep: ${file}: ${key} must be a list of objects (field → value)`);
    return v as Record<string, unknown>[];
  };
  return {
    name,
    verb: verb as SweepVerb,
    fixed,
    grid: grid as Record<string, unknown[]>,
    exclude: rows("exclude"),
    include: rows("include"),
    ...(typeof raw["command"] === "string" ? { command: raw["command"] } : {}),
    ...(typeof raw["results"] === "string" ? { results: raw["results"] } : {}),
  };
}

/** The grid's points in a stable order (the grid's keys vary slowest first), excludes removed, includes added. */
export function expandGrid(spec: SweepSpec): Record<string, unknown>[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(spec.grid)) combos = combos.flatMap((c) => values.map((v) => ({ ...c, [k]: v })));
  const matches = (point: Record<string, unknown>, row: Record<string, unknown>) =>
    Object.entries(row).every(([k, v]) => JSON.stringify(point[k]) === JSON.stringify(v));
  const kept = combos.filter((c) => !spec.exclude.some((row) => matches(c, row)));
  const all = [...kept, ...spec.include].map((c) => ({ ...spec.fixed, ...c }));
  const seen = new Set<string>();
  return all.filter((p) => {
    const key = JSON.stringify(Object.entries(p).sort());
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

export interface SweepPoint {
  index: number;
  fields: Record<string, unknown>;
  /** The run this point is (derived from its fields, as `train` names runs). */
  name: string;
  /** train points: their steps and batch (the cost); command points: null. */
  steps: number | null;
  batch: number | null;
}

/** A value as one shell word. */
const shellQuote = (v: unknown) => `'${String(v).replace(/'/g, `'\\''`)}'`;

export type PointState = "new" | "queued" | "running" | "interrupted" | "finished" | "failed";

export interface SweepUpdate {
  points: { index: number; name: string; state: PointState; step: number; steps: number }[];
}

export interface SlurmOptions {
  partition?: string;
  time?: string;
  cpusPerTask?: number;
  mem?: string;
  gres?: string;
  account?: string;
  /** Extra `#SBATCH` lines, as given ("--qos=low" or "#SBATCH --qos=low"). */
  sbatch?: string[];
  /** How often a task that left the queue unfinished is resubmitted (with resume). */
  retries?: number;
  pollMs?: number;
}

/** How a sweep runs: the one schema of `transferlab sweep`'s flags and `%sweep`'s arguments. */
export const SWEEP_FIELDS = [
  { name: "dryRun", type: "boolean", help: "list the points, their state and cost; run nothing", default: false },
  { name: "executor", type: "string", help: "where the points run", default: "local", choices: ["local", "slurm"] },
  { name: "workers", type: "integer", help: "local: worker processes (the cores are split between them)", default: 1, min: 1, max: 256 },
  { name: "root", type: "string", help: "the run store's folder (for slurm: a path every node shares)" },
  { name: "partition", type: "string", help: "slurm: --partition" },
  { name: "time", type: "string", help: "slurm: --time" },
  { name: "cpusPerTask", type: "integer", help: "slurm: --cpus-per-task (each task's threads)", min: 1, max: 1024 },
  { name: "mem", type: "string", help: "slurm: --mem" },
  { name: "gres", type: "string", help: "slurm: --gres (e.g. gpu:1)" },
  { name: "account", type: "string", help: "slurm: --account" },
  { name: "sbatch", type: "list", items: "string", multiple: true, help: "slurm: an extra #SBATCH line (repeat the flag for several)", default: [] },
  { name: "retries", type: "integer", help: "slurm: resubmissions of unfinished tasks (with resume)", default: 2, min: 0, max: 100 },
  { name: "pollMs", type: "integer", help: "slurm: milliseconds between squeue polls", default: 5000, min: 100, max: 3600000 },
] as const satisfies readonly Field[];

/** The Slurm options of validated sweep arguments (the fields a user left out stay out). */
export function slurmOptions(a: ArgsOf<typeof SWEEP_FIELDS>): SlurmOptions {
  const { partition, time, cpusPerTask, mem, gres, account, sbatch, retries, pollMs } = a;
  return Object.fromEntries(
    Object.entries({ partition, time, cpusPerTask, mem, gres, account, sbatch, retries, pollMs }).filter(([, v]) => v !== undefined),
  ) as SlurmOptions;
}

const CLI = () => path.join(packageRoot(), "bin", "transferlab.js");

export class Sweep {
  readonly dir: string;
  private cached: SweepPoint[] | null = null;

  constructor(
    readonly lab: Lab,
    readonly spec: SweepSpec,
    /** The spec file, as the worker processes and job scripts read it. */
    readonly file: string,
  ) {
    this.dir = path.join(lab.store.root, "sweeps", spec.name);
  }

  static read(lab: Lab, file: string): Sweep {
    if (!fs.existsSync(file)) throw new SpecError(`sweep: ${file} does not exist`);
    return new Sweep(lab, parseSweepSpec(readDataText(file), file), path.resolve(file));
  }

  /** Every point, validated as a `train` call (an error names the point and the field) and named. */
  points(): SweepPoint[] {
    if (this.cached) return this.cached;
    this.cached = expandGrid(this.spec).map((fields, index) => this.pointOf(fields, index));
    return this.cached;
  }

  /** One point, validated and named without validating the others (what a worker or array task needs). */
  point(index: number): SweepPoint {
    if (this.cached) {
      const p = this.cached[index];
      if (!p) throw new SpecError(`sweep ${this.spec.name}: no point ${index} (points: 0..${this.cached.length - 1})`);
      return p;
    }
    const all = expandGrid(this.spec);
    const fields = all[index];
    if (!fields) throw new SpecError(`sweep ${this.spec.name}: no point ${index} (points: 0..${all.length - 1})`);
    return this.pointOf(fields, index);
  }

  private pointOf(fields: Record<string, unknown>, index: number): SweepPoint {
    if (this.spec.verb === "command") {
      const name = `${this.spec.name}-${specKey({ command: this.spec.command, ...fields }).slice(0, 8)}`;
      return { index, fields, name, steps: null, batch: null };
    }
    try {
      const plan = this.lab.trainPlan(fields);
      return { index, fields, name: plan.name, steps: plan.spec.steps, batch: plan.spec.batch };
    } catch (e) {
      throw new SpecError(`sweep ${this.spec.name}, point ${index} (${JSON.stringify(fields)}): ${(e as Error).message}`);
    }
  }

  /** A command point's folder ({out} in its templates). */
  pointDir(p: SweepPoint): string {
    return path.join(this.dir, "points", p.name);
  }

  /** A template with {out} and the point's {field}s replaced (shell-quoted for the command). */
  fill(template: string, p: SweepPoint, quote: boolean): string {
    const values: Record<string, unknown> = { ...p.fields, out: this.pointDir(p), point: p.index };
    return template.replace(/\{([A-Za-z_][\w-]*)\}/g, (all, k: string) => {
      if (!(k in values))
        throw new SpecError(
          `sweep ${this.spec.name}: {${k}} in ${JSON.stringify(template)} names no field of point ${p.index} (fields: ${Object.keys(values).join(", ")})`,
        );
      return quote ? shellQuote(values[k]) : String(values[k]);
    });
  }

  state(p: SweepPoint): { state: PointState; step: number } {
    if (this.spec.verb === "command") {
      const dir = this.pointDir(p);
      if (fs.existsSync(path.join(dir, "done.json"))) return { state: "finished", step: 0 };
      return { state: fs.existsSync(dir) ? "interrupted" : "new", step: 0 };
    }
    if (!this.lab.store.exists(p.name)) return { state: "new", step: 0 };
    const st = this.lab.store.run(p.name).status();
    return {
      state: st.state === "finished" ? "finished" : st.state === "running" ? "running" : st.state === "interrupted" ? "interrupted" : "failed",
      step: st.step ?? 0,
    };
  }

  /**
   * The plan without running: each point, its state in the store and its cost (steps × batch examples,
   * and seconds at the rate measured on this store's finished runs, when it has any).
   */
  dryRun(): Table {
    const rate = this.measuredRate();
    return aq.from(
      this.points().map((p) => {
        const st = this.state(p);
        if (p.steps === null || p.batch === null)
          return { point: p.index, name: p.name, ...this.gridFields(p), state: st.state, command: this.fill(this.spec.command!, p, true) };
        const examples = p.steps * p.batch;
        const left = st.state === "finished" ? 0 : (p.steps - (st.state === "interrupted" ? st.step : 0)) * p.batch;
        return {
          point: p.index,
          name: p.name,
          ...this.gridFields(p),
          state: st.state,
          step: st.step,
          steps: p.steps,
          examples,
          est_s: rate === null ? null : Math.round(left * rate),
        };
      }),
    );
  }

  /** Seconds per training example at this store's measured rate (RunStore.secondsPerExample). */
  measuredRate(): number | null {
    return this.lab.store.secondsPerExample();
  }

  private gridFields(p: SweepPoint): Record<string, unknown> {
    const keys = [...new Set([...Object.keys(this.spec.grid), ...this.spec.include.flatMap((r) => Object.keys(r))])];
    return Object.fromEntries(keys.map((k) => [k, p.fields[k] ?? null]));
  }

  private update(states: Map<number, PointState>): SweepUpdate {
    return {
      points: this.points().map((p) => {
        const st = this.state(p);
        const live = states.get(p.index);
        // The queue knows queued/running; the store knows how far a run got and whether it finished.
        const state: PointState = st.state === "finished" ? "finished" : (live ?? st.state);
        return { index: p.index, name: p.name, state, step: st.step, steps: p.steps ?? 0 };
      }),
    };
  }

  /**
   * Runs one point in this process (what a worker or a Slurm array task does): resumes an interrupted
   * run, starts over one that died before its first checkpoint, and stops after the current step on
   * SIGINT or SIGTERM (Slurm's cancel and preemption signal) with a checkpoint.
   */
  async runPoint(index: number, log: (s: string) => void = console.log): Promise<void> {
    const p = this.point(index);
    if (this.spec.verb === "command") return this.runCommandPoint(p, log);
    const controller = new AbortController();
    const stop = () => {
      log(`${p.name}: stopping after this step (signal)`);
      controller.abort();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
    // A local worker dies with its sweep: if the parent that started it is gone (killed), it stops
    // after its step with a checkpoint instead of training on as an orphan.
    const parent = Number(process.env[PARENT_ENV] ?? NaN);
    const watch = Number.isInteger(parent)
      ? setInterval(() => {
          if (!alive(parent) && !controller.signal.aborted) {
            log(`${p.name}: the sweep that started this worker (process ${parent}) is gone; stopping after this step`);
            controller.abort();
          }
        }, 500)
      : null;
    watch?.unref();
    try {
      const hooks = { signal: controller.signal, onStage: log };
      try {
        await this.lab.train({ ...p.fields, resume: true }, hooks);
      } catch (e) {
        if (!/has no checkpoint/.test((e as Error).message)) throw e;
        log(`${p.name}: it died before its first checkpoint; starting it over`);
        await this.lab.train({ ...p.fields, force: true }, hooks);
      }
    } finally {
      if (watch) clearInterval(watch);
      process.removeListener("SIGTERM", stop);
      process.removeListener("SIGINT", stop);
    }
  }

  /**
   * A command point: its shell command, run from the spec file's folder with {out} (its own folder, kept
   * between attempts so the program can resume itself); exit 0 marks it finished (done.json).
   */
  private async runCommandPoint(p: SweepPoint, log: (s: string) => void): Promise<void> {
    const dir = this.pointDir(p);
    fs.mkdirSync(dir, { recursive: true });
    const cmd = this.fill(this.spec.command!, p, true);
    log(`${p.name}: ${cmd}`);
    const t0 = Date.now();
    const child = spawn("bash", ["-c", cmd], { cwd: path.dirname(this.file), stdio: "inherit", env: { ...process.env, TRANSFERLAB_POINT_DIR: dir } });
    const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
    const term = forward("SIGTERM");
    const int = forward("SIGINT");
    process.on("SIGTERM", term);
    process.on("SIGINT", int);
    const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    process.removeListener("SIGTERM", term);
    process.removeListener("SIGINT", int);
    if (code !== 0) throw new SpecError(`sweep ${this.spec.name}, point ${p.index}: the command exited with ${code}: ${cmd}`);
    writeFileAtomic(
      path.join(dir, "done.json"),
      JSON.stringify({ fields: p.fields, command: cmd, wall_s: (Date.now() - t0) / 1000, finished: new Date().toISOString() }, null, 1) + "\n",
    );
  }

  /** The command a worker or array task runs for a point. */
  private pointCommand(index: number | string): string[] {
    return [process.execPath, CLI(), "sweep", this.file, "--point", String(index), "--root", this.lab.store.root];
  }

  /**
   * The local executor: `workers` processes at a time, the machine's cores split between them. An abort
   * (Ctrl-C) stops every worker after its current step; points left unfinished resume on the next call.
   */
  async runLocal(
    opts: { workers?: number; signal?: AbortSignal; onUpdate?: (u: SweepUpdate) => void; log?: (s: string) => void } = {},
  ): Promise<{ finished: number; failed: number[] }> {
    const log = opts.log ?? console.log;
    const release = this.own();
    try {
      return await this.runLocalOwned(opts, log);
    } finally {
      release();
    }
  }

  /**
   * One process runs a sweep folder at a time: a second `sweep` of the same spec is refused with the
   * holder's pid (two would both write results.csv and the log, and disagree on the counts).
   */
  private own(): () => void {
    fs.mkdirSync(this.dir, { recursive: true });
    return acquireLock(path.join(this.dir, ".sweep.lock"), {
      waitMs: 0,
      held: (pid) => new SpecError(`sweep ${this.spec.name}: ${this.dir} is being run by process ${pid}; wait for it to finish (or stop it) and run again`),
    });
  }

  private async runLocalOwned(
    opts: { workers?: number; signal?: AbortSignal; onUpdate?: (u: SweepUpdate) => void; log?: (s: string) => void },
    log: (s: string) => void,
  ): Promise<{ finished: number; failed: number[] }> {
    const workers = Math.max(1, opts.workers ?? 1);
    const threads = Math.max(1, Math.floor(os.cpus().length / workers));
    fs.mkdirSync(path.join(this.dir, "logs"), { recursive: true });
    const pending = this.points().filter((p) => this.state(p).state !== "finished");
    const states = new Map<number, PointState>(pending.map((p) => [p.index, "queued"]));
    const failed: number[] = [];
    const children = new Set<ChildProcess>();
    const abort = () => children.forEach((c) => c.kill("SIGINT"));
    opts.signal?.addEventListener("abort", abort);
    opts.onUpdate?.(this.update(states));
    const timer = setInterval(() => opts.onUpdate?.(this.update(states)), 1000);
    const runOne = (p: SweepPoint) =>
      new Promise<void>((resolve) => {
        const [cmd, ...args] = this.pointCommand(p.index);
        const out = fs.openSync(path.join(this.dir, "logs", `local-${p.index}.out`), "a");
        const child = spawn(cmd!, args, {
          stdio: ["ignore", out, out],
          env: { ...process.env, TRANSFERLAB_THREADS: String(threads), [PARENT_ENV]: String(process.pid) },
        });
        children.add(child);
        states.set(p.index, "running");
        child.on("exit", (code) => {
          children.delete(child);
          fs.closeSync(out);
          const done = this.state(p).state === "finished";
          states.set(p.index, done ? "finished" : "failed");
          if (!done) failed.push(p.index);
          log(`point ${p.index} ${p.name}: ${done ? "finished" : `exited with ${code} (log: ${path.join(this.dir, "logs", `local-${p.index}.out`)})`}`);
          resolve();
        });
      });
    const queue = [...pending];
    const lanes = Array.from({ length: Math.min(workers, queue.length) }, async () => {
      for (let p = queue.shift(); p && !opts.signal?.aborted; p = queue.shift()) await runOne(p);
    });
    try {
      await Promise.all(lanes);
    } finally {
      clearInterval(timer);
      opts.signal?.removeEventListener("abort", abort);
    }
    opts.onUpdate?.(this.update(states));
    return { finished: this.points().filter((p) => this.state(p).state === "finished").length, failed: failed.sort((a, b) => a - b) };
  }

  /** The job script of the Slurm executor (written into the sweep's folder, to read and rerun by hand). */
  jobScript(o: SlurmOptions): string {
    const lines = ["#!/bin/bash", `#SBATCH --job-name=tl-${this.spec.name}`, `#SBATCH --output=${path.join(this.dir, "logs", "%A_%a.out")}`];
    if (o.partition) lines.push(`#SBATCH --partition=${o.partition}`);
    if (o.time) lines.push(`#SBATCH --time=${o.time}`);
    lines.push(`#SBATCH --cpus-per-task=${o.cpusPerTask ?? 1}`);
    if (o.mem) lines.push(`#SBATCH --mem=${o.mem}`);
    if (o.gres) lines.push(`#SBATCH --gres=${o.gres}`);
    if (o.account) lines.push(`#SBATCH --account=${o.account}`);
    for (const l of o.sbatch ?? []) lines.push(l.startsWith("#SBATCH") ? l : `#SBATCH ${l}`);
    const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    const [node, cli, ...rest] = this.pointCommand("$SLURM_ARRAY_TASK_ID");
    lines.push(
      "",
      `# One array task = one point of sweep ${this.spec.name}; submit with: sbatch --array=0-${this.points().length - 1} ${path.join(this.dir, "job.sh")}`,
      "export TRANSFERLAB_THREADS=${SLURM_CPUS_PER_TASK:-1}",
      `exec ${q(node!)} ${q(cli!)} ${rest.map((a) => (a === "$SLURM_ARRAY_TASK_ID" ? '"$SLURM_ARRAY_TASK_ID"' : q(a))).join(" ")}`,
      "",
    );
    return lines.join("\n");
  }

  /**
   * The Slurm executor: one job array (one task per unfinished point) through sbatch, polled with
   * squeue; tasks that leave the queue unfinished (failed, cancelled, preempted, killed) are resubmitted
   * with resume, up to `retries` times. Submissions are recorded in jobs.json (what `cancel` cancels).
   */
  async runSlurm(
    o: SlurmOptions & { onUpdate?: (u: SweepUpdate) => void; log?: (s: string) => void; signal?: AbortSignal } = {},
  ): Promise<{ finished: number; failed: number[]; jobs: string[] }> {
    const release = this.own();
    try {
      return await this.runSlurmOwned(o);
    } finally {
      release();
    }
  }

  private async runSlurmOwned(
    o: SlurmOptions & { onUpdate?: (u: SweepUpdate) => void; log?: (s: string) => void; signal?: AbortSignal },
  ): Promise<{ finished: number; failed: number[]; jobs: string[] }> {
    const log = o.log ?? console.log;
    fs.mkdirSync(path.join(this.dir, "logs"), { recursive: true });
    const script = path.join(this.dir, "job.sh");
    writeFileAtomic(script, this.jobScript(o));
    fs.chmodSync(script, 0o755);
    const jobs: string[] = [];
    let todo = this.points()
      .filter((p) => this.state(p).state !== "finished")
      .map((p) => p.index);
    const retries = o.retries ?? 2;
    for (let attempt = 0; todo.length && attempt <= retries && !o.signal?.aborted; attempt++) {
      const array = todo.join(",");
      const r = spawnSync("sbatch", ["--parsable", `--array=${array}`, script], { encoding: "utf8" });
      if (r.error || r.status !== 0)
        throw new SpecError(`sweep: sbatch failed (${r.error?.message ?? r.stderr.trim()}); is Slurm reachable (SLURM_CONF, sinfo)?`);
      const job = r.stdout.trim().split(";")[0]!;
      jobs.push(job);
      this.recordJob(job, array, attempt);
      log(`sweep ${this.spec.name}: submitted job ${job} (array ${array}${attempt ? `, resubmission ${attempt}` : ""})`);
      const cancel = () => spawnSync("scancel", [job]);
      o.signal?.addEventListener("abort", cancel);
      try {
        for (;;) {
          const live = this.queued(job);
          o.onUpdate?.(this.update(live));
          if (!live.size) break;
          await new Promise((res) => setTimeout(res, o.pollMs ?? 5000));
        }
      } finally {
        o.signal?.removeEventListener("abort", cancel);
      }
      todo = todo.filter((i) => this.state(this.points()[i]!).state !== "finished");
      if (todo.length) {
        // Why they ended, from Slurm's accounting where the cluster keeps it; the run store otherwise.
        const ended = this.endStates(job);
        const why = todo.map((i) => `${i} ${ended?.get(i) ?? this.state(this.points()[i]!).state}`).join(", ");
        log(
          `sweep ${this.spec.name}: point(s) left the queue unfinished (${why}${ended ? "; states from sacct" : "; sacct has no accounting here, states from the run store"})${attempt < retries ? "; resubmitting with resume" : ""}`,
        );
      }
    }
    return { finished: this.points().filter((p) => this.state(p).state === "finished").length, failed: todo, jobs };
  }

  /** Array tasks of a job still in Slurm's queue: task index → queued or running. */
  private queued(job: string): Map<number, PointState> {
    const r = spawnSync("squeue", ["-h", "-r", "-j", job, "-o", "%K %T"], { encoding: "utf8" });
    const out = new Map<number, PointState>();
    if (r.status !== 0) {
      // squeue forgets a job soon after it ends ("Invalid job id"): nothing of it is queued then.
      if (/Invalid job id/i.test(r.stderr)) return out;
      throw new SpecError(`sweep: squeue failed: ${r.stderr.trim()}`);
    }
    for (const line of r.stdout.trim().split("\n").filter(Boolean)) {
      const [task, state] = line.trim().split(/\s+/);
      if (!/^\d+$/.test(task ?? "")) continue;
      out.set(Number(task), state === "PENDING" || state === "CONFIGURING" ? "queued" : "running");
    }
    return out;
  }

  /**
   * How each array task of a finished job ended (COMPLETED, FAILED, CANCELLED, TIMEOUT, PREEMPTED,
   * OUT_OF_MEMORY, NODE_FAIL with the exit code), from sacct; null where the cluster keeps no accounting
   * (sacct: "accounting storage is disabled") or sacct is missing.
   */
  endStates(job: string): Map<number, string> | null {
    const r = spawnSync("sacct", ["-j", job, "-X", "-n", "-P", "-o", "JobID,State,ExitCode"], { encoding: "utf8" });
    if (r.error || r.status !== 0) return null;
    const out = new Map<number, string>();
    for (const line of r.stdout.trim().split("\n").filter(Boolean)) {
      const [id, state, exit] = line.split("|");
      const m = /_(\d+)$/.exec(id ?? "");
      if (m) out.set(Number(m[1]), `${state?.split(" ")[0]} (exit ${exit})`);
    }
    return out.size ? out : null;
  }

  private recordJob(job: string, array: string, attempt: number): void {
    const file = path.join(this.dir, "jobs.json");
    const jobs = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as unknown[]) : [];
    jobs.push({ job, array, attempt, submitted: new Date().toISOString() });
    writeFileAtomic(file, JSON.stringify(jobs, null, 1) + "\n");
  }

  /** Cancels every job this sweep submitted (scancel); returns their ids. */
  cancel(): string[] {
    const file = path.join(this.dir, "jobs.json");
    if (!fs.existsSync(file)) return [];
    const jobs = (JSON.parse(fs.readFileSync(file, "utf8")) as { job: string }[]).map((j) => j.job);
    if (jobs.length) spawnSync("scancel", jobs);
    return jobs;
  }

  /**
   * Every point's metric rows (the run store's long schema: run, step, side, metric, value, lo, hi, n)
   * with the point's index and grid fields, in point order: one table for the whole sweep.
   */
  results(): Table {
    const rows: Record<string, unknown>[] = [];
    if (this.spec.verb === "command") {
      if (!this.spec.results) return aq.from([]);
      for (const p of this.points()) {
        if (this.state(p).state !== "finished") continue;
        const file = path.resolve(path.dirname(this.file), this.fill(this.spec.results, p, false));
        if (!fs.existsSync(file))
          throw new SpecError(`sweep ${this.spec.name}, point ${p.index}: results file ${file} does not exist (results: ${this.spec.results})`);
        const t = isGenEval(file)
          ? importGenEval(file, {
              model: String(p.fields["model"] ?? this.spec.name),
              train: String(p.fields["train"] ?? "baseline"),
              ...(typeof p.fields["seed"] === "number" ? { seed: p.fields["seed"] as number } : {}),
            })
          : importRuns(file);
        for (const r of t.objects() as Record<string, unknown>[]) rows.push({ point: p.index, ...this.gridFields(p), ...r });
      }
      return aq.from(rows);
    }
    for (const p of this.points()) {
      if (!this.lab.store.exists(p.name)) continue;
      for (const r of this.lab.store.run(p.name).metrics()) rows.push({ point: p.index, ...this.gridFields(p), ...r });
    }
    return aq.from(rows);
  }
}

/** Whether a results file is GenEval's results.jsonl (its first record has filename, tag and correct). */
function isGenEval(file: string): boolean {
  if (!/\.jsonl$/i.test(file)) return false;
  const first = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .find((l) => l.trim());
  try {
    const r = JSON.parse(first ?? "{}") as Record<string, unknown>;
    return "filename" in r && "tag" in r && "correct" in r;
  } catch {
    return false;
  }
}
