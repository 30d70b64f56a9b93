// Starts Notebook 7's notebook page with the built-in plugins the page keeps (extensions.js, generated at
// build time from package.json) and the plugins of the federated extensions that loaded.
import { NotebookApp } from "@jupyter-notebook/application";
import { PageConfig } from "@jupyterlab/coreutils";
import { BUILT_IN } from "./extensions.js";
import "./style.js";

function pluginsOf(mod, keep = true) {
  const exported = Object.prototype.hasOwnProperty.call(mod, "__esModule") ? mod.default : mod;
  return (Array.isArray(exported) ? exported : [exported]).filter(
    (p) => p && (keep === true || keep.includes(p.id)) && !PageConfig.Extension.isDisabled(p.id),
  );
}

async function federatedModule(scope, module) {
  const factory = await window._JUPYTERLAB[scope].get(module);
  return factory();
}

export async function main(federated) {
  const plugins = [];
  const mimeExtensions = [];
  const overridden = new Set(federated.map((e) => e.name));
  for (const [name, mime, load, keep] of BUILT_IN) {
    if (overridden.has(name)) continue;
    (mime ? mimeExtensions : plugins).push(...pluginsOf(await load(), keep));
  }
  for (const ext of federated) {
    if (ext.extension) plugins.push(...pluginsOf(await federatedModule(ext.name, ext.extension)));
    if (ext.mimeExtension) mimeExtensions.push(...pluginsOf(await federatedModule(ext.name, ext.mimeExtension)));
    if (ext.style) await federatedModule(ext.name, ext.style);
  }
  const app = new NotebookApp({ mimeExtensions });
  app.registerPlugins(plugins);
  await app.start();
  await app.restored;
  // The end-to-end test drives the application through its commands, as menus and shortcuts do.
  window.jupyterapp = app;
  document.body.dataset.notebookRestored = "true";
}
