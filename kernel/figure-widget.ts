// A live chart: a widget model whose state is a plotly figure plus the table behind it. The kernel
// replaces the table while a job runs; updates are throttled (the latest state wins, at most 4 a second)
// and long series are downsampled, so the channel is never flooded. The output also carries an HTML
// table and a text summary, so frontends without the extension, nbconvert and GitHub show the numbers.

import type { Figure } from "../src/viz/figures";
import { escapeHtml } from "../src/core/text";
import type { Table } from "../src/lab/results/tables";
import { byKey } from "../src/core/group";
import { MIMEBUNDLE, display } from "./display";
import type { DisplayHandle } from "./display";
import { WidgetModel, WIDGET_VIEW_MIME } from "./widgets";
import { FIGURE_MIME } from "../src/viz/widget-page";

/** The npm package and version of the frontend models; widgets/package.json must carry the same. */
export const WIDGETS_MODULE = "@transferlab/widgets";
export const WIDGETS_VERSION = "0.1.0";
export { FIGURE_MIME } from "../src/viz/widget-page";

const MAX_POINTS_PER_SERIES = 400;

type Row = Record<string, unknown>;

/** Keeps at most `max` rows per series (first and last always), so long curves stay light. */
export function downsample(rows: readonly Row[], seriesKey: (r: Row) => string, max = MAX_POINTS_PER_SERIES): Row[] {
  const keep = new Set<Row>();
  for (const g of byKey(rows, seriesKey)) {
    if (g.length <= max) g.forEach((r) => keep.add(r));
    else for (let i = 0; i < max; i++) keep.add(g[Math.round((i * (g.length - 1)) / (max - 1))]!);
  }
  return rows.filter((r) => keep.has(r));
}

export interface FigureWidgetOptions {
  title?: string;
  /** Rows of one series share this key (for downsampling). */
  seriesKey?: (r: Row) => string;
  /** A one-line summary for text/plain. */
  summary?: (t: Table) => string;
  throttleMs?: number;
  /**
   * Stays a live widget after its cell ends (legend clicks keep reaching the kernel, `hidden`); its output
   * becomes durable only when finish() is called. Default: durable when the cell that drew it ends.
   */
  live?: boolean;
}

/** Charts shown and not yet finished: the kernel finishes them when the cell that drew them ends. */
const open = new Set<FigureWidget>();

/**
 * Makes every open chart durable (its output carries the figure itself): called when a cell ends. A
 * chart updated later (a job still running) turns live again until the next cell ends.
 */
export async function finishOpenFigures(): Promise<void> {
  await Promise.all([...open].map((f) => f.finish()));
}

export class FigureWidget {
  readonly model: WidgetModel | null;
  private table: Table;
  private timer: NodeJS.Timeout | null = null;
  private lastSent = 0;
  private handle: DisplayHandle | null = null;
  /** Trace names hidden in the browser (legend clicks come back to the kernel). */
  hidden: string[] = [];
  /** The chart as PNG (base64), written back by a frontend's view once rendered; "" until then. */
  png = "";
  sent = 0;
  /** Live updates have ended: the output carries the durable figure. */
  private finished = false;

  constructor(
    private readonly build: (t: Table) => Figure,
    table: Table,
    private readonly opts: FigureWidgetOptions = {},
  ) {
    this.table = table;
    let model: WidgetModel | null = null;
    try {
      model = new WidgetModel(
        {
          modelName: "FigureModel",
          modelModule: WIDGETS_MODULE,
          modelModuleVersion: WIDGETS_VERSION,
          viewName: "FigureView",
          viewModule: WIDGETS_MODULE,
          viewModuleVersion: WIDGETS_VERSION,
        },
        this.state(),
      );
      model.onChange((changed) => {
        if (Array.isArray(changed["hidden"])) this.hidden = changed["hidden"].map(String);
        // A frontend's view drew the chart and sent back its image. Kept for finish(): a live view already
        // shows the chart, so no display update follows (JupyterLab would build a new view for it).
        if (typeof changed["png"] === "string") this.png = changed["png"];
      });
    } catch {
      model = null; // outside a kernel: the static parts still render
    }
    this.model = model;
  }

  private rows(): Row[] {
    const rows = this.table.objects() as Row[];
    return this.opts.seriesKey ? downsample(rows, this.opts.seriesKey) : rows;
  }

  private state(): Record<string, unknown> {
    const rows = this.rows();
    const t = this.table;
    const figure = this.build(t);
    // The title option names the chart itself, not only its HTML fallback (a builder's own title wins).
    if (this.opts.title && !figure.layout["title"]) figure.layout["title"] = { text: this.opts.title };
    return { figure, rows, columns: t.columnNames(), title: this.opts.title ?? "", hidden: this.hidden };
  }

  /** Shows the widget (with its static fallbacks) in the running cell's output. */
  async show(): Promise<this> {
    this.handle = await display(this);
    if (!this.opts.live) open.add(this);
    return this;
  }

  /** Replaces the table; the chart redraws at most every throttleMs (the latest table wins). */
  update(table: Table): void {
    this.table = table;
    if (this.finished) {
      // Live again: the output goes back to the widget view, which the updates below redraw in place.
      this.finished = false;
      if (!this.opts.live) open.add(this);
      void this.handle?.update(this);
    }
    const wait = (this.opts.throttleMs ?? 250) - (Date.now() - this.lastSent);
    if (wait <= 0) this.flush();
    else if (!this.timer) this.timer = setTimeout(() => this.flush(), wait);
  }

  /**
   * Sends the latest state now. Live updates travel as comm state only: the view redraws in place
   * (Plotly.react), where a display update would make JupyterLab build a new view for every update.
   */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastSent = Date.now();
    this.sent++;
    const s = this.state();
    this.model?.set({ figure: s["figure"], rows: s["rows"], columns: s["columns"] });
  }

  /**
   * The job is over: the final state, and one display update that makes the output durable — the
   * figure itself under FIGURE_MIME (drawn by the extension's renderer from the notebook's own data, so
   * it survives saving without widget state, a closed kernel and an untrusted notebook), the PNG a view
   * sent back (GitHub, nbconvert), the HTML table and the text summary. The live widget served the live
   * work; JupyterLab now draws the finished chart once more, from the durable output.
   */
  async finish(): Promise<void> {
    open.delete(this);
    if (this.finished) return;
    this.flush();
    this.finished = true;
    await this.handle?.update(this);
  }

  /** The final figure as drawn, the traces the user hid kept hidden. */
  private durableFigure(): Figure {
    const f = this.state()["figure"] as Figure;
    const hidden = new Set(this.hidden);
    return { ...f, data: f.data.map((t) => (hidden.has(String(t["name"])) ? { ...t, visible: "legendonly" } : t)) };
  }

  summaryText(): string {
    return this.opts.summary ? this.opts.summary(this.table) : `${this.opts.title ?? "figure"} (${this.table.numRows()} rows)`;
  }

  [MIMEBUNDLE](): Record<string, unknown> {
    const html = `<div><b>${escapeHtml(this.opts.title ?? "")}</b>${this.table.toHTML({ limit: 40 })}</div>`;
    const durable = this.finished ? { [FIGURE_MIME]: { figure: this.durableFigure(), title: this.opts.title ?? "" } } : {};
    return {
      ...(this.model ? { [WIDGET_VIEW_MIME]: { model_id: this.model.id, version_major: 2, version_minor: 1 } } : {}),
      ...durable,
      "text/html": html,
      ...(this.png ? { "image/png": this.png } : {}),
      "text/plain": this.summaryText(),
    };
  }
}
