// Commands over many runs: `run` (a spec file), `sweep` (a grid on a worker pool or Slurm), `runs`
// (the store's table) and `import-geneval` (a real model's GenEval results into the results schema).

import * as fs from "node:fs";
import * as nodePath from "node:path";
import * as aq from "arquero";
import { writeFileAtomic } from "../core/atomic";
import { toCsv } from "../core/csv";
import { Lab, defaultRunsRoot, tableFormat } from "../lab";
import { SWEEP_FIELDS, slurmOptions } from "../lab/store/sweep";
import { buildMap, mergeMaps, onlyEntries, readMapSpec } from "../lab/results/map-build";
import { mapContrasts, readTransferMap } from "../lab/results/transfer-map";
import { terminalHooks } from "./progress";
import { Command, JSON_FLAG, ROOT_FLAG, UsageError, flagsUsage, onePositional, parseFlags } from "./command";

const CLI_SWEEP_FLAGS = [
  ...SWEEP_FIELDS,
  { name: "point", type: "integer", help: "run one point (what workers and array tasks run)", min: 0, max: 1000000 },
  JSON_FLAG,
] as const;

const RUNS_FLAGS = [ROOT_FLAG, JSON_FLAG] as const;

const GENEVAL_FLAGS = [
  { name: "model", type: "string", help: "the model's name in the table", required: true },
  { name: "train", type: "string", help: "what the model was trained on", required: true, choices: ["baseline", "und", "gen", "joint"] },
  { name: "seed", type: "integer", help: "the training seed", min: 0, max: 2 ** 31 - 1 },
  { name: "source", type: "string", help: "the source column (default: the file)" },
  { name: "out", type: "string", help: "write the table as CSV" },
] as const;

const MAP_FLAGS = [
  ROOT_FLAG,
  { name: "out", type: "string", help: "where the map JSON goes (the shipped one: models/transfer-map.json)", required: true },
  { name: "recompute", type: "boolean", help: "recompute every entry's output (runs are still reused)", default: false },
  {
    name: "only",
    type: "list",
    items: "string",
    help: "build these entries only (condition or study ids, comma-separated); they share the full map's cache, and an existing --out keeps its other entries (checked against the spec)",
  },
  {
    name: "cache",
    type: "string",
    help: "the folder of the entries' outputs (default: ROOT/map-cache); a shipped map keeps its own committed under models/map-cache/<map>, so a later session or checkout rebuilds it without retraining",
  },
  {
    name: "workers",
    type: "integer",
    help: "each condition's training runs at a time, in their own processes (the numbers do not depend on it)",
    min: 1,
    max: 64,
  },
] as const;

