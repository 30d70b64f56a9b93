// The `transferlab` command line: one entry point for every job.

import { parseArgs } from "node:util";
import { benchEngine } from "../bench/engine";
import { benchWorlds } from "../bench/worlds";
import { benchUmm } from "../bench/umm";
import { benchKernel } from "../bench/kernel";
import { sweepSampler } from "../bench/sampler-sweep";
import { benchPlacement } from "../bench/placement-learnability";
import { calibrate } from "./eval/calibrate";
import { DEFAULT_PRETRAIN, pretrain } from "./lab/pretrain";
import { parseRecipe } from "./lab/pretrain-data";
import { architectureNames } from "./umm/arch";
import { FeatureNet } from "./eval/feature-net";
import { EVAL_SETS, EvalSet, evaluateSet } from "./lab/evaluate";
import { loadModel } from "./umm/checkpoint";
import * as T from "./tasks";
import { groundingLines, relationGrounding } from "./lab/grounding";
import { packageRoot } from "./paths";
import * as nodePath from "node:path";
import { doctor, install, uninstall } from "../kernel/install";
import { didYouMean } from "../kernel/magics";
import { generateImages as generateGrid, gridPng } from "./lab/generate";
import * as nodeFs from "node:fs";
import { runEngineDemo } from "./demo";
import { writeFileAtomic } from "./engine";
import { Field, Lab, SpecError, VERBS, defaultRunsRoot, kebab } from "./lab";
import { runDemo, runSpecFile, runVerb, terminalHooks, verbArgs } from "./lab-cli";

interface Command {
  usage: string;
  summary: string;
  run: (argv: string[]) => Promise<void>;
}

