// The run store: one folder per training run under a root (default ./runs).
//
//   <root>/<name>/spec.json               what was asked (validated), the base's hash, the cache key
//   <root>/<name>/status.json             running | finished | interrupted | failed, step, pid, times
//   <root>/<name>/checkpoint.safetensors  resumable state (adapter factors, AdamW moments, sampler state)
//   <root>/<name>/adapter/                the adapter in PEFT's layout (adapter_config.json + safetensors)
//   <root>/<name>/metrics.csv             long-format metrics: run, step, side, metric, value, lo, hi, n
//   <root>/<name>/log.txt                 what happened, appended
//
// Every file is written to a temporary name and renamed into place, so a kill leaves the old version or
// the new one, never half a file. A run whose status says "running" but whose process is gone was
// killed: it reads as interrupted, and --resume continues it from its last checkpoint.

import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { writeFileAtomic } from "../../core/atomic";
import { SpecError } from "../../core/fields";
import { acquireLock, alive } from "../../core/lock";
import { parseCsv, toCsv } from "../../core/csv";
import { quote } from "../../core/text";

export type RunState = "running" | "finished" | "interrupted" | "failed";

export interface RunStatus {
  state: RunState;
  step: number;
  steps: number;
  pid: number;
  started: string;
  updated: string;
  wall_s: number;
  error?: string;
  /** Why a run is interrupted: "interrupt" (a signal or the notebook's stop), "killed" (found dead). */
  reason?: string;
  /** The step whose adapter the run kept (select "best": the best validation score on the trained side). */
  selected_step?: number;
  /** That step's validation score. */
  selected_score?: number;
  /** The losses since the last loss row (kept at each checkpoint, so a resumed run logs the same rows). */
  pending_losses?: number[];
}

export interface MetricRow {
  run: string;
  step: number;
  side: string;
  metric: string;
  value: number | null;
  lo: number | null;
  hi: number | null;
  n: number;
}

export const METRIC_COLUMNS = ["run", "step", "side", "metric", "value", "lo", "hi", "n"] as const;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function checkRunName(name: string): string {
  if (!NAME.test(name))
    throw new SpecError(`name: ${quote(name)} is not allowed (allowed: 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit)`);
  return name;
}

/** A run's key: its spec's key without the fields that do not change what is trained (how often it is evaluated). */
export function runKey(spec: Record<string, unknown>, notInKey: readonly string[] = []): string {
  return specKey(Object.fromEntries(Object.entries(spec).filter(([k]) => !notInKey.includes(k))));
}

/** A stable key of a spec: the same fields in any order give the same key. */
export function specKey(spec: Record<string, unknown>): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === "object"
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
          )
        : v;
  return createHash("sha256")
    .update(JSON.stringify(canon(spec)))
    .digest("hex")
    .slice(0, 12);
}

export function metricsCsv(rows: readonly MetricRow[]): string {
  return toCsv(METRIC_COLUMNS, rows);
}

/** One item of one validation evaluation along training: the step, the side, and the judged row. */
export interface CurveRow {
  step: number;
  side: "gen" | "und";
  id: string;
  seed?: number;
  correct: boolean;
  absError?: number;
  asked?: number;
  detected?: number;
  excluded?: boolean;
  placed?: number;
  classShare?: number;
}

/** A judged row as a curve row: what paired metrics read, without images and texts. */
export function curveRow(step: number, side: "gen" | "und", r: { id: string; correct: boolean } & Partial<Omit<CurveRow, "step" | "side">>): CurveRow {
  const out: CurveRow = { step, side, id: r.id, correct: r.correct };
  if (typeof r.seed === "number") out.seed = r.seed;
  for (const k of ["absError", "asked", "detected", "placed", "classShare"] as const) if (r[k] !== undefined) out[k] = r[k];
  if (r.excluded) out.excluded = true;
  return out;
}

export class Run {
  constructor(
    readonly dir: string,
    readonly name: string,
  ) {}

  get specFile() {
    return path.join(this.dir, "spec.json");
  }
  get checkpointFile() {
    return path.join(this.dir, "checkpoint.safetensors");
  }
  get adapterDir() {
    return path.join(this.dir, "adapter");
  }
  /** The best adapter so far on the validation split (select "best"), copied to adapter/ at the end. */
  get bestDir() {
    return path.join(this.dir, "best");
  }

