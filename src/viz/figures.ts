// Figure builders: each a pure function from an Arquero table (columns documented per builder) to a
// plotly.js figure spec ({ data, layout }). Nothing here draws: plotly.js renders the spec in the
// widget, the report page or headless Chromium, so one spec gives the live chart and its static image.

import { Table, formatCell } from "../core/table-format";
import { LOWER_IS_BETTER, metricAxis, metricInfo, metricLabel } from "../core/metrics";
import { byKey } from "../core/group";

export interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

type Row = Record<string, unknown>;

const COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
const rgba = (hex: string, a: number) => `rgba(${parseInt(hex.slice(1, 3), 16)},${parseInt(hex.slice(3, 5), 16)},${parseInt(hex.slice(5, 7), 16)},${a})`;
const label = metricLabel;
const LOWER_BETTER = LOWER_IS_BETTER;

/** A long title broken into lines at spaces (plotly does not wrap titles; an unbroken one is cut off). */
export function wrapTitle(text: string, width = 95): string {
  if (text.length <= width || text.includes("<br>")) return text;
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join("<br>");
}

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
  out.push({
    type: "scatter",
    mode: "lines+markers",
    x: sorted.map((r) => r[x]),
    y: sorted.map((r) => num(r["value"])),
    name,
    legendgroup: name,
    line: { color },
    marker: { color, size: 5 },
    ...extra,
  });
  return out;
}

// The paper's Fig. 8 draws accuracy in blue and MAD in red; runs beyond the first take lighter/darker shades.
const BLUES = ["#1f77b4", "#6baed6", "#08519c", "#9ecae1"];
const REDS = ["#d62728", "#fc9272", "#a50f15", "#fcbba1"];
const SIDE_NAME: Record<string, string> = { und: "understanding", gen: "generation" };

/**
 * A metric's y axis in the curves: its title with its unit (src/core/metrics.ts), shares fixed to
 * [0, 1] with round ticks, other metrics from zero (tickmode auto: an overlaying axis would otherwise
 * take the left axis's tick positions, 0.23, 0.49, …).
 */
function metricAxisLayout(m: string): Record<string, unknown> {
  const info = metricInfo(m);
  const title = { text: metricAxis(m) };
  if (info && info.range[0] === 0 && info.range[1] === 1) return { title, range: [0, 1], dtick: 0.2, tickformat: ".2~f" };
  return { title, rangemode: "tozero", tickformat: ".2~f", tickmode: "auto" };
}
const AXIS = {
  get: metricAxisLayout,
  loss: { title: { text: "" }, rangemode: "tozero", tickformat: ".3~f" },
};

/**
 * Side-by-side panels, each with its x axis, a left y axis and an optional right y axis (overlaying the
 * left one): panel k uses x{k}, y{k} and y{k + panels} (plotly's first axis has no number).
 */
function panelLayout(
  titles: readonly string[],
  xTitle: string,
  left: readonly Record<string, unknown>[],
  right: readonly (Record<string, unknown> | null)[],
): Record<string, unknown> {
  const n = titles.length;
  const gap = 0.12;
  const width = (1 - gap * (n - 1)) / n;
  const layout: Record<string, unknown> = { annotations: [] as unknown[] };
  const ax = (k: number) => (k === 1 ? "" : String(k));
  titles.forEach((title, i) => {
    const k = i + 1;
    const x0 = i * (width + gap);
    layout[`xaxis${ax(k)}`] = { domain: [x0, x0 + width], anchor: `y${ax(k)}`, title: { text: xTitle } };
    // A quantity's axis title is written once: on the first panel with that left axis, the last with that
    // right axis (neighbouring panels' titles would overlap).
    const same = (a: Record<string, unknown> | null | undefined, b: Record<string, unknown> | null | undefined) =>
      !!a && !!b && JSON.stringify(a["title"]) === JSON.stringify(b["title"]);
    const l = same(left[i], left[i - 1]) ? { ...left[i], title: { text: "" } } : left[i];
    const r = right[i] && same(right[i], right[i + 1]) ? { ...right[i], title: { text: "" } } : right[i];
    layout[`yaxis${ax(k)}`] = { ...l, anchor: `x${ax(k)}` };
    if (r) layout[`yaxis${ax(k + n)}`] = { ...r, anchor: `x${ax(k)}`, overlaying: `y${ax(k)}`, side: "right", showgrid: false };
    (layout["annotations"] as unknown[]).push({
      text: `<b>${title}</b>`,
      xref: "paper",
      yref: "paper",
      x: x0 + width / 2,
      y: 1.02,
      xanchor: "center",
      yanchor: "bottom",
      showarrow: false,
    });
  });
  return layout;
}

