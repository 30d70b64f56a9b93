// The kernel driven by real Jupyter clients: Debian's python3-jupyter-client (execute, errors, complete,
// inspect, interrupt, comms, control comm, forged signatures, restart) and python3-nbclient (a notebook
// executed through the installed kernelspec, widget state stored).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { install } from "../kernel/install";

const root = path.join(__dirname, "..", "..");

function pythonWithJupyter(): string {
  for (const py of ["/usr/bin/python3", "python3"]) {
    if (spawnSync(py, ["-c", "import jupyter_client, nbclient"]).status === 0) return py;
  }
  throw new Error("no python3 with jupyter_client and nbclient: apt-get install python3-jupyter-client python3-nbclient (.ci/run does)");
}

function runPy(script: string, ...args: string[]): Record<string, unknown> {
  const r = spawnSync(pythonWithJupyter(), ["-u", path.join(root, "test", "kernel", script), ...args], { encoding: "utf8", timeout: 280_000 });
  assert.equal(r.status, 0, `${script} failed:\n${r.stderr.slice(-3000)}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "tl-kernelspec-"));
const { kernelDir, extensionDir } = install({ prefix });
const dataDir = path.join(prefix, "share", "jupyter");

test("install writes a kernelspec that runs this package's kernel, with its logo", () => {
  for (const f of ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]) assert.ok(fs.statSync(path.join(kernelDir, f)).size > 100, f);
  const spec = JSON.parse(fs.readFileSync(path.join(kernelDir, "kernel.json"), "utf8"));
  assert.equal(spec.display_name, "TransferLab (TypeScript)");
  assert.equal(spec.interrupt_mode, "signal");
  assert.ok(fs.existsSync(spec.argv[1]));
  assert.equal(spec.argv[2], "{connection_file}");
});

test("install copies the built JupyterLab extension where JupyterLab looks for it", () => {
  assert.equal(extensionDir, path.join(prefix, "share", "jupyter", "labextensions", "@transferlab", "widgets"));
  const built = path.join(root, "widgets", "labextension");
  const pkg = JSON.parse(fs.readFileSync(path.join(extensionDir!, "package.json"), "utf8"));
  assert.equal(pkg.name, "@transferlab/widgets");
  assert.ok(fs.existsSync(path.join(extensionDir!, pkg.jupyterlab._build.load)), "the remote entry was copied");
  assert.deepEqual(
    fs.readdirSync(path.join(extensionDir!, "static")).sort(),
    fs.readdirSync(path.join(built, "static")).sort(),
    "the copy is the build output",
  );
});

test("the Jupyter project's kernel conformance suite (jupyter_kernel_test) passes against the installed kernelspec", { timeout: 300_000 }, () => {
  const py = pythonWithJupyter();
  if (spawnSync(py, ["-c", "import jupyter_kernel_test"]).status !== 0)
    throw new Error("jupyter_kernel_test missing: apt-get install python3-jupyter-kernel-test (.ci/run does)");
  const r = spawnSync(py, [path.join(root, "test", "kernel", "conformance.py")], {
    encoding: "utf8",
    timeout: 280_000,
    env: { ...process.env, JUPYTER_PATH: dataDir },
  });
  // unittest reports on stderr: one line per test, then "OK" or "FAILED (...)".
  const report = r.stderr;
  assert.equal(r.status, 0, `conformance suite failed:\n${report.slice(-4000)}`);
  const passed = report
    .split("\n")
    .filter((l) => / \.\.\. ok$/.test(l))
    .map((l) => l.split(" ")[0]);
  for (const t of [
    "test_kernel_info",
    "test_execute_stdout",
    "test_execute_stderr",
    "test_completion",
    "test_is_complete",
    "test_error",
    "test_execute_result",
    "test_display_data",
    "test_history",
    "test_inspect",
    "test_clear_output",
  ])
    assert.ok(passed.includes(t), `${t} passed (${passed.join(", ")})`);
});

test("a real Jupyter client drives the kernel", { timeout: 300_000 }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tl-kernel-"));
  const r = runPy("client_checks.py", dataDir, work) as Record<string, any>;
  assert.deepEqual(r["kernel_info"], ["typescript", "5.3"]);
  assert.deepEqual(r["one_plus_one"], ["ok", "2", 1]);
  assert.deepEqual(r["stream_and_result"], ["hello world\n", "5"]);
  assert.deepEqual(
    r["type_error"],
    ["error", "TSError", "3:7 - Type 'string' is not assignable to type 'number'."],
    "TypeScript errors keep the cell's line numbers",
  );
  assert.deepEqual(r["runtime_error"], ["error", "RangeError", "out of range"]);
  const tb = r["traceback"] as string[];
  assert.equal(tb[0], "RangeError: n = 5");
  assert.match(tb[1]!, /^  Cell In\[\d+\], line 2, in boom$/);
  assert.equal(tb[2], "      if (n > 2) throw new RangeError(`n = ${n}`);");
  assert.match(tb[3]!, /^  Cell In\[\d+\], line 3$/);
  assert.equal(tb[4], "      boom(5);");
  assert.equal(tb.length, 5, `only the cells' frames: ${JSON.stringify(tb)}`);
  assert.match(
    r["unknown_magic"][1],
    /unknown line magic %nosuchmagic \(allowed: %ablate, %attention, %canvas, %compose, %eval, %evaluate, %generate, %help, %joint, %lsmagic, %metrics, %paper, %patch, %probe, %readout, %runs, %sh, %sharing, %statement, %sweep, %train, %transfer\)/,
  );
  assert.match(r["lsmagic"], /Line magics: .*%sh/);
  assert.equal(r["sh"], "from-shell\n");
  assert.deepEqual(r["display"], [
    ["display_data", "bar"],
    ["update_display_data", "bar"],
  ]);
  assert.equal(r["complete"], true);
  assert.deepEqual(r["inspect"], [true, true]);
  // Inside a call the callee is inspected (found, and its signature names it).
  for (const [found, head] of r["inspect_in_call"]) {
    assert.equal(found, true);
    assert.match(head, /\b(max|log)\(/, head);
  }
  assert.equal(r["is_complete"], "incomplete");
  for (const req of ["kernel_info", "complete", "inspect", "is_complete", "comm_info", "history"]) {
    assert.deepEqual(r["request_status"][req], ["busy", "idle"], `${req}: busy and idle on iopub with the request as parent`);
  }
  const [ok, displays, updates, comms] = r["figure_updates"];
  assert.deepEqual([ok, displays, updates], ["ok", 1, 1], "one display, one display update when the job finishes");
  assert.ok(comms >= 10 && comms <= 12, `${comms} comm updates for 10 flushes and the finish`);
  assert.deepEqual(r["show_last_line"], [1, 0], "await w.show() as the last line displays once");
  assert.deepEqual(r["title_in_figure"], { text: "titled" }, "the title option names the chart");
  assert.equal(r["history_tail"].length, 2);
  assert.match(r["history_tail"][1], /const w2 = new FigureWidget/);
  assert.deepEqual(r["history_range"], [1, 2]);
  assert.deepEqual(r["history_search"], ["%sh echo from-shell"]);
  assert.deepEqual(r["interrupt"], ["error", "KeyboardInterrupt", true]);
  assert.equal(r["after_interrupt"], "42", "an interrupt keeps the kernel's state");
  assert.equal(r["interrupt_sync"], "error");
  const [target, model, paths, nbuf, bytesOk] = r["comm_open"];
  assert.deepEqual([target, model, paths, nbuf, bytesOk], ["jupyter.widget", "IntSliderModel", [["data"]], 1, true]);
  assert.deepEqual(r["echo_update"], { value: 7 });
  assert.equal(r["update_reached_kernel"], "[ 7, 7 ]");
  assert.equal(r["update_states"][0], true);
  assert.equal(r["update_states"][1], 7);
  assert.deepEqual(r["update_states"][2][0].slice(1), ["state", "data"]);
  assert.equal(r["unknown_target_closed"], true);
  assert.equal(r["comm_info"], true);
  assert.deepEqual(r["forged"], [false, "still alive"], "a forged message must not run");
  assert.deepEqual(r["restart"], ["error", "1:1 - Cannot find name 'keep'."]);
});

test("nbclient executes a notebook through the kernelspec and stores widget state", { timeout: 300_000 }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tl-nbclient-"));
  const r = runPy("nbclient_check.py", dataDir, work) as Record<string, any>;
  assert.equal(r["valid"], true);
  assert.deepEqual(r["nbformat"], [4, 5]);
  assert.equal(r["result"], "42");
  assert.deepEqual(r["widget_models"], ["IntSliderModel"]);
  assert.deepEqual(r["widget_value"], [8]);
  assert.deepEqual(r["view_output"], [2]);
  assert.deepEqual(r["failing_notebook"], ["CellExecutionError", true, null], "a failing cell fails the notebook");
  // Durable charts: each chart's saved output holds its figure once its cell has ended, with no widget state saved.
  assert.equal(r["durable_widget_state"], false);
  assert.deepEqual(r["durable"][0], [["display_data", true, true]], "a chart a cell drew");
  assert.ok(
    r["durable"][1].length >= 1 && r["durable"][1].every((f: unknown[]) => f[1] === true),
    `%train's live chart, finished: ${JSON.stringify(r["durable"])}`,
  );
  // The report draws it from the output alone (no widget state in the notebook).
  const html = spawnSync(process.execPath, [path.join(root, "bin", "transferlab.js"), "report", r["durable_path"], "--out", path.join(work, "d.html")], {
    encoding: "utf8",
  });
  assert.equal(html.status, 0, html.stderr);
  assert.match(fs.readFileSync(path.join(work, "d.html"), "utf8"), /"durable-0"/);
});

