// A real JupyterLab 4 (widgets/lab-app) or Notebook 7 notebook page (widgets/nb7-app) for the end-to-end
// tests: the frontend built from the npm registry's packages (cached until its lockfile or sources
// change), served by Debian's jupyterlab-server on 127.0.0.1 with token auth, with the kernelspec and the
// prebuilt extension that `transferlab install --prefix` writes.

import assert from "node:assert/strict";
import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { freePort } from "../../src/core/net";

const ROOT = path.join(__dirname, "..", "..", "..");
export const LAB_APP = path.join(ROOT, "widgets", "lab-app");
export const NB7_APP = path.join(ROOT, "widgets", "nb7-app");
const PYTHON = "/usr/bin/python3";

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed with ${r.status}:\n${(r.stdout ?? "").slice(-2000)}\n${(r.stderr ?? "").slice(-4000)}`);
}

/** What a built frontend depends on: the lockfile, the entry sources and the build config (its own and the shared one). */
function sourceStamp(app: string): string {
  const h = createHash("sha256");
  for (const f of [
    "package.json",
    "package-lock.json",
    "webpack.config.js",
    path.join("..", "frontend-webpack.js"),
    path.join("..", "frontend-bootstrap.js"),
    path.join("..", "frontend-plugins.js"),
    ...fs
      .readdirSync(path.join(app, "src"))
      .sort()
      .map((f) => path.join("src", f)),
  ]) {
    h.update(f);
    h.update(fs.readFileSync(path.join(app, f)));
  }
  return h.digest("hex");
}

/** Installs a frontend's packages (npm ci) and builds it, unless the cached build matches its sources. */
export function ensureLabApp(log: (s: string) => void = () => {}, app = LAB_APP): void {
  const name = path.basename(app);
  // npm writes node_modules/.package-lock.json on every install: older than the lockfile means stale.
  const lock = path.join(app, "package-lock.json");
  const installed = path.join(app, "node_modules", ".package-lock.json");
  if (!fs.existsSync(installed) || fs.statSync(installed).mtimeMs < fs.statSync(lock).mtimeMs) {
    log(`installing the frontend's packages (npm ci in widgets/${name})`);
    run(process.platform === "win32" ? "npm.cmd" : "npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], app);
  }
  const stamp = sourceStamp(app);
  const built = path.join(app, "static", ".stamp");
  if (!fs.existsSync(built) || fs.readFileSync(built, "utf8") !== stamp) {
    log(`building the frontend in widgets/${name} (webpack)`);
    run(process.execPath, [path.join(app, "node_modules", "webpack-cli", "bin", "cli.js"), "--config", "webpack.config.js"], app);
    fs.writeFileSync(built, stamp);
  }
}

export interface LabServer {
  url: string;
  token: string;
  /** The folder the server shows as its root (notebooks are put here). */
  root: string;
  proc: ChildProcess;
  log: () => string;
  /** Marks a notebook trusted for this server, as JupyterLab's "Trust Notebook" command does. */
  trust(file: string): void;
  stop(): Promise<void>;
}