/**
 * Training curves, laid out as the paper's Fig. 8: (a) understanding and (b) generation, accuracy (blue,
 * left axis) and MAD (red, right axis, in objects) against step, the runs' 95% intervals as bands; a
 * third panel shows the training loss when the table has it. Columns: run, step (or `x`), side ("und" |
 * "gen" | "train"), metric, value; optional lo, hi. Loss rows are side "train", metric "loss".
 */
export function trainingCurves(t: Table, opts: { x?: string; metrics?: readonly string[]; bands?: boolean; title?: string; loss?: boolean } = {}): Figure {
  const x = opts.x ?? "step";
  need(t, ["run", x, "side", "metric", "value"], "trainingCurves");
  const metrics = opts.metrics ?? ["accuracy", "mad"];
  const all = rowsOf(t);
  const rows = all.filter((r) => (r["side"] === "und" || r["side"] === "gen") && metrics.includes(String(r["metric"])));
  const lossRows = opts.loss === false ? [] : all.filter((r) => r["side"] === "train" && r["metric"] === "loss" && num(r["value"]) !== null);
  const runs = [...new Set([...rows, ...lossRows].map((r) => String(r["run"])))];
  const panels = lossRows.length ? 3 : 2;
  const ax = (k: number) => (k === 1 ? "" : String(k));
  const data: Record<string, unknown>[] = [];
  (["und", "gen"] as const).forEach((side, si) => {
    metrics.forEach((m, mi) => {
      // The first metric on the left axis, the second on the right one.
      const axes = { xaxis: `x${ax(si + 1)}`, yaxis: `y${ax(mi === 0 ? si + 1 : si + 1 + panels)}` };
      runs.forEach((run, ri) => {
        const g = rows.filter((r) => r["side"] === side && r["metric"] === m && r["run"] === run);
        if (!g.length) return;
        const color = (m === "mad" || mi === 1 ? REDS : BLUES)[ri % BLUES.length]!;
        const name = `${runs.length > 1 ? run + " " : ""}${label(m)}`;
        const firstPanel = si === 0 || !rows.some((r) => r["side"] === "und" && r["metric"] === m && r["run"] === run);
        data.push(
          ...lineWithBand(g, x, name, color, { ...axes, showlegend: firstPanel, ...(mi === 1 ? { line: { color, dash: "dot" } } : {}) }, opts.bands ?? true),
        );
      });
    });
  });
  runs.forEach((run, ri) => {
    const g = lossRows.filter((r) => r["run"] === run).sort((a, b) => Number(a[x]) - Number(b[x]));
    if (!g.length) return;
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${runs.length > 1 ? run + " " : ""}training loss`,
      x: g.map((r) => r[x]),
      y: g.map((r) => num(r["value"])),
      xaxis: "x3",
      yaxis: "y3",
      line: { color: "#555", width: 1.5 },
    });
  });
  const titles = ["(a) understanding", "(b) generation", ...(panels === 3 ? ["training loss"] : [])];
  const axis = (m: string | undefined) => (m ? AXIS.get(m) : null);
  const left = [axis(metrics[0])!, axis(metrics[0])!, ...(panels === 3 ? [AXIS.loss] : [])];
  const right = [axis(metrics[1]), axis(metrics[1]), ...(panels === 3 ? [null] : [])];
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Held-out curves while training (laid out as the paper's Fig. 8)" },
      ...panelLayout(titles, x, left, right),
      legend: { orientation: "h", y: -0.25 },
      margin: { t: 70, b: 80, l: 60, r: 60 },
    },
  };
}

/**
 * The joint-training oscillation, as the paper's Fig. 8: (a) understanding and (b) generation, accuracy
 * (blue, left axis) and MAD (red, right axis) against epoch. Columns: epoch, side, metric, value;
 * optional lo, hi.
 */
export function oscillation(t: Table, opts: { bands?: boolean; title?: string } = {}): Figure {
  need(t, ["epoch", "side", "metric", "value"], "oscillation");
  const rows = rowsOf(t);
  const data: Record<string, unknown>[] = [];
  (["und", "gen"] as const).forEach((side, si) => {
    const k = si === 0 ? "" : "2";
    for (const [metric, color, yaxis] of [
      ["accuracy", BLUES[0]!, `y${k}`],
      ["mad", REDS[0]!, `y${si + 3}`],
    ] as const) {
      const g = rows.filter((r) => r["side"] === side && r["metric"] === metric);
      if (!g.length) continue;
      const name = `${SIDE_NAME[side]} ${label(metric)}`;
      data.push(
        ...lineWithBand(g, "epoch", name, color, { xaxis: `x${k}`, yaxis, ...(metric === "mad" ? { line: { color, dash: "dot" } } : {}) }, opts.bands ?? false),
      );
    }
  });
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Joint und+gen training, per epoch (the paper's Fig. 8)" },
      ...panelLayout(["(a) understanding", "(b) generation"], "epoch", [AXIS.get("accuracy"), AXIS.get("accuracy")], [AXIS.get("mad"), AXIS.get("mad")]),
      legend: { orientation: "h", y: -0.2 },
      margin: { t: 70, b: 70, l: 60, r: 60 },
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
    // The joint bootstrap interval of the ratio, where the table has one (the paper reports none).
    const withCi = ok.every((r) => num(r["lo"]) !== null && num(r["hi"]) !== null) && t.columnNames().includes("lo");
    data.push({
      type: "bar",
      name,
      x: ok.map((r) => `${r["task"]} ${label(String(r["metric"]))}`),
      y: ok.map((r) => 100 * Number(r["strength"])),
      marker: { color: COLORS[i++ % COLORS.length] },
      hovertemplate: "%{x}: %{y:.0f}%<extra>" + name + "</extra>",
      ...(withCi
        ? {
            error_y: {
              type: "data",
              symmetric: false,
              array: ok.map((r) => 100 * (Number(r["hi"]) - Number(r["strength"]))),
              arrayminus: ok.map((r) => 100 * (Number(r["strength"]) - Number(r["lo"]))),
              color: "#333",
            },
          }
        : {}),
    });
  }
  const missing = rows.filter((r) => num(r["strength"]) === null).map((r) => `${r["task"]} ${r["metric"]} ${r["direction"]}`);
  return {
    data,
    layout: {
      title: {
        text:
          (opts.title ?? "Transfer strength (the paper's Table 6): gain from transfer / gain from direct training") +
          (missing.length ? `<br><sub>not drawn, direct training is not an upper bound there (see the paired Δs): ${missing.join("; ")}</sub>` : ""),
      },
      barmode: "group",
      xaxis: { title: { text: "task and metric" }, categoryorder: "array", categoryarray: cats },
      yaxis: { title: { text: "transfer strength (%)" }, zeroline: true, tickformat: ".0f", ticksuffix: "%" },
      shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, y0: 100, y1: 100, line: { color: "#444", dash: "dash", width: 1 } }],
      annotations: [
        { xref: "paper", x: 1, y: 100, text: "direct training (upper bound)", showarrow: false, xanchor: "right", yanchor: "bottom", font: { size: 10 } },
      ],
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
 * optional: colours the marker; paper optional: the paper's Δ for the row, a hollow diamond).
 */
export function pairedEffects(t: Table, opts: { title?: string; range?: Record<string, [number, number]>; height?: number } = {}): Figure {
  need(t, ["direction", "metric", "delta", "lo", "hi"], "pairedEffects");
  const rows = rowsOf(t);
  const metrics = [...new Set(rows.map((r) => String(r["metric"])))];
  const data: Record<string, unknown>[] = [];
  const title = wrapTitle(opts.title ?? "Paired effects against the base (Δ = tuned − base, 95% interval; the paper's Tables 2–5 as differences)");
  const layout: Record<string, unknown> = {
    title: { text: title },
    showlegend: false,
    margin: { t: 40 + 20 * title.split("<br>").length, b: 50, l: 90, r: 20 },
    grid: { rows: 1, columns: metrics.length, pattern: "independent" },
    shapes: [] as Record<string, unknown>[],
    ...(opts.height ? { height: opts.height } : {}),
  };
  // Green: an effect in the better direction (Δ > 0 for accuracy, Δ < 0 for MAD); red: the worse one;
  // grey: no effect shown. Mid-tones read on JupyterLab's light and dark themes alike.
  const color = (r: Row) => {
    if (r["verdict"] !== "positive" && r["verdict"] !== "negative") return "#8c8c8c";
    const up = r["verdict"] === "positive";
    const gain = r["better"] === "lower" || (r["better"] === undefined && LOWER_BETTER.has(String(r["metric"]))) ? !up : up;
    return gain ? "#2ca02c" : "#d62728";
  };
  // The directions in the table's order, whichever colour's trace draws them.
  const directions = [...new Set(rows.map((r) => String(r["direction"])))];
  metrics.forEach((m, i) => {
    const ax = i === 0 ? "" : String(i + 1);
    // An invisible point per direction at Δ = 0 in every panel: every panel lists every row (the labels sit
    // on the first panel only) and every x axis shows its zero line, the reference a forest plot is read against.
    data.push({
      type: "scatter",
      mode: "markers",
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      x: directions.map(() => 0),
      y: directions,
      marker: { opacity: 0 },
      hoverinfo: "skip",
      showlegend: false,
    });
    // One trace per colour: plotly colours a trace's whiskers with one colour, and its default (#444)
    // vanishes on a dark background.
    const inMetric = rows.filter((r) => r["metric"] === m);
    for (const c of [...new Set(inMetric.map(color))]) {
      const g = inMetric.filter((r) => color(r) === c);
      data.push({
        type: "scatter",
        mode: "markers",
        xaxis: `x${ax}`,
        yaxis: `y${ax}`,
        x: g.map((r) => num(r["delta"])),
        y: g.map((r) => String(r["direction"])),
        error_x: {
          type: "data",
          symmetric: false,
          array: g.map((r) => Number(r["hi"]) - Number(r["delta"])),
          arrayminus: g.map((r) => Number(r["delta"]) - Number(r["lo"])),
          color: c,
          thickness: 2,
        },
        marker: { size: 9, color: c },
        hovertemplate: `%{y}: Δ ${label(m)} %{x:.3f}<extra></extra>`,
      });
    }
    // The paper's Δ where a row carries one (a single run: a hollow marker, no interval).
    const withPaper = inMetric.filter((r) => typeof r["paper"] === "number" && Number.isFinite(r["paper"]));
    if (withPaper.length) {
      data.push({
        type: "scatter",
        mode: "markers",
        name: "the paper's Δ (one run, no interval)",
        xaxis: `x${ax}`,
        yaxis: `y${ax}`,
        x: withPaper.map((r) => r["paper"]),
        y: withPaper.map((r) => String(r["direction"])),
        marker: { size: 11, symbol: "diamond-open", color: "#1f77b4", line: { width: 2 } },
        showlegend: i === 0,
        hovertemplate: `%{y}: the paper's Δ ${label(m)} %{x:.3f}<extra></extra>`,
      });
      layout["showlegend"] = true;
      layout["legend"] = { orientation: "h", y: -0.2 };
    }
    layout[`xaxis${ax}`] = {
      title: { text: `Δ ${metricAxis(m)}` },
      ...(opts.range?.[m] ? { range: opts.range[m] } : {}),
      zeroline: true,
      zerolinecolor: "#444",
      // Three decimals: effects of a few thousandths (C.5) must not print as equal ticks.
      tickformat: ".3~f",
    };
    layout[`yaxis${ax}`] = { automargin: true, categoryorder: "array", categoryarray: directions, ...(i > 0 ? { showticklabels: false } : {}) };
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
    data.push({
      type: "scatter",
      mode: "lines",
      name: `${m} (shuffled scenes)`,
      x: g.map((r) => r["layer"]),
      y: g.map((r) => num(r["cka_shuffled"])),
      line: { color, dash: "dot" },
    });
  });
  return {
    data,
    layout: {
      title: { text: opts.title ?? "Representation sharing: linear CKA between the pathways' states of the same scenes (not in the paper)" },
      xaxis: { title: { text: "layer" }, dtick: 1 },
      yaxis: { title: { text: "linear CKA" }, range: [0, 1] },
      margin: { t: 60, b: 50, l: 60, r: 20 },
    },
  };
}

