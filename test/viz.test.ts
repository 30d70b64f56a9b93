// Figure builders on hand-made tables: trace counts, axes, values, bands; the report page; attention
// overlays.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as aq from "arquero";
import sharp from "sharp";
import * as V from "../src/viz";
import { createImage } from "../src/tasks";

const curves = aq.from([
  { run: "r", step: 0, side: "und", metric: "accuracy", value: 0.1, lo: 0.05, hi: 0.15 },
  { run: "r", step: 10, side: "und", metric: "accuracy", value: 0.2, lo: 0.15, hi: 0.25 },
  { run: "r", step: 0, side: "gen", metric: "accuracy", value: 0.3, lo: 0.2, hi: 0.4 },
  { run: "r", step: 10, side: "gen", metric: "accuracy", value: 0.35, lo: 0.25, hi: 0.45 },
  { run: "r", step: 0, side: "und", metric: "mad", value: 3, lo: 2.5, hi: 3.5 },
  { run: "r", step: 10, side: "und", metric: "mad", value: 2, lo: 1.5, hi: 2.5 },
  { run: "r", step: 5, side: "train", metric: "loss", value: 1.2, lo: null, hi: null },
]);

test("trainingCurves: Fig. 8's layout — per side, accuracy on the left axis and MAD (objects) on the right, 95% bands, the loss panel on the right", () => {
  const f = V.trainingCurves(curves);
  const lines = f.data.filter((d) => d["mode"] === "lines+markers");
  const bands = f.data.filter((d) => d["fill"] === "toself");
  assert.equal(lines.length, 3, "und accuracy, und MAD, gen accuracy");
  assert.equal(bands.length, 3);
  assert.equal(V.traceCount(f), 4, "and the training loss");
  const loss = f.data.find((d) => d["name"] === "training loss")!;
  assert.deepEqual([loss["xaxis"], loss["x"], loss["y"]], ["x3", [5], [1.2]]);
  assert.ok(f.layout["xaxis3"], "three panels with the loss");
  assert.equal(V.trainingCurves(curves, { loss: false }).layout["xaxis3"], undefined, "two without");
  // Accuracy and MAD never share an axis: MAD is on a right axis overlaying its panel's accuracy axis.
  const undMad = lines.find((d) => d["xaxis"] === "x" && d["name"] === "MAD")!;
  assert.equal(undMad["yaxis"], "y4");
  const madAxis = f.layout["yaxis4"] as { overlaying: string; side: string };
  assert.deepEqual([madAxis.overlaying, madAxis.side], ["y", "right"]);
  assert.match(JSON.stringify(f.layout["yaxis5"]), /MAD \(objects\)/, "the MAD axis has its unit (written once, on the last panel)");
  assert.deepEqual((f.layout["yaxis"] as { range: number[] }).range, [0, 1], "accuracy on 0..1");
  assert.match(JSON.stringify(f.layout["title"]), /Fig\. 8/);
  const undAcc = lines.find((d) => d["xaxis"] === "x" && d["name"] === "accuracy")!;
  assert.deepEqual(undAcc["x"], [0, 10]);
  assert.deepEqual(undAcc["y"], [0.1, 0.2]);
  const genAcc = lines.find((d) => d["xaxis"] === "x2")!;
  assert.deepEqual(genAcc["y"], [0.3, 0.35]);
  const band = bands.find((d) => d["xaxis"] === "x" && d["legendgroup"] === "accuracy")!;
  assert.deepEqual(band["y"], [0.15, 0.25, 0.15, 0.05], "hi forward, lo backward: a closed polygon");
  assert.match(JSON.stringify(f.layout["annotations"]), /\(b\) generation/);
  assert.equal(V.trainingCurves(curves, { bands: false }).data.filter((d) => d["fill"]).length, 0);
  assert.throws(() => V.trainingCurves(aq.from([{ step: 1 }])), /trainingCurves: the table lacks column\(s\) run, side, metric, value/);
});

