// Starts JupyterLab with the built-in plugins and the plugins of the federated extensions that loaded.
import { JupyterLab } from "@jupyterlab/application";
import { collectPlugins } from "./plugins.js";
import "./style.js";

// Plugins that need servers this app does not run (language servers) or that reach the internet (news).
const SKIP = ["@jupyterlab/notebook-extension:language-server", "@jupyterlab/apputils-extension:announcements"];

export async function main(federated) {
  const { plugins, mimeExtensions } = await collectPlugins(federated, SKIP);
  const lab = new JupyterLab({ mimeExtensions });
  lab.registerPlugins(plugins);
  await lab.start();
  await lab.restored;
  // The end-to-end test drives the application through its commands, as menus and shortcuts do.
  window.jupyterapp = lab;
  document.body.dataset.labRestored = "true";
}
