// Starts Notebook 7's notebook page with the built-in plugins the page keeps and the plugins of the
// federated extensions that loaded.
import { NotebookApp } from "@jupyter-notebook/application";
import { collectPlugins } from "./plugins.js";
import "./style.js";

export async function main(federated) {
  const { plugins, mimeExtensions } = await collectPlugins(federated);
  const app = new NotebookApp({ mimeExtensions });
  app.registerPlugins(plugins);
  await app.start();
  await app.restored;
  // The end-to-end test drives the application through its commands, as menus and shortcuts do.
  window.jupyterapp = app;
  document.body.dataset.notebookRestored = "true";
}
