// The plugins a frontend starts with: the built-in ones (extensions.js, generated at build time, with the
// plugin ids each page keeps) and those of the federated extensions that loaded (a federated package
// replaces a built-in one of the same name).
import { PageConfig } from "@jupyterlab/coreutils";
import { BUILT_IN } from "./extensions.js";

function pluginsOf(mod, keep, skip) {
  const exported = Object.prototype.hasOwnProperty.call(mod, "__esModule") ? mod.default : mod;
  return (Array.isArray(exported) ? exported : [exported]).filter(
    (p) => p && (keep === true || keep.includes(p.id)) && !skip.includes(p.id) && !PageConfig.Extension.isDisabled(p.id),
  );
}

async function federatedModule(scope, module) {
  const factory = await window._JUPYTERLAB[scope].get(module);
  return factory();
}

/** `skip`: plugin ids left out whatever their package (plugins that need servers the app does not run). */
export async function collectPlugins(federated, skip = []) {
  const plugins = [];
  const mimeExtensions = [];
  const overridden = new Set(federated.map((e) => e.name));
  for (const [name, mime, load, keep] of BUILT_IN) {
    if (overridden.has(name)) continue;
    (mime ? mimeExtensions : plugins).push(...pluginsOf(await load(), keep, skip));
  }
  for (const ext of federated) {
    if (ext.extension) plugins.push(...pluginsOf(await federatedModule(ext.name, ext.extension), true, skip));
    if (ext.mimeExtension) mimeExtensions.push(...pluginsOf(await federatedModule(ext.name, ext.mimeExtension), true, skip));
    if (ext.style) await federatedModule(ext.name, ext.style);
  }
  return { plugins, mimeExtensions };
}
