// Builds the two outputs from lib/ (compiled by tsc): the prebuilt JupyterLab 4 extension with
// @jupyterlab/builder (labextension/, what `transferlab install` copies) and the standalone renderer
// bundle with esbuild (standalone/transferlab-widgets.js, what reports inline).
const { spawnSync } = require("node:child_process");
const path = require("node:path");
const esbuild = require("esbuild");

const here = __dirname;
const standaloneOnly = process.argv.includes("--standalone-only");
const lab = standaloneOnly ? { status: 0 } : spawnSync(process.execPath, [require.resolve("@jupyterlab/builder/lib/build-labextension.js"), "--core-path", path.join(here, "host"), here], { stdio: "inherit", cwd: here });
if (lab.status !== 0) process.exit(lab.status ?? 1);

esbuild
  .build({
    entryPoints: [path.join(here, "lib", "standalone.js")],
    bundle: true,
    minify: true,
    format: "iife",
    platform: "browser",
    target: "es2020",
    outfile: path.join(here, "standalone", "transferlab-widgets.js"),
    loader: { ".css": "empty", ".svg": "dataurl", ".woff": "dataurl", ".woff2": "dataurl", ".ttf": "dataurl", ".eot": "dataurl" },
    define: { "process.env.NODE_ENV": '"production"', global: "window" },
    // html-manager was written for webpack and assigns webpack's public path (unused: nothing is fetched).
    banner: { js: 'var __webpack_public_path__ = "";' },
    logLevel: "warning",
  })
  .then(() => console.log("built labextension/ and standalone/transferlab-widgets.js"))
  .catch(() => process.exit(1));
