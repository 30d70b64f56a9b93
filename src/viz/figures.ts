// Figure builders: each a pure function from an Arquero table (columns documented per builder) to a
// plotly.js figure spec ({ data, layout }). Nothing here draws: plotly.js renders the spec in the
// widget, the report page or headless Chromium, so one spec gives the live chart and its static image.

import { Table, formatCell } from "../lab/tables";
import { byKey } from "../lab/evaluate";

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

type Row = Record<string, unknown>;

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const rgba = (hex: string, a: number) => `rgba(${parseInt(hex.slice(1, 3), 16)},${parseInt(hex.slice(3, 5), 16)},${parseInt(hex.slice(5, 7), 16)},${a})`;
const LABEL: Record<string, string> = { accuracy: "accuracy", mad: "MAD", cer: "CER", loss: "loss", joint_accuracy: "joint accuracy", fd_to_baseline: "Fréchet distance to baseline", is: "Inception-style score" };
const label = (m: string) => LABEL[m] ?? m;
const LOWER_BETTER = new Set(["mad", "cer", "wer", "edit_distance", "fid"]);

function rowsOf(t: Table): Row[] {
  return t.objects() as Row[];
}

function need(t: Table, cols: readonly string[], fig: string): void {
  const have = t.columnNames();
  const missing = cols.filter((c) => !have.includes(c));
  if (missing.length) throw new Error(`${fig}: the table lacks column(s) ${missing.join(", ")} (has: ${have.join(", ")})`);
}

const num = (v: unknown) => (v === null || v === undefined || v === "" ? null : Number(v));

/** A line and, when lo/hi are present, a shaded band between them (one closed polygon trace). */
function lineWithBand(rows: Row[], x: string, name: string, color: string, extra: Record<string, unknown>, bands: boolean): Record<string, unknown>[] {
  const sorted = [...rows].sort((a, b) => Number(a[x]) - Number(b[x]));
  const out: Record<string, unknown>[] = [];
  const withBand = sorted.filter((r) => num(r["lo"]) !== null && num(r["hi"]) !== null);
  if (bands && withBand.length > 1) {
    out.push({
      type: "scatter",
      mode: "lines",
      x: [...withBand.map((r) => r[x]), ...withBand.map((r) => r[x]).reverse()],
      y: [...withBand.map((r) => num(r["hi"])), ...withBand.map((r) => num(r["lo"])).reverse()],
      fill: "toself",
      fillcolor: rgba(color, 0.15),
      name: `${name} 95% CI`,
      ...extra,
      line: { width: 0, color: rgba(color, 0) },
      hoverinfo: "skip",
      showlegend: false,
      legendgroup: name,
    });
  }
  out.push({ type: "scatter", mode: "lines+markers", x: sorted.map((r) => r[x]), y: sorted.map((r) => num(r["value"])), name, legendgroup: name, line: { color }, marker: { color, size: 5 }, ...extra });
  return out;
}

/**
 * Training curves: understanding and generation side by side (two panels), one line per run × metric
 * against step (or epoch), with the runs' 95% intervals as bands, and the training loss in a third panel
 * when the table has it. Columns: run, step (or `x`), side ("und" | "gen" | "train"), metric, value;
 * optional lo, hi. Loss rows are side "train", metric "loss".
 */
