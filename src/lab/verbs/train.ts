// `train`: one LoRA adapter trained on one task through one objective, with validation curves along
// the way and the checkpoint its `select` field names kept. The run lives in the run store under a
// name derived from its spec, so the same fields name the same run from the CLI, a notebook or a sweep.

import * as fs from "node:fs";
import * as path from "node:path";
import * as aq from "arquero";
import * as T from "../../tasks";
import * as U from "../../umm";
import { validateFields } from "../../core/fields";
import { trainingCurves } from "../../viz/figures";
import { evaluateSet, Summary } from "../evaluation/sets";
import { InterruptedError } from "../hooks";
import { RunHandle } from "../store/run-handle";
import { CurveRow, MetricRow, RunStatus, curveRow, runKey } from "../store/run-store";
import { GEN_SET, UND_SET, summaryRows } from "../evaluation/summary-rows";
import { AdapterTraining, Objective, TrainTask } from "../training/loop";
import type { Lab } from "../lab";
import { common, selectField } from "./fields";
import { TRAIN_SPEC_FIELDS, keyedProtocol, specProtocol, validationSplit } from "../training/spec";
import { defineVerb } from "./verb";
import { EvalSetDef, curveMetrics, world } from "../worlds";

export const TRAIN_FIELDS = [
  ...TRAIN_SPEC_FIELDS,
  selectField,
  { name: "name", type: "string", help: "run name (default: derived from the spec)" },
  {
    name: "evalEvery",
    type: "integer",
    help: "validation-split evaluation every N steps (0: none; select best then keeps the last step)",
    default: 25,
    min: 0,
    max: 100000,
  },
  { name: "evalPrompts", type: "integer", help: "validation generation prompts per evaluation", default: 18, min: 1, max: 10000 },
  { name: "evalSeeds", type: "integer", help: "validation sampling seeds per prompt (of 4)", default: 1, min: 1, max: 4 },
  { name: "evalQuestions", type: "integer", help: "validation questions per evaluation", default: 90, min: 1, max: 10000 },
  {
    name: "curveRows",
    type: "boolean",
    help: "keep every validation evaluation's per-item rows (curve-rows.jsonl), for paired changes along training",
    default: false,
  },
  { name: "checkpointEvery", type: "integer", help: "write a resumable checkpoint every N steps", default: 25, min: 1, max: 100000 },
  { name: "resume", type: "boolean", help: "continue an interrupted run from its last checkpoint", default: false },
  { name: "force", type: "boolean", help: "retrain even when a finished run with this spec exists", default: false },
  ...common,
] as const;

/**
 * The validation score a run is selected on: the trained side's score (its set's `select`, accuracy by
 * default; both sides' mean for joint training), as the paper's early stopping keeps the best checkpoint
 * of the objective it trains; with `other`, the side not trained (where transfer shows, if it peaks
 * mid-training).
 */
function selectionScore(task: TrainTask, objective: Objective, gen: Summary, und: Summary, select: "best" | "last" | "other"): number {
  const w = world(task);
  const score = (def: EvalSetDef, s: Summary) => (def.select ? def.select(s) : s.accuracy?.estimate) ?? NaN;
  const g = score(w.gen, gen);
  const u = score(w.und, und);
  if (objective === "gen") return select === "other" ? u : g;
  if (objective === "und") return select === "other" ? g : u;
  return (g + u) / 2;
}

/**
 * What `train` would run for these fields: the validated spec, the run's name (given, or derived from
 * the spec's key, so the same fields name the same run everywhere: CLI, notebook, sweep) and the base.
 */