test(
  "bursts of output arrive whole (20,000 lines; 2,000 × 1 KB) through jupyter_client and nbclient; async errors reach their cell",
  { timeout: 300_000 },
  () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "tl-burst-"));
    const r = runPy("burst_check.py", dataDir, work) as Record<string, any>;
    for (const k of ["lines", "wide"]) {
      assert.equal(r[k].status, "ok", k);
      assert.equal(r[k].complete, true, `${k}: every line arrived, in order`);
      assert.deepEqual(r[k].result, [k === "lines" ? "done" : "wide done"], `${k}: the result arrived`);
      // Coalesced: a handful of messages, not one per line (2,000 KB at most 1 MiB per message → ≥ 2).
      assert.ok(r[k].stream_messages <= 50, `${k}: ${r[k].stream_messages} stream messages`);
    }
    assert.deepEqual(r["order"], ["before\n", "middle", "after\n"], "output keeps its order around a display");
    assert.deepEqual(r["rejection"], ["error", [["RangeError", "lost rejection"]]], "an unhandled rejection fails its cell with an error output");
    assert.deepEqual(r["timer"], [["TypeError", "late throw"]], "a throw in a timer shows in the cell that set it");
    assert.deepEqual(r["alive"], ["42"]);
    const nb = r["nbclient"];
    assert.deepEqual([nb.lines, nb.wide], [true, true], "the saved notebook holds every line");
    assert.deepEqual([nb.lines_result, nb.wide_result], [["done"], ["wide done"]], "and each cell's result");
  },
);