export function trainingCurves(t: Table, opts: { x?: string; metrics?: readonly string[]; bands?: boolean; title?: string; loss?: boolean } = {}): Figure {
  const x = opts.x ?? "step";
  need(t, ["run", x, "side", "metric", "value"], "trainingCurves");
  const metrics = opts.metrics ?? ["accuracy", "mad"];
  const all = rowsOf(t);
  const rows = all.filter((r) => (r["side"] === "und" || r["side"] === "gen") && metrics.includes(String(r["metric"])));
  const lossRows = opts.loss === false ? [] : all.filter((r) => r["side"] === "train" && r["metric"] === "loss");
  const runs = [...new Set([...rows, ...lossRows].map((r) => String(r["run"])))];
  const data: Record<string, unknown>[] = [];
  const sides = ["und", "gen"] as const;
  sides.forEach((side, si) => {
    const axes = si === 0 ? { xaxis: "x", yaxis: "y" } : { xaxis: "x2", yaxis: "y2" };
    metrics.forEach((m, mi) => {
      runs.forEach((run, ri) => {
        const g = rows.filter((r) => r["side"] === side && r["metric"] === m && r["run"] === run);
        if (!g.length) return;
        const color = COLORS[(ri * metrics.length + mi) % COLORS.length]!;
        const name = `${runs.length > 1 ? run + " " : ""}${label(m)}`;
        data.push(...lineWithBand(g, x, name, color, { ...axes, showlegend: si === 0 || !rows.some((r) => r["side"] === "und" && r["metric"] === m && r["run"] === run), ...(m === "mad" ? { line: { color, dash: "dot" } } : {}) }, opts.bands ?? true));
      });
    });
  });
  runs.forEach((run, ri) => {
    const g = lossRows.filter((r) => r["run"] === run).sort((a, b) => Number(a[x]) - Number(b[x]));
    if (!g.length) return;
    data.push({ type: "scatter", mode: "lines", name: `${runs.length > 1 ? run + " " : ""}training loss`, x: g.map((r) => r[x]), y: g.map((r) => num(r["value"])), xaxis: "x3", yaxis: "y3", line: { color: COLORS[(ri + 5) % COLORS.length], width: 1.5 } });
  });
  const panels = lossRows.length ? 3 : 2;
  const yTitle = { title: { text: metrics.map(label).join(" / ") } };
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Held-out curves while training" },
      grid: { rows: 1, columns: panels, pattern: "independent" },
      xaxis: { title: { text: `${x} (understanding side)` } },
      xaxis2: { title: { text: `${x} (generation side)` } },
      yaxis: yTitle,
      yaxis2: yTitle,
      ...(panels === 3 ? { xaxis3: { title: { text: `${x} (training loss)` } }, yaxis3: { title: { text: "loss" } } } : {}),
      legend: { orientation: "h", y: -0.25 },
      margin: { t: 50, b: 80, l: 60, r: 20 },
    },
  };
}

/**
 * The joint-training oscillation (Fig. 8): understanding and generation accuracy on one axis against
 * epoch, MAD on a second axis. Columns: epoch, side, metric, value; optional lo, hi.
 */
export function oscillation(t: Table, opts: { bands?: boolean; title?: string } = {}): Figure {
  need(t, ["epoch", "side", "metric", "value"], "oscillation");
  const rows = rowsOf(t);
  const data: Record<string, unknown>[] = [];
  const spec = [
    ["und", "accuracy", COLORS[0]!, "y"],
    ["gen", "accuracy", COLORS[2]!, "y"],
    ["und", "mad", COLORS[1]!, "y2"],
    ["gen", "mad", COLORS[3]!, "y2"],
  ] as const;
  for (const [side, metric, color, yaxis] of spec) {
    const g = rows.filter((r) => r["side"] === side && r["metric"] === metric);
    if (!g.length) continue;
    const name = `${side === "und" ? "understanding" : "generation"} ${label(metric)}`;
    data.push(...lineWithBand(g, "epoch", name, color, { yaxis, ...(metric === "mad" ? { line: { color, dash: "dot" } } : {}) }, opts.bands ?? false));
  }
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Joint und+gen training: both sides per epoch" },
      xaxis: { title: { text: "epoch" } },
      yaxis: { title: { text: "accuracy" }, rangemode: "tozero" },
      yaxis2: { title: { text: "MAD" }, overlaying: "y", side: "right", rangemode: "tozero" },
      legend: { orientation: "h", y: -0.2 },
      margin: { t: 50, b: 70, l: 60, r: 60 },
    },
  };
}

/**
 * Transfer strength (Table 6) as bars: one group per task × metric, one bar per direction (and source),
 * with the direct-training upper bound drawn at 100%. Columns: task, direction, metric, strength;
 * optional source. Null strengths (direct training did not move the metric) are left out and listed in
 * the subtitle.
 */
export function transferStrengthBars(t: Table, opts: { title?: string } = {}): Figure {
  need(t, ["task", "direction", "metric", "strength"], "transferStrengthBars");
  const rows = rowsOf(t);
  const hasSource = t.columnNames().includes("source");
  const key = (r: Row) => `${hasSource ? r["source"] + " " : ""}${r["direction"]}`;
  const groups = new Map(byKey(rows, key).map((g) => [key(g[0]!), g] as const));
  const cats = [...new Set(rows.map((r) => `${r["task"]} ${label(String(r["metric"]))}`))];
  const data: Record<string, unknown>[] = [];
  let i = 0;
  for (const [name, g] of groups) {
    const ok = g.filter((r) => num(r["strength"]) !== null);
    data.push({ type: "bar", name, x: ok.map((r) => `${r["task"]} ${label(String(r["metric"]))}`), y: ok.map((r) => 100 * Number(r["strength"])), marker: { color: COLORS[i++ % COLORS.length] }, hovertemplate: "%{x}: %{y:.1f}%<extra>" + name + "</extra>" });
  }
  const missing = rows.filter((r) => num(r["strength"]) === null).map((r) => `${r["task"]} ${r["metric"]} ${r["direction"]}`);
  return {
    data,
    layout: {
      title: { text: (opts.title ?? "Transfer strength: gain from transfer / gain from direct training") + (missing.length ? `<br><sub>undefined (direct training did not move it): ${missing.join("; ")}</sub>` : "") },
      barmode: "group",
      xaxis: { title: { text: "task and metric" }, categoryorder: "array", categoryarray: cats },
      yaxis: { title: { text: "transfer strength (%)" }, zeroline: true },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 100, y1: 100, line: { color: "#444", dash: "dash", width: 1 } }],
      annotations: [{ xref: "paper", x: 1, y: 100, text: "direct training (upper bound)", showarrow: false, xanchor: "right", yanchor: "bottom", font: { size: 10 } }],
      margin: { t: 60, b: 60, l: 60, r: 20 },
    },
  };
}