test("oscillation: the paper's Fig. 8 — (a) understanding, (b) generation, accuracy left and MAD right, against epoch", () => {
  const t = aq.from([
    { epoch: 0, side: "und", metric: "accuracy", value: 0.2 },
    { epoch: 1, side: "und", metric: "accuracy", value: 0.3 },
    { epoch: 0, side: "gen", metric: "accuracy", value: 0.5 },
    { epoch: 1, side: "gen", metric: "accuracy", value: 0.4 },
    { epoch: 0, side: "gen", metric: "mad", value: 1.1 },
    { epoch: 1, side: "gen", metric: "mad", value: 1.3 },
  ]);
  const f = V.oscillation(t);
  assert.equal(f.data.length, 3);
  assert.deepEqual(
    f.data.map((d) => [d["xaxis"], d["yaxis"]]),
    [
      ["x", "y"],
      ["x2", "y2"],
      ["x2", "y4"],
    ],
  );
  assert.deepEqual(f.data[1]!["y"], [0.5, 0.4]);
  assert.deepEqual(
    f.data.map((d) => (d["line"] as { color: string }).color),
    ["#1f77b4", "#1f77b4", "#d62728"],
    "blue accuracy, red MAD, as in the paper",
  );
  assert.equal((f.layout["xaxis"] as { title: { text: string } }).title.text, "epoch");
  assert.equal((f.layout["yaxis4"] as { overlaying: string }).overlaying, "y2");
});

test("transferStrengthBars: a bar trace per direction, in percent, with the 100% upper bound", () => {
  const t = aq.from([
    { task: "counting", direction: "und→gen", metric: "accuracy", strength: 1.0 },
    { task: "counting", direction: "gen→und", metric: "accuracy", strength: 0.229 },
    { task: "spatial", direction: "und→gen", metric: "accuracy", strength: 0.538 },
    { task: "spatial", direction: "gen→und", metric: "accuracy", strength: null },
  ]);
  const f = V.transferStrengthBars(t);
  assert.equal(f.data.length, 2);
  const ug = f.data.find((d) => d["name"] === "und→gen")!;
  assert.deepEqual(
    (ug["y"] as number[]).map((x) => +x.toFixed(6)),
    [100, 53.8],
  );
  const gu = f.data.find((d) => d["name"] === "gen→und")!;
  assert.deepEqual(gu["x"], ["counting accuracy"], "a null strength is left out…");
  assert.match(JSON.stringify(f.layout["title"]), /spatial accuracy gen→und/, "…and named in the subtitle");
  assert.equal(ug["error_y"], undefined, "no interval in the table, no error bars");
  const withCi = V.transferStrengthBars(aq.from([{ task: "counting", direction: "und→gen", metric: "accuracy", strength: 0.5, lo: 0.2, hi: 0.9 }]));
  assert.deepEqual(
    (withCi.data[0]!["error_y"] as { array: number[]; arrayminus: number[] }).array.map((x) => +x.toFixed(6)),
    [40],
  );
  assert.deepEqual(
    (withCi.data[0]!["error_y"] as { array: number[]; arrayminus: number[] }).arrayminus.map((x) => +x.toFixed(6)),
    [30],
  );
  assert.equal((f.layout["shapes"] as { y0: number }[])[0]!.y0, 100);
});

test("rankAblation: values against rank with error bars and the baseline as a dashed line", () => {
  const t = aq.from([
    { rank: 0, metric: "accuracy", value: 0.48, lo: null, hi: null },
    { rank: 8, metric: "accuracy", value: 0.519, lo: 0.5, hi: 0.54 },
    { rank: 32, metric: "accuracy", value: 0.53, lo: 0.51, hi: 0.55 },
    { rank: 0, metric: "mad", value: 1.11, lo: null, hi: null },
    { rank: 8, metric: "mad", value: 1.01, lo: 0.9, hi: 1.1 },
    { rank: 32, metric: "mad", value: 0.95, lo: 0.85, hi: 1.05 },
  ]);
  const f = V.rankAblation(t);
  assert.equal(f.data.length, 2);
  assert.deepEqual(f.data[0]!["x"], [-0.04, 0.96], "rank positions, each metric offset so error bars do not overlap");
  assert.deepEqual(f.data[1]!["x"], [0.04, 1.04]);
  assert.deepEqual((f.layout["xaxis"] as { ticktext: string[] }).ticktext, ["8", "32"]);
  assert.deepEqual(
    (f.data[0]!["error_y"] as { array: number[] }).array.map((x) => +x.toFixed(3)),
    [0.021, 0.02],
  );
  assert.deepEqual(
    (f.layout["shapes"] as { y0: number }[]).map((s) => s.y0),
    [0.48, 1.11],
  );
});