  spec(): Record<string, unknown> & { key: string } {
    return readJsonObject(this.specFile) as Record<string, unknown> & { key: string };
  }

  /** The status, with a dead "running" process read as interrupted (killed). */
  status(): RunStatus {
    const s = readJsonObject(path.join(this.dir, "status.json")) as unknown as RunStatus;
    if (s.state === "running" && !alive(s.pid)) return { ...s, state: "interrupted", reason: "killed" };
    return s;
  }

  setStatus(patch: Partial<RunStatus>): RunStatus {
    const file = path.join(this.dir, "status.json");
    const cur = fs.existsSync(file) ? (readJsonObject(file) as unknown as RunStatus) : ({} as RunStatus);
    const next = { ...cur, ...patch, updated: new Date().toISOString() };
    if (next.state !== "failed") delete next.error;
    if (next.state !== "interrupted") delete next.reason;
    writeFileAtomic(file, JSON.stringify(next, null, 2) + "\n");
    return next;
  }

  metrics(): MetricRow[] {
    const file = path.join(this.dir, "metrics.csv");
    if (!fs.existsSync(file)) return [];
    // A row that is not a metric row is an error naming its line: rewriting the file would keep it.
    return parseCsv(fs.readFileSync(file, "utf8"), file).map((r, i) => {
      const at = `${file}:${i + 2}`;
      const num = (k: string, opt: boolean) => {
        const v = r[k];
        if (opt && v === "") return null;
        const n = Number(v);
        if (v === undefined || v === "" || !Number.isFinite(n)) throw new SpecError(`${at}: field "${k}" is ${JSON.stringify(v)}, not a number`);
        return n;
      };
      const step = num("step", false)!;
      if (!Number.isInteger(step) || step < 0) throw new SpecError(`${at}: field "step" is ${step} (allowed: integers >= 0)`);
      if (!r["side"] || !["train", "gen", "und"].includes(r["side"]))
        throw new SpecError(`${at}: field "side" is ${JSON.stringify(r["side"])} (allowed: train, gen, und)`);
      if (!r["metric"]) throw new SpecError(`${at}: field "metric" is missing`);
      return {
        run: r["run"] ?? this.name,
        step,
        side: r["side"],
        metric: r["metric"],
        value: num("value", true),
        lo: num("lo", true),
        hi: num("hi", true),
        n: num("n", false)!,
      };
    });
  }

  writeMetrics(rows: readonly MetricRow[]): void {
    writeFileAtomic(path.join(this.dir, "metrics.csv"), metricsCsv(rows));
  }

  /**
   * Each validation evaluation's per-item rows (a run with curveRows): what paired changes along
   * training compare. Written whole and atomically with the metrics, so a killed run keeps a consistent file.
   */
  curveRows(): CurveRow[] {
    const file = path.join(this.dir, "curve-rows.jsonl");
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l, i) => {
        let r: unknown;
        try {
          r = JSON.parse(l);
        } catch {
          throw new SpecError(`${file}:${i + 1}: not a JSON object`);
        }
        const o = r as Record<string, unknown>;
        if (typeof o !== "object" || o === null || typeof o["step"] !== "number" || (o["side"] !== "gen" && o["side"] !== "und") || typeof o["id"] !== "string")
          throw new SpecError(`${file}:${i + 1}: a curve row needs step (a number), side (gen or und) and id`);
        return o as unknown as CurveRow;
      });
  }

  writeCurveRows(rows: readonly CurveRow[]): void {
    writeFileAtomic(path.join(this.dir, "curve-rows.jsonl"), rows.map((r) => JSON.stringify(r)).join("\n") + (rows.length ? "\n" : ""));
  }

  log(line: string): void {
    fs.appendFileSync(path.join(this.dir, "log.txt"), `${new Date().toISOString()} ${line}\n`);
  }
}

