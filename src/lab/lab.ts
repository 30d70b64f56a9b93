// The experiment API: `import { lab } from "transferlab"`. Each verb takes the fields of src/lab/specs.ts
// (the magics and the CLI parse to the same objects), stores its training runs in the run store, and
// returns Arquero tables in the long results format of tables.ts, ready to filter, join and plot.

import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import * as aq from "arquero";
import * as E from "../eval";
import * as U from "../umm";
import * as T from "../tasks";
import type { RgbImage } from "../tasks";
import { packageRoot } from "../paths";
import { writeFileAtomic } from "../engine";
import { EvalSet, GenRow, Summary, UndRow, evaluateSet, summarize } from "./evaluate";
import { generateImages, gridPng } from "./generate";
import { MetricRow, Run, RunStatus, RunStore, defaultRunsRoot, specKey } from "./run-store";
import { SpecError, TRAINING_FIELDS, VERBS, Verb, validateSpec } from "./specs";

/** One generated image of `generate`, with its verdict when the prompt asks for a count. */
export interface GeneratedCell {
  model: string;
  prompt: string;
  seed: number;
  image: RgbImage;
  detected: number | null;
  asked: number | null;
  correct: boolean | null;
}
export { SELECTION_CURVE } from "./specs";
import { LOWER_IS_BETTER, ResultRow, Table, importRuns, paperResults, transferStrength } from "./tables";
import { TunedRows, effectRows, strengthRows } from "./effects";
import { representationSharing } from "./sharing";
import { Sweep } from "./sweep";
import { AdapterTraining, Objective, TrainTask } from "./train";

export class InterruptedError extends Error {
  override name = "KeyboardInterrupt";
}

export interface Progress {
  run: string;
  step: number;
  steps: number;
  loss: number;
  elapsed_s: number;
  eta_s: number;
}

export interface Hooks {
  /** After every optimizer step. */
  onStep?: (p: Progress) => void;
  /** After every held-out evaluation: the new rows and every metric row of the run so far. */
  onEval?: (rows: MetricRow[], all: MetricRow[]) => void;
  /** Start of a stage of a multi-run verb ("training und seed 0", "evaluating baseline", …). */
  onStage?: (s: string) => void;
  /** Aborting stops a training after its current step, with a checkpoint and the run marked interrupted. */
  signal?: AbortSignal;
}

export interface LabOptions {
  root?: string;
  log?: (s: string) => void;
}

/** A training run in the store: its spec, status, metrics and adapter. */
export class RunHandle {
  constructor(
    readonly run: Run,
    private readonly lab: Lab,
  ) {}
  get name(): string {
    return this.run.name;
  }
  get dir(): string {
    return this.run.dir;
  }
  get status(): RunStatus {
    return this.run.status();
  }
  get spec(): Record<string, unknown> {
    return this.run.spec();
  }
  metrics(): Table {
    return aq.from(this.run.metrics());
  }
  adapter(): U.Adapter {
    return this.lab.adapter(this.name);
  }
  toString(): string {
    const s = this.status;
    return `run ${this.name}: ${s.state} at step ${s.step}/${s.steps} (${this.dir})`;
  }
}

const GEN_SET: Record<TrainTask, EvalSet> = { counting: "counting-gen", spatial: "spatial-gen", text: "text-gen", compose: "composition-gen" };
const UND_SET: Record<TrainTask, EvalSet> = { counting: "counting-und", spatial: "spatial-und", text: "text-und", compose: "counting-und" };

/** Metric rows of a summary: accuracy, MAD and CER with their intervals, and the point metrics. */
export function summaryRows(run: string, step: number, side: string, s: Summary): MetricRow[] {
  const out: MetricRow[] = [];
  for (const k of ["accuracy", "mad", "cer"] as const) {
    const v = s[k];
    if (v) out.push({ run, step, side, metric: k, value: Number.isFinite(v.estimate) ? v.estimate : null, lo: v.lo ?? null, hi: v.hi ?? null, n: s.n });
  }
  for (const [k, name] of [["wer", "wer"], ["editDistance", "edit_distance"], ["bleu", "bleu"], ["meteor", "meteor"], ["f1", "f1"], ["excluded", "excluded"], ["unparsed", "unparsed"]] as const) {
    const v = s[k];
    if (typeof v === "number") out.push({ run, step, side, metric: name, value: v, lo: null, hi: null, n: s.n });
  }
  return out;
}

/**
 * The validation score a run is selected on: the trained side's accuracy (both sides' mean for joint
 * training), as the paper's early stopping keeps the best checkpoint of the objective it trains; with
 * `other`, the accuracy of the side not trained (where transfer shows, if it peaks mid-training).
 */
function selectionScore(objective: Objective, gen: Summary, und: Summary, select: "best" | "last" | "other"): number {
  const g = gen.accuracy?.estimate ?? NaN;
  const u = und.accuracy?.estimate ?? NaN;
  if (objective === "gen") return select === "other" ? u : g;
  if (objective === "und") return select === "other" ? g : u;
  return (g + u) / 2;
}

