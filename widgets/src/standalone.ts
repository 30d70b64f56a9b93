// The standalone renderer: @jupyter-widgets/html-manager plus our figure views and plotly, bundled into
// one script (no CDN, no require.js). A page that holds saved widget state (a
// <script type="application/vnd.jupyter.widget-state+json">) and view placeholders
// (<script type="application/vnd.jupyter.widget-view+json">) renders them all on load; the manager is
// also exposed as `window.transferlabWidgets` for pages that feed it live comm messages.

import { HTMLManager } from "@jupyter-widgets/html-manager";
import Plotly from "plotly.js-dist-min";
import * as figure from "./figure";
import { MODULE_NAME } from "./version";

const STATE_MIME = "application/vnd.jupyter.widget-state+json";
const VIEW_MIME = "application/vnd.jupyter.widget-view+json";

export function createManager(): HTMLManager {
  return new HTMLManager({
    loader: async (moduleName: string) => {
      if (moduleName === MODULE_NAME) return figure;
      throw new Error(`transferlab widgets: module ${moduleName} is not bundled in this page (no network loads)`);
    },
  });
}

/** Renders every saved view on the page; resolves with how many were rendered. */
export async function renderPage(doc: Document = document): Promise<number> {
  const manager = createManager();
  const stateTag = doc.querySelector(`script[type="${STATE_MIME}"]`);
  if (!stateTag) return 0;
  const state = JSON.parse(stateTag.textContent ?? "{}");
  await manager.set_state(state);
  const tags = Array.from(doc.querySelectorAll(`script[type="${VIEW_MIME}"]`));
  let n = 0;
  for (const tag of tags) {
    // One view that cannot render (a missing or hostile model) keeps its fallback; the others still render.
    try {
      const { model_id } = JSON.parse(tag.textContent ?? "{}");
      const model = await manager.get_model(model_id);
      const view = await manager.create_view(model);
      const host = doc.createElement("div");
      host.dataset["modelId"] = model_id;
      tag.parentElement?.insertBefore(host, tag);
      await manager.display_view(view, host);
      tag.parentElement?.classList.add("widget-rendered");
      n++;
    } catch (e) {
      console.warn(`transferlab widgets: a view could not be rendered (${(e as Error).message}); its fallback stays`);
    }
  }
  return n;
}

const w = window as unknown as Record<string, unknown>;
w["transferlabWidgets"] = { createManager, renderPage, figure, Plotly };
if (document.readyState === "loading")
  document.addEventListener("DOMContentLoaded", () => void renderPage().then((n) => (document.body.dataset["widgetsRendered"] = String(n))));
else void renderPage().then((n) => (document.body.dataset["widgetsRendered"] = String(n)));
