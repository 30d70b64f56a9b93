// Pages that render saved widget state offline: the standalone renderer bundle (widgets/standalone:
// @jupyter-widgets/html-manager + our figure views + plotly.js) is inlined, so nothing is fetched.
// `notebookHtml` turns an executed notebook (nbformat 4) into such a page: markdown, code, and each
// output as its richest form — a live widget view when the notebook saved its state, else PNG, HTML
// or text.

import { isObject } from "../core/data-file";
import sanitizeHtml from "sanitize-html";
import { TaskError } from "../core/errors";
import { escapeHtml as esc } from "../core/text";
import { scriptJson } from "./script-json";
import * as fs from "node:fs";
import * as path from "node:path";
import { packageRoot } from "../core/paths";

export const WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json";
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

/** The widget module of TransferLab's figures (widgets/src/version.ts). */
export const FIGURE_MODULE = "@transferlab/widgets";
export const FIGURE_VERSION = "0.1.0";

/**
 * A finished chart's durable output: the plotly figure itself ({figure, title}), which the JupyterLab
 * extension draws without a kernel or widget state (widgets/src/mime.ts) and reports draw like a saved
 * widget. A figure is data, not script, so it renders in untrusted and sanitized pages too.
 */
export const FIGURE_MIME = "application/vnd.transferlab.figure+json";

/** A durable figure as a saved FigureModel entry, so the one renderer draws both kinds of output. */
export function durableEntry(figure: unknown): WidgetStateEntry {
  const names = {
    _model_name: "FigureModel",
    _model_module: FIGURE_MODULE,
    _model_module_version: FIGURE_VERSION,
    _view_name: "FigureView",
    _view_module: FIGURE_MODULE,
    _view_module_version: FIGURE_VERSION,
  };
  return {
    model_name: "FigureModel",
    model_module: FIGURE_MODULE,
    model_module_version: FIGURE_VERSION,
    state: { ...names, figure, rows: [], columns: [], hidden: [] },
  };
}

export interface WidgetStateEntry {
  model_name: string;
  model_module: string;
  model_module_version: string;
  state: Record<string, unknown>;
}

export function standaloneBundlePath(): string {
  return path.join(packageRoot(), "widgets", "standalone", "transferlab-widgets.js");
}

function bundle(): string {
  const file = standaloneBundlePath();
  if (!fs.existsSync(file))
    throw new Error(`the standalone widget renderer is missing (${file}); build it with: npm ci --prefix widgets && npm run build --prefix widgets`);
  // A literal "</script>" inside the inlined code would end the tag early.
  return fs.readFileSync(file, "utf8").replace(/<\/script/gi, "<\\/script");
}

const json = scriptJson;

/** A view placeholder the renderer replaces with the live view (the fallback shows until it does). */
export function viewTag(modelId: string, fallbackHtml = ""): string {
  return `<div class="widget-output">${fallbackHtml ? `<div class="widget-fallback">${fallbackHtml}</div>` : ""}<script type="${WIDGET_VIEW_MIME}">${json({ model_id: modelId, version_major: 2, version_minor: 1 })}</script></div>`;
}

/** A self-contained page: body HTML (with viewTag placeholders) plus the saved widget state. */
export function widgetPage(title: string, bodyHtml: string, state: Record<string, WidgetStateEntry>): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f6f8fa;padding:.6em;overflow-x:auto;font-size:13px}.cell{margin:1em 0}.input pre{border-left:3px solid #9ab}
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;padding:3px 8px}
img{max-width:100%;image-rendering:pixelated}.error pre{background:#fdecea}
.widget-output .widget-fallback{display:block}.widget-output.widget-rendered .widget-fallback{display:none}
</style></head><body>
<h1>${esc(title)}</h1>
${bodyHtml}
<script type="${WIDGET_STATE_MIME}">${json({ version_major: 2, version_minor: 0, state })}</script>
<script>${bundle()}</script>
<script>document.body.classList.add("widgets-ready")</script>
</body></html>
`;
}

function markdownHtml(src: string): string {
  // Headings, emphasis, inline code and paragraphs: enough for teaching notebooks' prose.
  return src
    .split(/\n{2,}/)
    .map((block) => {
      const h = /^(#{1,6})\s+(.*)$/.exec(block.trim());
      const inline = (s: string) =>
        esc(s)
          .replace(/`([^`]+)`/g, "<code>$1</code>")
          .replace(/\*\*([^*]+)\*\*/g, "<b>$1</b>")
          .replace(/\*([^*]+)\*/g, "<i>$1</i>");
      if (h) return `<h${h[1]!.length + 1}>${inline(h[2]!)}</h${h[1]!.length + 1}>`;
      return `<p>${inline(block).replace(/\n/g, " ")}</p>`;
    })
    .join("\n");
}

const text = (v: unknown) => (Array.isArray(v) ? v.join("") : String(v ?? ""));

/** A base64 image payload, or "" when it holds anything else (it is written into an attribute). */
function base64(v: unknown): string {
  const b = text(v).replace(/\s/g, "");
  return /^[A-Za-z0-9+/]*={0,2}$/.test(b) ? b : "";
}

/**
 * What --sanitize keeps of an HTML output (nbconvert's --sanitize-html in spirit): tables, text markup,
 * lists and data: images, no scripts, no event handlers, no styles, no links out of the page but http(s).
 */