/**
 * Rank ablation (Table 12): the transferred metric against LoRA rank, with the baseline (rank 0 rows)
 * as a horizontal line. Columns: rank, metric, value; optional lo, hi.
 */
/**
 * Paired effects as a forest plot: one row per direction, Δ (tuned − base) with its 95% interval, one
 * panel per metric; the zero line is "no effect". Columns: direction, metric, delta, lo, hi (verdict
 * optional: colours the marker).
 */
export function pairedEffects(t: Table, opts: { title?: string } = {}): Figure {
  need(t, ["direction", "metric", "delta", "lo", "hi"], "pairedEffects");
  const rows = rowsOf(t);
  const metrics = [...new Set(rows.map((r) => String(r["metric"])))];
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: opts.title ?? "Paired effects against the base (Δ = tuned − base, 95% interval)" },
    showlegend: false,
    margin: { t: 60, b: 50, l: 90, r: 20 },
    grid: { rows: 1, columns: metrics.length, pattern: "independent" },
    shapes: [] as Record<string, unknown>[],
  };
  // Green: an effect in the better direction (Δ > 0 for accuracy, Δ < 0 for MAD); red: the worse one.
  const color = (r: Row) => {
    if (r["verdict"] !== "positive" && r["verdict"] !== "negative") return "#555";
    const up = r["verdict"] === "positive";
    const gain = r["better"] === "lower" || (r["better"] === undefined && LOWER_BETTER.has(String(r["metric"]))) ? !up : up;
    return gain ? "#2ca02c" : "#d62728";
  };
  metrics.forEach((m, i) => {
    const g = rows.filter((r) => r["metric"] === m);
    const ax = i === 0 ? "" : String(i + 1);
    data.push({
      type: "scatter",
      mode: "markers",
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      x: g.map((r) => num(r["delta"])),
      y: g.map((r) => String(r["direction"])),
      error_x: { type: "data", symmetric: false, array: g.map((r) => Number(r["hi"]) - Number(r["delta"])), arrayminus: g.map((r) => Number(r["delta"]) - Number(r["lo"])) },
      marker: { size: 9, color: g.map((r) => color(r)) },
      hovertemplate: `%{y}: Δ ${label(m)} %{x:.3f}<extra></extra>`,
    });
    layout[`xaxis${ax}`] = { title: { text: `Δ ${label(m)}` }, zeroline: true, zerolinecolor: "#444" };
    layout[`yaxis${ax}`] = { automargin: true, ...(i > 0 ? { showticklabels: false } : {}) };
  });
  return { data, layout };
}

/**
 * Representation sharing: CKA of the two pathways per layer, one line per model, and the shuffled-scene
 * control dashed. Columns: model, layer, cka, cka_shuffled.
 */
export function sharingCurves(t: Table, opts: { title?: string } = {}): Figure {
  need(t, ["model", "layer", "cka", "cka_shuffled"], "sharingCurves");
  const rows = rowsOf(t);
  const models = [...new Set(rows.map((r) => String(r["model"])))];
  const data: Record<string, unknown>[] = [];
  models.forEach((m, i) => {
    const g = rows.filter((r) => r["model"] === m).sort((a, b) => Number(a["layer"]) - Number(b["layer"]));
    const color = COLORS[i % COLORS.length]!;
    data.push({ type: "scatter", mode: "lines+markers", name: m, x: g.map((r) => r["layer"]), y: g.map((r) => num(r["cka"])), line: { color } });
    data.push({ type: "scatter", mode: "lines", name: `${m} (shuffled scenes)`, x: g.map((r) => r["layer"]), y: g.map((r) => num(r["cka_shuffled"])), line: { color, dash: "dot" } });
  });
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Representation sharing: linear CKA between the pathways' states of the same scenes" },
      xaxis: { title: { text: "layer" }, dtick: 1 },
      yaxis: { title: { text: "linear CKA" }, range: [0, 1] },
      margin: { t: 60, b: 50, l: 60, r: 20 },
    },
  };
}

