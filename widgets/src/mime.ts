// The durable figure: a JupyterLab mime renderer for `application/vnd.transferlab.figure+json`, the
// output a chart becomes when its live updates end. It draws the plotly figure from the output's own
// data — no kernel, no widget state — so a chart survives saving without "Save Widget State", closing
// the kernel and reopening, and it is declared safe (a figure is data, not script: plotly renders its
// strings as text), so an untrusted notebook shows it too. Ranked before the widget view (−10), so a
// finished chart is drawn by this renderer wherever it is present.

import type { IRenderMime } from "@jupyterlab/rendermime-interfaces";
import { Widget } from "@lumino/widgets";
import Plotly from "plotly.js-dist-min";
import { cssVariable, themeLayout } from "./theme";

export const FIGURE_MIME = "application/vnd.transferlab.figure+json";

interface Figure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

class FigureRenderer extends Widget implements IRenderMime.IRenderer {
  private figure: Figure | null = null;
  private draws = 0;
  private readonly themeWatch = new MutationObserver(() => this.draw());

  constructor() {
    super();
    this.addClass("transferlab-figure");
    this.node.style.width = "100%";
    this.node.style.minHeight = "380px";
    this.node.dataset["durable"] = "1";
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const data = model.data[FIGURE_MIME] as { figure?: Figure } | undefined;
    this.figure = data?.figure ?? { data: [], layout: {} };
    if (this.isAttached) await this.draw();
  }

  protected onAfterAttach(): void {
    this.themeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-name", "data-jp-theme-light"] });
    void this.draw();
  }

  protected onBeforeDetach(): void {
    this.themeWatch.disconnect();
  }

  dispose(): void {
    this.themeWatch.disconnect();
    Plotly.purge(this.node);
    super.dispose();
  }

  private async draw(): Promise<void> {
    if (!this.figure) return;
    const layout = themeLayout({ ...this.figure.layout, autosize: true }, cssVariable);
    await Plotly.react(this.node, this.figure.data as Plotly.Data[], layout as Partial<Plotly.Layout>, { responsive: true, displaylogo: false });
    this.draws++;
    this.node.dataset["draws"] = String(this.draws);
    this.node.dataset["traces"] = String(this.figure.data.length);
  }
}

export const rendererFactory: IRenderMime.IRendererFactory = {
  safe: true,
  mimeTypes: [FIGURE_MIME],
  createRenderer: () => new FigureRenderer(),
};

const extension: IRenderMime.IExtension = {
  id: "@transferlab/widgets:figure",
  description: "TransferLab's finished charts, drawn from the notebook's own data",
  rendererFactory,
  rank: -20,
  dataType: "json",
};

export default extension;