export class Lab {
  readonly store: RunStore;
  private readonly models = new Map<string, { model: U.UnifiedModel; id: string }>();
  private readonly adapters = new Map<string, U.Adapter>();
  /** Validation summaries of a base at step 0, per (base, task, curve size): every run starts from them. */
  private readonly baseCurves = new Map<string, { g: { summary: Summary }; u: { summary: Summary } }>();
  private features: E.FeatureNet | null = null;
  private readonly log: (s: string) => void;

  constructor(opts: LabOptions = {}) {
    this.store = new RunStore(opts.root ?? defaultRunsRoot());
    this.log = opts.log ?? (() => {});
  }

  /** A lab on another run store root (the verbs' `root` field). */
  private at(root: unknown): Lab {
    if (root === undefined || root === this.store.root) return this;
    const l = new Lab({ root: String(root), log: this.log });
    // Share loaded models: loading is cheap, but compiled sessions are not.
    for (const [k, v] of this.models) l.models.set(k, v);
    return l;
  }

  static defaultBase(): string {
    return path.join(packageRoot(), "models", "shared-unified");
  }

  /** The base model (loaded once per folder) and its identity: folder name + weights hash. */
  base(dir?: string): { model: U.UnifiedModel; id: string } {
    const d = path.resolve(dir ?? Lab.defaultBase());
    let m = this.models.get(d);
    if (!m) {
      if (!fs.existsSync(path.join(d, "model.json"))) throw new SpecError(`base: ${d} holds no model (expected model.json and model.safetensors)`);
      const model = U.loadModel(d);
      // A sweep's worker processes split the machine's cores between them (TRANSFERLAB_THREADS).
      const threads = Number(process.env["TRANSFERLAB_THREADS"] ?? "");
      if (Number.isInteger(threads) && threads > 0) model.runtime = { ...model.runtime, threads };
      const hash = createHash("sha256").update(fs.readFileSync(path.join(d, "model.safetensors"))).digest("hex").slice(0, 12);
      m = { model, id: `${path.basename(d)}@${hash}` };
      this.models.set(d, m);
    }
    return m;
  }

  featureNet(): E.FeatureNet {
    return (this.features ??= E.FeatureNet.load(path.join(packageRoot(), "models", "feature-net")));
  }

  /** A finished (or interrupted) run's adapter, validated against its base. */
  adapter(name: string): U.Adapter {
    const key = path.resolve(this.store.root, name);
    const have = this.adapters.get(key);
    if (have) return have;
    if (!this.store.exists(name)) {
      const known = this.store.list().runs.map((r) => r.name);
      throw new SpecError(`adapter: no run named ${JSON.stringify(name)} in ${this.store.root} (runs: ${known.length ? known.slice(0, 12).join(", ") : "none yet"})`);
    }
    const run = this.store.run(name);
    const spec = run.spec();
    if (!fs.existsSync(path.join(run.adapterDir, "adapter_config.json"))) throw new SpecError(`adapter: run ${name} has no adapter yet (state ${run.status().state})`);
    // Only a finished run's adapter is final: a run that failed while finishing (a full disk) may hold
    // an adapter/ of a later step than its status and checkpoint.
    const st = run.status();
    if (st.state !== "finished") throw new SpecError(`adapter: run ${name} is ${st.state} at step ${st.step}/${st.steps}${st.error ? ` (${st.error})` : ""}; its adapter is not final (resume it first)`);
    const { model, id } = this.base(spec["baseDir"] as string | undefined);
    const a = U.loadAdapter(run.adapterDir, model.base);
    // An adapter applied to another base, or edited after training, gives numbers that look fine and
    // are wrong: both are errors that name the file.
    const cfgFile = path.join(run.adapterDir, "adapter_config.json");
    if (a.meta.baseModel !== id) throw new SpecError(`adapter: ${cfgFile} was trained on base ${a.meta.baseModel}, but the base loaded is ${id}; pass the run's base`);
    for (const [field, want, have] of [["r", spec["rank"], a.config.r], ["lora_alpha", spec["alpha"], a.config.alpha]] as const) {
      if (want !== undefined && want !== have) throw new SpecError(`adapter: ${cfgFile} has ${field} ${have}, but run ${name} was trained with ${want} (${path.join(run.dir, "spec.json")}); the adapter was changed after training`);
    }
    this.adapters.set(key, a);
    return a;
  }

  // ---------------------------------------------------------------- sweep

  /** A grid of training runs from a spec file (sweep.ts): dryRun(), runLocal(), runSlurm(), results(), cancel(). */
  sweep(file: string): Sweep {
    return Sweep.read(this, file);
  }

  // ---------------------------------------------------------------- train