test("comparisonTable and distributionShift", () => {
  const t = aq.from([
    { model: "baseline", fd_to_baseline: 2.5, is: 3.1 },
    { model: "und→gen", fd_to_baseline: 52.9, is: 3.0 },
  ]);
  const c = V.comparisonTable(t, { digits: 1 });
  assert.equal(c.data[0]!["type"], "table");
  assert.deepEqual((c.data[0]!["cells"] as { values: string[][] }).values[1], ["2.5", "52.9"]);
  const d = V.distributionShift(t);
  assert.equal(d.data.length, 2);
  assert.deepEqual(d.data[0]!["y"], [52.9], "a bar per tuned model");
  const layout = d.layout as { yaxis: Record<string, unknown>; shapes: { y0: number; line: { dash: string } }[] };
  assert.notEqual(layout.yaxis["type"], "log", "bars on a log axis do not start at zero");
  assert.equal(layout.yaxis["rangemode"], "tozero");
  assert.deepEqual(
    layout.shapes.map((s) => [s.y0, s.line.dash]),
    [[2.5, "dash"]],
    "the baseline's seed-to-seed floor is a reference line, not a bar",
  );
});

test("no figure with bars draws them from a non-zero baseline", () => {
  const shift = V.distributionShift(
    aq.from([
      { model: "baseline", fd_to_baseline: 0.97, is: 3 },
      { model: "und→gen", fd_to_baseline: 2.3, is: 3 },
    ]),
  );
  const strength = V.transferStrengthBars(
    aq.from([{ source: "paper", model: "m", task: "counting", metric: "accuracy", direction: "und→gen", strength: 1, lo: 0.5, hi: 1.5 }]),
  );
  for (const f of [shift, strength]) {
    const layout = f.layout as Record<string, Record<string, unknown> | undefined>;
    for (const trace of f.data.filter((x) => x["type"] === "bar")) {
      const axis = layout[`yaxis${String(trace["yaxis"] ?? "y").slice(1)}`] ?? {};
      const range = axis["range"] as number[] | undefined;
      // plotly's autorange for bars includes 0 on a linear axis; a log axis or a range above 0 does not.
      assert.ok(axis["type"] !== "log" && (!range || range[0]! <= 0) && axis["rangemode"] !== "nonnegative", JSON.stringify(axis));
    }
  }
});