/**
 * Count read-out: the probe's R² per layer with its 95% interval, one line per model, solid for the
 * understanding pathway and dashed for generation canvases. Columns: model, pathway, layer, r2, lo, hi.
 */
export function readoutCurves(t: Table, opts: { title?: string } = {}): Figure {
  need(t, ["model", "pathway", "layer", "r2", "lo", "hi"], "readoutCurves");
  const rows = rowsOf(t);
  const models = [...new Set(rows.map((r) => String(r["model"])))];
  const data: Record<string, unknown>[] = [];
  models.forEach((m, i) => {
    const color = COLORS[i % COLORS.length]!;
    for (const pathway of ["understanding", "canvas"]) {
      const g = rows.filter((r) => r["model"] === m && r["pathway"] === pathway).sort((a, b) => Number(a["layer"]) - Number(b["layer"]));
      if (!g.length) continue;
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: `${m} — ${pathway === "canvas" ? "generation canvases" : "finished scenes (understanding)"}`,
        x: g.map((r) => r["layer"]),
        y: g.map((r) => num(r["r2"])),
        error_y: {
          type: "data",
          symmetric: false,
          array: g.map((r) => Number(r["hi"]) - Number(r["r2"])),
          arrayminus: g.map((r) => Number(r["r2"]) - Number(r["lo"])),
          color,
        },
        line: { color, dash: pathway === "canvas" ? "dash" : "solid" },
      });
    }
  });
  return {
    data,
    layout: {
      title: {
        text:
          opts.title ??
          "Count read-out: how much of the object count a linear probe reads from each layer's image states (R², 95% interval; 1 = exactly, 0 = no better than the mean)",
      },
      xaxis: { title: { text: "layer" }, dtick: 1 },
      yaxis: { title: { text: "probe R² on held-out items" }, range: [Math.min(0, ...rows.map((r) => Number(r["lo"]))), 1] },
      margin: { t: 60, b: 50, l: 60, r: 20 },
    },
  };
}

