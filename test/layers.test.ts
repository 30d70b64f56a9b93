// Imports flow one way (ARCHITECTURE.md): every relative import of every source file is resolved to the
// layer it lands in, and no layer imports one above it or a sibling at its own level.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const repo = path.resolve(__dirname, "..", "..");

/** Each layer's level: a layer may import only layers of a lower level (and itself). */
const LEVEL: Record<string, number> = {
  "src/core": 0,
  "src/engine": 1,
  "src/tasks": 2,
  "src/umm": 3,
  "src/eval": 3,
  "src/viz": 3,
  "src/lab": 4,
  kernel: 5,
  commands: 6,
};

/** The command line and the benchmarks it runs (`transferlab bench`) are one layer: the commands. */
const FOLDERS: Record<string, string> = { "src/cli": "commands", bench: "commands" };

function layerOf(file: string): string | undefined {
  const rel = path.relative(repo, file).split(path.sep).join("/");
  const folder = [...Object.keys(LEVEL), ...Object.keys(FOLDERS)].find((l) => rel === l || rel.startsWith(l + "/"));
  return folder === undefined ? undefined : (FOLDERS[folder] ?? folder);
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Relative imports, static, dynamic and type-only, and requires. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:from\s*|import\s*\(\s*|require\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) specs.push(m[1]!);
  return specs.map((s) => path.resolve(path.dirname(file), s));
}

test("imports flow one way: no layer imports a layer above it or beside it", () => {
  const upward: string[] = [];
  let checked = 0;
  for (const folder of [...Object.keys(LEVEL), ...Object.keys(FOLDERS)]) {
    const dir = path.join(repo, folder);
    if (!fs.existsSync(dir)) continue;
    for (const file of sources(dir)) {
      const from = layerOf(file)!;
      for (const target of importsOf(file)) {
        const to = layerOf(target);
        if (!to || to === from) continue;
        checked++;
        if (LEVEL[to]! >= LEVEL[from]!) upward.push(`${path.relative(repo, file)} imports ${path.relative(repo, target)} (${from} → ${to})`);
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} imports across layers were found: the scan is broken`);
  assert.deepEqual(upward, []);
});

test("the scan sees an upward import when there is one", () => {
  // A file in src/viz that imported the lab would be reported: the resolution the test above relies on.
  const fake = path.join(repo, "src/viz/fake.ts");
  const target = path.resolve(path.dirname(fake), "../lab/results/tables");
  assert.equal(layerOf(fake), "src/viz");
  assert.equal(layerOf(target), "src/lab");
  assert.ok(LEVEL[layerOf(target)!]! >= LEVEL[layerOf(fake)!]!);
});

test("every module of the lab loads as the first one a program requires (no import cycle leaves a module half-made)", async () => {
  const { spawn } = await import("node:child_process");
  const dist = path.join(repo, "dist", "src", "lab");
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name));
      else if (e.name.endsWith(".js")) files.push(path.join(d, e.name));
    }
  };
  walk(dist);
  // Two at a time (the two cores); each in a fresh process, so it is the entry of its own import graph.
  const failures: string[] = [];
  const queue = [...files];
  await Promise.all(
    [0, 1].map(async () => {
      for (let f = queue.shift(); f; f = queue.shift()) {
        const file = f;
        const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
          const c = spawn(process.execPath, ["-e", `require(${JSON.stringify(file)})`], { stdio: ["ignore", "ignore", "pipe"] });
          let err = "";
          c.stderr.on("data", (b) => (err += b));
          c.on("exit", (code) => resolve({ code, err }));
        });
        if (r.code !== 0) failures.push(`${path.relative(repo, file)}: ${r.err.split("\n").find((l) => /Error/.test(l)) ?? r.err.slice(0, 200)}`);
      }
    }),
  );
  assert.ok(files.length > 40, `${files.length} modules`);
  assert.deepEqual(failures, []);
});
