// A self-contained HTML report: headings, text, tables, plotly figures and PNG images in one file. The
// plotly.js bundle is inlined from node_modules (no CDN), so the page renders offline; every figure
// also lists its numbers in a table, for readers without JavaScript.

import { scriptJson } from "./script-json";
import { escapeHtml as esc } from "../core/text";
import * as fs from "node:fs";
import { Table, tableFormat } from "../core/table-format";
import type { Figure } from "./figures";

export type Section =
  | { kind: "heading"; text: string }
  | { kind: "text"; text: string }
  | { kind: "table"; title?: string; table: Table; digits?: number }
  | { kind: "figure"; title?: string; figure: Figure; table?: Table }
  | { kind: "image"; title?: string; png: Buffer; alt: string; width?: number };

function plotlySource(): string {
  return fs.readFileSync(require.resolve("plotly.js-dist-min/plotly.min.js"), "utf8");
}

function tableHtml(t: Table, digits = 3): string {
  return t.toHTML({ limit: 200, format: tableFormat(t, digits) });
}

/** Renders sections to one HTML document (a string). */
export function htmlReport(title: string, sections: readonly Section[], opts: { inlinePlotly?: boolean } = {}): string {
  const body: string[] = [];
  let n = 0;
  const figures: string[] = [];
  for (const s of sections) {
    if (s.kind === "heading") body.push(`<h2>${esc(s.text)}</h2>`);
    else if (s.kind === "text") body.push(`<p>${esc(s.text)}</p>`);
    else if (s.kind === "table") body.push(`${s.title ? `<h3>${esc(s.title)}</h3>` : ""}<div class="tbl">${tableHtml(s.table, s.digits)}</div>`);
    else if (s.kind === "image")
      body.push(
        `${s.title ? `<h3>${esc(s.title)}</h3>` : ""}<img alt="${esc(s.alt)}" src="data:image/png;base64,${s.png.toString("base64")}"${s.width ? ` width="${s.width}"` : ""}>`,
      );
    else {
      const id = `fig${n++}`;
      body.push(
        `${s.title ? `<h3>${esc(s.title)}</h3>` : ""}<div class="plot" id="${id}" data-traces="${s.figure.data.length}"></div>${s.table ? `<details><summary>numbers</summary><div class="tbl">${tableHtml(s.table)}</div></details>` : ""}`,
      );
      figures.push(
        `Plotly.newPlot(${scriptJson(id)}, ${scriptJson(s.figure.data)}, ${scriptJson({ ...s.figure.layout, autosize: true })}, {responsive: true, displaylogo: false});`,
      );
    }
  }
  const plotly = figures.length && opts.inlinePlotly !== false ? `<script>${plotlySource()}</script>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 8px}th{background:#eef2f8}
.plot{width:100%;height:420px}.tbl{overflow-x:auto}img{image-rendering:pixelated;max-width:100%}
</style></head><body>
<h1>${esc(title)}</h1>
${body.join("\n")}
${plotly}
<script>${figures.join("\n")}</script>
</body></html>
`;
}
