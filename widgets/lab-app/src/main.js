// Starts JupyterLab with the built-in plugins (extensions.js, generated at build time) and the plugins of
// the federated extensions that loaded.
import { JupyterLab } from "@jupyterlab/application";
import { PageConfig } from "@jupyterlab/coreutils";
import { BUILT_IN } from "./extensions.js";
import "./style.js";

// Plugins that need servers this app does not run (language servers) or that reach the internet (news).
const SKIP = ["@jupyterlab/notebook-extension:language-server", "@jupyterlab/apputils-extension:announcements"];

function pluginsOf(mod) {
  const exported = Object.prototype.hasOwnProperty.call(mod, "__esModule") ? mod.default : mod;
  return (Array.isArray(exported) ? exported : [exported]).filter((p) => p && !SKIP.includes(p.id) && !PageConfig.Extension.isDisabled(p.id));
}

async function federatedModule(scope, module) {
  const factory = await window._JUPYTERLAB[scope].get(module);
  return factory();
}

export async function main(federated) {
  const plugins = [];
  const mimeExtensions = [];
  const overridden = new Set(federated.map((e) => e.name));
  for (const [name, mime, load] of BUILT_IN) {
    if (overridden.has(name)) continue;
    (mime ? mimeExtensions : plugins).push(...pluginsOf(await load()));
  }
  for (const ext of federated) {
    if (ext.extension) plugins.push(...pluginsOf(await federatedModule(ext.name, ext.extension)));
    if (ext.mimeExtension) mimeExtensions.push(...pluginsOf(await federatedModule(ext.name, ext.mimeExtension)));
    if (ext.style) await federatedModule(ext.name, ext.style);
  }
  const lab = new JupyterLab({ mimeExtensions });
  lab.registerPlugins(plugins);
  await lab.start();
  await lab.restored;
  // The end-to-end test drives the application through its commands, as menus and shortcuts do.
  window.jupyterapp = lab;
  document.body.dataset.labRestored = "true";
}