const COMMANDS: Record<string, Command> = {
  demo: {
    usage: "transferlab demo [--steps 150] [--seed 0] [--seeds 1] [--root runs] [--out transferlab-demo.html] [--limit N] [--json] [--engine]",
    summary:
      "The main job: a counting transfer experiment on the shipped base (understanding and generation LoRA runs with held-out curves; baseline, und→gen, gen→und, und→und, gen→gen on the evaluation sets; transfer strength beside the paper's; distribution shift; an image grid), written to one self-contained HTML page. --limit evaluates on subsets (faster); --engine runs the engine-only demo (a transformer learning a copy task).",
    run: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { steps: { type: "string", default: "150" }, seed: { type: "string", default: "0" }, seeds: { type: "string", default: "1" }, root: { type: "string", default: defaultRunsRoot() }, out: { type: "string", default: "transferlab-demo.html" }, limit: { type: "string" }, engine: { type: "boolean", default: false }, json: { type: "boolean", default: false } } });
      if (values.engine) {
        await runEngineDemo({ steps: positiveInt("--steps", values.steps!), seed: positiveInt("--seed", values.seed!, true), log: console.log });
        return;
      }
      const r = await runDemo({ root: values.root!, out: values.out!, steps: positiveInt("--steps", values.steps!), seed: positiveInt("--seed", values.seed!, true), seeds: positiveInt("--seeds", values.seeds!), ...(values.limit ? { limit: positiveInt("--limit", values.limit) } : {}), log: console.log });
      if (values.json) console.log(JSON.stringify(r));
    },
  },
  run: {
    usage: "transferlab run SPEC.json|SPEC.yaml [--root runs] [--json]",
    summary: 'Run the experiments of a spec file: one object or a list, each {"verb": "train"|"evaluate"|"generate"|"transfer"|"joint"|"ablate"|"compose"|"attention", ...the verb\'s fields (camelCase or kebab-case)}; fields are validated before anything runs.',
    run: async (argv) => {
      const { values, positionals } = parseArgs({ args: argv, options: { root: { type: "string" }, json: { type: "boolean", default: false } }, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError("run: expected one SPEC.json file");
      const r = await runSpecFile(positionals[0]!, values.root, console.log);
      if (values.json) console.log(JSON.stringify(r));
    },
  },
  sweep: {
    usage:
      "transferlab sweep SPEC.json|SPEC.yaml [--dry-run] [--executor local|slurm] [--workers N] [--root runs] [--partition P] [--time T] [--cpus-per-task N] [--mem M] [--gres G] [--account A] [--sbatch LINE]... [--retries N] [--json]\n       transferlab sweep cancel SPEC\n       transferlab sweep SPEC --point I   (one point, what workers and array tasks run)",
    summary:
      "Run a grid of training runs (name, verb: train, fixed fields, grid: field → values, exclude/include rows). Points are named by their fields, so finished points are reused and interrupted ones resume. --dry-run lists the points, their state and cost (steps × batch, seconds at the rate of this store's finished runs). local (default): N worker processes, the cores split between them, Ctrl-C stops them after their step. slurm: one job array through sbatch (the script is written to <root>/sweeps/NAME/job.sh), polled with squeue, unfinished tasks resubmitted with resume up to --retries. Writes every point's metrics to <root>/sweeps/NAME/results.csv.",
    run: async (argv) => {
      const { values, positionals } = parseArgs({
        args: argv,
        options: {
          "dry-run": { type: "boolean", default: false },
          executor: { type: "string", default: "local" },
          workers: { type: "string", default: "1" },
          root: { type: "string" },
          partition: { type: "string" },
          time: { type: "string" },
          "cpus-per-task": { type: "string" },
          mem: { type: "string" },
          gres: { type: "string" },
          account: { type: "string" },
          sbatch: { type: "string", multiple: true },
          retries: { type: "string", default: "2" },
          "poll-ms": { type: "string", default: "5000" },
          point: { type: "string" },
          json: { type: "boolean", default: false },
        },
        allowPositionals: true,
      });
      const cancel = positionals[0] === "cancel";
      const files = cancel ? positionals.slice(1) : positionals;
      if (files.length !== 1) throw new UsageError("sweep: expected one SPEC file (or: sweep cancel SPEC)");
      const int = (flag: string, v: string | undefined, min: number) => {
        if (v === undefined) return undefined;
        if (!/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`sweep --${flag}: ${JSON.stringify(v)} is not allowed (allowed: an integer >= ${min})`);
        return Number(v);
      };
      if (!["local", "slurm"].includes(values.executor!)) throw new UsageError(`sweep --executor: ${JSON.stringify(values.executor)} is not allowed (allowed: local, slurm)`);
      const { Sweep } = await import("./lab/sweep");
      const lab = new Lab({ root: values.root ?? defaultRunsRoot() });
      const sweep = Sweep.read(lab, files[0]!);
      const point = int("point", values.point, 0);
      if (point !== undefined) return sweep.runPoint(point);
      if (cancel) {
        const jobs = sweep.cancel();
        console.log(jobs.length ? `cancelled job(s) ${jobs.join(", ")}` : `sweep ${sweep.spec.name} has submitted no jobs (${nodePath.join(sweep.dir, "jobs.json")})`);
        return;
      }
      const show = (t: import("./lab/tables").Table) => console.log(t.toMarkdown({ limit: Infinity }));
      if (values["dry-run"]) {
        const plan = sweep.dryRun();
        if (values.json) console.log(JSON.stringify(plan.objects()));
        else {
          show(plan);
          const rate = sweep.measuredRate();
          const est = (plan.objects() as { est_s: number | null }[]).reduce((a, r) => a + (r.est_s ?? 0), 0);
          console.log(`${plan.numRows()} point(s); ${rate === null ? "no measured rate yet (no finished train run in this store)" : `about ${Math.round(est)} s of training left at ${(rate * 1000).toFixed(2)} ms per example (this store's finished runs)`}`);
        }
        return;
      }
      const controller = new AbortController();
      process.once("SIGINT", () => {
        console.log("interrupt: stopping every point after its step (rerun the sweep to resume)");
        controller.abort();
      });
      let last = "";
      const onUpdate = (u: import("./lab/sweep").SweepUpdate) => {
        const counts: Record<string, number> = {};
        for (const p of u.points) counts[p.state] = (counts[p.state] ?? 0) + 1;
        const line = Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ");
        if (line !== last) console.error(`sweep ${sweep.spec.name}: ${(last = line)}`);
      };
      const r =
        values.executor === "slurm"
          ? await sweep.runSlurm({ partition: values.partition, time: values.time, cpusPerTask: int("cpus-per-task", values["cpus-per-task"], 1), mem: values.mem, gres: values.gres, account: values.account, sbatch: values.sbatch, retries: int("retries", values.retries, 0), pollMs: int("poll-ms", values["poll-ms"], 100), onUpdate, signal: controller.signal })
          : await sweep.runLocal({ workers: int("workers", values.workers, 1), onUpdate, signal: controller.signal });
      const results = sweep.results();
      writeFileAtomic(nodePath.join(sweep.dir, "results.csv"), results.numRows() ? results.toCSV() + "\n" : "");
      console.log(`sweep ${sweep.spec.name}: ${r.finished}/${sweep.points().length} point(s) finished${r.failed.length ? `; unfinished: ${r.failed.join(", ")} (rerun to resume)` : ""}; ${results.numRows()} metric rows in ${nodePath.join(sweep.dir, "results.csv")}`);
      if (values.json) console.log(JSON.stringify({ ...r, results: nodePath.join(sweep.dir, "results.csv") }));
      if (r.failed.length) process.exitCode = 1;
    },
  },
  "import-geneval": {
    usage: "transferlab import-geneval RESULTS.jsonl --model NAME --train baseline|und|gen|joint [--seed N] [--source S] [--out results.csv]",
    summary: "Read GenEval's per-image results.jsonl (from a real model's run) into the results schema: counting accuracy and MAD, position accuracy as spatial; prints the table, --out writes it as CSV for importRuns, the figures and transfer-strength tables.",
    run: async (argv) => {
      const { values, positionals } = parseArgs({ args: argv, options: { model: { type: "string" }, train: { type: "string" }, seed: { type: "string" }, source: { type: "string" }, out: { type: "string" } }, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError("import-geneval: expected one RESULTS.jsonl");
      if (!values.model) throw new UsageError("import-geneval: --model is required (the model's name in the table)");
      const trains = ["baseline", "und", "gen", "joint"];
      if (!values.train || !trains.includes(values.train)) throw new UsageError(`import-geneval --train: ${JSON.stringify(values.train ?? "")} is not allowed (allowed: ${trains.join(", ")})`);
      if (values.seed !== undefined && !/^\d+$/.test(values.seed)) throw new UsageError(`import-geneval --seed: ${JSON.stringify(values.seed)} is not allowed (allowed: an integer >= 0)`);
      const { importGenEval } = await import("./lab/geneval-results");
      const t = importGenEval(positionals[0]!, { model: values.model, train: values.train, ...(values.source ? { source: values.source } : {}), ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}) });
      console.log(t.toMarkdown());
      if (values.out) {
        writeFileAtomic(values.out, t.toCSV() + "\n");
        console.log(`wrote ${values.out}`);
      }
    },
  },
  report: {
    usage: "transferlab report NOTEBOOK.ipynb [--out NOTEBOOK.html] [--static-images] [--sanitize] [--title T]",
    summary:
      "Publish an executed notebook as one self-contained HTML page: saved widget state renders live (the standalone renderer and plotly.js are inlined; nothing is fetched), other outputs as images, HTML or text. --static-images also renders every chart to PNG in headless Chromium and writes it into the notebook beside its widget, for GitHub and nbconvert. --sanitize renders the notebook's HTML outputs inert (no scripts, event handlers or styles; nbconvert's --sanitize-html), for notebooks you did not run yourself.",
    run: async (argv) => {
      const { values, positionals } = parseArgs({ args: argv, options: { out: { type: "string" }, "static-images": { type: "boolean", default: false }, sanitize: { type: "boolean", default: false }, title: { type: "string" } }, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError("report: expected one NOTEBOOK.ipynb");
      const file = positionals[0]!;
      const nb = readNotebook("report", file);
      const V = await import("./viz");
      if (values["static-images"]) {
        const n = await V.addStaticImages(nb);
        writeFileAtomic(file, JSON.stringify(nb, null, 1) + "\n");
        console.log(`${file}: ${n} chart(s) rendered to PNG beside their widgets`);
      }
      const out = values.out ?? file.replace(/\.ipynb$/, "") + ".html";
      let html: string;
      try {
        html = V.notebookHtml(nb, values.title ?? nodePath.basename(file, ".ipynb"), { sanitize: values.sanitize! });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      writeFileAtomic(out, html);
      console.log(`wrote ${out} (${(html.length / 1e6).toFixed(1)} MB, self-contained)`);
    },
  },
  execute: {
    usage: "transferlab execute NOTEBOOK.ipynb [-p NAME=VALUE …] [--out OUT.ipynb] [--allow-errors] [--report [--static-images]] [--cwd DIR]",
    summary:
      'Run a notebook top to bottom in a fresh TransferLab kernel and save it with outputs and widget state (papermill-style). -p rewrites the declarations of the cell tagged "parameters" (or starting with "// parameters"), tags it "injected-parameters" and records the values in the metadata; magic lines use them as ${name}. A failed cell stops the run (the notebook is saved with its error) and exits 1. --report also writes the HTML report.',
    run: async (argv) => {
      const { values, positionals } = parseArgs({ args: argv, options: { p: { type: "string", short: "p", multiple: true }, out: { type: "string" }, "allow-errors": { type: "boolean", default: false }, report: { type: "boolean", default: false }, "static-images": { type: "boolean", default: false }, cwd: { type: "string" } }, allowPositionals: true });
      if (positionals.length !== 1) throw new UsageError("execute: expected one NOTEBOOK.ipynb");
      const file = positionals[0]!;
      const nb = readNotebook("execute", file);
      const { executeNotebook, parseParameters, ExecuteError } = await import("../kernel/execute");
      let r;
      try {
        r = await executeNotebook(nb, { cwd: values.cwd ?? nodePath.dirname(nodePath.resolve(file)), parameters: parseParameters(values.p ?? []), allowErrors: values["allow-errors"]!, log: console.log });
      } catch (e) {
        if (e instanceof ExecuteError) throw new UsageError(e.message);
        throw e;
      }
      const out = values.out ?? file;
      const V = await import("./viz");
      if (values["static-images"]) console.log(`${await V.addStaticImages(nb)} chart(s) rendered to PNG`);
      writeFileAtomic(out, JSON.stringify(nb, null, 1) + "\n");
      console.log(`wrote ${out}: ${r.cells} code cells in ${r.wall_s.toFixed(1)} s${r.failed ? `; cell ${r.failed.cell} failed: ${r.failed.ename}: ${r.failed.evalue}` : ""}`);
      if (values.report) {
        const html = out.replace(/\.ipynb$/, "") + ".html";
        writeFileAtomic(html, V.notebookHtml(nb, nodePath.basename(out, ".ipynb")));
        console.log(`wrote ${html}`);
      }
      if (r.failed) process.exitCode = 1;
    },
  },
  runs: {
    usage: "transferlab runs [--root runs] [--json]",
    summary: "List the runs in a run store (state, step, spec).",
    run: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { root: { type: "string", default: defaultRunsRoot() }, json: { type: "boolean", default: false } } });
      const lab = new Lab({ root: values.root! });
      const t = lab.runs();
      console.log(t.toMarkdown({ limit: 1000 }));
      // A run folder whose spec or status cannot be read is not silently left out.
      for (const p of lab.store.list().problems) console.error(`transferlab: unreadable run ${p}`);
      if (values.json) console.log(JSON.stringify(t.objects()));
    },
  },
  calibrate: {
    usage: "transferlab calibrate [--json] [--ocr-words 250]",
    summary:
      "Run the detector, the GenEval-style verdicts and OCR on clean renders of every evaluation set and print how often they are right; with --json the last line is one JSON object (detector_count_acc, detector_class_acc, spatial_acc, ocr_word_acc, …).",
    run: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { json: { type: "boolean", default: false }, "ocr-words": { type: "string", default: "250" } } });
      const r = await calibrate({ log: console.log, ocrWords: positiveInt("--ocr-words", values["ocr-words"]!) });
      const targets: [string, number, number][] = [
        ["detector_count_acc", r.detector_count_acc, 0.99],
        ["detector_class_acc", r.detector_class_acc, 0.99],
        ["spatial_acc", r.spatial_acc, 0.99],
        ["ocr_word_acc", r.ocr_word_acc, 0.95],
      ];
      for (const [k, v, t] of targets) console.log(`${k.padEnd(20)} ${v.toFixed(4)}  (target >= ${t}: ${v >= t ? "met" : "NOT met"})`);
      if (values.json) console.log(JSON.stringify(r));
    },
  },
  pretrain: {
    usage:
      "transferlab pretrain --arch shared-unified [--resume] [--out DIR] [--steps 3000] [--gen-rows 32] [--und-rows 32] [--lr 1e-3] [--d 128] [--layers 4] [--heads 4] [--seed 0] [--eval-every 250] [--min-lr 1e-4] [--recipe FILE.json] [--init MODEL_DIR] [--threads N] [--stop-after-minutes M] [--cfg 0] [--sampler-temperature 1000] [--cell-positions] [--weight-init torch|gpt2] [--emb-std 0.02]",
    summary:
      "Pretrain a base model on the worlds' mixture of understanding and generation data (recipe: src/lab/pretrain-data.ts, models/README.md). Logs the config, checkpoints every few minutes and at every quick evaluation (snapshots/step-N), resumes exactly with --resume; Ctrl-C finishes the step and keeps a checkpoint. --cfg and --sampler-temperature set the image sampler written into the model (guidance scale, initial τ0 of the confidence noise) and used by the quick evaluations. --cell-positions gives both image slots one shared learned embedding per cell, started from a row/column sinusoid (added to an --init model that lacks it). --weight-init gpt2 starts fresh linear weights at N(0, 0.02), residual projections at N(0, 0.02/√(2·layers)) (default torch: U(±1/√fan_in)). --emb-std sets the standard deviation of fresh token embeddings (default 0.02; its effect on grounding a corner word: `bench placement`, models/README.md). Both set fresh weights, so they are refused together with --init.",
    run: async (argv) => {
      const { values } = parseArgs({
        args: argv,
        options: {
          arch: { type: "string", default: "shared-unified" },
          resume: { type: "boolean", default: false },
          out: { type: "string" },
          steps: { type: "string", default: String(DEFAULT_PRETRAIN.steps) },
          d: { type: "string", default: String(DEFAULT_PRETRAIN.d) },
          layers: { type: "string", default: String(DEFAULT_PRETRAIN.layers) },
          heads: { type: "string", default: String(DEFAULT_PRETRAIN.heads) },
          seed: { type: "string", default: "0" },
          "eval-every": { type: "string", default: String(DEFAULT_PRETRAIN.evalEvery) },
          "gen-rows": { type: "string", default: String(DEFAULT_PRETRAIN.gen) },
          "und-rows": { type: "string", default: String(DEFAULT_PRETRAIN.und) },
          lr: { type: "string", default: String(DEFAULT_PRETRAIN.lr) },
          "min-lr": { type: "string", default: String(DEFAULT_PRETRAIN.minLr) },
          recipe: { type: "string" },
          init: { type: "string" },
          threads: { type: "string" },
          "stop-after-minutes": { type: "string" },
          cfg: { type: "string", default: String(DEFAULT_PRETRAIN.sampler.cfg) },
          "cell-positions": { type: "boolean", default: false },
          "sampler-temperature": { type: "string", default: String(DEFAULT_PRETRAIN.sampler.temperature) },
          "weight-init": { type: "string", default: "torch" },
          "emb-std": { type: "string", default: "0.02" },
        },
      });
      if (!architectureNames().includes(values.arch!)) throw new UsageError(`--arch: ${JSON.stringify(values.arch)} is not allowed (allowed: ${architectureNames().join(", ")})`);
      const weightInit = weightInitOption(values["weight-init"]);
      const embStd = Number(values["emb-std"]);
      if (!(embStd > 0 && embStd <= 1)) throw new UsageError(`--emb-std must be a number in (0, 1], got ${JSON.stringify(values["emb-std"])}`);
      const cfg = {
        ...DEFAULT_PRETRAIN,
        arch: values.arch!,
        steps: positiveInt("--steps", values.steps!),
        d: positiveInt("--d", values.d!),
        layers: positiveInt("--layers", values.layers!),
        heads: positiveInt("--heads", values.heads!),
        seed: positiveInt("--seed", values.seed!, true),
        evalEvery: positiveInt("--eval-every", values["eval-every"]!),
        gen: positiveInt("--gen-rows", values["gen-rows"]!),
        und: positiveInt("--und-rows", values["und-rows"]!),
        lr: Number(values.lr),
        minLr: Number(values["min-lr"]),
        recipe: values.recipe ? recipeFromFile(values.recipe) : DEFAULT_PRETRAIN.recipe,
        ...(values.init ? { init: nodePath.resolve(values.init) } : {}),
        sampler: { temperature: Number(values["sampler-temperature"]), cfg: guidanceOption(values.cfg!) },
        ...(values["cell-positions"] ? { cellPositions: true } : {}),
        ...(weightInit === "gpt2" ? { weightInit } : {}),
        ...(embStd !== 0.02 ? { embStd } : {}),
      };
      if (values.init && (cfg.embStd !== undefined || cfg.weightInit !== undefined)) throw new UsageError(`--init: ${cfg.weightInit ? "--weight-init" : "--emb-std"} sets fresh weights, but --init starts from ${JSON.stringify(values.init)}'s weights; drop one of them`);
      if (!(cfg.sampler.temperature >= 0 && cfg.sampler.temperature <= 1e4)) throw new UsageError(`--sampler-temperature must be a number in [0, 10000], got ${JSON.stringify(values["sampler-temperature"])}`);
      if (!(cfg.lr > 0 && cfg.lr < 1)) throw new UsageError(`--lr must be a number in (0, 1), got ${JSON.stringify(values.lr)}`);
      if (!(cfg.minLr > 0 && cfg.minLr <= cfg.lr)) throw new UsageError(`--min-lr must be a number in (0, --lr], got ${JSON.stringify(values["min-lr"])}`);
      cfg.warmup = Math.min(cfg.warmup, Math.floor(cfg.steps / 10));
      const out = values.out ?? `runs/pretrain-${cfg.arch}`;
      const r = await pretrain(out, cfg, {
        resume: values.resume!,
        log: console.log,
        ...(values["stop-after-minutes"] ? { stopAfterMinutes: Number(values["stop-after-minutes"]) } : {}),
        ...(values.threads ? { threads: positiveInt("--threads", values.threads) } : {}),
      });
      console.log(JSON.stringify({ out, ...r }));
    },
  },
  install: {
    usage: "transferlab install [--user | --prefix DIR | --sys-prefix]",
    summary: "Install the Jupyter kernelspec \"TransferLab (TypeScript)\" (no Python needed) and the prebuilt JupyterLab extension when the package has it. --user (default) writes to the user's Jupyter data folder.",
    run: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { user: { type: "boolean", default: false }, prefix: { type: "string" }, "sys-prefix": { type: "boolean", default: false } } });
      const r = install(values.prefix ? { prefix: values.prefix } : values["sys-prefix"] ? { user: false } : { user: true }, console.log);
      console.log(JSON.stringify(r));
    },
  },
  uninstall: {
    usage: "transferlab uninstall [--user | --prefix DIR | --sys-prefix]",
    summary: "Remove the kernelspec and the JupyterLab extension that install wrote.",
    run: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { user: { type: "boolean", default: false }, prefix: { type: "string" }, "sys-prefix": { type: "boolean", default: false } } });
      uninstall(values.prefix ? { prefix: values.prefix } : values["sys-prefix"] ? { user: false } : { user: true }, console.log);
    },
  },
  doctor: {
    usage: "transferlab doctor",
    summary: "Check what a Jupyter setup lacks for TransferLab (Node, jupyter on PATH, kernelspec, widget manager, extension) and print the fix for each.",
    run: async () => {
      const checks = doctor();
      for (const c of checks) console.log(`${c.ok ? "ok  " : "MISS"}  ${c.name.padEnd(22)} ${c.detail}${c.ok || !c.fix ? "" : `\n      fix: ${c.fix}`}`);
      console.log(JSON.stringify({ ok: checks.every((c) => c.ok), checks }));
    },
  },
  generate: {
    usage: 'transferlab generate "a photo of five circles" ["PROMPT" …] [--model DIR] [--seeds 0,1,2,3] [--steps 12] [--cfg G] [--temperature T] --out grid.png',
    summary: "Generate images for prompts (a row each, a column per seed) and write them as one PNG grid. A prompt ending in \"The text reads: WORD\" makes a word strip. --cfg (guidance scale) and --temperature (τ0) default to the model's sampler (model.json; the shipped base: guidance 0, τ0 1000).",
    run: async (argv) => {
      const { values, positionals } = parseArgs({
        args: argv,
        allowPositionals: true,
        options: { model: { type: "string" }, seeds: { type: "string", default: "0,1,2,3" }, steps: { type: "string", default: "12" }, cfg: { type: "string" }, temperature: { type: "string" }, out: { type: "string" } },
      });
      if (positionals.length === 0) throw new UsageError('generate: give at least one prompt, e.g. "a photo of five circles"');
      if (!values.out) throw new UsageError("generate: --out FILE.png is required");
      const cfg = values.cfg === undefined ? undefined : guidanceOption(values.cfg);
      const model = loadModel(values.model ?? defaultModelDir());
      const rows = await generateGrid(model, positionals, {
        seeds: values.seeds!.split(",").map((x) => positiveInt("--seeds", x.trim(), true)),
        steps: positiveInt("--steps", values.steps!),
        ...(cfg !== undefined ? { cfg } : {}),
        ...(values.temperature ? { temperature: Number(values.temperature) } : {}),
      });
      nodeFs.writeFileSync(values.out, await gridPng(rows));
      console.log(`wrote ${values.out}: ${positionals.length} prompts × ${rows[0]!.length} seeds`);
    },
  },
  eval: {
    usage: `transferlab eval [--model DIR] [--set all|${EVAL_SETS.join("|")}] [--json]`,
    summary: "Evaluate a model on the worlds' evaluation sets with the shipped evaluators; metrics with bootstrap 95% intervals. With --json the last line is one JSON object.",
    run: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { model: { type: "string" }, set: { type: "string", default: "all" }, json: { type: "boolean", default: false } } });
      const sets = values.set === "all" ? [...EVAL_SETS] : [values.set as EvalSet];
      for (const s of sets) if (!(EVAL_SETS as readonly string[]).includes(s)) throw new UsageError(`--set: ${JSON.stringify(s)} is not allowed (allowed: all, ${EVAL_SETS.join(", ")})`);
      const model = loadModel(values.model ?? defaultModelDir());
      const out: Record<string, unknown> = {};
      for (const s of sets) {
        const t0 = Date.now();
        const r = await evaluateSet(model, s);
        out[s] = r.summary;
        console.log(`${s}: ${JSON.stringify(r.summary)} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
      if (values.json) console.log(JSON.stringify(out));
    },
  },
  grounding: {
    usage: "transferlab grounding [--model DIR] [--a circle] [--b square] [--questions 120] [--json]",
    summary:
      "Does the model ground relation words? Where the first sampling step puts each named class's mass for the four relations (spatial prompts and one-object placement captions), the largest logit change from the relation word against a class word, image positions' attention to the relation word, and placement understanding. With --json the last line is one JSON object.",
    run: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { model: { type: "string" }, a: { type: "string", default: "circle" }, b: { type: "string", default: "square" }, questions: { type: "string", default: "120" }, json: { type: "boolean", default: false } } });
      const classes = T.CLASSES as readonly string[];
      for (const k of ["a", "b"] as const) if (!classes.includes(values[k]!)) throw new UsageError(`--${k}: ${JSON.stringify(values[k])} is not allowed (allowed: ${classes.join(", ")})`);
      if (values.a === values.b) throw new UsageError(`--a and --b must be different classes (both ${JSON.stringify(values.a)})`);
      const model = loadModel(values.model ?? defaultModelDir());
      const r = await relationGrounding(model, { a: values.a as T.ObjectClass, b: values.b as T.ObjectClass, questions: positiveInt("--questions", values.questions!) });
      for (const line of groundingLines(r)) console.log(line);
      if (values.json) console.log(JSON.stringify(r));
    },
  },
  featurenet: {
    usage: "transferlab featurenet [--out models/feature-net] [--steps 400] [--seed 0]",
    summary:
      "Train the feature network behind Fréchet distance and the Inception-style score (a small classifier of rendered counting scenes: 6 shapes × 4 count bands) and write its weights and card; prints its held-out accuracy.",
    run: async (argv) => {
      const { values } = parseArgs({ args: argv, options: { out: { type: "string", default: "models/feature-net" }, steps: { type: "string", default: "400" }, seed: { type: "string", default: "0" } } });
      const t0 = Date.now();
      const steps = positiveInt("--steps", values.steps!);
      const seed = positiveInt("--seed", values.seed!, true);
      const { net, heldOutAccuracy } = await FeatureNet.train({ steps, seed, log: console.log });
      const card = { steps, batch: 128, seed, held_out_accuracy: heldOutAccuracy, held_out_scenes: 1000, classes: "6 shapes × 4 count bands (1-2, 3-4, 5-7, 8-10)", features: 64, wall_s: (Date.now() - t0) / 1000 };
      net.save(values.out!, card);
      console.log(JSON.stringify(card));
    },
  },
  bench: {
    usage:
      "transferlab bench engine [--batch 64] [--steps 10] [--warmup 3] [--threads 2] [--no-peer] [--dump DIR] | transferlab bench worlds [--scenes 10000] | transferlab bench umm [--lora-steps 300] [--batch 32] [--images 64] | transferlab bench kernel [--n 50] | transferlab bench sampler [--model DIR] [--temperatures 1,4.5,30,1000] [--cfgs 0,2,5] [--steps 12] [--seeds 7] [--text-words 0] | transferlab bench placement [--emb-stds 0.02,0.1] [--d 128] [--layers 4] [--heads 4] [--steps 600] [--rows 32] [--lr 1e-3] [--block 3] [--weight-init torch|gpt2] [--seeds 0,1,2] [--every 100]",
    summary:
      "engine: the reference transformer's training step (full and LoRA) against PyTorch CPU in the same run, with the matmul peak and MFU; --dump DIR writes DIR/reference.safetensors (parameters, batch, loss, gradients) for a parity check. worlds: rendering speed of the synthetic worlds. umm: the default miniature's LoRA run, images/s, answers/s and sampler efficiency. kernel: round trip of `1 + 1` via jupyter_client against tslab's kernel. sampler: counting and spatial generation accuracy (and text CER on the first --text-words words) across sampler settings, drawn with seeds outside the evaluation's 0–3. placement: fresh models trained on placement captions only, one per token-embedding scale (0.02, the default, is the peer): the spread of the first sampling step's class centroids over the four corner words (0: the word is ignored) and the step at which it first passes 1 cell. Last line: one JSON object.",
    run: async (argv) => {
      const [what, ...rest] = argv;
      if (what === "worlds") {
        const { values } = parseArgs({ args: rest, options: { scenes: { type: "string", default: "10000" } } });
        console.log(JSON.stringify(await benchWorlds({ scenes: positiveInt("--scenes", values.scenes!), log: console.log })));
        return;
      }
      if (what === "umm") {
        const { values } = parseArgs({ args: rest, options: { "lora-steps": { type: "string", default: "300" }, batch: { type: "string", default: "32" }, images: { type: "string", default: "64" } } });
        const r = await benchUmm({ loraSteps: positiveInt("--lora-steps", values["lora-steps"]!), batch: positiveInt("--batch", values.batch!), images: positiveInt("--images", values.images!), log: console.log });
        console.log(JSON.stringify(r));
        return;
      }
      if (what === "sampler") {
        const { values } = parseArgs({ args: rest, options: { model: { type: "string" }, temperatures: { type: "string", default: "1,4.5,30,1000" }, cfgs: { type: "string", default: "0,2,5" }, steps: { type: "string", default: "12" }, seeds: { type: "string", default: "7" }, "text-words": { type: "string", default: "0" } } });
        const nums = (flag: string, raw: string) => raw.split(",").map((x) => {
          const n = Number(x);
          if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag}: ${JSON.stringify(x)} is not a non-negative number`);
          return n;
        });
        const rows = await sweepSampler({ model: values.model ?? defaultModelDir(), temperatures: nums("--temperatures", values.temperatures!), cfgs: nums("--cfgs", values.cfgs!), steps: nums("--steps", values.steps!).map((n) => positiveInt("--steps", String(n))), seeds: nums("--seeds", values.seeds!).map((n) => positiveInt("--seeds", String(n), true)), textWords: positiveInt("--text-words", values["text-words"]!, true), log: console.log });
        console.log(JSON.stringify(rows));
        return;
      }
      if (what === "placement") {
        const { values } = parseArgs({
          args: rest,
          options: {
            "emb-stds": { type: "string", default: "0.02,0.1" },
            d: { type: "string", default: "128" },
            layers: { type: "string", default: "4" },
            heads: { type: "string", default: "4" },
            steps: { type: "string", default: "600" },
            rows: { type: "string", default: "32" },
            lr: { type: "string", default: "1e-3" },
            block: { type: "string", default: "3" },
            "weight-init": { type: "string", default: "torch" },
            seeds: { type: "string", default: "0,1,2" },
            every: { type: "string", default: "100" },
          },
        });
        const embStds = values["emb-stds"]!.split(",").map((x) => {
          const n = Number(x);
          if (!(n > 0 && n <= 1)) throw new UsageError(`--emb-stds: ${JSON.stringify(x)} is not a number in (0, 1]`);
          return n;
        });
        const block = Number(values.block);
        if (block !== 1 && block !== 2 && block !== 3) throw new UsageError(`--block: ${JSON.stringify(values.block)} is not allowed (allowed: 1, 2, 3)`);
        const weightInit = weightInitOption(values["weight-init"]);
        const lr = Number(values.lr);
        if (!(lr > 0 && lr < 1)) throw new UsageError(`--lr must be a number in (0, 1), got ${JSON.stringify(values.lr)}`);
        const d = positiveInt("--d", values.d!);
        const heads = positiveInt("--heads", values.heads!);
        if (d % heads !== 0) throw new UsageError(`--d ${d} is not divisible by --heads ${heads}`);
        const rows = await benchPlacement({
          vocab: loadModel(defaultModelDir()).vocab,
          d,
          layers: positiveInt("--layers", values.layers!),
          heads,
          embStds,
          steps: positiveInt("--steps", values.steps!),
          rows: positiveInt("--rows", values.rows!),
          lr,
          block,
          weightInit,
          seeds: values.seeds!.split(",").map((x) => positiveInt("--seeds", x, true)),
          every: positiveInt("--every", values.every!),
          log: console.log,
        });
        for (const embStd of embStds) {
          const mine = rows.filter((r) => r.embStd === embStd);
          const at = mine.map((r) => r.groundedAt ?? "never");
          console.log(`emb std ${embStd}: grounded in ${mine.filter((r) => r.groundedAt !== null).length} of ${mine.length} seeds, at steps ${at.join(", ")} (final spreads ${mine.map((r) => r.finalSpread.toFixed(2)).join(", ")} cells)`);
        }
        console.log(JSON.stringify(rows));
        return;
      }
      if (what === "kernel") {
        const { values } = parseArgs({ args: rest, options: { n: { type: "string", default: "50" } } });
        console.log(JSON.stringify(benchKernel({ n: positiveInt("--n", values.n!), log: console.log })));
        return;
      }
      if (what !== "engine") throw new UsageError(`bench: unknown benchmark ${JSON.stringify(what ?? "")} (allowed: engine, worlds, umm, kernel, sampler, placement)`);
      const { values } = parseArgs({
        args: rest,
        options: {
          batch: { type: "string", default: "64" },
          steps: { type: "string", default: "10" },
          warmup: { type: "string", default: "3" },
          threads: { type: "string", default: "2" },
          "no-peer": { type: "boolean", default: false },
          dump: { type: "string" },
        },
      });
      const result = await benchEngine({
        batch: positiveInt("--batch", values.batch!),
        steps: positiveInt("--steps", values.steps!),
        warmup: positiveInt("--warmup", values.warmup!, true),
        threads: positiveInt("--threads", values.threads!),
        peer: !values["no-peer"],
        ...(values.dump ? { dump: values.dump } : {}),
        log: console.log,
      });
      console.log(JSON.stringify(result));
    },
  },
  help: {
    usage: "transferlab help [command]",
    summary: "Show this help, or one command's usage.",
    run: async (argv) => console.log(help(argv[0])),
  },
  version: {
    usage: "transferlab version",
    summary: "Print the version.",
    run: async () => console.log(require("../../package.json").version),
  },
};