export function rankAblation(t: Table, opts: { metrics?: readonly string[]; title?: string } = {}): Figure {
  need(t, ["rank", "metric", "value"], "rankAblation");
  const metrics = opts.metrics ?? ["accuracy", "mad"];
  const rows = rowsOf(t);
  const ranks = [...new Set(rows.map((r) => Number(r["rank"])).filter((r) => r > 0))].sort((a, b) => a - b);
  const data: Record<string, unknown>[] = [];
  const shapes: Record<string, unknown>[] = [];
  metrics.forEach((m, i) => {
    const g = rows.filter((r) => r["metric"] === m && Number(r["rank"]) > 0).sort((a, b) => Number(a["rank"]) - Number(b["rank"]));
    if (!g.length) return;
    const color = COLORS[i % COLORS.length]!;
    const yaxis = i === 0 ? "y" : "y2";
    // Numeric positions, each metric shifted a little, so two metrics' error bars at one rank do not overlap.
    const shift = (i - (metrics.length - 1) / 2) * 0.08;
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: label(m),
      x: g.map((r) => ranks.indexOf(Number(r["rank"])) + shift),
      y: g.map((r) => num(r["value"])),
      yaxis,
      line: { color },
      ...(g.every((r) => num(r["lo"]) !== null)
        ? {
            error_y: {
              type: "data",
              symmetric: false,
              array: g.map((r) => Number(r["hi"]) - Number(r["value"])),
              arrayminus: g.map((r) => Number(r["value"]) - Number(r["lo"])),
              color,
            },
          }
        : {}),
    });
    const base = rows.find((r) => r["metric"] === m && Number(r["rank"]) === 0);
    if (base)
      shapes.push({
        type: "line",
        xref: "paper",
        x0: 0,
        x1: 1,
        yref: yaxis,
        y0: num(base["value"]),
        y1: num(base["value"]),
        line: { color, dash: "dash", width: 1 },
      });
  });
  return {
    data,
    layout: {
      title: { text: opts.title ?? "LoRA rank ablation of und→gen transfer (the paper's Table 12; dashed: baseline)" },
      xaxis: {
        title: { text: "LoRA rank" },
        tickvals: ranks.map((_, i) => i),
        ticktext: ranks.map(String),
        range: [-0.5, ranks.length - 0.5],
        zeroline: false,
      },
      yaxis: { ...AXIS.get(metrics[0]!), range: undefined, dtick: undefined },
      ...(metrics.length > 1 ? { yaxis2: { ...AXIS.get(metrics[1]!), overlaying: "y", side: "right" } } : {}),
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
 * Distribution shift (Table 11): Fréchet distance to the baseline's images per tuned model as bars from
 * zero, the baseline's own row (its images against other seeds: the seed-to-seed floor) as a dashed
 * reference line, and the Inception-style score per model on a second axis, also from zero.
 * Columns: model, fd_to_baseline, is.
 */
export function distributionShift(t: Table, opts: { title?: string } = {}): Figure {
  need(t, ["model", "fd_to_baseline", "is"], "distributionShift");
  const rows = rowsOf(t);
  const floor = rows.find((r) => r["model"] === "baseline");
  const tuned = rows.filter((r) => r !== floor);
  const shapes: Record<string, unknown>[] = [];
  const annotations: Record<string, unknown>[] = [];
  if (floor) {
    const y = num(floor["fd_to_baseline"]);
    shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: y, y1: y, line: { color: "#888", dash: "dash", width: 2 } });
    annotations.push({
      xref: "paper",
      x: 1,
      xanchor: "right",
      yref: "y",
      y,
      yanchor: "bottom",
      text: "seed-to-seed floor (the base against itself)",
      showarrow: false,
      font: { size: 11 },
    });
  }
  return {
    data: [
      {
        type: "bar",
        name: "Fréchet distance to the base's images",
        x: tuned.map((r) => r["model"]),
        y: tuned.map((r) => num(r["fd_to_baseline"])),
        marker: { color: COLORS[1] },
        yaxis: "y",
      },
      {
        type: "scatter",
        mode: "markers",
        name: "Inception-style score",
        x: rows.map((r) => r["model"]),
        y: rows.map((r) => num(r["is"])),
        marker: { color: COLORS[0], size: 12, symbol: "diamond" },
        yaxis: "y2",
      },
    ],
    layout: {
      title: {
        text:
          opts.title ??
          // Plotly does not wrap titles: the reading rule goes on its own line.
          "Distribution shift of generated images (the paper's Table 11)<br><sub>how far each tuned model's images moved from the base's: bars from zero; above the dashed floor = more than seed-to-seed variation</sub>",
      },
      yaxis: { title: { text: "Fréchet distance" }, rangemode: "tozero" },
      yaxis2: { title: { text: "Inception-style score" }, overlaying: "y", side: "right", rangemode: "tozero" },
      shapes,
      annotations,
      legend: { orientation: "h", y: -0.2 },
      margin: { t: 80, b: 70, l: 60, r: 60 },
    },
  };
}

