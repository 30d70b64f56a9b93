// JupyterLab's theme as plotly layout colours, shared by the live widget view and the durable figure
// renderer.

/**
 * JupyterLab's theme as plotly layout colours, read from the CSS variables its themes define (light,
 * dark or any other). Outside JupyterLab (a report, classic Notebook) the variables are absent and the
 * figure keeps its own colours.
 */
export function themeLayout(layout: Record<string, unknown>, css: (name: string) => string): Record<string, unknown> {
  const background = css("--jp-layout-color0");
  const text = css("--jp-ui-font-color1");
  if (!background || !text) return layout;
  const grid = css("--jp-border-color2") || css("--jp-border-color1");
  const line = css("--jp-border-color1") || grid;
  const font = css("--jp-ui-font-family");
  const themed: Record<string, unknown> = {
    ...layout,
    paper_bgcolor: background,
    plot_bgcolor: background,
    font: { ...((layout["font"] as object) ?? {}), color: text, ...(font ? { family: font } : {}) },
    legend: { ...((layout["legend"] as object) ?? {}), bgcolor: "rgba(0,0,0,0)" },
  };
  // Every axis the figure has (xaxis, yaxis2, …) plus the defaults plotly draws when none is given.
  const axes = new Set(["xaxis", "yaxis", ...Object.keys(layout).filter((k) => /^[xy]axis\d*$/.test(k))]);
  for (const axis of axes) themed[axis] = { ...((layout[axis] as object) ?? {}), gridcolor: grid, linecolor: line, zerolinecolor: line };
  return themed;
}

export function cssVariable(name: string): string {
  return getComputedStyle(document.body).getPropertyValue(name).trim();
}