export const EXPERIMENT_COMMANDS: Record<string, Command> = {
  map: {
    fields: MAP_FLAGS,
    usage: `transferlab map SPEC.yaml ${flagsUsage(MAP_FLAGS)}`,
    summary:
      "Build the map of where transfer appears from its spec (examples/transfer-map.yaml: conditions — a `transfer` call each with its hypothesis and verdict —, the C.5 and Fig. 8 studies, the sharing diagnostic and the long runs' curves) and write it as JSON (what the model card, notebook 03 and `readTransferMap()` read). Finished runs are reused; each entry's output is cached under <root>/map-cache by its arguments and base, so adding a condition costs that condition; --cache puts those outputs where they outlive the run store (a shipped map's: models/map-cache/<map>, committed). A Table 1 condition's sharing diagnostic is computed right after its runs, while their adapters are there.",
    run: async (argv) => {
      const { args: a, positionals } = parseFlags("map", MAP_FLAGS, argv);
      const whole = readMapSpec(onePositional("map", positionals, "spec file"));
      const spec = a.only?.length ? onlyEntries(whole, a.only) : whole;
      const lab = new Lab({ root: a.root ?? defaultRunsRoot(), log: console.log });
      const map = await buildMap(lab, spec, {
        recompute: a.recompute,
        log: console.log,
        hooks: terminalHooks(),
        ...(a.workers ? { workers: a.workers } : {}),
        ...(a.cache !== undefined ? { cache: a.cache } : {}),
      });
      // Built in parts (--only) into an earlier map: the other entries are kept from it, checked against the spec.
      const merged = a.only?.length && fs.existsSync(a.out) ? mergeMaps(lab, whole, readTransferMap(a.out), map, a.only) : map;
      if (merged !== map) {
        const kept = merged.conditions.map((c) => c.id).filter((id) => !a.only!.includes(id));
        console.log(`kept from ${a.out}: ${kept.length ? kept.join(", ") : "nothing"}`);
      }
      writeFileAtomic(a.out, JSON.stringify(merged, null, 1) + "\n");
      readTransferMap(a.out); // what is written passes the reader's checks
      if (merged.table1?.length) {
        const t = aq.from(merged.table1).select("direction", "metric", "delta", "lo", "hi", "verdict", "paper");
        console.log(
          `\nTable 1 in miniature (Δ with its 95% interval; paper: the paper's model of the family, one run)\n${t.toMarkdown({ limit: 100, format: tableFormat(t) })}`,
        );
      }
      for (const t of merged.trends ?? []) {
        const points = (t["points"] as Record<string, unknown>[]).map((p) => ({ trend: t["id"], ...p }));
        const pt = aq.from(points);
        console.log(
          `\nTrend "${String(t["id"])}": ${String(t["direction"])} ${String(t["metric"])} by the base's parameters\n${points.length ? pt.toMarkdown({ limit: 100, format: tableFormat(pt) }) : "(no point yet)\n"}${t["note"] ? String(t["note"]) : String(t["statement"])}`,
        );
      }
      if (merged.contrasts?.length) {
        const ct = mapContrasts(merged);
        console.log(`\nContrasts (the second condition's Δ minus the first's, 95% interval)\n${ct.toMarkdown({ limit: 100, format: tableFormat(ct) })}`);
      }
      console.log(`wrote ${a.out}: ${merged.conditions.length} conditions, ${(merged.studies ?? []).length} studies`);
    },
  },
  sweep: {
    fields: CLI_SWEEP_FLAGS,
    usage: `transferlab sweep SPEC.json|SPEC.yaml ${flagsUsage(CLI_SWEEP_FLAGS)}\n       transferlab sweep cancel SPEC\n       transferlab sweep SPEC --point I   (one point, what workers and array tasks run)`,
    summary:
      "Run a grid of training runs (name, verb: train, fixed fields, grid: field → values, exclude/include rows). Points are named by their fields, so finished points are reused and interrupted ones resume. --dry-run lists the points, their state and cost (steps × batch, seconds at the rate of this store's finished runs). local (default): N worker processes, the cores split between them, Ctrl-C stops them after their step. slurm: one job array through sbatch (the script is written to <root>/sweeps/NAME/job.sh), polled with squeue, unfinished tasks resubmitted with resume up to --retries. Writes every point's metrics to <root>/sweeps/NAME/results.csv.",
    run: async (argv) => {
      const { args: a, positionals } = parseFlags("sweep", CLI_SWEEP_FLAGS, argv);
      const cancel = positionals[0] === "cancel";
      const files = cancel ? positionals.slice(1) : positionals;
      if (files.length !== 1) throw new UsageError("sweep: expected one SPEC file (or: sweep cancel SPEC)");
      const { Sweep } = await import("../lab/store/sweep");
      const lab = new Lab({ root: a.root ?? defaultRunsRoot() });
      const sweep = Sweep.read(lab, files[0]!);
      if (a.point !== undefined) return sweep.runPoint(a.point);
      if (cancel) {
        const jobs = sweep.cancel();
        console.log(
          jobs.length ? `cancelled job(s) ${jobs.join(", ")}` : `sweep ${sweep.spec.name} has submitted no jobs (${nodePath.join(sweep.dir, "jobs.json")})`,
        );
        return;
      }
      const show = (t: import("../lab/results/tables").Table) => console.log(t.toMarkdown({ limit: Infinity }));
      if (a.dryRun) {
        const plan = sweep.dryRun();
        if (a.json) console.log(JSON.stringify(plan.objects()));
        else {
          show(plan);
          const rate = sweep.measuredRate();
          const est = (plan.objects() as { est_s: number | null }[]).reduce((a, r) => a + (r.est_s ?? 0), 0);
          console.log(
            `${plan.numRows()} point(s); ${rate === null ? "no measured rate yet (no finished train run in this store)" : `about ${Math.round(est)} s of training left at ${(rate * 1000).toFixed(2)} ms per example (this store's finished runs)`}`,
          );
        }
        return;
      }
      const controller = new AbortController();
      process.once("SIGINT", () => {
        console.log("interrupt: stopping every point after its step (rerun the sweep to resume)");
        controller.abort();
      });
      let last = "";
      const onUpdate = (u: import("../lab/store/sweep").SweepUpdate) => {
        const counts: Record<string, number> = {};
        for (const p of u.points) counts[p.state] = (counts[p.state] ?? 0) + 1;
        const line = Object.entries(counts)
          .map(([k, n]) => `${n} ${k}`)
          .join(", ");
        if (line !== last) console.error(`sweep ${sweep.spec.name}: ${(last = line)}`);
      };
      const r =
        a.executor === "slurm"
          ? await sweep.runSlurm({ ...slurmOptions(a), onUpdate, signal: controller.signal })
          : await sweep.runLocal({ workers: a.workers, onUpdate, signal: controller.signal });
      const results = sweep.results();
      writeFileAtomic(
        nodePath.join(sweep.dir, "results.csv"),
        results.numRows() ? toCsv(results.columnNames(), results.objects(), { forSpreadsheets: true }) : "",
      );
      console.log(
        `sweep ${sweep.spec.name}: ${r.finished}/${sweep.points().length} point(s) finished${r.failed.length ? `; unfinished: ${r.failed.join(", ")} (rerun to resume)` : ""}; ${results.numRows()} metric rows in ${nodePath.join(sweep.dir, "results.csv")}`,
      );
      if (a.json) console.log(JSON.stringify({ ...r, results: nodePath.join(sweep.dir, "results.csv") }));
      if (r.failed.length) process.exitCode = 1;
    },
  },
  "import-geneval": {
    fields: GENEVAL_FLAGS,
    usage: `transferlab import-geneval RESULTS.jsonl ${flagsUsage(GENEVAL_FLAGS)}`,
    summary:
      "Read GenEval's per-image results.jsonl (from a real model's run) into the results schema: counting accuracy and MAD, position accuracy as spatial; prints the table, --out writes it as CSV for importRuns, the figures and transfer-strength tables.",
    run: async (argv) => {
      const { args: a, positionals } = parseFlags("import-geneval", GENEVAL_FLAGS, argv);
      const file = onePositional("import-geneval", positionals, "RESULTS.jsonl");
      const { importGenEval } = await import("../lab/evaluation/geneval-results");
      const t = importGenEval(file, {
        model: a.model,
        train: a.train,
        ...(a.source ? { source: a.source } : {}),
        ...(a.seed !== undefined ? { seed: a.seed } : {}),
      });
      console.log(t.toMarkdown());
      if (a.out) {
        writeFileAtomic(a.out, toCsv(t.columnNames(), t.objects(), { forSpreadsheets: true }));
        console.log(`wrote ${a.out}`);
      }
    },
  },
  runs: {
    fields: RUNS_FLAGS,
    usage: `transferlab runs ${flagsUsage(RUNS_FLAGS)}`,
    summary: "List the runs in a run store (state, step, spec).",
    run: async (argv) => {
      const { args: a } = parseFlags("runs", RUNS_FLAGS, argv);
      const lab = new Lab({ root: a.root ?? defaultRunsRoot() });
      const t = lab.runs();
      console.log(t.toMarkdown({ limit: 1000 }));
      // A run folder whose spec or status cannot be read is not silently left out.
      for (const p of lab.store.list().problems) console.error(`transferlab: unreadable run ${p}`);
      if (a.json) console.log(JSON.stringify(t.objects()));
    },
  },
};