export function traceCount(f: Figure): number {
  return f.data.filter((d) => d["hoverinfo"] !== "skip").length;
}

/** One image of an image grid: where it goes, the PNG (base64) and what is written under it. */
export interface GridImage {
  row: string;
  col: string;
  png: string;
  caption?: string;
  /** The verdict behind the caption's colour (green true, red false, grey none). */
  ok?: boolean | null;
}

// matplotlib's inferno in five stops (plotly.js names no such scale): dark is little attention, yellow much.
const INFERNO = [
  [0, "rgb(0,0,4)"],
  [0.25, "rgb(87,16,110)"],
  [0.5, "rgb(188,55,84)"],
  [0.75, "rgb(249,142,9)"],
  [1, "rgb(252,255,164)"],
];

const hiddenAxis = { showticklabels: false, showgrid: false, zeroline: false, ticks: "", showline: false };

/**
 * Generated images as a labelled grid (the paper's Figs. 2–3 and 5): one row per model × prompt, one
 * column per sampling seed, each image captioned (e.g. detected / asked count) and coloured by verdict.
 */
export function imageGrid(images: readonly GridImage[], opts: { title?: string; pixels?: number } = {}): Figure {
  const rows = [...new Set(images.map((c) => c.row))];
  const cols = [...new Set(images.map((c) => c.col))];
  const px = opts.pixels ?? 64;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: opts.title ?? "Generated images" },
    showlegend: false,
    margin: { t: 60, b: 10, l: 10, r: 10 },
    height: 90 + rows.length * 150,
    annotations: [] as unknown[],
  };
  const annotations = layout["annotations"] as Record<string, unknown>[];
  const cw = 1 / cols.length;
  const rh = 1 / rows.length;
  images.forEach((c, i) => {
    const r = rows.indexOf(c.row);
    const k = cols.indexOf(c.col);
    const n = i === 0 ? "" : String(i + 1);
    const x0 = k * cw + cw * 0.08;
    const y1 = 1 - r * rh - rh * 0.2;
    const y0 = 1 - (r + 1) * rh + rh * 0.12;
    layout[`xaxis${n}`] = { ...hiddenAxis, domain: [x0, (k + 1) * cw - cw * 0.08], range: [0, px], anchor: `y${n}` };
    layout[`yaxis${n}`] = { ...hiddenAxis, domain: [y0, y1], range: [px, 0], anchor: `x${n}`, scaleanchor: `x${n}` };
    data.push({ type: "image", source: `data:image/png;base64,${c.png}`, xaxis: `x${n}`, yaxis: `y${n}`, hoverinfo: "skip" });
    if (c.caption)
      annotations.push({
        text: c.caption,
        xref: "paper",
        yref: "paper",
        x: (k + 0.5) * cw,
        y: y0,
        yanchor: "top",
        showarrow: false,
        font: { size: 11, color: c.ok === true ? "#2ca02c" : c.ok === false ? "#d62728" : "#555" },
      });
  });
  rows.forEach((row, r) =>
    annotations.push({
      text: `<b>${row}</b>`,
      xref: "paper",
      yref: "paper",
      x: 0,
      y: 1 - r * rh,
      xanchor: "left",
      yanchor: "top",
      showarrow: false,
      font: { size: 12 },
    }),
  );
  cols.forEach((col, k) =>
    annotations.push({
      text: col,
      xref: "paper",
      yref: "paper",
      x: (k + 0.5) * cw,
      y: 1,
      yanchor: "bottom",
      showarrow: false,
      font: { size: 11, color: "#555" },
    }),
  );
  return { data, layout };
}

