// The lab's magics: %train, %generate, %eval, %transfer, %joint, %ablate, %compose, %attention, %runs,
// %metrics, %paper. Their arguments come from src/lab/specs.ts, so `%train --rank 8` parses to the
// object `lab.train({ rank: 8 })` validates: the same call. Results display as tables, live charts
// (FigureWidget) and images; the running cell's interrupt stops a training after its current step.

import * as aq from "arquero";
import { lab as defaultLab, Lab, VERBS, Verb, Field, MetricRow, Hooks, kebab } from "../src/lab";
import type { SweepUpdate } from "../src/lab";
import { Table, tableFormat } from "../src/lab/tables";
import * as V from "../src/viz";
import * as T from "../src/tasks";
import { MIMEBUNDLE, display, progressBar } from "./display";
import { FigureWidget } from "./figure-widget";
import type { Kernel } from "./kernel";
import type { ArgSpec, MagicSpec } from "./magics";


/** A verb's fields as magic arguments (flags in kebab-case: --eval-every). */
export function argSpecs(verb: Verb): ArgSpec[] {
  return (VERBS[verb].fields as readonly Field[]).map((f) => ({
    name: kebab(f.name),
    // A positional list (prompts) is one quoted string split on '|' by the spec, not on commas.
    type: f.type === "list" && f.positional ? "string" : f.type,
    help: f.help,
    ...(f.default !== undefined ? { default: f.default } : {}),
    ...(f.required ? { required: true } : {}),
    ...(f.choices ? { choices: f.choices } : {}),
    ...(f.positional ? { positional: true } : {}),
    ...(f.min !== undefined ? { min: f.min } : {}),
    ...(f.max !== undefined ? { max: f.max } : {}),
  }));
}

/** A bundle of several parts shown as one output (tables and text). */
function bundle(parts: { html: string; text: string }): Record<symbol, () => Record<string, unknown>> {
  return { [MIMEBUNDLE]: () => ({ "text/html": parts.html, "text/plain": parts.text }) };
}

const fmt = (t: Table, title: string) => ({ html: `<h4>${title}</h4>${t.toHTML({ limit: 60, format: tableFormat(t) })}`, text: `${title}\n${t.toMarkdown({ limit: 60, format: tableFormat(t) })}` });

const curveSeries = (r: Record<string, unknown>) => `${r["run"]}|${r["side"]}|${r["metric"]}`;

function trainingHooks(k: Kernel, title: string, withCurve: boolean): { hooks: Hooks; finish: () => void } {
  let bar: ReturnType<typeof progressBar> | null = null;
  let barRun = "";
  let curve: FigureWidget | null = null;
  // The run's metric rows as of the last evaluation, plus the loss rows of the steps since.
  let rows: MetricRow[] = [];
  let losses: number[] = [];
  // One status line per cell, replaced at each stage (not a new output per stage).
  let status: ReturnType<typeof display.text> | null = null;
  const redraw = () => {
    const t = aq.from(rows);
    if (!curve) {
      curve = new FigureWidget((x) => V.trainingCurves(x, { title }), t, { title, seriesKey: curveSeries, summary: (x) => curveSummary(x) });
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
      if (!bar || barRun !== p.run) (bar = progressBar(p.steps, p.run)), (barRun = p.run);
      bar.update(p.step, `loss ${p.loss.toFixed(3)}`);
      if (!withCurve) return;
      losses.push(p.loss);
      if (p.step % 5 === 0 && rows.length) {
        rows.push({ run: p.run, step: p.step, side: "train", metric: "loss", value: losses.reduce((a, b) => a + b, 0) / losses.length, lo: null, hi: null, n: losses.length });
        losses = [];
        redraw();
      }
    },
    ...(withCurve
      ? {
          onEval: (_new: MetricRow[], all: MetricRow[]) => {
            rows = [...all];
            losses = [];
            redraw();
          },
        }
      : {}),
  };
  return { hooks, finish: () => (curve as FigureWidget | null)?.finish() };
}

function sweepSummary(t: Table): string {
  const counts: Record<string, number> = {};
  for (const r of t.objects() as { state: string }[]) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return `sweep: ${Object.entries(counts).map(([k, n]) => `${n} ${k}`).join(", ")}`;
}

function curveSummary(t: Table): string {
  const rows = t.objects() as Record<string, unknown>[];
  const last = new Map<string, Record<string, unknown>>();
  for (const r of rows) if (r["side"] !== "train" || r["metric"] === "loss") last.set(`${r["side"]} ${r["metric"]}`, r);
  return `curves: ${[...last.entries()].map(([k, r]) => `${k} ${Number(r["value"]).toFixed(3)} @ step ${r["step"]}`).join("; ")}`;
}