const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    "b",
    "i",
    "em",
    "strong",
    "code",
    "pre",
    "p",
    "br",
    "hr",
    "div",
    "span",
    "ul",
    "ol",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "caption",
    "img",
    "a",
    "sub",
    "sup",
    "blockquote",
  ],
  allowedAttributes: { a: ["href", "title"], img: ["src", "alt", "width", "height"], td: ["colspan", "rowspan"], th: ["colspan", "rowspan"] },
  allowedSchemes: ["http", "https"],
  allowedSchemesByTag: { img: ["data"] },
  disallowedTagsMode: "escape",
};

export interface NotebookHtmlOptions {
  /** Render untrusted HTML outputs inert (see SANITIZE); markdown is always rendered inert. */
  sanitize?: boolean;
}

/** A notebook's title: the text of its first markdown heading, if it has one. */
export function notebookTitle(nb: Record<string, unknown>): string | undefined {
  const cells = Array.isArray(nb["cells"]) ? (nb["cells"] as Record<string, unknown>[]) : [];
  for (const c of cells) {
    if (c?.["cell_type"] !== "markdown") continue;
    const m = /^#{1,6}\s+(.+)$/m.exec(text(c["source"]));
    if (m) return m[1]!.trim().slice(0, 200);
  }
  return undefined;
}

/**
 * An executed notebook (nbformat 4 JSON) as a self-contained HTML report. HTML outputs are the
 * notebook's own (as Jupyter shows a trusted notebook's); `sanitize` is for notebooks from elsewhere.
 */
export function notebookHtml(nb: Record<string, unknown>, title = "Notebook", options: NotebookHtmlOptions = {}): string {
  const html = (v: unknown) => (options.sanitize ? sanitizeHtml(text(v), SANITIZE) : text(v));
  if (typeof nb !== "object" || nb === null || nb["nbformat"] !== 4 || !Array.isArray(nb["cells"]))
    throw new TaskError("report: not an nbformat 4 notebook (expected nbformat: 4 and a cells list)");
  const meta = (typeof nb["metadata"] === "object" && nb["metadata"] !== null ? nb["metadata"] : {}) as Record<string, unknown>;
  const all = ((meta["widgets"] as Record<string, unknown> | undefined)?.[WIDGET_STATE_MIME] as { state?: unknown } | undefined)?.state;
  // Sanitized, only our figure models render (plotly data, no HTML); a control model (an HTMLModel's
  // value, a description with HTML) would put the notebook's markup on the page, so its view shows its
  // sanitized fallback instead.
  const saved: Record<string, WidgetStateEntry> = Object.fromEntries(
    Object.entries(typeof all === "object" && all !== null ? (all as Record<string, WidgetStateEntry>) : {}).filter(
      ([, m]) => typeof m === "object" && m !== null && (!options.sanitize || m.model_module === FIGURE_MODULE),
    ),
  );
  const parts: string[] = [];
  // Cells and outputs that are not objects (a hand-edited or foreign file) are skipped, not crashed on.
  for (const cell of (nb["cells"] as unknown[]).filter(isObject)) {
    const src = text(cell["source"]);
    if (cell["cell_type"] === "markdown") parts.push(`<div class="cell markdown">${markdownHtml(src)}</div>`);
    else if (cell["cell_type"] === "code") {
      const outs: string[] = [];
      for (const o of (Array.isArray(cell["outputs"]) ? (cell["outputs"] as unknown[]) : []).filter(isObject)) {
        const type = o["output_type"];
        if (type === "stream") outs.push(`<pre>${esc(text(o["text"]))}</pre>`);
        else if (type === "error") outs.push(`<div class="error"><pre>${esc(`${o["ename"]}: ${o["evalue"]}`)}</pre></div>`);
        else if (type === "display_data" || type === "execute_result") {
          const d = (o["data"] ?? {}) as Record<string, unknown>;
          const png = base64(d["image/png"]);
          const fallback = png
            ? `<img alt="" src="data:image/png;base64,${png}">`
            : d["text/html"]
              ? html(d["text/html"])
              : d["text/plain"] !== undefined
                ? `<pre>${esc(text(d["text/plain"]))}</pre>`
                : "";
          const view = d[WIDGET_VIEW_MIME] as { model_id?: string } | undefined;
          const durable = d[FIGURE_MIME] as { figure?: { data?: unknown; layout?: unknown } } | undefined;
          // Own keys only: a model_id such as "constructor" must not find Object's prototype.
          if (typeof view?.model_id === "string" && Object.hasOwn(saved, view.model_id)) outs.push(viewTag(view.model_id, fallback));
          else if (durable && typeof durable.figure === "object" && durable.figure !== null && Array.isArray(durable.figure.data)) {
            // A finished chart without saved widget state: drawn from its own figure, as a saved widget.
            const id = `durable-${Object.keys(saved).length}`;
            saved[id] = durableEntry(durable.figure);
            outs.push(viewTag(id, fallback));
          } else outs.push(fallback);
        }
      }
      parts.push(`<div class="cell"><div class="input"><pre>${esc(src)}</pre></div>${outs.join("\n")}</div>`);
    }
  }
  return widgetPage(title, parts.join("\n"), saved);
}