  /**
   * What `train` would run for these fields: the validated spec, the run's name (given, or derived from
   * the spec's key, so the same fields name the same run everywhere: CLI, notebook, sweep) and the base.
   */
  trainPlan(args: Record<string, unknown> = {}) {
    const a = validateSpec("train", args);
    const baseDir = a["base"] ? path.resolve(String(a["base"])) : undefined;
    const { model, id } = this.base(baseDir);
    const task = a["task"] as TrainTask;
    const objective = a["objective"] as Objective;
    const spec = {
      verb: "train",
      task,
      objective,
      rank: a["rank"] as number,
      alpha: a["alpha"] as number,
      steps: a["steps"] as number,
      lr: a["lr"] as number,
      batch: a["batch"] as number,
      seed: a["seed"] as number,
      // The data fields matter only where counting scenes are drawn.
      ...(task === "counting" || task === "compose" ? { captions: a["captions"] as T.CountingCaptions, counts: a["counts"] as T.CountDistribution, plain: a["plain"] as number } : {}),
      select: a["select"] as "best" | "last" | "other",
      evalEvery: a["evalEvery"] as number,
      evalPrompts: a["evalPrompts"] as number,
      evalSeeds: a["evalSeeds"] as number,
      evalQuestions: a["evalQuestions"] as number,
      base: id,
      ...(baseDir ? { baseDir } : {}),
    };
    // Selection reads the validation curve, so its size is part of what the run is.
    const notInKey = spec.select !== "last" ? [] : ["evalEvery", "evalPrompts", "evalSeeds", "evalQuestions"];
    const trained = Object.fromEntries(Object.entries(spec).filter(([k]) => !notInKey.includes(k)));
    const name = (a["name"] as string | undefined) ?? `${task}-${objective}-r${spec.rank}-s${spec.seed}-${specKey(trained).slice(0, 6)}`;
    return { a, spec, name, notInKey, model, id, task, objective };
  }

  async train(args: Record<string, unknown> = {}, hooks: Hooks = {}): Promise<RunHandle> {
    const root = validateSpec("train", args)["root"];
    if (root !== undefined && root !== this.store.root) return this.at(root).train(args, hooks);
    const { a, spec, name, notInKey, model, id, task, objective } = this.trainPlan(args);
    const { run, action } = this.store.open(name, spec, { force: a["force"] as boolean, resume: a["resume"] as boolean, steps: spec.steps, notInKey });
    const handle = new RunHandle(run, this);
    if (action === "reuse") {
      this.log(`${name}: finished earlier with this spec; reusing it (force to retrain)`);
      const all = run.metrics();
      hooks.onEval?.(all, all);
      return handle;
    }
    this.adapters.delete(path.resolve(this.store.root, name));
    const data = "captions" in spec ? { captions: spec.captions, counts: spec.counts, plain: spec.plain } : {};
    const training = await AdapterTraining.start(model, { task, objective, rank: spec.rank, alpha: spec.alpha, steps: spec.steps, lr: spec.lr, batch: spec.batch, seed: spec.seed, ...data });
    let best = action === "resume" ? { step: run.status().selected_step ?? 0, score: run.status().selected_score ?? -Infinity } : { step: 0, score: -Infinity };
    let metrics: MetricRow[] = [];
    let wall = 0;
    if (action === "resume") {
      training.restore(run.checkpointFile);
      metrics = run.metrics().filter((r) => r.step <= training.step);
      wall = run.status().wall_s ?? 0;
      run.setStatus({ state: "running", pid: process.pid, step: training.step });
      run.log(`resumed at step ${training.step}`);
      this.log(`${name}: resuming at step ${training.step}/${spec.steps}`);
    } else run.log(`started: ${JSON.stringify(spec)}`);
    const t0 = Date.now();
    const checkpointEvery = a["checkpointEvery"] as number;
    // Curves and checkpoint selection read the validation split only; the test sets are read once, by
    // evaluate/transfer, at the kept checkpoint.
    const heldOut = async (step: number) => {
      hooks.onStage?.(`evaluating ${name} at step ${step} (validation split)`);
      const adapter = step === 0 ? undefined : training.adapter;
      const split = { split: "val" as const, ...(adapter ? { adapter } : {}) };
      const evalBoth = async () => ({
        g: await evaluateSet(model, GEN_SET[task], { limit: spec.evalPrompts, seeds: T.VAL_SEEDS.slice(0, spec.evalSeeds), ...split }),
        u: await evaluateSet(model, UND_SET[task], { limit: spec.evalQuestions, ...split }),
      });
      // The base's point (step 0) is the same for every run on this base and curve: computed once.
      const baseKey = JSON.stringify([id, task, spec.evalPrompts, spec.evalSeeds, spec.evalQuestions]);
      let both = step === 0 ? this.baseCurves.get(baseKey) : undefined;
      if (!both) {
        both = await evalBoth();
        if (step === 0) this.baseCurves.set(baseKey, both);
      }
      const { g, u } = both;
      const rows = [...summaryRows(name, step, "gen", g.summary), ...summaryRows(name, step, "und", u.summary)];
      metrics.push(...rows);
      run.writeMetrics(metrics);
      hooks.onEval?.(rows, metrics);
      const score = selectionScore(objective, g.summary, u.summary, spec.select);
      if (spec.select !== "last" && step > 0 && score > best.score) {
        best = { step, score };
        U.saveAdapter(run.bestDir, training.adapter, { baseModel: id });
        run.setStatus({ selected_step: step, selected_score: score });
      }
    };
    // The losses since the last loss row: checkpointed with the run, so a resumed run's loss rows are the
    // ones an uninterrupted run writes (a sweep's table does not depend on where a task was killed).
    let losses: number[] = action === "resume" ? [...(run.status().pending_losses ?? [])] : [];
    const checkpoint = (state: RunStatus["state"], extra: Partial<RunStatus> = {}) => {
      training.save(run.checkpointFile);
      run.writeMetrics(metrics);
      run.setStatus({ state, step: training.step, wall_s: Math.round(wall + (Date.now() - t0) / 1000), pending_losses: [...losses], ...extra });
    };
    try {
      if (action === "new" && spec.evalEvery > 0) await heldOut(0);
      const startStep = training.step;
      while (!training.done) {
        if (hooks.signal?.aborted) {
          checkpoint("interrupted", { reason: "interrupt" });
          run.log(`interrupted at step ${training.step}`);
          throw new InterruptedError(`training of ${name} interrupted at step ${training.step}/${spec.steps}; the run keeps its checkpoint (resume: true / --resume)`);
        }
        const p = await training.next();
        losses.push(p.loss);
        const elapsed = (Date.now() - t0) / 1000;
        const done = p.step - startStep;
        hooks.onStep?.({ run: name, step: p.step, steps: spec.steps, loss: p.loss, elapsed_s: elapsed, eta_s: (elapsed / Math.max(1, done)) * (spec.steps - p.step) });
        // The loss curve is kept per 5 steps (mean), so long runs stay small on disk and in widgets.
        if (p.step % 5 === 0 || training.done) {
          metrics.push({ run: name, step: p.step, side: "train", metric: "loss", value: losses.reduce((x, y) => x + y, 0) / losses.length, lo: null, hi: null, n: losses.length });
          losses = [];
        }
        if (spec.evalEvery > 0 && (p.step % spec.evalEvery === 0 || training.done)) await heldOut(p.step);
        if (p.step % checkpointEvery === 0 && !training.done) checkpoint("running");
      }
      if (spec.select !== "last" && best.step > 0 && best.step < training.step) {
        fs.rmSync(run.adapterDir, { recursive: true, force: true });
        fs.cpSync(run.bestDir, run.adapterDir, { recursive: true });
        run.log(`kept step ${best.step} (validation score ${best.score.toFixed(3)})`);
      } else {
        U.saveAdapter(run.adapterDir, training.adapter, { baseModel: id });
        if (spec.select !== "last" && best.step !== training.step) best = { step: training.step, score: best.score };
      }
      checkpoint("finished", { selected_step: best.step > 0 ? best.step : training.step, ...(Number.isFinite(best.score) ? { selected_score: best.score } : {}) });
      run.log(`finished in ${run.status().wall_s} s`);
      return handle;
    } catch (e) {
      if (!(e instanceof InterruptedError)) {
        // Recording the failure can fail for the same reason (a full disk); the original error is the
        // one the user needs, with a word that the status could not be written.
        try {
          run.setStatus({ state: "failed", error: (e as Error).message, step: training.step });
          run.log(`failed: ${(e as Error).stack ?? e}`);
        } catch (e2) {
          (e as Error).message += ` (and the run's status could not be written: ${(e2 as Error).message}; it reads as interrupted, and resumes from its last checkpoint)`;
        }
      }
      throw e;
    }
  }

