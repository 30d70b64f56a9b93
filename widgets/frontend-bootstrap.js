// Entry point. Federated extensions (prebuilt, such as TransferLab's) must join the shared-module scope
// before any shared package is imported, so this file loads their remote entries first and only then
// imports the application (main.js) asynchronously.
/* global __webpack_init_sharing__, __webpack_share_scopes__ */

// The page config the server writes into the page (read by hand: @jupyterlab/coreutils is not loaded yet).
const config = JSON.parse(document.getElementById("jupyter-config-data")?.textContent || "{}");
// eslint-disable-next-line no-undef, no-global-assign
__webpack_public_path__ = `${config.fullStaticUrl}/`;

function loadScript(url) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${url}`));
    script.src = url;
    document.head.appendChild(script);
  });
}

async function joinSharing(ext) {
  await loadScript(`${config.fullLabextensionsUrl}/${ext.name}/${ext.load}`);
  await __webpack_init_sharing__("default");
  await window._JUPYTERLAB[ext.name].init(__webpack_share_scopes__.default);
}

(async () => {
  const federated = config.federated_extensions || [];
  const loaded = await Promise.allSettled(federated.map(joinSharing));
  loaded.forEach((r, i) => r.status === "rejected" && console.error(`federated extension ${federated[i].name}:`, r.reason));
  const { main } = await import("./main.js");
  await main(federated.filter((_, i) => loaded[i].status === "fulfilled"));
})();