/**
 * Attention maps (the paper's Fig. 10): per model, the generated image with the prompt token's attention
 * over the image tokens laid on it, one shared colour scale (so models compare) and its colour bar.
 */
export function attentionMaps(
  panels: readonly { model: string; png: string; map: ArrayLike<number> }[],
  opts: { token: string; step: number; layers: number; grid?: [number, number]; title?: string },
): Figure {
  const [gc, gr] = opts.grid ?? [8, 8];
  const all = panels.flatMap((p) => Array.from(p.map));
  const zmin = Math.min(...all);
  const zmax = Math.max(...all);
  const n = panels.length;
  const gap = 0.06;
  const w = (1 - gap * (n - 1) - 0.08) / n;
  const data: Record<string, unknown>[] = [];
  const images: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: {
      text:
        opts.title ?? `Attention of "${opts.token}" over the image tokens (mean of ${opts.layers} layers, denoising step ${opts.step}; the paper's Fig. 10)`,
    },
    margin: { t: 80, b: 20, l: 20, r: 20 },
    height: 380,
    annotations: [] as unknown[],
  };
  panels.forEach((p, i) => {
    const k = i === 0 ? "" : String(i + 1);
    const x0 = i * (w + gap);
    layout[`xaxis${k}`] = { ...hiddenAxis, domain: [x0, x0 + w], range: [-0.5, gc - 0.5], anchor: `y${k}` };
    layout[`yaxis${k}`] = { ...hiddenAxis, range: [gr - 0.5, -0.5], anchor: `x${k}`, scaleanchor: `x${k}` };
    images.push({
      source: `data:image/png;base64,${p.png}`,
      xref: `x${k}`,
      yref: `y${k}`,
      x: -0.5,
      y: -0.5,
      sizex: gc,
      sizey: gr,
      sizing: "stretch",
      layer: "below",
    });
    const z = Array.from({ length: gr }, (_, r) => Array.from({ length: gc }, (_, c) => p.map[r * gc + c]!));
    data.push({
      type: "heatmap",
      z,
      xaxis: `x${k}`,
      yaxis: `y${k}`,
      colorscale: INFERNO,
      zmin,
      zmax,
      opacity: 0.6,
      showscale: i === n - 1,
      colorbar: { title: { text: "attention" }, len: 0.8 },
      hovertemplate: "token (%{x}, %{y}): %{z:.3f}<extra>" + p.model + "</extra>",
    });
    (layout["annotations"] as unknown[]).push({
      text: `<b>${p.model === "base" ? "base model" : `adapter ${p.model}`}</b>`,
      xref: "paper",
      yref: "paper",
      x: x0 + w / 2,
      y: 1.02,
      yanchor: "bottom",
      showarrow: false,
    });
  });
  layout["images"] = images;
  return { data, layout };
}