/** A JSON object from a run's file; a broken file is an error that names it. */
function readJsonObject(file: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new SpecError(`${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "missing" : `not JSON (${(e as Error).message.split("\n")[0]})`}`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new SpecError(`${file}: expected a JSON object`);
  return v as Record<string, unknown>;
}

/** The run store's folder when none is named: $TRANSFERLAB_RUNS when set and not empty, else ./runs. */
export function defaultRunsRoot(): string {
  const env = process.env["TRANSFERLAB_RUNS"];
  return env && env.trim() !== "" ? env : "runs";
}

// Filesystems that look like folders but hold no files of ours: creating a run there loops or fails
// deep inside mkdir (Linux statfs magic numbers: proc, sysfs, debugfs, cgroup2, securityfs, tracefs).
const PSEUDO_FS = new Map([
  [0x9fa0, "proc"],
  [0x62656572, "sysfs"],
  [0x64626720, "debugfs"],
  [0x63677270, "cgroup2"],
  [0x73636673, "securityfs"],
  [0x74726163, "tracefs"],
]);

/** The root checked before anything is written: its nearest existing folder must be a real, writable one. */
export function checkRoot(root: string): string {
  const abs = path.resolve(root);
  let dir = abs;
  while (!fs.existsSync(dir)) dir = path.dirname(dir);
  if (!fs.statSync(dir).isDirectory()) throw new SpecError(`root: ${JSON.stringify(root)} is not usable: ${dir} is a file, not a folder`);
  const kind = PSEUDO_FS.get(Number(fs.statfsSync(dir).type));
  if (kind) throw new SpecError(`root: ${JSON.stringify(root)} is on a ${kind} filesystem (${dir}), which holds no files; choose a folder on a disk`);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch {
    throw new SpecError(`root: ${JSON.stringify(root)} is not writable (${dir})`);
  }
  return abs;
}

export class RunStore {
  constructor(readonly root: string) {}

  run(name: string): Run {
    return new Run(path.join(this.root, checkRunName(name)), name);
  }

  exists(name: string): boolean {
    return fs.existsSync(path.join(this.root, checkRunName(name), "spec.json"));
  }

  /**
   * Seconds per training example over this store's finished train runs (the median, so pauses and
   * shared cores do not inflate it), or null when none has finished: what estimates are priced at.
   */
  secondsPerExample(): number | null {
    const rates: number[] = [];
    for (const r of this.list().runs) {
      const st = r.status();
      const spec = r.spec();
      if (st.state === "finished" && spec["verb"] === "train" && (st.wall_s ?? 0) > 0 && Number(spec["steps"]) > 0)
        rates.push((st.wall_s ?? 0) / (Number(spec["steps"]) * Number(spec["batch"])));
    }
    if (!rates.length) return null;
    rates.sort((a, b) => a - b);
    return rates[Math.floor(rates.length / 2)]!;
  }

  /** What training costs, in words: runs × steps × rows and, where a rate is known, the minutes. */
  trainingEstimate(runs: number, steps: number, batch: number): string {
    const rate = this.secondsPerExample();
    const what = `${runs} training run${runs === 1 ? "" : "s"} × ${steps} steps × ${batch} rows`;
    return rate === null
      ? `${what} (no finished run in this store to price it yet)`
      : `${what} ≈ ${Math.ceil((runs * steps * batch * rate) / 60)} min of training at this store's measured rate`;
  }

  /** Every run folder with a readable spec and status (others are skipped and listed as problems). */
  list(): { runs: Run[]; problems: string[] } {
    if (!fs.existsSync(this.root)) return { runs: [], problems: [] };
    const runs: Run[] = [];
    const problems: string[] = [];
    for (const e of fs.readdirSync(this.root, { withFileTypes: true })) {
      if (!e.isDirectory() || !NAME.test(e.name)) continue;
      const r = new Run(path.join(this.root, e.name), e.name);
      if (!fs.existsSync(r.specFile)) continue;
      try {
        r.spec();
        r.status();
        runs.push(r);
      } catch (err) {
        problems.push(`${e.name}: ${(err as Error).message}`);
      }
    }
    return { runs: runs.sort((a, b) => a.name.localeCompare(b.name)), problems };
  }

  /**
   * Opens a run for a spec. A finished run with the same key is reused (unless force); an interrupted
   * one continues only with resume; a name that holds another spec is an error naming the first field
   * that differs.
   */
  open(
    name: string,
    spec: Record<string, unknown>,
    opts: { force?: boolean; resume?: boolean; steps: number; notInKey?: readonly string[] },
  ): { run: Run; action: "reuse" | "resume" | "new" } {
    // Deciding and claiming a run is one critical section across processes: a lock file created
    // exclusively (O_EXCL) next to the run's folder; a lock left by a dead process is taken over.
    checkRoot(this.root);
    fs.mkdirSync(this.root, { recursive: true });
    const lock = path.join(this.root, `.${checkRunName(name)}.lock`);
    const release = acquireLock(lock, { waitMs: 1000, held: (pid) => new SpecError(`name: run "${name}" is locked by process ${pid} (${lock})`) });
    try {
      return this.claim(name, spec, opts);
    } finally {
      release();
    }
  }

  private claim(
    name: string,
    spec: Record<string, unknown>,
    opts: { force?: boolean; resume?: boolean; steps: number; notInKey?: readonly string[] },
  ): { run: Run; action: "reuse" | "resume" | "new" } {
    const ignore = new Set(opts.notInKey ?? []);
    const key = runKey(spec, opts.notInKey);
    const run = this.run(name);
    // A spec without a status: a claim that failed between its two writes holds nothing else and is
    // started over; a folder holding anything more (a checkpoint, an adapter, a user's file) is left as
    // it is — the store never deletes what it cannot read.
    if (fs.existsSync(run.specFile) && !fs.existsSync(path.join(run.dir, "status.json"))) {
      const others = fs.readdirSync(run.dir).filter((f) => f !== "spec.json");
      if (others.length === 0) fs.rmSync(run.dir, { recursive: true, force: true });
      else
        throw new SpecError(
          `name: run "${name}" has lost its status file (${path.join(run.dir, "status.json")} is missing; the folder holds ${others.slice(0, 5).join(", ")}${others.length > 5 ? ", …" : ""}); it is left untouched: move ${run.dir} aside (or delete it) to use the name again`,
        );
    }
    if (fs.existsSync(run.specFile)) {
      const old = run.spec();
      const st = run.status();
      if (old.key !== key && !opts.force) {
        const diff = Object.keys({ ...old, ...spec }).find((k) => k !== "key" && !ignore.has(k) && JSON.stringify(old[k]) !== JSON.stringify(spec[k]));
        throw new SpecError(
          `name: run "${name}" already holds another spec (${diff}: ${JSON.stringify(old[diff ?? ""])} there, ${JSON.stringify(spec[diff ?? ""])} here); choose another name or pass force`,
        );
      }
      // force starts over, but never under a process that is still training into this folder.
      if (st.state === "running" && st.pid !== process.pid)
        throw new SpecError(`name: run "${name}" is running in process ${st.pid}; stop it (or wait) before ${opts.force ? "forcing" : "reusing"} it`);
      if (!opts.force && old.key === key) {
        if (st.state === "finished") {
          // A finished run is only as good as its adapter: one without it is not reused as if trained.
          if (!fs.existsSync(path.join(run.adapterDir, "adapter_config.json")))
            throw new SpecError(`name: run "${name}" says finished but its adapter is missing (${run.adapterDir}); pass force to train it again`);
          return { run, action: "reuse" };
        }
        if (opts.resume && !fs.existsSync(run.checkpointFile))
          throw new SpecError(`resume: run "${name}" has no checkpoint (${run.checkpointFile} is missing), so it cannot continue; pass force to start over`);
        if (opts.resume) return { run, action: "resume" };
        if (!opts.resume)
          throw new SpecError(
            `resume: run "${name}" was ${st.state}${st.reason ? ` (${st.reason})` : ""} at step ${st.step}/${st.steps}; pass resume to continue it from its last checkpoint or force to start over`,
          );
      }
      // force (or resume without a checkpoint): start over in a clean folder.
      fs.rmSync(run.dir, { recursive: true, force: true });
    }
    fs.mkdirSync(run.dir, { recursive: true });
    writeFileAtomic(run.specFile, JSON.stringify({ ...spec, key }, null, 2) + "\n");
    run.setStatus({ state: "running", step: 0, steps: opts.steps, pid: process.pid, started: new Date().toISOString(), wall_s: 0 });
    return { run, action: "new" };
  }
}
