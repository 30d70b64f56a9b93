// The experiment API: `import { lab } from "transferlab"`. A Lab holds a run store and the loaded
// models; its verbs (`lab.train`, `lab.transfer`, …) are the definitions of src/lab/verbs, installed
// as methods from the one verb list, so a verb written there is an API method, a magic and a command
// at once. Verbs take the fields of their schema, store their training runs in the run store and
// return Arquero tables in the long results format of results/tables.ts, ready to filter, join and plot.

import * as path from "node:path";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as aq from "arquero";
import { FeatureNet } from "../eval/feature-net";
import * as U from "../umm";
import { packageRoot } from "../core/paths";
import { SpecError, validateFields } from "../core/fields";
import { didYouMean } from "../core/text";
import type { EvalResult, GenRow, UndRow } from "./evaluation/sets";
import type { Hooks } from "./hooks";
import type { RunHandle } from "./store/run-handle";
import { RunStore, defaultRunsRoot } from "./store/run-store";
import { Table, importRuns, paperResults, transferStrength } from "./results/tables";
import { Sweep } from "./store/sweep";
import { subRunArgs, VERBS, VERB_LIST, VERB_NAMES, Verb, VerbInput, VerbResult, trainPlan } from "./verbs";

export { InterruptedError } from "./hooks";
export type { Hooks, Progress } from "./hooks";
export { RunHandle } from "./store/run-handle";
export { summaryRows } from "./evaluation/summary-rows";
export { SELECTION_CURVE } from "./verbs";
export type { GeneratedCell } from "./verbs";

export interface LabOptions {
  root?: string;
  log?: (s: string) => void;
}