test("htmlReport inlines plotly (no network) and a table for every figure", () => {
  const html = V.htmlReport("R", [
    { kind: "figure", title: "curves", figure: V.trainingCurves(curves), table: curves },
    { kind: "table", table: curves },
  ]);
  const outsideScripts = html.replace(/<script>[\s\S]*?<\/script>/g, "");
  assert.ok(!/<script[^>]+src=/.test(html), "no external scripts");
  assert.ok(!/https?:\/\//.test(outsideScripts), "no links outside the inlined code");
  assert.match(html, /Plotly\.newPlot\("fig0"/);
  assert.ok(html.length > 1_000_000, "plotly.js is inlined");
  assert.match(html, /<details><summary>numbers<\/summary>/);
});

test("pairedEffects: a row's paper Δ is a hollow marker beside its interval (Table 1 in miniature), named in the legend", () => {
  const rows = [
    {
      direction: "shared-unified (Lumina-DiMOO): und→gen",
      metric: "accuracy",
      delta: 0.01,
      lo: -0.04,
      hi: 0.05,
      verdict: "null",
      better: "higher",
      paper: 0.09,
    },
    { direction: "mot (BAGEL): und→gen", metric: "accuracy", delta: 0.03, lo: 0.01, hi: 0.06, verdict: "positive", better: "higher", paper: 0.05 },
    { direction: "toy: und→gen", metric: "accuracy", delta: 0, lo: -0.01, hi: 0.01, verdict: "null", better: "higher", paper: null },
  ];
  const f = V.pairedEffects(aq.from(rows));
  const paper = (f.data as { name?: string; x: number[]; y: string[]; marker: { symbol?: string } }[]).filter(
    (d) => d.name === "the paper's Δ (one run, no interval)",
  );
  assert.equal(paper.length, 1);
  assert.deepEqual(paper[0]!.x, [0.09, 0.05], "only rows with a paper Δ");
  assert.deepEqual(paper[0]!.y, [rows[0]!.direction, rows[1]!.direction]);
  assert.equal(paper[0]!.marker.symbol, "diamond-open");
  assert.equal(f.layout["showlegend"], true);
  const plain = V.pairedEffects(aq.from(rows.map(({ paper: _p, ...r }) => r)));
  assert.equal(plain.layout["showlegend"], false, "no paper column: no legend, no extra marker");
  assert.equal((plain.data as { name?: string }[]).filter((d) => d.name).length, 0);
});

test("pairedEffects: one panel per metric, intervals as error bars, gains green whichever way the metric runs", () => {
  const t = aq.from([
    { direction: "und→gen", metric: "accuracy", delta: -0.01, lo: -0.05, hi: 0.04, verdict: "null", better: "higher" },
    { direction: "gen→gen", metric: "accuracy", delta: 0.08, lo: 0.02, hi: 0.13, verdict: "positive", better: "higher" },
    { direction: "gen→gen", metric: "mad", delta: -0.3, lo: -0.5, hi: -0.1, verdict: "negative", better: "lower" },
    { direction: "gen→und", metric: "mad", delta: 0.05, lo: 0.01, hi: 0.1, verdict: "positive", better: "lower" },
  ]);
  const f = V.pairedEffects(t);
  type Trace = { xaxis: string; x: number[]; y: string[]; error_x: { array: number[]; arrayminus: number[]; color: string }; marker: { color: string } };
  // The drawn effects; beside them, each panel's invisible anchor row lists every direction at Δ = 0.
  const traces = (f.data as (Trace & { hoverinfo?: string })[]).filter((d) => d.hoverinfo !== "skip");
  const anchors = (f.data as (Trace & { hoverinfo?: string })[]).filter((d) => d.hoverinfo === "skip");
  assert.deepEqual(
    anchors.map((d) => [d.xaxis, d.y, d.x]),
    [
      ["x", ["und→gen", "gen→gen", "gen→und"], [0, 0, 0]],
      ["x2", ["und→gen", "gen→gen", "gen→und"], [0, 0, 0]],
    ],
    "every panel lists every row and reaches Δ = 0",
  );
  const at = (xaxis: string, direction: string) => traces.find((d) => d.xaxis === xaxis && d.y.includes(direction))!;
  assert.equal(new Set(traces.map((d) => d.xaxis)).size, 2, "one panel per metric");
  assert.equal(at("x", "und→gen").marker.color, "#8c8c8c");
  assert.equal(at("x", "gen→gen").marker.color, "#2ca02c");
  assert.equal(at("x2", "gen→gen").marker.color, "#2ca02c", "a fall in MAD is a gain");
  assert.equal(at("x2", "gen→und").marker.color, "#d62728", "a rise in MAD is a loss");
  for (const d of traces) assert.equal(d.error_x.color, d.marker.color, "whiskers carry their point's colour (the default #444 vanishes on a dark theme)");
  const gain = at("x", "gen→gen");
  assert.ok(Math.abs(gain.error_x.array[0]! - 0.05) < 1e-12 && Math.abs(gain.error_x.arrayminus[0]! - 0.06) < 1e-12);
  assert.deepEqual((f.layout["yaxis"] as { categoryarray: string[] }).categoryarray, ["und→gen", "gen→gen", "gen→und"], "rows keep the table's order");
  const s = V.sharingCurves(
    aq.from([
      { model: "base", layer: 0, cka: 0.8, cka_shuffled: 0.02 },
      { model: "base", layer: 1, cka: 0.5, cka_shuffled: 0.03 },
    ]),
  );
  assert.equal(s.data.length, 2);
  assert.deepEqual((s.data[0] as { y: number[] }).y, [0.8, 0.5]);
  assert.throws(() => V.pairedEffects(aq.from([{ direction: "x" }])), /pairedEffects: the table lacks column\(s\) metric, delta, lo, hi/);
});

test("htmlReport embeds hostile strings as data, never as markup or script", () => {
  const evil = "</script><script>window.__pwned = 1</script>\u2028<!--";
  const t = aq.from([
    { run: evil, step: 1, side: "gen", metric: "accuracy", value: 0.5, lo: 0.4, hi: 0.6 },
    { run: evil, step: 2, side: "gen", metric: "accuracy", value: 0.6, lo: 0.5, hi: 0.7 },
  ]);
  const html = V.htmlReport(
    evil,
    [
      { kind: "heading", text: evil },
      { kind: "figure", title: evil, figure: V.trainingCurves(t, { title: evil }), table: t },
    ],
    { inlinePlotly: false },
  );
  // Only our own <script> element opens, and nothing the data holds closes it.
  assert.equal(html.match(/<script>/g)!.length, 1);
  assert.equal(html.match(/<\/script>/g)!.length, 1);
  assert.ok(!html.includes("<!--"));
  // The embedded JSON reads back as the same strings.
  const script = html.slice(html.indexOf("<script>") + 8, html.indexOf("</script>"));
  const calls: unknown[][] = [];
  new Function("Plotly", script)({ newPlot: (...a: unknown[]) => calls.push(a) });
  assert.equal(JSON.stringify(calls[0]![2]).includes(JSON.stringify(evil).slice(1, -1)), true, "the title reads back");
  assert.deepEqual(JSON.parse(V.scriptJson({ s: evil })), { s: evil });
});

test("attentionPng lays the heat map over the image and shows the map beside it", async () => {
  const img = createImage(64, 64);
  const map = new Float32Array(64);
  map[9] = 1; // row 1, column 1 of the 8×8 token grid
  const png = await V.attentionPng([{ image: img, map }], { scale: 2, gap: 4 });
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, 4 + 2 * (128 + 4) + 4);
  const px = (x: number, y: number) => [...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3)];
  // The map panel: the attended token is the ramp's top (pale yellow), the others its bottom (black).
  const mapX = 4 + 128 + 4;
  assert.deepEqual(px(mapX + 16 * 1 + 8, 4 + 16 * 1 + 8), [252, 255, 164]);
  assert.deepEqual(px(mapX + 16 * 5 + 8, 4 + 16 * 5 + 8), [0, 0, 4]);
});

