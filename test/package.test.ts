// What `npm install transferlab` gets: every file the code reads at run time (the prebuilt JupyterLab
// extension, the report renderer, the shipped base and feature net, the data, the CLI), no tests.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

test("the published package holds what the code reads at run time, and not the tests", { timeout: 120_000 }, () => {
  const root = path.join(__dirname, "..", "..");
  const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
  for (const f of ["bin/transferlab.js", "dist/src/index.js", "dist/kernel/main.js", "widgets/labextension/package.json", "widgets/standalone/transferlab-widgets.js", "models/shared-unified/model.json", "models/shared-unified/model.safetensors", "models/feature-net/feature-net.json", "data/paper-results.csv", "examples/transfer-map.yaml", "examples/sweeps/rank-dose.json", "notebooks/01-transfer-in-miniature.ipynb"]) {
    assert.ok(files.has(f), `${f} is in the package`);
  }
  assert.deepEqual([...files].filter((f) => f.startsWith("dist/test/") || f.startsWith("widgets/lab-app/") || f.startsWith("runs/")), [], "no tests, test apps or runs");
});