  /**
   * A training run inside a multi-run verb: its training fields (rank, alpha, steps, lr, batch, seed,
   * force, base) come from the verb's validated arguments unless overridden; no held-out curves (the
   * verb evaluates on the full sets afterwards); only progress and the interrupt are passed on.
   */
  private subRun(a: Record<string, unknown>, overrides: Record<string, unknown>, hooks: Hooks): Promise<RunHandle> {
    const fields = [...TRAINING_FIELDS, "seed", "force", "base"].filter((k) => a[k] !== undefined);
    // The verb's validated fields carry the curve (defaults: SELECTION_CURVE).
    const curve = a["select"] !== "last" ? { evalEvery: a["evalEvery"], evalPrompts: a["evalPrompts"], evalSeeds: a["evalSeeds"], evalQuestions: a["evalQuestions"] } : { evalEvery: 0 };
    return this.train(
      { ...Object.fromEntries(fields.map((k) => [k, a[k]])), ...curve, ...overrides },
      { ...(hooks.onStep ? { onStep: hooks.onStep } : {}), ...(hooks.signal ? { signal: hooks.signal } : {}) },
    );
  }

  // ---------------------------------------------------------------- evaluate

  async evaluate(args: Record<string, unknown> = {}, hooks: Hooks = {}): Promise<{ table: Table; rows: Table; sets: { set: EvalSet; summary: Summary }[]; manifest: string }> {
    const a = validateSpec("evaluate", args);
    const lab = this.at(a["root"]);
    const adapterName = a["adapter"] as string | undefined;
    const adapter = adapterName ? lab.adapter(adapterName) : undefined;
    const spec = adapterName ? lab.store.run(adapterName).spec() : null;
    const { model, id } = lab.base((a["base"] as string | undefined) ?? (spec?.["baseDir"] as string | undefined));
    const task = a["task"] as TrainTask;
    const side = a["side"] as string;
    const sets = [...(side !== "und" ? [GEN_SET[task]] : []), ...(side !== "gen" && task !== "compose" ? [UND_SET[task]] : [])];
    const out: { set: EvalSet; summary: Summary }[] = [];
    const table: MetricRow[] = [];
    const items: Record<string, unknown>[] = [];
    for (const set of sets) {
      hooks.onStage?.(`evaluating ${set}`);
      const r = await evaluateSet(model, set, { ...(a["limit"] ? { limit: a["limit"] as number } : {}), split: a["split"] as T.EvalSplit, ...(a["cfg"] !== undefined ? { cfg: a["cfg"] as number } : {}), ...(adapter ? { adapter } : {}) });
      out.push({ set, summary: r.summary });
      table.push(...summaryRows(adapterName ?? "baseline", 0, set.endsWith("gen") ? "gen" : "und", r.summary).map((x) => ({ ...x, set })));
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
      adapter: adapterName ?? null,
      task,
      sets,
      limit: a["limit"] ?? null,
      split: a["split"],
      sampler: { steps: 12, temperature: model.samplerTemperature, cfg: (a["cfg"] as number | undefined) ?? model.samplerCfg, seeds: "GenEval: 4 per prompt for counting and spatial (test 0–3, val 100–103), 1 for text and composition; each image's seed is derived from (prompt id, seed)" },
      detector: { ...E.DETECTOR_DEFAULTS, position_margin: E.POSITION_MARGIN },
      prompts_rewritten: false,
      summaries: out,
      items,
    };
    const file = path.join(lab.store.root, "evaluations", `${adapterName ?? "baseline"}-${task}-${side}${a["split"] === "val" ? "-val" : ""}${a["cfg"] !== undefined ? `-cfg${a["cfg"]}` : ""}${a["limit"] ? `-limit${a["limit"]}` : ""}.json`);
    writeFileAtomic(file, JSON.stringify(manifest, null, 1) + "\n");
    return { table: aq.from(table).select(aq.not("step")), rows: aq.from(items), sets: out, manifest: file };
  }