/** Starts jupyterlab-server with a frontend (default JupyterLab) on a free port, with TransferLab installed into a fresh prefix. */
export async function startLabServer(app = LAB_APP): Promise<LabServer> {
  const probe = spawnSync(PYTHON, ["-c", "import jupyterlab_server, jupyter_server"], { encoding: "utf8" });
  if (probe.status !== 0)
    throw new Error(`${PYTHON} cannot import jupyterlab_server: apt-get install python3-jupyterlab-server (.ci/run does)\n${probe.stderr}`);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "tl-jlab-"));
  const prefix = path.join(base, "prefix");
  const root = path.join(base, "root");
  fs.mkdirSync(root);
  run(process.execPath, [path.join(ROOT, "bin", "transferlab.js"), "install", "--prefix", prefix], ROOT);
  // TRANSFERLAB_TEST_KERNEL=path/to/dist/kernel/main.js runs the test against another kernel build (to
  // show that a test fails on a kernel without the fix it checks).
  const otherKernel = process.env["TRANSFERLAB_TEST_KERNEL"];
  if (otherKernel) {
    const specFile = path.join(prefix, "share", "jupyter", "kernels", "transferlab", "kernel.json");
    const spec = JSON.parse(fs.readFileSync(specFile, "utf8"));
    spec.argv[1] = path.resolve(otherKernel);
    fs.writeFileSync(specFile, JSON.stringify(spec, null, 1));
  }
  const port = await freePort();
  const token = randomBytes(12).toString("hex");
  const env = {
    ...process.env,
    JUPYTER_PATH: path.join(prefix, "share", "jupyter"),
    JUPYTER_RUNTIME_DIR: path.join(base, "runtime"),
    JUPYTER_CONFIG_DIR: path.join(base, "config"),
    JUPYTER_DATA_DIR: path.join(base, "data"),
  };
  const args = [
    path.join(app, "server.py"),
    "--state",
    path.join(base, "state"),
    "--labextensions",
    path.join(prefix, "share", "jupyter", "labextensions"),
    `--port=${port}`,
    "--ip=127.0.0.1",
    "--no-browser",
    "--allow-root",
    `--ServerApp.token=${token}`,
    `--ServerApp.root_dir=${root}`,
    "--ServerApp.port_retries=0",
  ];
  const proc = spawn(PYTHON, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-20000));
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the JupyterLab server exited with ${proc.exitCode}:\n${log}`);
    try {
      const r = await fetch(`${url}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the JupyterLab server did not answer within 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    token,
    root,
    proc,
    log: () => log,
    trust(file: string) {
      // jupyter_server's notary signs with the secret in the Jupyter data folder (JUPYTER_DATA_DIR).
      const code = "import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nnb = nbformat.read(sys.argv[1], as_version=4)\nNotebookNotary().sign(nb)";
      const r = spawnSync(PYTHON, ["-c", code, file], { env, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`could not trust ${file}: ${r.stderr}`);
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 1500));
        if (proc.exitCode === null) proc.kill("SIGKILL");
      }
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

// Code inside page.evaluate runs in the browser; these names exist there, not in Node's types.
declare const window: any;
declare const document: any;

/**
 * Driving the notebook held in the page's `window.__nb` as a user does (the page as it is when called): keys typed into its last cell,
 * Shift+Enter, waiting until the cell has run; `step` keeps a screenshot and the server's log when a
 * check fails.
 */
