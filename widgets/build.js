// Builds the two outputs from lib/ (compiled by tsc): the prebuilt JupyterLab 4 extension with
// @jupyterlab/builder (labextension/, what `transferlab install` copies) and the standalone renderer
// bundle with esbuild (standalone/transferlab-widgets.js, what reports inline).
//
// The labextension's webpack output depends on the absolute path it is built at (module ids, and so the
// minifier's names and the remoteEntry hash), so a rebuild elsewhere rewrites the tracked files with
// equivalent code. It is rebuilt only when its sources changed: a hash of them is kept beside it.
const { spawnSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");
const esbuild = require("esbuild");

const here = __dirname;
const SOURCES = ["src", "host", "package.json", "package-lock.json", "tsconfig.json", "build.js"];
const STAMP = path.join(here, "labextension", "sources.sha256");

function filesUnder(p) {
  if (!fs.existsSync(p)) return [];
  if (!fs.statSync(p).isDirectory()) return [p];
  return fs.readdirSync(p).sort().flatMap((n) => filesUnder(path.join(p, n)));
}

function sourcesHash() {
  const h = crypto.createHash("sha256");
  for (const f of SOURCES.flatMap((s) => filesUnder(path.join(here, s)))) {
    h.update(path.relative(here, f).split(path.sep).join("/") + "\0");
    h.update(fs.readFileSync(f));
    h.update("\0");
  }
  return h.digest("hex");
}

const hash = sourcesHash();
const upToDate =
  !process.argv.includes("--force") &&
  fs.existsSync(STAMP) &&
  fs.readFileSync(STAMP, "utf8").trim() === hash &&
  fs.existsSync(path.join(here, "labextension", "package.json"));
const standaloneOnly = process.argv.includes("--standalone-only") || upToDate;
if (upToDate) console.log("labextension/ is up to date with its sources (node build.js --force rebuilds it)");
const lab = standaloneOnly ? { status: 0 } : spawnSync(process.execPath, [require.resolve("@jupyterlab/builder/lib/build-labextension.js"), "--core-path", path.join(here, "host"), here], { stdio: "inherit", cwd: here });
if (lab.status !== 0) process.exit(lab.status ?? 1);
if (!standaloneOnly) fs.writeFileSync(STAMP, hash + "\n");

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
