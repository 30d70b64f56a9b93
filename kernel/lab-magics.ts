// The lab's magics: one per verb of src/lab/verbs (%train, %generate, %evaluate, %transfer, %joint, %ablate,
// %compose, %attention, %sharing; %eval and %probe are earlier names), with %sweep, %runs, %metrics and
// %paper. A verb's arguments are its schema's fields, so `%train --rank 8` is the call `lab.train({ rank: 8 })`;
// its live view (curves, epochs or progress) and result parts come from its definition too.

import * as aq from "arquero";
import { escapeHtml } from "../src/core/text";
import { lab as defaultLab, Lab, VERBS, VERB_LIST, Verb, Field, MetricRow, Hooks, kebab, validateSpec } from "../src/lab";
import type { Part, VerbDef } from "../src/lab";
import type { SweepUpdate } from "../src/lab";
import { SWEEP_FIELDS, slurmOptions } from "../src/lab/store/sweep";
import { validateFields } from "../src/core/fields";
import { metricLabel } from "../src/core/metrics";
import { curveMetrics } from "../src/lab/worlds";
import { Table, tableFormat } from "../src/lab/results/tables";
import * as V from "../src/viz";
import { MIMEBUNDLE, display, progressBar } from "./display";
import { FigureWidget } from "./figure-widget";
import type { Kernel } from "./kernel";
import type { ArgSpec, MagicSpec } from "./magics";

/** A verb's fields as magic arguments (flags in kebab-case: --eval-every). */
export function argSpecs(verb: Verb): ArgSpec[] {
  return (VERBS[verb].fields as readonly Field[]).map((f) => ({ ...f, name: kebab(f.name) }));
}

/** A bundle of several parts shown as one output (tables and text). */
function bundle(parts: { html: string; text: string }): Record<symbol, () => Record<string, unknown>> {
  return { [MIMEBUNDLE]: () => ({ "text/html": parts.html, "text/plain": parts.text }) };
}

const fmt = (t: Table, title: string) => ({
  html: `<h4>${title}</h4>${t.toHTML({ limit: 60, format: tableFormat(t) })}`,
  text: `${title}\n${t.toMarkdown({ limit: 60, format: tableFormat(t) })}`,
});

const curveSeries = (r: Record<string, unknown>) => `${r["run"]}|${r["side"]}|${r["metric"]}`;

function trainingHooks(k: Kernel, title: string, withCurve: boolean, metrics?: readonly string[]): { hooks: Hooks; finish: () => void } {
  let bar: ReturnType<typeof progressBar> | null = null;
  let barRun = "";
  let curve: FigureWidget | null = null;
  // The run's metric rows as of the last evaluation, plus the loss rows recorded since.
  let rows: MetricRow[] = [];
  // One status line per cell, replaced at each stage (not a new output per stage).
  let status: ReturnType<typeof display.text> | null = null;
  const redraw = () => {
    const t = aq.from(rows);
    if (!curve) {
      curve = new FigureWidget((x) => V.trainingCurves(x, { title, ...(metrics ? { metrics } : {}) }), t, {
        title,
        seriesKey: curveSeries,
        summary: (x) => curveSummary(x),
      });
      void curve.show();
    } else curve.update(t);
  };
  const hooks: Hooks = {
    signal: k.signal,
    onStage: (s) => {
      if (!status) status = display.text(s);
      else void status.update({ "text/plain": s });
    },
    onStep: (p) => {
      // A verb that trains several runs (transfer, ablate) gets one bar per run.
      if (!bar || barRun !== p.run) ((bar = progressBar(p.steps, p.run)), (barRun = p.run));
      bar.update(p.step, `loss ${p.loss.toFixed(3)}`);
    },
    ...(withCurve
      ? {
          // The loss curve's rows as the run records them (5-step means), drawn once a first evaluation is in.
          onLoss: (row: MetricRow) => {
            if (!rows.length) return;
            rows.push(row);
            redraw();
          },
          onEval: (_new: MetricRow[], all: MetricRow[]) => {
            rows = [...all];
            redraw();
          },
        }
      : {}),
  };
  return { hooks, finish: async () => (curve as FigureWidget | null)?.finish() };
}

function sweepSummary(t: Table): string {
  const counts: Record<string, number> = {};
  for (const r of t.objects() as { state: string }[]) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return `sweep: ${Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(", ")}`;
}

function curveSummary(t: Table): string {
  const rows = t.objects() as Record<string, unknown>[];
  const last = new Map<string, Record<string, unknown>>();
  for (const r of rows) if (r["side"] !== "train" || r["metric"] === "loss") last.set(`${r["side"]} ${r["metric"]}`, r);
  return `curves: ${[...last.entries()].map(([k, r]) => `${k} ${Number(r["value"]).toFixed(3)} @ step ${r["step"]}`).join("; ")}`;
}

/** Shows a verb's result parts: figures as chart widgets, tables and text as outputs; returns the cell's value. */
async function showParts(parts: readonly Part[], drewLive: boolean): Promise<unknown> {
  let value: unknown = undefined;
  for (const p of parts) {
    switch (p.kind) {
      case "text":
        await display.text(p.text);
        break;
      case "table":
        await display(bundle(fmt(p.table, p.title)));
        break;
      case "figure":
        // A chart the kernel drew live while the verb ran is not drawn twice.
        if (p.drawnLive && drewLive) break;
        await new FigureWidget((t) => p.draw(t), p.table, { title: p.title, ...(p.summary !== undefined ? { summary: () => p.summary! } : {}) }).show();
        break;
      case "image":
        // Images are the files of the command line and reports; here the figure shows them.
        break;
      case "result":
        value = typeof p.value === "string" ? bundle({ html: `<pre>${escapeHtml(p.value)}</pre>`, text: p.value }) : p.value;
        break;
    }
  }
  return value;
}