test("an interrupt during %train stops it (time printed); the run is marked interrupted and the kernel lives; no library frames", { timeout: 200_000 }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tl-intr-"));
  const r = runPy("lab_interrupt_check.py", dataDir, work) as Record<string, any>;
  // How fast it stopped is printed (a benchmark figure on shared cores); the deadline only catches a hang.
  console.log(`interrupt stopped %train after ${r["stop_s"]} s`);
  assert.ok(r["stop_s"] < 30, `stopped after ${r["stop_s"]} s`);
  assert.deepEqual(r["reply"], ["error", "KeyboardInterrupt", true]);
  assert.equal((r["traceback"] as string[]).length, 1, `the interrupt shows no library frames: ${JSON.stringify(r["traceback"])}`);
  assert.doesNotMatch(r["traceback"][0], /[\\/]dist[\\/]|node_modules|^\s+at /);
  assert.deepEqual(r["status"], ["interrupted", "interrupt", true]);
  assert.equal(r["checkpoint"], true);
  assert.equal(r["alive"], "42");
  assert.deepEqual(r["rerun_without_resume"], ["error", true], "rerunning an interrupted run asks for resume");
});

test("a notebook calling every lab magic in quick mode runs through nbclient", { timeout: 400_000 }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tl-labnb-"));
  const r = runPy("lab_notebook_check.py", dataDir, work) as {
    cells: { source: string; outputs: { type: string; mimes?: string[]; text?: string; ename?: string; evalue?: string }[] }[];
    figures: { model: string; title: string; traces: number; types: string[]; rows: number }[];
  };
  const cell = (prefix: string) => r.cells.find((c) => c.source.startsWith(prefix))!;
  const errors = r.cells.filter((c) => c.outputs.some((o) => o.type === "error")).map((c) => c.source);
  assert.deepEqual(errors, ["%train --task countin"], "only the deliberately bad cell fails");
  const bad = r.cells.find((c) => c.source === "%train --task countin")!.outputs.find((o) => o.type === "error")!;
  assert.equal(bad.ename, "MagicError");
  assert.match(bad.evalue!, /--task: "countin" is not allowed \(allowed: counting, spatial, text, compose, new-word\); did you mean "counting"\?/);
  const train = cell("%train --task counting --objective und");
  assert.ok(
    train.outputs.some((o) => o.mimes?.includes("application/vnd.jupyter.widget-view+json") && /curves: .*und accuracy/.test(o.text!)),
    "a live curve widget with a text summary",
  );
  assert.match(train.outputs.find((o) => o.type === "execute_result")!.text!, /run nb-und: finished at step 6\/6/);
  assert.ok(
    cell("%generate").outputs.some(
      (o) => o.mimes?.includes("application/vnd.jupyter.widget-view+json") && /base: a photo of five circles \| nb-und/.test(o.text!),
    ),
    "a labelled image grid",
  );
  assert.match(cell("%eval").outputs.find((o) => o.type === "execute_result")!.text!, /\|nb-und\|gen\|accuracy\|/);
  const transfer = cell("%transfer")
    .outputs.map((o) => o.text ?? "")
    .join("\n");
  assert.match(transfer, /base: shared-unified@[0-9a-f]{12} \(models\/shared-unified\)/, "the base every number is against, by folder and weights hash");
  assert.match(transfer, /Transfer strength \(Table 6\)/);
  assert.match(transfer, /Distribution shift \(Table 11\)/);
  assert.match(cell("%joint").outputs.find((o) => o.type === "execute_result")!.text!, /\|epoch\|side\|metric\|/);
  assert.match(cell("%ablate").outputs.find((o) => o.type === "execute_result")!.text!, /\|rank\|/);
  assert.match(cell("%compose").outputs.find((o) => o.type === "execute_result")!.text!, /joint_accuracy/);
  assert.ok(cell("%attention").outputs.some((o) => o.mimes?.includes("application/vnd.jupyter.widget-view+json") && /attention of "circles"/.test(o.text!)));
  assert.match(cell("%runs").outputs[0]!.text!, /nb-und\|counting\|und\|4\|/);
  assert.match(cell("%paper").outputs[0]!.text!, /Table \(12 rows/);
  assert.equal(cell("const t = lab.runs()").outputs[0]!.text, "8");
  // Widget state saved with the notebook: the last state of every chart, with its table.
  assert.ok(r.figures.length >= 4);
  assert.ok(r.figures.every((f) => f.model === "FigureModel" && f.traces > 0 && f.rows > 0));
  const grid = r.figures.find((f) => /^Generated images/.test(f.title))!;
  assert.deepEqual([grid.traces, grid.types, grid.rows], [4, ["image"], 4], "2 models × 2 seeds, one image trace and one table row each");
  const attention = r.figures.find((f) => f.title === "Attention")!;
  assert.deepEqual([attention.traces, attention.types], [2, ["heatmap"]], "base and adapter, each a heat map over its image");
});