  // ---------------------------------------------------------------- generate

  async generate(args: Record<string, unknown>): Promise<{ png: Buffer; labels: string[]; images: RgbImage[][]; cells: GeneratedCell[] }> {
    const a = validateSpec("generate", args);
    const lab = this.at(a["root"]);
    const prompts = a["prompt"] as string[];
    const names = a["adapter"] as string[];
    const { model } = lab.base(a["base"] as string | undefined);
    const seeds = Array.from({ length: a["seeds"] as number }, (_, i) => i);
    const models: { name: string; adapter: U.Adapter | null }[] = [...(names.length && a["noBase"] ? [] : [{ name: "base", adapter: null }]), ...names.map((n) => ({ name: n, adapter: lab.adapter(n) }))];
    const rows: RgbImage[][] = [];
    const labels: string[] = [];
    const cells: GeneratedCell[] = [];
    for (const p of prompts) {
      // A counting prompt gets each image's verdict (the detector's count against the asked one).
      const asked = T.parseCountingPrompt(p);
      for (const m of models) {
        const imgs = await generateImages(model, [p], { seeds, steps: a["steps"] as number, ...(a["cfg"] !== undefined ? { cfg: a["cfg"] as number } : {}), adapter: m.adapter });
        rows.push(imgs[0]!);
        labels.push(`${m.name}: ${p}`);
        imgs[0]!.forEach((img, k) => {
          const v = asked ? E.countingVerdict(E.detect(img), asked.cls, asked.count) : null;
          cells.push({ model: m.name, prompt: p, seed: seeds[k]!, image: img, detected: v?.detected ?? null, asked: v?.asked ?? null, correct: v?.correct ?? null });
        });
      }
    }
    return { png: await gridPng(rows), labels, images: rows, cells };
  }

  // ---------------------------------------------------------------- transfer