export function notebookDriver(pageOf: () => Page, artifacts: string, server: () => LabServer) {
  async function step(name: string, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (e) {
      fs.mkdirSync(artifacts, { recursive: true });
      const slug = name.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
      await pageOf()
        .screenshot({ path: path.join(artifacts, `${slug}.png`), fullPage: true })
        .catch(() => {});
      fs.writeFileSync(path.join(artifacts, `${slug}.server.log`), server().log());
      throw e;
    }
  }

  /** Types code into the last cell of the notebook (edit mode, as a user clicks into it). */
  async function typeIntoLastCell(code: string): Promise<number> {
    const index = await pageOf().evaluate(() => {
      const nb = window.__nb.content;
      nb.activeCellIndex = nb.widgets.length - 1;
      nb.mode = "edit";
      nb.activeCell.editor.focus();
      return nb.activeCellIndex;
    });
    await pageOf().keyboard.insertText(code);
    return index as number;
  }

  /** Whether cell i has finished: an execution count in its prompt and the kernel idle. */
  async function waitCellDone(i: number, timeout = 120_000): Promise<void> {
    await pageOf().waitForFunction(
      (k: number) => {
        const cell = window.__nb.content.widgets[k];
        return (
          cell.model.executionCount !== null && !/\*/.test(cell.promptNode?.textContent ?? "") && window.__nb.sessionContext.session?.kernel?.status === "idle"
        );
      },
      i,
      { timeout },
    );
  }

  async function outputText(i: number): Promise<string> {
    return pageOf().evaluate(
      (k: number) =>
        [...window.__nb.content.widgets[k].outputArea.node.querySelectorAll(".jp-OutputArea-output")].map((o: any) => o.innerText).join("\n") as string,
      i,
    );
  }

  /** Types code into the last cell, runs it with Shift+Enter and waits for it; returns the output text. */
  async function runCell(code: string, timeout = 120_000): Promise<{ index: number; text: string }> {
    const index = await typeIntoLastCell(code);
    await pageOf().keyboard.press("Shift+Enter");
    await waitCellDone(index, timeout);
    return { index, text: await outputText(index) };
  }

  /** Tab after `Math.a` lists the kernel's candidates (abs, acos, atan2, …). */
  async function expectCompletion(): Promise<void> {
    const page = pageOf();
    await typeIntoLastCell("Math.a");
    try {
      await page.keyboard.press("Tab");
      await page.waitForSelector(".jp-Completer .jp-Completer-item", { timeout: 15_000 });
      const items = (await page.locator(".jp-Completer .jp-Completer-item").allInnerTexts()).map((t) => t.trim());
      assert.ok(items.length >= 3, `a list of candidates: ${JSON.stringify(items)}`);
      assert.ok(
        ["abs", "acos", "atan2"].every((name) => items.some((t) => t.startsWith(name))),
        JSON.stringify(items),
      );
    } finally {
      await page.keyboard.press("Escape");
      await page.evaluate(() => window.__nb.content.activeCell.model.sharedModel.setSource(""));
    }
  }

  /** Shift-Tab inside `Math.max(` shows its signature in a tooltip. */
  async function expectSignatureTooltip(): Promise<void> {
    const page = pageOf();
    await typeIntoLastCell("Math.max(");
    try {
      await page.keyboard.press("Shift+Tab");
      await page.waitForSelector(".jp-Tooltip", { timeout: 15_000 });
      const text = await page.locator(".jp-Tooltip").innerText();
      assert.match(text, /max\(\.\.\.values: number\[\]\): number/, `the tooltip: ${JSON.stringify(text.slice(0, 200))}`);
    } finally {
      await page.keyboard.press("Escape");
      await page.evaluate(() => window.__nb.content.activeCell.model.sharedModel.setSource(""));
    }
  }

  /** A long %train stopped by the interrupt command: the cell says so, with no internal stack frames. */
  async function expectInterruptedTrain(name: string): Promise<void> {
    const page = pageOf();
    const index = await typeIntoLastCell(`%train --task counting --objective und --rank 2 --steps 5000 --eval-every 0 --name ${name}`);
    await page.keyboard.press("Shift+Enter");
    // Training is under way once its progress line shows a step count.
    await page.waitForFunction((k: number) => /\d+\/5000/.test(window.__nb.content.widgets[k].outputArea.node.innerText), index, { timeout: 60_000 });
    await page.evaluate(() => window.jupyterapp.commands.execute("notebook:interrupt-kernel"));
    await waitCellDone(index, 60_000);
    const interrupted = await outputText(index);
    assert.match(interrupted, /interrupt/i);
    assert.doesNotMatch(interrupted, /node_modules|dist\/(src|kernel)|\bat [\w.<>]+ \(/, `no internal frames: ${JSON.stringify(interrupted.slice(0, 400))}`);
  }

  /**
   * The dark theme redraws the open chart dark, and a paired-effects chart drawn there keeps its whiskers'
   * verdict colours (green: a gain, grey: no effect), not plotly's default #444 that vanishes on dark.
   * Needs a chart on the page; the theme is set back to light.
   */
  async function expectDarkThemeCharts(): Promise<void> {
    const page = pageOf();
    const background = () => {
      const el = document.querySelector(".transferlab-figure .main-svg");
      return el ? (window.getComputedStyle(el).backgroundColor as string) : "";
    };
    const light = (await page.evaluate(background)) as string;
    await page.evaluate(() => window.jupyterapp.commands.execute("apputils:change-theme", { theme: "JupyterLab Dark" }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === "false", undefined, { timeout: 20_000 });
    await page.waitForFunction(
      (before: string) => {
        const el = document.querySelector(".transferlab-figure .main-svg");
        return !!el && window.getComputedStyle(el).backgroundColor !== before;
      },
      light,
      { timeout: 20_000 },
    );
    const dark = (await page.evaluate(background)) as string;
    const lum = (c: string) => (c.match(/\d+/g) ?? ["255", "255", "255"]).slice(0, 3).reduce((sum, v) => sum + Number(v), 0) / 3;
    assert.ok(lum(dark) < 100 && lum(light) > 200, `background light ${light} → dark ${dark}`);
    const r = await runCell(
      "await new FigureWidget((t: any) => viz.pairedEffects(t), aq.from([{ direction: 'und→gen', metric: 'accuracy', delta: 0.1, lo: 0.05, hi: 0.15, verdict: 'positive', better: 'higher' }, { direction: 'gen→gen', metric: 'accuracy', delta: 0, lo: -0.05, hi: 0.05, verdict: 'null', better: 'higher' }]), { title: 'whiskers' }).show();",
    );
    await page.waitForFunction((k: number) => window.__nb.content.widgets[k].outputArea.node.querySelectorAll(".errorbar path").length >= 2, r.index, {
      timeout: 30_000,
    });
    const strokes = (await page.evaluate(
      (k: number) => [...window.__nb.content.widgets[k].outputArea.node.querySelectorAll(".errorbar path")].map((p: any) => window.getComputedStyle(p).stroke),
      r.index,
    )) as string[];
    assert.deepEqual([...new Set(strokes)].sort(), ["rgb(140, 140, 140)", "rgb(44, 160, 44)"], `whisker colours in the dark theme: ${JSON.stringify(strokes)}`);
    await page.evaluate(() => window.jupyterapp.commands.execute("apputils:change-theme", { theme: "JupyterLab Light" }));
    await page.waitForFunction(() => document.body.dataset.jpThemeLight === "true", undefined, { timeout: 20_000 });
  }

  /**
   * Each shipped notebook (saved executed, with widget state), copied to the server's root and opened
   * untrusted by `open` (which leaves the notebook's panel in `window.__shown`), draws every chart: a
   * finished chart is a durable output, data a frontend renders without trust. Times are printed, not
   * asserted (shared cores): the deadline only catches a hang.
   */
  async function expectShippedNotebookCharts(frontend: string, open: (file: string) => Promise<void>): Promise<void> {
    const page = pageOf();
    const shipped = path.join(ROOT, "notebooks");
    for (const name of fs
      .readdirSync(shipped)
      .filter((f) => f.endsWith(".ipynb"))
      .sort()) {
      await step(`saved notebook ${name}`, async () => {
        const nb = JSON.parse(fs.readFileSync(path.join(shipped, name), "utf8"));
        const views = nb.cells
          .flatMap((c: { outputs?: { data?: Record<string, unknown> }[] }) => c.outputs ?? [])
          .filter((o: { data?: Record<string, unknown> }) => o.data?.["application/vnd.jupyter.widget-view+json"]).length;
        assert.ok(views > 0, `${name} has saved charts`);
        fs.copyFileSync(path.join(shipped, name), path.join(server().root, name));
        const t0 = Date.now();
        await open(name);
        try {
          await page.waitForFunction(
            (n: number) => {
              const figs = [...window.__shown.node.querySelectorAll(".transferlab-figure[data-durable]")];
              return figs.length === n && figs.every((f: any) => Number(f.dataset.draws) >= 1);
            },
            views,
            { timeout: 60_000, polling: 100 },
          );
        } catch (e) {
          const state = await page.evaluate(() => ({
            figures: window.__shown.node.querySelectorAll(".transferlab-figure").length,
            loading: (window.__shown.node.innerText.match(/Loading widget/g) ?? []).length,
            kernel: window.__shown.sessionContext.session?.kernel?.status,
          }));
          throw new Error(`${name}: ${views} saved charts not all drawn within a minute (${JSON.stringify(state)}): ${(e as Error).message}`);
        }
        console.log(`# ${frontend}, ${name}: ${views} charts drawn ${Date.now() - t0} ms after opening`);
        await page.evaluate(async () => {
          await window.__shown.sessionContext.shutdown();
          window.__shown.dispose();
        });
      });
    }
  }

  return {
    step,
    typeIntoLastCell,
    waitCellDone,
    outputText,
    runCell,
    expectCompletion,
    expectSignatureTooltip,
    expectInterruptedTrain,
    expectDarkThemeCharts,
    expectShippedNotebookCharts,
  };
}