const STATE_COLOR: Record<string, string> = {
  new: "#bbbbbb",
  queued: "#9ecae1",
  running: "#ff7f0e",
  interrupted: "#fdae6b",
  failed: "#d62728",
  finished: "#2ca02c",
};

/**
 * A sweep's points as a grid of cells coloured by state (new, queued, running, interrupted, failed,
 * finished), each labelled with its point and progress. Columns: point, run, state, step, steps.
 */
export function sweepGrid(t: Table, opts: { title?: string; columns?: number } = {}): Figure {
  need(t, ["point", "run", "state", "step", "steps"], "sweepGrid");
  const rows = rowsOf(t);
  const cols = opts.columns ?? Math.min(8, Math.max(1, Math.ceil(Math.sqrt(rows.length * 2))));
  const states = Object.keys(STATE_COLOR);
  return {
    data: states.map((state) => {
      const g = rows.filter((r) => r["state"] === state);
      return {
        type: "scatter",
        mode: "markers+text",
        name: state,
        x: g.map((r) => Number(r["point"]) % cols),
        y: g.map((r) => Math.floor(Number(r["point"]) / cols)),
        text: g.map((r) => `${r["point"]}: ${r["step"]}/${r["steps"]}`),
        textposition: "bottom center",
        marker: { symbol: "square", size: 28, color: STATE_COLOR[state] },
        customdata: g.map((r) => r["run"]),
        hovertemplate: "%{customdata}: %{text}<extra>" + state + "</extra>",
      };
    }),
    layout: {
      title: { text: opts.title ?? "Sweep" },
      xaxis: { visible: false, range: [-0.6, cols - 0.4] },
      yaxis: { visible: false, autorange: "reversed" },
      legend: { orientation: "h", y: -0.05 },
      height: 140 + 70 * Math.ceil(rows.length / cols),
      margin: { t: 50, b: 40, l: 10, r: 10 },
    },
  };
}