export function rankAblation(t: Table, opts: { metrics?: readonly string[]; title?: string } = {}): Figure {
  need(t, ["rank", "metric", "value"], "rankAblation");
  const metrics = opts.metrics ?? ["accuracy", "mad"];
  const rows = rowsOf(t);
  const data: Record<string, unknown>[] = [];
  const shapes: Record<string, unknown>[] = [];
  metrics.forEach((m, i) => {
    const g = rows.filter((r) => r["metric"] === m && Number(r["rank"]) > 0).sort((a, b) => Number(a["rank"]) - Number(b["rank"]));
    if (!g.length) return;
    const color = COLORS[i % COLORS.length]!;
    const yaxis = i === 0 ? "y" : "y2";
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: label(m),
      x: g.map((r) => String(r["rank"])),
      y: g.map((r) => num(r["value"])),
      yaxis,
      line: { color },
      ...(g.every((r) => num(r["lo"]) !== null) ? { error_y: { type: "data", symmetric: false, array: g.map((r) => Number(r["hi"]) - Number(r["value"])), arrayminus: g.map((r) => Number(r["value"]) - Number(r["lo"])), color } } : {}),
    });
    const base = rows.find((r) => r["metric"] === m && Number(r["rank"]) === 0);
    if (base) shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, yref: yaxis, y0: num(base["value"]), y1: num(base["value"]), line: { color, dash: "dash", width: 1 } });
  });
  return {
    data,
    layout: {
      title: { text: opts.title ?? "LoRA rank ablation of und→gen transfer (dashed: baseline)" },
      xaxis: { title: { text: "LoRA rank" }, type: "category" },
      yaxis: { title: { text: label(metrics[0]!) } },
      ...(metrics.length > 1 ? { yaxis2: { title: { text: label(metrics[1]!) }, overlaying: "y", side: "right" } } : {}),
      shapes,
      legend: { orientation: "h", y: -0.2 },
      margin: { t: 50, b: 70, l: 60, r: 60 },
    },
  };
}

/**
 * A table as a figure (plotly's table trace): any columns; numbers shown with `digits` decimals.
 */
export function comparisonTable(t: Table, opts: { digits?: number; title?: string; columns?: readonly string[] } = {}): Figure {
  const cols = opts.columns ?? t.columnNames();
  need(t, cols, "comparisonTable");
  const rows = rowsOf(t);
  const fmt = (v: unknown) => formatCell(v, opts.digits ?? 3);
  return {
    data: [
      {
        type: "table",
        header: { values: cols.map((c) => `<b>${c}</b>`), align: "left", fill: { color: "#e8eef7" } },
        cells: { values: cols.map((c) => rows.map((r) => fmt(r[c]))), align: "left" },
      },
    ],
    layout: { title: { text: opts.title ?? "" }, margin: { t: opts.title ? 40 : 10, b: 10, l: 10, r: 10 }, height: Math.min(800, 60 + 28 * (rows.length + 1)) },
  };
}

/**
 * Distribution shift (Table 11): Fréchet distance to the baseline's images and the Inception-style
 * score per model. Columns: model, fd_to_baseline, is.
 */
export function distributionShift(t: Table, opts: { title?: string } = {}): Figure {
  need(t, ["model", "fd_to_baseline", "is"], "distributionShift");
  const rows = rowsOf(t);
  return {
    data: [
      { type: "bar", name: "Fréchet distance to baseline", x: rows.map((r) => r["model"]), y: rows.map((r) => num(r["fd_to_baseline"])), marker: { color: COLORS[1] }, yaxis: "y" },
      { type: "scatter", mode: "markers", name: "Inception-style score", x: rows.map((r) => r["model"]), y: rows.map((r) => num(r["is"])), marker: { color: COLORS[0], size: 12, symbol: "diamond" }, yaxis: "y2" },
    ],
    layout: {
      title: { text: opts.title ?? "Distribution shift of generated images (baseline: seed-to-seed floor)" },
      yaxis: { title: { text: "Fréchet distance" }, type: "log" },
      yaxis2: { title: { text: "Inception-style score" }, overlaying: "y", side: "right", rangemode: "tozero" },
      legend: { orientation: "h", y: -0.2 },
      margin: { t: 50, b: 70, l: 60, r: 60 },
    },
  };
}

/** How many visible data traces a figure has (bands excluded): what a rendered chart should show. */
export function traceCount(f: Figure): number {
  return f.data.filter((d) => d["hoverinfo"] !== "skip").length;
}
