// What `npm install transferlab` gets: every file the code reads at run time (the prebuilt JupyterLab
// extension, the report renderer, the shipped base and feature net, the data, the CLI), no tests.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

test("the published package holds what the code reads at run time, and not the tests", { timeout: 120_000 }, () => {
  const root = path.join(__dirname, "..", "..");
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  for (const f of [
    "bin/transferlab.js",
    "dist/src/index.js",
    "dist/kernel/main.js",
    "widgets/labextension/package.json",
    "widgets/standalone/transferlab-widgets.js",
    "models/shared-unified/model.json",
    "models/shared-unified/model.safetensors",
    "models/feature-net/feature-net.json",
    "data/paper-results.csv",
    "examples/transfer-map.yaml",
    "examples/sweeps/rank-dose.json",
    "notebooks/01-transfer-in-miniature.ipynb",
  ]) {
    assert.ok(files.has(f), `${f} is in the package`);
  }
  assert.deepEqual(
    [...files].filter(
      (f) =>
        f.startsWith("dist/test/") ||
        f.startsWith("widgets/lab-app/") ||
        f.startsWith("widgets/nb7-app/") ||
        f.startsWith("runs/") ||
        f.startsWith("models/pretraining/"),
    ),
    [],
    "no tests, test apps, runs or pretraining packs (they continue a chain in a checkout, not in a user's install)",
  );
});

// The package as a user gets it: packed, installed from the tarball into an empty folder (dependencies
// from the npm registry, or npm's cache), then the CLI run from there: the demo (few steps, subsets:
// the point is that the installed files suffice, the demo test checks the science) and the Jupyter install.
test("the packed tarball installs into an empty folder and runs the demo and the Jupyter install", { timeout: 900_000 }, () => {
  const root = path.join(__dirname, "..", "..");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tl-pack-"));
  const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
  const sh = (cmd: string, args: string[], cwd: string, timeout = 600_000) => {
    const t0 = Date.now();
    const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 });
    assert.equal(r.status, 0, `${cmd} ${args.join(" ")} failed (${r.error ?? ""}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    console.log(`# ${cmd} ${args.join(" ")}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  };
  try {
    const packed = sh("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", work], root);
    const tarball = path.join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    const app = path.join(work, "app");
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "tl-pack-check", version: "1.0.0", private: true }));
    sh("npm", ["install", "--prefer-offline", "--no-package-lock", tarball], app);
    assert.ok(!fs.existsSync(path.join(app, "node_modules", "transferlab", "dist", "test")), "no tests installed");
    const demo = sh("npx", ["--no-install", "transferlab", "demo", "--limit", "6", "--steps", "12", "--out", "demo.html", "--root", "runs"], app);
    assert.match(demo.stdout, /wrote .*demo\.html/);
    const html = fs.readFileSync(path.join(app, "demo.html"), "utf8");
    assert.match(html, /Paired effects against the base/);
    const prefix = path.join(work, "prefix");
    sh("npx", ["--no-install", "transferlab", "install", "--prefix", prefix], app, 120_000);
    const spec = JSON.parse(fs.readFileSync(path.join(prefix, "share", "jupyter", "kernels", "transferlab", "kernel.json"), "utf8"));
    assert.ok(
      (spec.argv as string[]).some((a) => a.includes(path.join(app, "node_modules", "transferlab"))),
      `the kernelspec runs the installed package: ${JSON.stringify(spec.argv)}`,
    );
    assert.ok(
      fs.existsSync(path.join(prefix, "share", "jupyter", "labextensions", "@transferlab", "widgets", "package.json")),
      "the prebuilt JupyterLab extension is installed",
    );
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
