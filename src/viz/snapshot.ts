// Static images of saved figures, rendered by plotly.js itself in headless Chromium (Debian's chromium
// via playwright-core): the same spec the widget draws, so the image is the chart, not a redrawing.
// `addStaticImages` puts a PNG beside every FigureModel view of an executed notebook, for GitHub,
// nbconvert and frontends without the extension (headless runs have no view to write one back).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { FIGURE_MIME, durableEntry, WIDGET_STATE_MIME, WIDGET_VIEW_MIME, WidgetStateEntry, viewTag, widgetPage } from "./widget-page";

export function chromiumPath(): string {
  const candidates = [process.env["CHROMIUM"], "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].filter((x): x is string => !!x);
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`static images need Chromium: none of ${candidates.join(", ")} exists (apt-get install chromium, or set CHROMIUM)`);
  return found;
}

/** PNGs (base64) of the FigureModel entries of a widget state, by model id. */
export async function figurePngs(state: Record<string, WidgetStateEntry>, opts: { width?: number; height?: number } = {}): Promise<Map<string, string>> {
  const ids = Object.keys(state).filter((id) => state[id]!.model_name === "FigureModel");
  const out = new Map<string, string>();
  if (!ids.length) return out;
  const { chromium } = await import("playwright-core");
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tl-snap-")), "page.html");
  fs.writeFileSync(file, widgetPage("snapshot", ids.map((id) => viewTag(id)).join("\n"), Object.fromEntries(ids.map((id) => [id, state[id]!]))));
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    await page.goto(`file://${file}`);
    // Browser-side code as strings: it runs in the page, with the page's DOM, not Node's types.
    await page.waitForFunction(`document.querySelectorAll(".transferlab-figure[data-draws]").length === ${ids.length}`, undefined, { timeout: 60_000 });
    const w = opts.width ?? 900;
    const h = opts.height ?? 420;
    const pngs = (await page.evaluate(`(async () => {
      const res = [];
      for (const host of document.querySelectorAll("[data-model-id]")) {
        const plot = host.querySelector(".js-plotly-plot");
        if (plot) res.push([host.dataset.modelId, (await transferlabWidgets.Plotly.toImage(plot, { format: "png", width: ${w}, height: ${h} })).replace(/^data:image\\/png;base64,/, "")]);
      }
      return res;
    })()`)) as [string, string][];
    for (const [id, png] of pngs) out.set(id, png);
  } finally {
    await browser.close();
  }
  return out;
}

/**
 * Adds image/png beside every chart of an executed notebook (nbformat 4): FigureModel views with saved
 * widget state and durable figure outputs (FIGURE_MIME); returns how many.
 */
export async function addStaticImages(nb: Record<string, unknown>): Promise<number> {
  const meta = (nb["metadata"] ?? {}) as Record<string, unknown>;
  const saved =
    ((meta["widgets"] as Record<string, unknown> | undefined)?.[WIDGET_STATE_MIME] as { state?: Record<string, WidgetStateEntry> } | undefined)?.state ?? {};
  const state: Record<string, WidgetStateEntry> = { ...saved };
  // Each output's chart: its saved widget model, else its own durable figure as a model of its own.
  const targets: [Record<string, unknown>, string][] = [];
  for (const cell of (nb["cells"] as Record<string, unknown>[]) ?? []) {
    for (const o of (cell["outputs"] as Record<string, unknown>[]) ?? []) {
      const d = o["data"] as Record<string, unknown> | undefined;
      if (!d) continue;
      const id = (d[WIDGET_VIEW_MIME] as { model_id?: string } | undefined)?.model_id;
      if (typeof id === "string" && Object.hasOwn(saved, id)) targets.push([d, id]);
      else {
        const durable = d[FIGURE_MIME] as { figure?: { data?: unknown } } | undefined;
        if (!durable?.figure || !Array.isArray(durable.figure.data)) continue;
        const own = `durable-${targets.length}`;
        state[own] = durableEntry(durable.figure);
        targets.push([d, own]);
      }
    }
  }
  const pngs = await figurePngs(state);
  let n = 0;
  for (const [d, id] of targets) {
    if (!pngs.has(id)) continue;
    d["image/png"] = pngs.get(id);
    n++;
  }
  return n;
}