/** The verbs as methods: `lab.train({ rank: 8 }, hooks)` is `lab.call("train", { rank: 8 }, hooks)`. */
type VerbMethods = { [V in Verb]: (args?: VerbInput<V>, hooks?: Hooks) => Promise<VerbResult<V>> };

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export interface Lab extends VerbMethods {}
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Lab {
  readonly store: RunStore;
  /** Where verbs report what they reuse and resume (the CLI prints it; notebooks stay quiet). */
  readonly log: (s: string) => void;
  private readonly models = new Map<string, { model: U.UnifiedModel; id: string; dir: string }>();
  private readonly adapters = new Map<string, U.Adapter>();
  /** Validation summaries of a base at step 0, per (base, task, curve size): every run starts from them. */
  readonly baseCurves = new Map<string, { g: EvalResult<GenRow | UndRow>; u: EvalResult<GenRow | UndRow> }>();
  private features: FeatureNet | null = null;

  constructor(opts: LabOptions = {}) {
    this.store = new RunStore(opts.root ?? defaultRunsRoot());
    this.log = opts.log ?? (() => {});
  }

  /** A lab on another run store root (the verbs' `root` field), sharing the loaded models. */
  at(root: unknown): Lab {
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
  base(dir?: string): { model: U.UnifiedModel; id: string; dir: string } {
    const d = path.resolve(dir ?? Lab.defaultBase());
    let m = this.models.get(d);
    if (!m) {
      if (!fs.existsSync(path.join(d, "model.json"))) throw new SpecError(`base: ${d} holds no model (expected model.json and model.safetensors)`);
      const model = U.loadModel(d);
      // A sweep's worker processes split the machine's cores between them (TRANSFERLAB_THREADS).
      const threads = Number(process.env["TRANSFERLAB_THREADS"] ?? "");
      if (Number.isInteger(threads) && threads > 0) model.runtime = { ...model.runtime, threads };
      const hash = createHash("sha256")
        .update(fs.readFileSync(path.join(d, "model.safetensors")))
        .digest("hex")
        .slice(0, 12);
      m = { model, id: `${path.basename(d)}@${hash}`, dir: d };
      this.models.set(d, m);
    }
    return m;
  }

  featureNet(): FeatureNet {
    return (this.features ??= FeatureNet.load(path.join(packageRoot(), "models", "feature-net")));
  }

  /** A finished (or interrupted) run's adapter, validated against its base. */
  adapter(name: string): U.Adapter {
    const key = path.resolve(this.store.root, name);
    const have = this.adapters.get(key);
    if (have) return have;
    if (!this.store.exists(name)) {
      const known = this.store.list().runs.map((r) => r.name);
      throw new SpecError(
        `adapter: no run named ${JSON.stringify(name)} in ${this.store.root} (runs: ${known.length ? known.slice(0, 12).join(", ") : "none yet"})`,
      );
    }
    const run = this.store.run(name);
    const spec = run.spec();
    if (!fs.existsSync(path.join(run.adapterDir, "adapter_config.json")))
      throw new SpecError(`adapter: run ${name} has no adapter yet (state ${run.status().state})`);
    // Only a finished run's adapter is final: a run that failed while finishing (a full disk) may hold
    // an adapter/ of a later step than its status and checkpoint.
    const st = run.status();
    if (st.state !== "finished")
      throw new SpecError(
        `adapter: run ${name} is ${st.state} at step ${st.step}/${st.steps}${st.error ? ` (${st.error})` : ""}; its adapter is not final (resume it first)`,
      );
    const { model, id } = this.base(spec["baseDir"] as string | undefined);
    const a = U.loadAdapter(run.adapterDir, model.base);
    // An adapter applied to another base, or edited after training, gives numbers that look fine and
    // are wrong: both are errors that name the file.
    const cfgFile = path.join(run.adapterDir, "adapter_config.json");
    if (a.meta.baseModel !== id)
      throw new SpecError(`adapter: ${cfgFile} was trained on base ${a.meta.baseModel}, but the base loaded is ${id}; pass the run's base`);
    for (const [field, want, have] of [
      ["r", spec["rank"], a.config.r],
      ["lora_alpha", spec["alpha"], a.config.alpha],
    ] as const) {
      if (want !== undefined && want !== have)
        throw new SpecError(
          `adapter: ${cfgFile} has ${field} ${have}, but run ${name} was trained with ${want} (${path.join(run.dir, "spec.json")}); the adapter was changed after training`,
        );
    }
    this.adapters.set(key, a);
    return a;
  }

  /** Drops a cached adapter (a run about to be retrained). */
  forgetAdapter(name: string): void {
    this.adapters.delete(path.resolve(this.store.root, name));
  }

  /** Runs a verb by name with fields validated against its schema (what the magics, the CLI and spec files call). */
  async call<V extends Verb>(verb: V, args: VerbInput<V> | Record<string, unknown> = {}, hooks: Hooks = {}): Promise<VerbResult<V>> {
    if (!Object.hasOwn(VERBS, verb))
      throw new SpecError(`verb: ${JSON.stringify(verb)} is not allowed (allowed: ${VERB_NAMES.join(", ")})${didYouMean(String(verb), VERB_NAMES)}`);
    const def = VERBS[verb];
    const a = baseOfArch(verb, validateFields(verb, def.fields, args) as { root?: string; arch?: string; base?: string });
    // Every verb's `root` field: the same call on a lab over that run store.
    const lab = this.at(a.root);
    return (def.run as (l: Lab, a: unknown, h: Hooks) => Promise<VerbResult<V>>)(lab, a, hooks);
  }

  /**
   * A training run inside a multi-run verb: its training fields (rank, alpha, steps, lr, batch, seed,
   * force, resume, base) come from the verb's validated arguments unless overridden; the verb's
   * validation curve; only progress and the interrupt are passed on (the verb evaluates afterwards).
   */
  subRun(a: Record<string, unknown>, overrides: Record<string, unknown>, hooks: Hooks): Promise<RunHandle> {
    return this.call("train", subRunArgs(a, overrides), {
      ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
      ...(hooks.signal ? { signal: hooks.signal } : {}),
    });
  }

  /**
   * What `train` would run for these fields: the validated spec, the run's name (given, or derived from
   * the spec's key, so the same fields name the same run everywhere: CLI, notebook, sweep) and the base.
   */
  trainPlan(args: Record<string, unknown> = {}) {
    return trainPlan(this, args);
  }

  /** A grid of training runs from a spec file (store/sweep.ts): dryRun(), runLocal(), runSlurm(), results(), cancel(). */
  sweep(file: string): Sweep {
    return Sweep.read(this, file);
  }

  // ---------------------------------------------------------------- tables

  /** Every run in the store: spec fields, state and progress. */
  runs(): Table {
    const { runs, problems } = this.store.list();
    const rows: Record<string, unknown>[] = runs.map((r) => {
      const s = r.spec();
      const st = r.status();
      return {
        name: r.name,
        task: s["task"],
        objective: s["objective"],
        rank: s["rank"],
        alpha: s["alpha"],
        steps: s["steps"],
        lr: s["lr"],
        seed: s["seed"],
        state: st.state,
        step: st.step,
        wall_s: st.wall_s,
        started: st.started,
        base: s["base"],
        problem: st.error ?? null,
      };
    });
    // A run whose files cannot be read is listed as broken, with what is wrong, not left out.
    for (const p of problems) {
      const i = p.indexOf(": ");
      rows.push({
        name: p.slice(0, i),
        task: null,
        objective: null,
        rank: null,
        alpha: null,
        steps: null,
        lr: null,
        seed: null,
        state: "broken",
        step: null,
        wall_s: null,
        started: null,
        base: null,
        problem: p.slice(i + 2),
      });
    }
    return rows.length
      ? aq.from(rows)
      : aq.table({
          name: [],
          task: [],
          objective: [],
          rank: [],
          alpha: [],
          steps: [],
          lr: [],
          seed: [],
          state: [],
          step: [],
          wall_s: [],
          started: [],
          base: [],
          problem: [],
        });
  }

  /** Every metric row of every run, with the run's task, objective, rank and seed. */
  metrics(): Table {
    const rows: Record<string, unknown>[] = [];
    for (const r of this.store.list().runs) {
      const s = r.spec();
      for (const m of r.metrics()) rows.push({ ...m, task: s["task"], objective: s["objective"], rank: s["rank"], seed: s["seed"] });
    }
    return rows.length
      ? aq.from(rows)
      : aq.table({ run: [], step: [], side: [], metric: [], value: [], lo: [], hi: [], n: [], task: [], objective: [], rank: [], seed: [] });
  }

  /** The paper's published numbers (data/paper-results.csv) in the results format. */
  paper(): Table {
    return paperResults();
  }

  /** Results made elsewhere (CSV or JSONL in the results format of results/tables.ts). */
  importRuns(file: string): Table {
    return importRuns(file);
  }

  // ---------------------------------------------------------------- sharing

  /** Table 6's ratios for any results table (the miniature's, imported ones, the paper's). */
  transferStrength(results: Table): Table {
    return transferStrength(results);
  }
}

/**
 * A verb's `arch` names a family's published base (models/<arch>): it becomes the `base` the verb and its
 * runs use, so a run made with --arch mot is the run made with --base models/mot.
 */
function baseOfArch<A extends { arch?: string; base?: string }>(verb: string, a: A): Omit<A, "arch"> {
  if (a.arch === undefined) return a;
  const { arch, ...rest } = a;
  const names = U.architectureNames();
  if (!names.includes(arch))
    throw new SpecError(`${verb}.arch: ${JSON.stringify(arch)} is not allowed (allowed: ${names.join(", ")})${didYouMean(arch, names)}`);
  if (a.base !== undefined) throw new SpecError(`${verb}.arch: names the base as --base (${a.base}) does; give one of them`);
  const dir = path.join(packageRoot(), "models", arch);
  if (!fs.existsSync(path.join(dir, "model.json")))
    throw new SpecError(
      `${verb}.arch: "${arch}" has no published base yet (no ${path.relative(process.cwd(), dir) || dir}/model.json); make it with transferlab pretrain-chain models/recipes/${arch}.chain.yaml --out runs/base-${arch}, then transferlab publish-base models/recipes/${arch}.chain.yaml --out runs/base-${arch} --to models/${arch}`,
    );
  return { ...rest, base: dir };
}

// The verb methods, one per definition in the verb list.
for (const v of VERB_LIST) {
  Object.defineProperty(Lab.prototype, v.name, {
    value: function (this: Lab, args: Record<string, unknown> = {}, hooks: Hooks = {}) {
      return this.call(v.name, args, hooks);
    },
    writable: true,
    configurable: true,
  });
}