export function trainPlan(lab: Lab, args: Record<string, unknown>) {
  const a = validateFields("train", TRAIN_FIELDS, args);
  const baseDir = a.base ? path.resolve(a.base) : undefined;
  const { model, id } = lab.base(baseDir);
  const task: TrainTask = a.task;
  const objective: Objective = a.objective;
  const spec = {
    verb: "train",
    task,
    objective,
    rank: a.rank,
    alpha: a.alpha,
    steps: a.steps,
    lr: a.lr,
    batch: a.batch,
    seed: a.seed,
    // The data fields matter only where counting scenes are drawn.
    ...(world(task).countingData ? { captions: a.captions as T.CountingCaptions, counts: a.counts as T.CountDistribution, plain: a.plain } : {}),
    // The question form only where understanding is trained, and only when not the default: a generation
    // run's pairs do not depend on it (its runs are shared between conditions), older runs keep their keys.
    ...(world(task).countingData && objective !== "gen" && a.questions !== "how-many" ? { questions: a.questions as T.CountingQuestions } : {}),
    // The protocol only where it is not the one the world's first runs followed: older runs keep their keys.
    ...keyedProtocol(task, { dataSeed: a.dataSeed, valPrompts: a.valPrompts }),
    select: a.select,
    evalEvery: a.evalEvery,
    evalPrompts: a.evalPrompts,
    evalSeeds: a.evalSeeds,
    evalQuestions: a.evalQuestions,
    // Only when asked: older runs keep their keys.
    ...(a.curveRows ? { curveRows: true } : {}),
    base: id,
    ...(baseDir ? { baseDir } : {}),
  };
  // Selection reads the validation curve, so its size is part of what the run is.
  const notInKey = spec.select !== "last" ? [] : ["evalEvery", "evalPrompts", "evalSeeds", "evalQuestions"];
  const name = a.name ?? `${task}-${objective}-r${spec.rank}-s${spec.seed}-${runKey(spec, notInKey).slice(0, 6)}`;
  return { a, spec, name, notInKey, model, id, task, objective };
}

