// FigureModel / FigureView: a plotly.js figure kept in widget state with the table behind it. The view
// redraws with Plotly.react (a diff, no flicker) when the kernel changes the figure, and writes legend
// toggles back to the model's `hidden` list, which reaches the kernel as a normal state update.

import { DOMWidgetModel, DOMWidgetView, ISerializers } from "@jupyter-widgets/base";
import Plotly from "plotly.js-dist-min";
import { cssVariable, themeLayout } from "./theme";
import { MODULE_NAME, MODULE_VERSION } from "./version";

export { themeLayout } from "./theme";

interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

export class FigureModel extends DOMWidgetModel {
  defaults() {
    return {
      ...super.defaults(),
      _model_name: "FigureModel",
      _model_module: MODULE_NAME,
      _model_module_version: MODULE_VERSION,
      _view_name: "FigureView",
      _view_module: MODULE_NAME,
      _view_module_version: MODULE_VERSION,
      figure: { data: [], layout: {} },
      rows: [],
      columns: [],
      title: "",
      hidden: [],
      png: "",
    };
  }
  static serializers: ISerializers = { ...DOMWidgetModel.serializers };
}

export class FigureView extends DOMWidgetView {
  private plot: HTMLDivElement | null = null;
  private snapshotTimer: number | null = null;
  /** Redraws when JupyterLab switches theme (it marks the body with the theme's name). */
  private themeWatch: MutationObserver | null = null;
  /** How many times the figure was drawn (tests read it from the element's data-draws). */
  private draws = 0;

  render(): void {
    this.el.classList.add("transferlab-figure");
    this.plot = document.createElement("div");
    this.plot.style.width = "100%";
    this.plot.style.minHeight = "380px";
    this.el.appendChild(this.plot);
    this.draw();
    this.listenTo(this.model, "change:figure", () => this.draw());
    this.themeWatch = new MutationObserver(() => this.draw());
    this.themeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light"] });
  }

  /** The kernel's figure with the traces the user hid; `themed` applies JupyterLab's colours. */
  private figure(themed = true): Figure {
    const f = (this.model.get("figure") ?? { data: [], layout: {} }) as Figure;
    const hidden = new Set((this.model.get("hidden") as string[]) ?? []);
    const layout = { ...f.layout, autosize: true };
    return {
      data: f.data.map((t) => (hidden.has(String(t["name"])) ? { ...t, visible: "legendonly" } : t)),
      layout: themed ? themeLayout(layout, cssVariable) : layout,
    };
  }

  private draw(): void {
    if (!this.plot) return;
    const f = this.figure();
    const first = this.draws === 0;
    void Plotly.react(this.plot, f.data as Plotly.Data[], f.layout as Partial<Plotly.Layout>, { responsive: true, displaylogo: false }).then(() => {
      this.draws++;
      this.el.dataset["draws"] = String(this.draws);
      this.el.dataset["traces"] = String(f.data.length);
      if (first) this.listenLegend();
      this.scheduleSnapshot();
    });
  }

  /**
   * Writes a PNG of the rendered figure back to the model (as jupyterlab-plotly does), so the kernel can
   * put it beside the widget in the saved notebook: GitHub, nbconvert and frontends without this
   * extension then show the chart as an image. Debounced: one image after a burst of redraws.
   */
  private scheduleSnapshot(): void {
    if (this.snapshotTimer !== null) window.clearTimeout(this.snapshotTimer);
    this.snapshotTimer = window.setTimeout(() => {
      this.snapshotTimer = null;
      if (!this.plot) return;
      // The image is for places without JupyterLab's theme (GitHub, nbconvert): drawn in the figure's own colours.
      const own = this.figure(false);
      void Plotly.toImage({ data: own.data as Plotly.Data[], layout: own.layout as Partial<Plotly.Layout> }, { format: "png", width: 900, height: 420 }).then(
        (url) => {
          const png = url.replace(/^data:image\/png;base64,/, "");
          if (png !== this.model.get("png")) {
            this.model.set("png", png);
            this.model.save_changes();
          }
        },
      );
    }, 600);
  }

  private listenLegend(): void {
    const plot = this.plot as unknown as { on(event: string, cb: (e: unknown) => void): void; data: { name?: string; visible?: unknown }[] };
    // After a legend click plotly has restyled the traces: read which are hidden and tell the kernel.
    plot.on("plotly_restyle", () => {
      const hidden = plot.data.filter((t) => t.visible === "legendonly" && t.name).map((t) => t.name as string);
      this.model.set("hidden", [...new Set(hidden)]);
      this.model.save_changes();
    });
  }

  remove(): void {
    this.themeWatch?.disconnect();
    if (this.snapshotTimer !== null) window.clearTimeout(this.snapshotTimer);
    if (this.plot) Plotly.purge(this.plot);
    super.remove();
  }
}