  /**
   * The whole protocol for a task: baseline; for each training seed an understanding run and a
   * generation run, each keeping its best validation checkpoint (select best); both sides of each read
   * once on the test sets (or `limit`). Returns the summaries (long format), the paired effects of every
   * direction against the base (same prompts, same sampling seeds; crossed cluster bootstrap over
   * prompts × training runs), Table 6's transfer strength with its interval (only where direct training
   * is a real upper bound) and the distribution shift (Table 11).
   */
  async transfer(args: Record<string, unknown> = {}, hooks: Hooks = {}): Promise<{ results: Table; effects: Table; strength: Table; shift: Table; runs: string[]; wall_s: number }> {
    const t0 = Date.now();
    const a = validateSpec("transfer", args);
    const lab = this.at(a["root"]);
    const task = a["task"] as TrainTask;
    const { model, id } = lab.base(a["base"] as string | undefined);
    const limit = a["limit"] as number | undefined;
    const evalOpts = { ...(limit ? { limit } : {}), ...(a["cfg"] !== undefined ? { cfg: a["cfg"] as number } : {}) };
    const gset = GEN_SET[task];
    const uset = UND_SET[task];
    const features = task === "text" ? null : lab.featureNet();
    hooks.onStage?.("evaluating the baseline (test split)");
    const baseGen = await evaluateSet(model, gset, { ...evalOpts, keepImages: true });
    const baseUnd = await evaluateSet(model, uset, evalOpts);
    const baseImages = (baseGen.rows as GenRow[]).map((r) => r.image!);
    const results: ResultRow[] = [];
    const push = (train: string, side: "gen" | "und", s: Summary, seed: number | null, run: string | null) => {
      for (const m of summaryRows(run ?? "baseline", 0, side, s)) {
        if (m.metric === "excluded" || m.metric === "unparsed" || m.value === null) continue;
        results.push({ source: "miniature", model: id.split("@")[0]!, task, train, side, metric: m.metric, value: m.value, lo: m.lo, hi: m.hi, n: m.n, seed, run, rank: a["rank"] as number, step: a["steps"] as number, table: null, prompts: "task" });
      }
    };
    push("baseline", "gen", baseGen.summary, null, null);
    push("baseline", "und", baseUnd.summary, null, null);
    const shift: Record<string, unknown>[] = [];
    if (features) {
      const floorOther = await evaluateSet(model, gset, { ...evalOpts, keepImages: true, seeds: [4, 5, 6, 7] });
      const other = (floorOther.rows as GenRow[]).map((r) => r.image!);
      shift.push({ model: "baseline", fd_to_baseline: await features.frechet(baseImages, other), is: await features.inceptionScore(baseImages), note: "FD: baseline vs its own images at other sampling seeds (a floor for unpaired images; tuned models keep the baseline's seeds)" });
    }
    const runs: string[] = [];
    const tuned = { und: { gen: [] as TunedRows[], und: [] as TunedRows[] }, gen: { gen: [] as TunedRows[], und: [] as TunedRows[] } };
    for (const objective of ["und", "gen"] as const) {
      const pooled = { gen: [] as (GenRow | UndRow)[], und: [] as (GenRow | UndRow)[] };
      const fds: number[] = [];
      const iss: number[] = [];
      for (let seed = 0; seed < (a["seeds"] as number); seed++) {
        hooks.onStage?.(`training ${objective} seed ${seed}`);
        const h = await lab.subRun(a, { task, objective, seed }, hooks);
        runs.push(h.name);
        const adapter = lab.adapter(h.name);
        hooks.onStage?.(`evaluating ${h.name} at its kept step ${h.status.selected_step ?? h.status.step} (test split)`);
        const g = await evaluateSet(model, gset, { ...evalOpts, adapter, keepImages: true });
        const u = await evaluateSet(model, uset, { ...evalOpts, adapter });
        push(objective, "gen", g.summary, seed, h.name);
        push(objective, "und", u.summary, seed, h.name);
        const genRows = (g.rows as GenRow[]).map(({ image: _i, ...r }) => r);
        tuned[objective].gen.push({ run: h.name, rows: genRows });
        tuned[objective].und.push({ run: h.name, rows: u.rows });
        // A run's prompts stay clusters of their own in the pooled summary's bootstrap.
        pooled.gen.push(...genRows.map((r) => ({ ...r, id: `${r.id}#${seed}` })));
        pooled.und.push(...u.rows);
        if (features) {
          const imgs = (g.rows as GenRow[]).map((r) => r.image!);
          fds.push(await features.frechet(baseImages, imgs));
          iss.push(await features.inceptionScore(imgs));
        }
      }
      push(objective, "gen", summarize(gset, pooled.gen), null, null);
      push(objective, "und", summarize(uset, pooled.und), null, null);
      if (features) shift.push({ model: objective === "und" ? "und→gen" : "gen→gen", fd_to_baseline: E.mean(fds), is: E.mean(iss), note: `mean over ${fds.length} seed(s)` });
    }
    const effects = [
      ...effectRows("und→gen", gset, baseGen.rows, tuned.und.gen),
      ...effectRows("gen→gen", gset, baseGen.rows, tuned.gen.gen),
      ...effectRows("gen→und", uset, baseUnd.rows, tuned.gen.und),
      ...effectRows("und→und", uset, baseUnd.rows, tuned.und.und),
    ];
    const strength = [
      ...strengthRows("und→gen", gset, baseGen.rows, tuned.und.gen, tuned.gen.gen),
      ...strengthRows("gen→und", uset, baseUnd.rows, tuned.gen.und, tuned.und.und),
    ].map((s) => {
      const t = effects.find((e) => e.direction === s.direction && e.metric === s.metric)!;
      const d = effects.find((e) => e.direction === (s.direction === "und→gen" ? "gen→gen" : "und→und") && e.metric === s.metric)!;
      const sign = LOWER_IS_BETTER.has(s.metric) ? -1 : 1;
      return { source: "miniature", model: id.split("@")[0]!, task, direction: s.direction, metric: s.metric, baseline: t.base, transfer: t.tuned, direct: d.tuned, transfer_gain: sign * t.delta, direct_gain: sign * d.delta, strength: s.strength, lo: s.lo, hi: s.hi, note: s.note };
    });
    return { results: aq.from(results), effects: aq.from(effects), strength: aq.from(strength), shift: aq.from(shift), runs, wall_s: (Date.now() - t0) / 1000 };
  }