test("imageGrid and attentionMaps: labelled images (caption coloured by verdict), one shared colour scale with its bar", () => {
  const png = "iVBORw0KGgo=";
  const g = V.imageGrid([
    { row: "base: five circles", col: "seed 0", png, caption: "5 of 5 ✓", ok: true },
    { row: "base: five circles", col: "seed 1", png, caption: "4 of 5 ✗", ok: false },
    { row: "und: five circles", col: "seed 0", png },
  ]);
  assert.deepEqual(
    g.data.map((d) => [d["type"], d["xaxis"]]),
    [
      ["image", "x"],
      ["image", "x2"],
      ["image", "x3"],
    ],
  );
  const notes = g.layout["annotations"] as { text: string; font: { color?: string } }[];
  assert.deepEqual(
    notes.filter((a) => /of 5/.test(a.text)).map((a) => a.font.color),
    ["#2ca02c", "#d62728"],
  );
  assert.ok(notes.some((a) => a.text === "<b>und: five circles</b>") && notes.some((a) => a.text === "seed 1"));
  const a = V.attentionMaps(
    [
      { model: "base", png, map: Array.from({ length: 64 }, (_, i) => i / 64) },
      { model: "r1", png, map: Array.from({ length: 64 }, () => 0.5) },
    ],
    { token: "circles", step: 2, layers: 4 },
  );
  assert.deepEqual(
    a.data.map((d) => [d["zmin"], d["zmax"], d["showscale"]]),
    [
      [0, 63 / 64, false],
      [0, 63 / 64, true],
    ],
    "one scale for both models, one colour bar",
  );
  assert.deepEqual((a.data[0]!["z"] as number[][])[1]![0], 8 / 64, "row-major 8×8 tokens");
  assert.match(JSON.stringify(a.layout), /adapter r1/);
  assert.match((a.layout["title"] as { text: string }).text, /"circles".*4 layers.*step 2/);
});

test("sweepGrid: one cell per point, coloured by state, labelled with its progress", () => {
  const t = aq.from([
    { point: 0, run: "a", state: "finished", step: 5, steps: 5 },
    { point: 1, run: "b", state: "running", step: 2, steps: 5 },
    { point: 2, run: "c", state: "queued", step: 0, steps: 5 },
  ]);
  const f = V.sweepGrid(t, { columns: 2 });
  const running = f.data.find((d) => d["name"] === "running")!;
  assert.deepEqual([running["x"], running["y"], running["text"]], [[1], [0], ["1: 2/5"]]);
  const queued = f.data.find((d) => d["name"] === "queued")!;
  assert.deepEqual([queued["x"], queued["y"]], [[0], [1]], "row-major, two columns");
  assert.deepEqual((f.data.find((d) => d["name"] === "finished")!["marker"] as { color: string }).color, "#2ca02c");
});

test("the figure builders load without the engine, sharp or tesseract (src/core holds the shared helpers)", () => {
  const { spawnSync } = require("node:child_process") as typeof import("node:child_process");
  const code = `require(${JSON.stringify(require.resolve("../src/viz/figures"))}); const heavy = Object.keys(require.cache).filter((k) => /onnxruntime|sharp|tesseract/.test(k)); process.stdout.write(JSON.stringify(heavy));`;
  const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), []);
});

test("a report's title is the notebook's first heading, not its file name", () => {
  const nb = {
    nbformat: 4,
    cells: [
      { cell_type: "code", source: "# a comment, not a heading" },
      { cell_type: "markdown", source: ["Intro\n", "## Where transfer appears\n"] },
    ],
  };
  assert.equal(V.notebookTitle(nb), "Where transfer appears");
  assert.equal(V.notebookTitle({ nbformat: 4, cells: [] }), undefined);
  assert.match(V.notebookHtml(nb, V.notebookTitle(nb)!), /<h1>Where transfer appears<\/h1>/);
});