export default defineVerb({
  name: "train",
  help: "Train a LoRA adapter on one task through one objective, with live held-out curves; returns a run handle.",
  fields: TRAIN_FIELDS,
  live: "curves",
  async run(lab, args, hooks): Promise<RunHandle> {
    const { a, spec, name, notInKey, model, id, task, objective } = trainPlan(lab, args);
    const { run, action } = lab.store.open(name, spec, { force: a.force, resume: a.resume, steps: spec.steps, notInKey });
    const handle = new RunHandle(run, lab);
    if (action === "reuse") {
      lab.log(`${name}: finished earlier with this spec; reusing it (force to retrain)`);
      const all = run.metrics();
      hooks.onEval?.(all, all);
      return handle;
    }
    lab.forgetAdapter(name);
    hooks.onStage?.(`${name}: ${lab.store.trainingEstimate(1, spec.steps - (action === "resume" ? run.status().step : 0), spec.batch)}`);
    // The run's training fields as its spec holds them (the data fields only where the world reads them).
    const trainSpec = Object.fromEntries(TRAIN_SPEC_FIELDS.filter((f) => f.name in spec).map((f) => [f.name, spec[f.name as keyof typeof spec]]));
    const training = await AdapterTraining.start(model, trainSpec);
    let best = action === "resume" ? { step: run.status().selected_step ?? 0, score: run.status().selected_score ?? -Infinity } : { step: 0, score: -Infinity };
    let metrics: MetricRow[] = [];
    let curve: CurveRow[] = [];
    let wall = 0;
    if (action === "resume") {
      training.restore(run.checkpointFile);
      metrics = run.metrics().filter((r) => r.step <= training.step);
      curve = run.curveRows().filter((r) => r.step <= training.step);
      wall = run.status().wall_s ?? 0;
      run.setStatus({ state: "running", pid: process.pid, step: training.step });
      run.log(`resumed at step ${training.step}`);
      lab.log(`${name}: resuming at step ${training.step}/${spec.steps}`);
    } else run.log(`started: ${JSON.stringify(spec)}`);
    const t0 = Date.now();
    // Curves and checkpoint selection read the validation split only; the test sets are read once, by
    // evaluate/transfer, at the kept checkpoint.
    const heldOut = async (step: number) => {
      hooks.onStage?.(`evaluating ${name} at step ${step} (validation split)`);
      const adapter = step === 0 ? undefined : training.adapter;
      const split = { split: validationSplit(specProtocol(task, spec)), ...(adapter ? { adapter } : {}) };
      const evalBoth = async () => ({
        g: await evaluateSet(model, GEN_SET[task], { limit: spec.evalPrompts, seeds: T.VAL_SEEDS.slice(0, spec.evalSeeds), ...split }),
        u: await evaluateSet(model, UND_SET[task], { limit: spec.evalQuestions, ...split }),
      });
      // The base's point (step 0) is the same for every run on this base and curve: computed once.
      const baseKey = JSON.stringify([id, task, split.split, spec.evalPrompts, spec.evalSeeds, spec.evalQuestions]);
      let both = step === 0 ? lab.baseCurves.get(baseKey) : undefined;
      if (!both) {
        both = await evalBoth();
        if (step === 0) lab.baseCurves.set(baseKey, both);
      }
      const { g, u } = both;
      const rows = [...summaryRows(name, step, "gen", g.summary), ...summaryRows(name, step, "und", u.summary)];
      metrics.push(...rows);
      if (spec.curveRows) {
        curve.push(...g.rows.map((r) => curveRow(step, "gen", r)), ...u.rows.map((r) => curveRow(step, "und", r)));
        run.writeCurveRows(curve);
      }
      run.writeMetrics(metrics);
      hooks.onEval?.(rows, metrics);
      const score = selectionScore(task, objective, g.summary, u.summary, spec.select);
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
          throw new InterruptedError(
            `training of ${name} interrupted at step ${training.step}/${spec.steps}; the run keeps its checkpoint (resume: true / --resume)`,
          );
        }
        const p = await training.next();
        losses.push(p.loss);
        const elapsed = (Date.now() - t0) / 1000;
        const done = p.step - startStep;
        hooks.onStep?.({
          run: name,
          step: p.step,
          steps: spec.steps,
          loss: p.loss,
          elapsed_s: elapsed,
          eta_s: (elapsed / Math.max(1, done)) * (spec.steps - p.step),
        });
        // The loss curve is kept per 5 steps (mean), so long runs stay small on disk and in widgets.
        if (p.step % 5 === 0 || training.done) {
          const row: MetricRow = {
            run: name,
            step: p.step,
            side: "train",
            metric: "loss",
            value: losses.reduce((x, y) => x + y, 0) / losses.length,
            lo: null,
            hi: null,
            n: losses.length,
          };
          metrics.push(row);
          hooks.onLoss?.(row);
          losses = [];
        }
        if (spec.evalEvery > 0 && (p.step % spec.evalEvery === 0 || training.done)) await heldOut(p.step);
        if (p.step % a.checkpointEvery === 0 && !training.done) checkpoint("running");
      }
      if (spec.select !== "last" && best.step > 0 && best.step < training.step) {
        fs.rmSync(run.adapterDir, { recursive: true, force: true });
        fs.cpSync(run.bestDir, run.adapterDir, { recursive: true });
        run.log(`kept step ${best.step} (validation score ${best.score.toFixed(3)})`);
      } else {
        U.saveAdapter(run.adapterDir, training.adapter, { baseModel: id });
        if (spec.select !== "last" && best.step !== training.step) best = { step: training.step, score: best.score };
      }
      checkpoint("finished", {
        selected_step: best.step > 0 ? best.step : training.step,
        ...(Number.isFinite(best.score) ? { selected_score: best.score } : {}),
      });
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
          (e as Error).message +=
            ` (and the run's status could not be written: ${(e2 as Error).message}; it reads as interrupted, and resumes from its last checkpoint)`;
        }
      }
      throw e;
    }
  },
  present: (h) => {
    const curves = h.metrics().filter(aq.escape((d: Record<string, unknown>) => d["side"] !== "train"));
    return [
      ...(curves.numRows()
        ? [
            {
              kind: "figure" as const,
              drawnLive: true,
              title: `${h.name}: validation curves`,
              table: h.metrics(),
              draw: (t: import("../results/tables").Table) =>
                trainingCurves(t, { title: `${h.name}: validation curves`, metrics: curveMetrics(h.spec["task"]) }),
            },
          ]
        : []),
      { kind: "result", value: h.toString() },
    ];
  },
});