  // ---------------------------------------------------------------- joint

  /** Joint und+gen training, both sides evaluated every epoch: the table behind Fig. 8. */
  async joint(args: Record<string, unknown> = {}, hooks: Hooks = {}): Promise<{ curve: Table; run: RunHandle }> {
    const a = validateSpec("joint", args);
    const spe = a["stepsPerEpoch"] as number;
    const h = await this.at(a["root"]).train(
      {
        task: a["task"],
        objective: "joint",
        rank: a["rank"],
        alpha: a["alpha"],
        lr: a["lr"],
        batch: a["batch"],
        seed: a["seed"],
        steps: spe * (a["epochs"] as number),
        evalEvery: spe,
        evalPrompts: a["evalPrompts"],
        evalQuestions: a["evalQuestions"],
        ...(a["base"] ? { base: a["base"] } : {}),
      },
      hooks,
    );
    const curve = h
      .metrics()
      .filter(aq.escape((d: Record<string, unknown>) => d["side"] !== "train"))
      .derive({ epoch: aq.escape((d: Record<string, unknown>) => (d["step"] as number) / spe) });
    return { curve, run: h };
  }

  // ---------------------------------------------------------------- ablate

  /** Rank ablation of und→gen (Table 12): generation side of one understanding run per rank. */
  async ablate(args: Record<string, unknown> = {}, hooks: Hooks = {}): Promise<{ table: Table }> {
    const a = validateSpec("ablate", args);
    const lab = this.at(a["root"]);
    const task = a["task"] as TrainTask;
    const { model } = lab.base(a["base"] as string | undefined);
    const opts = { ...(a["limit"] ? { limit: a["limit"] as number } : {}), ...(a["cfg"] !== undefined ? { cfg: a["cfg"] as number } : {}) };
    hooks.onStage?.("evaluating the baseline");
    const base = await evaluateSet(model, GEN_SET[task], opts);
    const rows: Record<string, unknown>[] = summaryRows("baseline", 0, "gen", base.summary).filter((r) => r.metric === "accuracy" || r.metric === "mad" || r.metric === "cer").map((r) => ({ rank: 0, ...r }));
    const baseVal = new Map(rows.map((r) => [r["metric"], r["value"] as number]));
    for (const rank of a["ranks"] as number[]) {
      hooks.onStage?.(`training rank ${rank}`);
      const h = await lab.subRun(a, { task, objective: "und", rank }, hooks);
      const r = await evaluateSet(model, GEN_SET[task], { ...opts, adapter: lab.adapter(h.name) });
      for (const m of summaryRows(h.name, 0, "gen", r.summary)) if (baseVal.has(m.metric)) rows.push({ rank, ...m, delta: m.value! - baseVal.get(m.metric)! });
    }
    return { table: aq.from(rows).select(aq.not("step")) };
  }

  // ---------------------------------------------------------------- compose

  /** Appendix C.5: understanding on a counting + spatial mixture, joint accuracy on compositional prompts. */
  async compose(args: Record<string, unknown> = {}, hooks: Hooks = {}): Promise<{ table: Table; run: RunHandle }> {
    const a = validateSpec("compose", args);
    const lab = this.at(a["root"]);
    const { model } = lab.base(a["base"] as string | undefined);
    const opts = { ...(a["limit"] ? { limit: a["limit"] as number } : {}), ...(a["cfg"] !== undefined ? { cfg: a["cfg"] as number } : {}) };
    hooks.onStage?.("evaluating the baseline");
    const base = await evaluateSet(model, "composition-gen", opts);
    hooks.onStage?.("training on the counting + spatial mixture");
    const h = await lab.subRun(a, { task: "compose", objective: "und" }, hooks);
    const tuned = await evaluateSet(model, "composition-gen", { ...opts, adapter: lab.adapter(h.name) });
    const row = (train: string, s: Summary) => ({ train, metric: "joint_accuracy", value: s.accuracy!.estimate, lo: s.accuracy!.lo, hi: s.accuracy!.hi, n: s.n });
    return { table: aq.from([row("baseline", base.summary), row("und", tuned.summary)]), run: h };
  }

  // ---------------------------------------------------------------- attention