// The lab's verbs, each a command with the flags of its schema (src/lab/specs.ts).
for (const verb of ["train", "evaluate", "transfer", "joint", "ablate", "compose", "attention", "sharing"] as const) {
  const fields = VERBS[verb].fields as readonly Field[];
  const flags = fields.map((f) => (f.positional ? `<${f.name}>` : `[--${kebab(f.name)}${f.type === "boolean" ? "" : ` ${f.default !== undefined ? (Array.isArray(f.default) ? f.default.join(",") : f.default) : f.choices ? f.choices.join("|") : f.name.toUpperCase()}`}]`));
  COMMANDS[verb] = {
    usage: `transferlab ${verb} ${flags.join(" ")} [--json]`,
    summary: `${VERBS[verb].help} Runs are stored under --root (default runs/); a finished run with the same spec is reused (--force redoes it). --json ends with one JSON object.`,
    run: async (argv) => {
      let parsed: ReturnType<typeof verbArgs>;
      try {
        parsed = verbArgs(verb, argv);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const lab = new Lab({ root: (parsed.args["root"] as string | undefined) ?? defaultRunsRoot(), log: console.log });
      const out = await runVerb(lab, verb, parsed.args, console.log, terminalHooks(console.log)).catch((e) => {
        if (e instanceof SpecError) throw new UsageError(e.message);
        throw e;
      });
      if (parsed.json) console.log(JSON.stringify(out));
    },
  };
}

// `probe` was a second path to the same experiment with its own metric conventions; it is now the
// transfer verb under its old name, so both print the same numbers for the same runs. Its old
// `--seeds 0,1,2` list form is read as that many seeds, which is what it trained.
COMMANDS["probe"] = {
  usage: COMMANDS["transfer"]!.usage.replace("transferlab transfer", "transferlab probe"),
  summary: "The same as `transferlab transfer` (kept under the name earlier versions used): baseline, und→gen, gen→und, und→und and gen→gen with paired effects, transfer strength and distribution shift.",
  run: (argv) => {
    const i = argv.indexOf("--seeds");
    const list = i >= 0 ? argv[i + 1] : undefined;
    if (list !== undefined && list.includes(",")) {
      const seeds = list.split(",").map((x) => Number(x.trim()));
      if (!seeds.every((x, k) => x === k)) throw new UsageError(`--seeds: ${JSON.stringify(list)} is not allowed (allowed: a count N, or the list 0,1,…,N-1)`);
      argv = [...argv.slice(0, i + 1), String(seeds.length), ...argv.slice(i + 2)];
    }
    return COMMANDS["transfer"]!.run(argv);
  },
};

export class UsageError extends Error {
  override name = "UsageError";
}

function defaultModelDir(): string {
  return nodePath.join(packageRoot(), "models", "shared-unified");
}

function recipeFromFile(file: string) {
  let obj: unknown;
  try {
    obj = JSON.parse(nodeFs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`--recipe: cannot read ${file} as JSON (${(e as Error).message})`);
  }
  try {
    return parseRecipe(obj);
  } catch (e) {
    throw new UsageError(`--recipe ${file}: ${(e as Error).message}`);
  }
}

/** A notebook file as JSON, or a usage error naming the verb and the file. */
function readNotebook(verb: string, file: string): Record<string, unknown> {
  try {
    return JSON.parse(nodeFs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${verb}: cannot read ${file} as a notebook (${(e as Error).message})`);
  }
}

function guidanceOption(raw: string): number {
  const g = Number(raw);
  if (!(g >= 0 && g <= 20)) throw new UsageError(`--cfg must be a guidance scale in [0, 20], got ${JSON.stringify(raw)}`);
  return g;
}

function weightInitOption(raw: string | undefined): "torch" | "gpt2" {
  if (raw !== "torch" && raw !== "gpt2") throw new UsageError(`--weight-init: ${JSON.stringify(raw)} is not allowed (allowed: torch, gpt2)`);
  return raw;
}

function positiveInt(flag: string, raw: string, allowZero = false): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1)) throw new UsageError(`${flag} must be ${allowZero ? "a non-negative" : "a positive"} integer, got ${JSON.stringify(raw)}`);
  return n;
}

export function help(command?: string): string {
  if (command) {
    const c = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (!c) throw new UsageError(unknownCommand(command));
    return `${c.usage}\n\n${c.summary}`;
  }
  const lines = ["transferlab — transfer between image understanding and generation, in miniature", "", "Usage: transferlab <command> [options]", "", "Commands:"];
  for (const c of Object.values(COMMANDS)) lines.push(`  ${c.usage}`, `      ${c.summary}`);
  return lines.join("\n");
}

function unknownCommand(name: string): string {
  const names = Object.keys(COMMANDS);
  return `unknown command ${JSON.stringify(name)} (allowed: ${names.join(", ")})${didYouMean(name, names)}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv.filter((a) => a !== "--debug");
  try {
    if (!name || name === "--help" || name === "-h") {
      console.log(help());
      return 0;
    }
    // Own keys only: a command named like an Object method ("toString") is unknown, not a crash.
    const c = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!c) throw new UsageError(unknownCommand(name));
    if (rest.includes("--help") || rest.includes("-h")) {
      console.log(help(name));
      return 0;
    }
    await c.run(rest);
    // A command that finished its work but has a failure to report (a failed notebook cell) sets exitCode.
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (e) {
    const err = e as Error & { code?: string };
    if (err instanceof UsageError || err instanceof SpecError || err.code?.startsWith("ERR_PARSE_ARGS")) {
      console.error(`transferlab: ${err.message}`);
      return 2;
    }
    // A failure of a file or the system: one line that names it; the stack only when asked for.
    const debug = process.env["TRANSFERLAB_DEBUG"] === "1" || argv.includes("--debug");
    console.error(`transferlab: ${debug ? err.stack ?? err.message : err.message}${debug ? "" : " (set TRANSFERLAB_DEBUG=1 for the stack trace)"}`);
    return 1;
  }
}