export function registerLabMagics(k: Kernel, lab: Lab = defaultLab): void {
  const reg = (verb: Verb | string, help: string, args: ArgSpec[], handler: MagicSpec["handler"]) => k.magics.register({ name: verb, kind: "line", help, args, handler });

  reg("train", VERBS.train.help, argSpecs("train"), async (a) => {
    const { hooks, finish } = trainingHooks(k, "Held-out accuracy and MAD while training", true);
    try {
      const h = await lab.train(a, hooks);
      return bundle({ html: `<pre>${h.toString()}</pre>`, text: h.toString() });
    } finally {
      finish();
    }
  });

  reg("generate", VERBS.generate.help, argSpecs("generate"), async (a) => {
    const g = await lab.generate(a);
    const pngs = await Promise.all(g.cells.map(async (c) => (await T.toPng(c.image)).toString("base64")));
    // The table behind the chart (and its fallback where widgets do not render): one row per image.
    const table = aq.from(g.cells.map(({ image: _image, ...c }) => c));
    const images = g.cells.map((c, i): V.GridImage => ({ row: `${c.model}: ${c.prompt}`, col: `seed ${c.seed}`, png: pngs[i]!, ...(c.asked !== null ? { caption: `${c.detected} of ${c.asked} ${c.correct ? "✓" : "✗"}`, ok: c.correct } : {}) }));
    const counted = g.cells.filter((c) => c.asked !== null);
    const title = `Generated images${counted.length ? ` (caption: detected of asked, ${counted.filter((c) => c.correct).length}/${counted.length} correct)` : ""}`;
    await new FigureWidget(() => V.imageGrid(images, { title }), table, { title, summary: () => `image grid, rows: ${g.labels.join(" | ")}` }).show();
    return undefined;
  });

  reg("eval", VERBS.evaluate.help, argSpecs("evaluate"), async (a) => {
    const { hooks } = trainingHooks(k, "", false);
    const r = await lab.evaluate(a, hooks);
    return r.table;
  });

  reg("transfer", VERBS.transfer.help, argSpecs("transfer"), async (a) => {
    const { hooks } = trainingHooks(k, "", false);
    const r = await lab.transfer(a, hooks);
    const pooled = r.results.filter(aq.escape((d: Record<string, unknown>) => d["seed"] === null)).select("train", "side", "metric", "value", "lo", "hi", "n");
    await display(bundle(fmt(pooled, `Results (pooled over seeds; ${r.wall_s.toFixed(0)} s)`)));
    await display(bundle(fmt(r.effects.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict", "mde", "statement"), "Paired effects against the base (same prompts and sampling seeds)")));
    await new FigureWidget((t) => V.pairedEffects(t), r.effects, { title: "Paired effects" }).show();
    await display(bundle(fmt(r.strength.select("direction", "metric", "baseline", "transfer", "direct", "strength", "lo", "hi", "note"), "Transfer strength (Table 6)")));
    // A strength is a share only where direct training is an upper bound; where none is, the paired Δs
    // above are the figure to read, and a bar chart of nothing would mislead.
    const defined = (r.strength.objects() as Record<string, unknown>[]).filter((s) => s["strength"] !== null);
    if (defined.length) await new FigureWidget((t) => V.transferStrengthBars(t), r.strength, { title: "Transfer strength" }).show();
    else if (r.strength.numRows()) await display.text("Transfer strength not drawn: direct training is not an upper bound for any metric here (its paired Δ's interval does not lie above 0); read the paired effects above.");
    if (r.shift.numRows()) {
      await display(bundle(fmt(r.shift, "Distribution shift (Table 11)")));
      await new FigureWidget((t) => V.distributionShift(t), r.shift, { title: "Distribution shift" }).show();
    }
    return undefined;
  });

  reg("joint", VERBS.joint.help, argSpecs("joint"), async (a) => {
    let w: FigureWidget | null = null;
    const spe = Number(a["steps-per-epoch"] ?? 30);
    const { hooks: base } = trainingHooks(k, "", false);
    const hooks: Hooks = {
      ...base,
      onEval: (_n, all) => {
        const t = aq.from(all.filter((r) => r.side !== "train")).derive({ epoch: aq.escape((d: Record<string, unknown>) => (d["step"] as number) / spe) });
        if (!w) {
          w = new FigureWidget((x) => V.oscillation(x), t, { title: "Joint training: und and gen per epoch", seriesKey: curveSeries, summary: curveSummary });
          void w.show();
        } else w.update(t);
      },
    };
    const r = await lab.joint(a, hooks);
    (w as FigureWidget | null)?.finish();
    return r.curve.filter(aq.escape((d: Record<string, unknown>) => ["accuracy", "mad", "cer"].includes(d["metric"] as string))).select("epoch", "side", "metric", "value", "lo", "hi");
  });

  reg("ablate", VERBS.ablate.help, argSpecs("ablate"), async (a) => {
    const { hooks } = trainingHooks(k, "", false);
    const r = await lab.ablate(a, hooks);
    await new FigureWidget((t) => V.rankAblation(t), r.table, { title: "Rank ablation" }).show();
    return r.table;
  });

  reg("sharing", VERBS.sharing.help, argSpecs("sharing"), async (a) => {
    const r = await lab.sharing(a, trainingHooks(k, "", false).hooks);
    await new FigureWidget((t) => V.sharingCurves(t), r.table, { title: "Representation sharing" }).show();
    return r.table;
  });

  reg("compose", VERBS.compose.help, argSpecs("compose"), async (a) => {
    const { hooks } = trainingHooks(k, "", false);
    const r = await lab.compose(a, hooks);
    return r.table;
  });

  reg("attention", VERBS.attention.help, argSpecs("attention"), async (a) => {
    const r = await lab.attention(a);
    const panels = await Promise.all(r.maps.map(async (m) => ({ model: m.model, png: (await T.toPng(m.image)).toString("base64"), map: Array.from(m.mean) })));
    const layers = r.maps[0]?.layers.length ?? 0;
    const table = aq.from(r.maps.map((m) => ({ model: m.model, token: r.token, step: a["step"], layers, max: Math.max(...m.mean), argmax: m.mean.indexOf(Math.max(...m.mean)) })));
    const summary = `attention of "${r.token}" (prompt token ${r.tokenIndex}) over the image tokens: ${r.maps.map((m) => m.model).join(", ")}`;
    await new FigureWidget(() => V.attentionMaps(panels, { token: r.token, step: a["step"] as number, layers }), table, { title: "Attention", summary: () => summary }).show();
    return undefined;
  });

  k.magics.register({
    name: "sweep",
    kind: "line",
    help: "Run a grid of training runs from a spec file (transferlab sweep): a live grid of the points' states, then every point's metrics as one table. --dry-run lists the points and their cost.",
    args: [
      { name: "spec", type: "string", help: "the sweep spec file (JSON or YAML)", required: true, positional: true },
      { name: "executor", type: "string", help: "where the points run", default: "local", choices: ["local", "slurm"] },
      { name: "workers", type: "integer", help: "local: worker processes (the cores are split between them)", default: 1, min: 1 },
      { name: "dry-run", type: "boolean", help: "list the points, their state and cost; run nothing", default: false },
      { name: "partition", type: "string", help: "slurm: --partition" },
      { name: "time", type: "string", help: "slurm: --time" },
      { name: "cpus-per-task", type: "integer", help: "slurm: --cpus-per-task", min: 1 },
      { name: "mem", type: "string", help: "slurm: --mem" },
      { name: "gres", type: "string", help: "slurm: --gres (e.g. gpu:1)" },
      { name: "account", type: "string", help: "slurm: --account" },
      { name: "retries", type: "integer", help: "slurm: resubmissions of unfinished tasks", default: 2, min: 0 },
    ],
    handler: async (a) => {
      const sweep = lab.sweep(a["spec"] as string);
      if (a["dry-run"]) return sweep.dryRun();
      // One chart of the points' states, redrawn in place as they change.
      const stateTable = (u: SweepUpdate) => aq.from(u.points.map((p) => ({ point: p.index, run: p.name, state: p.state, step: p.step, steps: p.steps })));
      const first = stateTable({ points: sweep.points().map((p) => ({ index: p.index, name: p.name, ...sweep.state(p), steps: p.steps ?? 0 })) });
      const grid = new FigureWidget((t) => V.sweepGrid(t, { title: `Sweep ${sweep.spec.name}` }), first, { title: `Sweep ${sweep.spec.name}`, summary: (t) => sweepSummary(t) });
      await grid.show();
      const onUpdate = (u: SweepUpdate) => grid.update(stateTable(u));
      const slurm = { partition: a["partition"] as string | undefined, time: a["time"] as string | undefined, cpusPerTask: a["cpus-per-task"] as number | undefined, mem: a["mem"] as string | undefined, gres: a["gres"] as string | undefined, account: a["account"] as string | undefined, retries: a["retries"] as number };
      try {
        const r = a["executor"] === "slurm" ? await sweep.runSlurm({ ...slurm, onUpdate, signal: k.signal, log: (s) => void display.text(s) }) : await sweep.runLocal({ workers: a["workers"] as number, onUpdate, signal: k.signal, log: () => {} });
        if (r.failed.length) await display.text(`unfinished point(s): ${r.failed.join(", ")} (run the cell again to resume them)`);
      } finally {
        grid.finish();
      }
      const results = sweep.results();
      // The aggregated figure: every point's curves (train points; command points carry no steps).
      if (results.numRows() && results.columnNames().includes("step")) {
        await new FigureWidget((t) => V.trainingCurves(t, { title: `Sweep ${sweep.spec.name}: every point's validation curves`, bands: false }), results, { title: `Sweep ${sweep.spec.name}: curves`, seriesKey: curveSeries }).show();
      }
      return results;
    },
  });

  reg("runs", "Every run in the store as a table.", [], () => lab.runs());
  reg("metrics", "Every metric row of every run as a table.", [{ name: "run", type: "string", help: "only this run" }], (a) => {
    const t = lab.metrics();
    return a["run"] ? t.filter(aq.escape((d: Record<string, unknown>) => d["run"] === a["run"])) : t;
  });
  reg("paper", "The paper's published numbers (Tables 1–7, 10–13) in the results format.", [{ name: "table", type: "integer", help: "only this table number" }], (a) => {
    const t = lab.paper();
    return a["table"] ? t.filter(aq.escape((d: Record<string, unknown>) => d["table"] === a["table"])) : t;
  });
}