  /** Fig. 10: per model, the chosen prompt token's attention over the 8×8 image tokens (mean of layers). */
  async attention(args: Record<string, unknown>): Promise<{ maps: { model: string; layers: Float32Array[]; mean: Float32Array; image: RgbImage }[]; token: string; tokenIndex: number }> {
    const a = validateSpec("attention", args);
    const lab = this.at(a["root"]);
    const { model } = lab.base(a["base"] as string | undefined);
    const prompt = a["prompt"] as string;
    const token = (a["token"] as string).toLowerCase();
    const ids = model.vocab.textIds(prompt);
    const words = ids.map((i) => model.vocab.decodeText([i]).trim());
    const tokenIndex = words.indexOf(token);
    if (tokenIndex < 0) throw new SpecError(`attention.token: ${JSON.stringify(token)} is not a token of the prompt (tokens: ${words.filter((w) => w).join(", ")})`);
    const steps = Math.max(12, (a["step"] as number) + 1);
    const out = [];
    for (const name of ["base", ...(a["adapter"] as string[])]) {
      const adapter = name === "base" ? undefined : lab.adapter(name);
      const req = { prompt: ids, tokens: 64, seed: a["seed"] as number };
      const layers = await U.attentionMaps(model, req, tokenIndex, { step: a["step"] as number, steps, ...(adapter ? { adapter } : {}) });
      const mean = new Float32Array(64);
      for (const l of layers) for (let i = 0; i < 64; i++) mean[i]! += l[i]! / layers.length;
      const { codes } = await U.generateImages(model, [req], { steps, ...(adapter ? { adapter } : {}) });
      out.push({ model: name, layers, mean, image: model.vocab.image.decode(codes[0]!, 8, 8) });
    }
    return { maps: out, token, tokenIndex };
  }

  // ---------------------------------------------------------------- tables

  /** Every run in the store: spec fields, state and progress. */
  runs(): Table {
    const { runs, problems } = this.store.list();
    const rows: Record<string, unknown>[] = runs.map((r) => {
      const s = r.spec();
      const st = r.status();
      return { name: r.name, task: s["task"], objective: s["objective"], rank: s["rank"], alpha: s["alpha"], steps: s["steps"], lr: s["lr"], seed: s["seed"], state: st.state, step: st.step, wall_s: st.wall_s, started: st.started, base: s["base"], problem: st.error ?? null };
    });
    // A run whose files cannot be read is listed as broken, with what is wrong, not left out.
    for (const p of problems) {
      const i = p.indexOf(": ");
      rows.push({ name: p.slice(0, i), task: null, objective: null, rank: null, alpha: null, steps: null, lr: null, seed: null, state: "broken", step: null, wall_s: null, started: null, base: null, problem: p.slice(i + 2) });
    }
    return rows.length ? aq.from(rows) : aq.table({ name: [], task: [], objective: [], rank: [], alpha: [], steps: [], lr: [], seed: [], state: [], step: [], wall_s: [], started: [], base: [], problem: [] });
  }

  /** Every metric row of every run, with the run's task, objective, rank and seed. */
  metrics(): Table {
    const rows: Record<string, unknown>[] = [];
    for (const r of this.store.list().runs) {
      const s = r.spec();
      for (const m of r.metrics()) rows.push({ ...m, task: s["task"], objective: s["objective"], rank: s["rank"], seed: s["seed"] });
    }
    return rows.length ? aq.from(rows) : aq.table({ run: [], step: [], side: [], metric: [], value: [], lo: [], hi: [], n: [], task: [], objective: [], rank: [], seed: [] });
  }

  /** The paper's published numbers (data/paper-results.csv) in the results format. */
  paper(): Table {
    return paperResults();
  }

  /** Results made elsewhere (CSV or JSONL in the results format of tables.ts). */
  importRuns(file: string): Table {
    return importRuns(file);
  }

  // ---------------------------------------------------------------- sharing

  /** Per-layer CKA between the pathways' states of the same scenes, base and adapters (src/lab/sharing.ts). */
  async sharing(args: Record<string, unknown> = {}, hooks: Hooks = {}): Promise<{ table: Table }> {
    const a = validateSpec("sharing", args);
    const lab = this.at(a["root"]);
    const { model } = lab.base(a["base"] as string | undefined);
    const names = a["adapter"] as string[];
    hooks.onStage?.(`reading hidden states of ${a["scenes"]} scenes`);
    const rows = await representationSharing(model, [{ name: "base" }, ...names.map((n) => ({ name: n, adapter: lab.adapter(n) }))], { scenes: a["scenes"] as number, seed: a["seed"] as number });
    return { table: aq.from(rows) };
  }

  /** Table 6's ratios for any results table (the miniature's, imported ones, the paper's). */
  transferStrength(results: Table): Table {
    return transferStrength(results);
  }

  /** Runs a verb by name with validated fields (what `transferlab run SPEC.json` and the magics call). */
  async call(verb: Verb, args: Record<string, unknown>, hooks: Hooks = {}): Promise<unknown> {
    switch (verb) {
      case "train":
        return this.train(args, hooks);
      case "evaluate":
        return this.evaluate(args, hooks);
      case "generate":
        return this.generate(args);
      case "transfer":
        return this.transfer(args, hooks);
      case "joint":
        return this.joint(args, hooks);
      case "ablate":
        return this.ablate(args, hooks);
      case "compose":
        return this.compose(args, hooks);
      case "attention":
        return this.attention(args);
      case "sharing":
        return this.sharing(args, hooks);
      default:
        throw new SpecError(`verb: ${JSON.stringify(verb)} is not allowed (allowed: ${Object.keys(VERBS).join(", ")})`);
    }
  }
}