/** The hooks that draw a verb's progress live: training curves, Fig. 8's epochs, or bars and stage lines. */
function liveHooks(k: Kernel, verb: VerbDef, a: Record<string, unknown>): { hooks: Hooks; finish: () => void } {
  if (verb.live === "curves") {
    const metrics = curveMetrics(a["task"] ?? "counting");
    return trainingHooks(k, `Held-out ${metrics.map(metricLabel).join(" and ")} while training`, true, metrics);
  }
  const t = trainingHooks(k, "", false);
  if (verb.live !== "epochs") return t;
  let w: FigureWidget | null = null;
  const spe = Number(a["stepsPerEpoch"]);
  const hooks: Hooks = {
    ...t.hooks,
    onEval: (_n, all) => {
      const table = aq.from(all.filter((r) => r.side !== "train")).derive({ epoch: aq.escape((d: Record<string, unknown>) => (d["step"] as number) / spe) });
      if (!w) {
        w = new FigureWidget((x) => V.oscillation(x), table, { title: "Joint training: und and gen per epoch", seriesKey: curveSeries, summary: curveSummary });
        void w.show();
      } else w.update(table);
    },
  };
  return { hooks, finish: async () => (w as FigureWidget | null)?.finish() };
}

export function registerLabMagics(k: Kernel, lab: Lab = defaultLab): void {
  const reg = (verb: string, help: string, args: ArgSpec[], handler: MagicSpec["handler"]) =>
    k.magics.register({ name: verb, kind: "line", help, args, handler });

  // One magic per verb of the list (and one per alias), each the API call with the same fields.
  for (const verb of VERB_LIST as readonly VerbDef[]) {
    const handler: MagicSpec["handler"] = async (a) => {
      // Validated once, before any work: the live view reads the verb's own defaults, not guesses of them.
      const args = validateSpec(verb.name as Verb, a) as Record<string, unknown>;
      const { hooks, finish } = liveHooks(k, verb, args);
      try {
        const r = await lab.call(verb.name as Verb, a, hooks);
        return await showParts(await verb.present(r, args as never), verb.live !== "progress");
      } finally {
        await finish();
      }
    };
    reg(verb.name, verb.help, argSpecs(verb.name as Verb), handler);
    for (const alias of verb.aliases ?? []) reg(alias, `(the earlier name of %${verb.name}) ${verb.help}`, argSpecs(verb.name as Verb), handler);
  }

  k.magics.register({
    name: "sweep",
    kind: "line",
    help: "Run a grid of training runs from a spec file (transferlab sweep): a live grid of the points' states, then every point's metrics as one table. --dry-run lists the points and their cost.",
    // The same schema as `transferlab sweep`'s flags (src/lab/store/sweep.ts), with the spec file first.
    args: [
      { name: "spec", type: "string", help: "the sweep spec file (JSON or YAML)", required: true, positional: true },
      ...SWEEP_FIELDS.map((f) => ({ ...f, name: kebab(f.name) })),
    ],
    handler: async (raw) => {
      const { spec, ...rest } = raw;
      const a = validateFields("sweep", SWEEP_FIELDS, rest);
      const sweep = (a.root !== undefined ? new Lab({ root: a.root }) : lab).sweep(spec as string);
      if (a.dryRun) return sweep.dryRun();
      // One chart of the points' states, redrawn in place as they change.
      const stateTable = (u: SweepUpdate) => aq.from(u.points.map((p) => ({ point: p.index, run: p.name, state: p.state, step: p.step, steps: p.steps })));
      const first = stateTable({ points: sweep.points().map((p) => ({ index: p.index, name: p.name, ...sweep.state(p), steps: p.steps ?? 0 })) });
      const grid = new FigureWidget((t) => V.sweepGrid(t, { title: `Sweep ${sweep.spec.name}` }), first, {
        title: `Sweep ${sweep.spec.name}`,
        summary: (t) => sweepSummary(t),
      });
      await grid.show();
      const onUpdate = (u: SweepUpdate) => grid.update(stateTable(u));
      try {
        const r =
          a.executor === "slurm"
            ? await sweep.runSlurm({ ...slurmOptions(a), onUpdate, signal: k.signal, log: (s) => void display.text(s) })
            : await sweep.runLocal({ workers: a.workers, onUpdate, signal: k.signal, log: () => {} });
        if (r.failed.length) await display.text(`unfinished point(s): ${r.failed.join(", ")} (run the cell again to resume them)`);
      } finally {
        await grid.finish();
      }
      const results = sweep.results();
      // The aggregated figure: every point's curves (train points; command points carry no steps).
      if (results.numRows() && results.columnNames().includes("step")) {
        await new FigureWidget((t) => V.trainingCurves(t, { title: `Sweep ${sweep.spec.name}: every point's validation curves`, bands: false }), results, {
          title: `Sweep ${sweep.spec.name}: curves`,
          seriesKey: curveSeries,
        }).show();
      }
      return results;
    },
  });

  reg("runs", "Every run in the store as a table.", [], () => lab.runs());
  reg("metrics", "Every metric row of every run as a table.", [{ name: "run", type: "string", help: "only this run" }], (a) => {
    const t = lab.metrics();
    return a["run"] ? t.filter(aq.escape((d: Record<string, unknown>) => d["run"] === a["run"])) : t;
  });
  reg(
    "paper",
    "The paper's published numbers (Tables 1–7, 10–13) in the results format.",
    [{ name: "table", type: "integer", help: "only this table number" }],
    (a) => {
      const t = lab.paper();
      return a["table"] ? t.filter(aq.escape((d: Record<string, unknown>) => d["table"] === a["table"])) : t;
    },
  );
}
