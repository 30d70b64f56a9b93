// `transferlab execute`: a notebook run top to bottom in a fresh kernel, parameters injected papermill-
// style and used by magics as ${name}, outputs and widget state saved (nbformat-valid), a failed cell
// reported with exit code 1.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { injectParameters, parseParameters } from "../kernel/execute";

const bin = path.join(__dirname, "..", "..", "bin", "transferlab.js");

test("parameters: values parse as JSON or strings, and only declared names are accepted", () => {
  assert.deepEqual(parseParameters(["steps=10", "lr=1e-4", 'name="a b"', "task=spatial", "ranks=[2,8]", "quick=true"]), {
    steps: 10,
    lr: 1e-4,
    name: "a b",
    task: "spatial",
    ranks: [2, 8],
    quick: true,
  });
  assert.throws(() => parseParameters(["steps"]), /expected name=value/);
  assert.throws(() => parseParameters(["2x=1"]), /not a variable name/);
  const nb = {
    nbformat: 4,
    metadata: {},
    cells: [{ cell_type: "code", metadata: {}, source: '// parameters\nconst steps = 150;\nlet task: string = "counting";\n', outputs: [] }],
  };
  injectParameters(nb, { steps: 10 });
  assert.match(nb.cells[0]!.source, /const steps = 10; \/\/ injected\nlet task: string = "counting";/);
  assert.deepEqual((nb.cells[0]!.metadata as { tags: string[] }).tags, ["parameters", "injected-parameters"]);
  assert.deepEqual((nb.metadata as { transferlab: unknown }).transferlab, { parameters: { steps: 10 } });
  assert.throws(() => injectParameters(nb, { rank: 2 }), /parameters: rank not declared in the parameters cell \(declared: steps, task\)/);
  assert.throws(() => injectParameters({ nbformat: 4, cells: [] }, { a: 1 }), /no parameters cell/);
});

test("execute runs a notebook with injected parameters, saves outputs and widget state, and fails on a bad cell", { timeout: 180_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-exec-"));
  const file = path.join(dir, "p.ipynb");
  const cells = [
    {
      cell_type: "code",
      metadata: { tags: ["parameters"] },
      source: 'const steps = 150;\nconst task: string = "counting";',
      outputs: [],
      execution_count: null,
    },
    { cell_type: "markdown", metadata: {}, source: "Train with the parameters:" },
    {
      cell_type: "code",
      metadata: {},
      source: "%train --task ${task} --steps ${steps} --batch 8 --rank 2 --eval-every 2 --eval-prompts 3 --eval-questions 6 --name p1",
      outputs: [],
      execution_count: null,
    },
    { cell_type: "code", metadata: {}, source: "console.log('steps', steps); steps * 2", outputs: [], execution_count: null },
  ];
  fs.writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells }));
  const out = path.join(dir, "out.ipynb");
  const r = spawnSync(process.execPath, [bin, "execute", file, "-p", "steps=4", "--out", out, "--report"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const nb = JSON.parse(fs.readFileSync(out, "utf8"));
  assert.deepEqual(nb.metadata.transferlab.parameters, { steps: 4 });
  assert.match(
    nb.cells[2].outputs.find((o: { output_type: string }) => o.output_type === "execute_result").data["text/plain"],
    /run p1: finished at step 4\/4/,
  );
  assert.deepEqual(
    nb.cells[3].outputs.map((o: { output_type: string }) => o.output_type),
    ["stream", "execute_result"],
  );
  assert.equal(nb.cells[3].outputs[1].data["text/plain"], "8");
  const state = nb.metadata.widgets["application/vnd.jupyter.widget-state+json"].state;
  const figs = Object.values(state) as { model_name: string; state: { figure: { data: unknown[] } } }[];
  assert.equal(figs.length, 1);
  assert.equal(figs[0]!.model_name, "FigureModel");
  assert.ok(figs[0]!.state.figure.data.length > 0, "the widget's final state is saved");
  assert.ok(fs.existsSync(path.join(dir, "out.html")));
  const valid = spawnSync(
    "/usr/bin/python3",
    ["-c", "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')", out],
    { encoding: "utf8" },
  );
  assert.equal(valid.stdout.trim(), "valid", valid.stderr);

  fs.writeFileSync(
    file,
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        ...cells.slice(0, 1),
        { cell_type: "code", metadata: {}, source: "%train --steps ${nope}", outputs: [] },
        { cell_type: "code", metadata: {}, source: "'never'", outputs: [] },
      ],
    }),
  );
  const bad = spawnSync(process.execPath, [bin, "execute", file, "--out", out], { encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /cell 2 failed: MagicError: \$\{nope\}: no variable "nope" in the notebook/);
  const saved = JSON.parse(fs.readFileSync(out, "utf8"));
  assert.equal(saved.cells[1].outputs[0].output_type, "error");
  assert.equal(saved.cells[2].outputs.length, 0, "execution stopped at the failed cell");
});

test("execute saves a burst of 20,000 lines and one of 2,000 lines of 1 KB whole, each with its cell's result", { timeout: 180_000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-exec-burst-"));
  const file = path.join(dir, "burst.ipynb");
  fs.writeFileSync(
    file,
    JSON.stringify({
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { kernelspec: { name: "transferlab", display_name: "TransferLab (TypeScript)", language: "typescript" } },
      cells: [
        { cell_type: "code", metadata: {}, execution_count: null, source: "for (let i = 0; i < 20000; i++) console.log(i);\n'done'", outputs: [] },
        {
          cell_type: "code",
          metadata: {},
          execution_count: null,
          source: "const row = 'x'.repeat(1000);\nfor (let i = 0; i < 2000; i++) console.log(i + row);\n'wide done'",
          outputs: [],
        },
      ],
    }),
  );
  const out = path.join(dir, "out.ipynb");
  const r = spawnSync(process.execPath, [bin, "execute", file, "--out", out], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const cells = JSON.parse(fs.readFileSync(out, "utf8")).cells;
  const streamed = (cell: { outputs: { output_type: string; text?: string | string[] }[] }) =>
    cell.outputs
      .filter((o) => o.output_type === "stream")
      .map((o) => (Array.isArray(o.text) ? o.text.join("") : o.text))
      .join("");
  const result = (cell: { outputs: { output_type: string; data?: Record<string, unknown> }[] }) =>
    cell.outputs.filter((o) => o.output_type === "execute_result").map((o) => o.data!["text/plain"]);
  assert.equal(streamed(cells[0]), Array.from({ length: 20000 }, (_, i) => `${i}\n`).join(""), "every line, in order");
  assert.deepEqual(result(cells[0]), ["done"]);
  const row = "x".repeat(1000);
  assert.equal(streamed(cells[1]), Array.from({ length: 2000 }, (_, i) => `${i}${row}\n`).join(""), "every 1 KB line, in order");
  assert.deepEqual(result(cells[1]), ["wide done"]);
});
