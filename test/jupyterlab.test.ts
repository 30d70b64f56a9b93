// TransferLab inside a real JupyterLab 4: the frontend built from the npm registry's
// @jupyterlab/* packages and @jupyter-widgets/jupyterlab-manager, served by Debian's jupyterlab-server,
// with the kernelspec and prebuilt extension from `transferlab install --prefix`, driven in Debian's
// chromium by playwright-core the way a user works: keys typed into cells, Shift+Enter, Tab, the
// interrupt and theme commands, a saved notebook reopened with a fresh kernel.
//
// Each check keeps a screenshot of the page when it fails (test-artifacts/jupyterlab/).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { chromium, Browser, Page } from "playwright-core";
import { ensureLabApp, notebookDriver, startLabServer, LabServer } from "./helpers/jupyterlab";

// Code inside page.evaluate runs in the browser; these names exist there, not in Node's types.
declare const window: any;
declare const document: any;
declare const MutationObserver: any;

const ROOT = path.join(__dirname, "..", "..");
const ARTIFACTS = path.join(ROOT, "test-artifacts", "jupyterlab");
const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";

let browser: Browser;
let server: LabServer;
let page: Page;
const { step, runCell, expectCompletion, expectSignatureTooltip, expectInterruptedTrain, expectDarkThemeCharts, expectShippedNotebookCharts } = notebookDriver(
  () => page,
  ARTIFACTS,
  () => server,
);
/** Kernel messages the page received over its websocket, decoded (JupyterLab's JSON text frames). */
const received: { type: string; bytes: number; at: number }[] = [];

before(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (.ci/run does), or set CHROMIUM`);
  ensureLabApp((s) => console.log(`# ${s}`));
  server = await startLabServer();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on("websocket", (ws) => {
    ws.on("framereceived", (f) => {
      const bytes = typeof f.payload === "string" ? Buffer.byteLength(f.payload) : f.payload.length;
      received.push({ type: messageType(f.payload), bytes, at: Date.now() });
    });
  });
  // Count every figure view the widget manager ever creates (a view re-created per update would show here).
  // Live widget views and durable figures are counted apart; the most draws a live view reached is kept
  // (a finished chart is redrawn once by the durable renderer, so the live view's count is read here).
  await page.addInitScript(() => {
    window.__figureViews = 0;
    window.__durableFigures = 0;
    window.__maxLiveDraws = 0;
    const count = (n: any, sel: string) => (n.matches(sel) ? 1 : 0) + n.querySelectorAll(sel).length;
    new MutationObserver((records: any[]) => {
      for (const r of records) {
        if (r.type === "attributes" && r.target.matches?.(".transferlab-figure:not([data-durable])"))
          window.__maxLiveDraws = Math.max(window.__maxLiveDraws, Number(r.target.dataset.draws ?? 0));
        for (const n of r.addedNodes ?? [])
          if (n.nodeType === 1) {
            window.__figureViews += count(n, ".transferlab-figure:not([data-durable])");
            window.__durableFigures += count(n, ".transferlab-figure[data-durable]");
          }
      }
    }).observe(document, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-draws"] });
  });
  await page.goto(`${server.url}/lab?token=${server.token}`);
  await page.waitForSelector("body[data-lab-restored=true]", { state: "attached", timeout: 90_000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * The msg_type of a kernel message as the server relays it: JSON text, or the binary framing of the
 * v1.kernel.websocket.jupyter.org protocol (a count of offsets, the offsets, then channel, header, …).
 */
function messageType(payload: string | Buffer): string {
  try {
    if (typeof payload === "string") return JSON.parse(payload).header?.msg_type ?? "?";
    const n = Number(payload.readBigUInt64LE(0));
    const offsets = Array.from({ length: n }, (_, i) => Number(payload.readBigUInt64LE(8 * (i + 1))));
    const type = JSON.parse(payload.subarray(offsets[1], offsets[2]).toString("utf8")).msg_type ?? "?";
    if (type !== "update_display_data") return type;
    // A display update of a chart (not of the progress line) carries the widget view.
    const content = JSON.parse(payload.subarray(offsets[4], offsets[5]).toString("utf8"));
    if (content.data?.["application/vnd.transferlab.figure+json"]) return "update_display_data:durable";
    return content.data?.["application/vnd.jupyter.widget-view+json"] ? "update_display_data:widget" : type;
  } catch {
    return "?";
  }
}

/** Opens a new notebook on the TransferLab kernel and waits until the kernel is idle. */
async function newNotebook(): Promise<void> {
  await page.evaluate(async () => {
    const panel = await window.jupyterapp.commands.execute("notebook:create-new", { kernelName: "transferlab" });
    await panel.context.ready;
    await panel.sessionContext.ready;
    window.__nb = panel;
  });
  await page.waitForFunction(() => window.__nb.sessionContext.session?.kernel?.status === "idle", undefined, { timeout: 60_000 });
}

test("JupyterLab 4 loads TransferLab's prebuilt extension and runs a cell on the TransferLab kernel", { timeout: 240_000 }, async () => {
  await step("plugin and 1+1", async () => {
    const active = await page.evaluate(() => window.jupyterapp.isPluginActivated("@transferlab/widgets:plugin"));
    assert.equal(active, true, "the @transferlab/widgets plugin is activated");
    await newNotebook();
    const r = await runCell("1+1");
    assert.equal(r.text.trim(), "2");
  });
});

test("Tab completion shows the kernel's candidates in a list", { timeout: 120_000 }, async () => {
  await step("completion", expectCompletion);
});

test("Shift-Tab inside a call shows the function's signature in a tooltip", { timeout: 120_000 }, async () => {
  await step("inspect in a call", expectSignatureTooltip);
});

test("an unhandled rejection and a throw in a timer appear in the cell that scheduled them", { timeout: 120_000 }, async () => {
  await step("async errors", async () => {
    const r = await runCell("Promise.reject(new Error('late boom'));\n'scheduled'");
    assert.match(r.text, /late boom/, `the rejection in its cell: ${JSON.stringify(r.text.slice(0, 300))}`);
    const t = await runCell("setTimeout(() => { throw new Error('timer boom'); }, 10);\nawait new Promise((ok) => setTimeout(ok, 200));\n'waited'");
    assert.match(t.text, /timer boom/, `the timer's throw in its cell: ${JSON.stringify(t.text.slice(0, 300))}`);
  });
});

test("%train draws one chart that updates in place, with a bounded number of messages per update", { timeout: 300_000 }, async () => {
  await step("train chart", async () => {
    const viewsBefore = (await page.evaluate(() => window.__figureViews)) as number;
    const durableBefore = (await page.evaluate(() => window.__durableFigures)) as number;
    await page.evaluate(() => (window.__maxLiveDraws = 0));
    const since = Date.now();
    const r = await runCell(
      "%train --task counting --objective und --rank 4 --steps 12 --eval-every 4 --eval-prompts 6 --eval-questions 12 --name jl-und",
      240_000,
    );
    assert.match(r.text, /jl-und/);
    const cellFigures = await page.evaluate(
      (k: number) => window.__nb.content.widgets[k].outputArea.node.querySelectorAll(".transferlab-figure").length,
      r.index,
    );
    assert.equal(cellFigures, 1, "one chart in the cell's output");
    const created = ((await page.evaluate(() => window.__figureViews)) as number) - viewsBefore;
    assert.equal(created, 1, `live figure views created during %train: ${created} (a view per update would leak)`);
    const draws = (await page.evaluate(() => window.__maxLiveDraws)) as number;
    assert.ok(draws >= 2, `the live chart was redrawn in place (${draws} draws)`);
    // When training ends the output becomes durable: the finished chart, drawn from the output's own data.
    await page.waitForFunction(
      (k: number) => !!window.__nb.content.widgets[k].outputArea.node.querySelector(".transferlab-figure[data-durable][data-draws]"),
      r.index,
      { timeout: 30_000 },
    );
    assert.equal(((await page.evaluate(() => window.__durableFigures)) as number) - durableBefore, 1, "one durable chart at the end");
    const during = received.filter((m) => m.at >= since);
    const displayUpdates = during.filter((m) => m.type === "update_display_data:widget").length;
    assert.equal(during.filter((m) => m.type === "update_display_data:durable").length, 1, "one display update, at the end: the durable chart");
    const comm = during.filter((m) => m.type === "comm_msg");
    const bytes = during.reduce((s, m) => s + m.bytes, 0);
    const kinds: Record<string, number> = {};
    for (const m of during) kinds[m.type] = (kinds[m.type] ?? 0) + 1;
    console.log(
      `# %train 12 steps: ${during.length} messages ${JSON.stringify(kinds)}, ${displayUpdates} chart display updates, ${(bytes / 1024).toFixed(0)} KiB, ${created} view(s), ${draws} draws`,
    );
    assert.equal(displayUpdates, 0, "figure updates travel as comm state only");
    assert.ok(comm.length <= 40, `${comm.length} comm messages for a 12-step run`);
    assert.ok(bytes < 600 * 1024, `${bytes} bytes received for a 12-step run`);
  });
});

test("a %train chart survives saving (widget state not saved), kernel shutdown and reopening", { timeout: 300_000 }, async () => {
  await step("durable after reopen", async () => {
    await newNotebook();
    const r = await runCell(
      "%train --task counting --objective und --rank 2 --steps 4 --eval-every 2 --eval-prompts 2 --eval-seeds 1 --eval-questions 4 --name jl-durable",
      240_000,
    );
    await page.waitForFunction(
      (k: number) => !!window.__nb.content.widgets[k].outputArea.node.querySelector(".transferlab-figure[data-durable][data-draws]"),
      r.index,
      { timeout: 30_000 },
    );
    const file = (await page.evaluate(async () => {
      await window.__nb.context.save();
      const p = window.__nb.context.path;
      await window.__nb.sessionContext.shutdown();
      window.__nb.dispose();
      return p;
    })) as string;
    const saved = JSON.parse(fs.readFileSync(path.join(server.root, file), "utf8"));
    assert.equal(saved.metadata?.widgets, undefined, "JupyterLab's default: widget state is not saved");
    await page.evaluate(async (p: string) => {
      window.__reopened = await window.jupyterapp.commands.execute("docmanager:open", { path: p, factory: "Notebook" });
      await window.__reopened.context.ready;
    }, file);
    await page.waitForFunction(() => !!window.__reopened.node.querySelector(".transferlab-figure[data-durable][data-draws]"), undefined, { timeout: 60_000 });
    const text = (await page.evaluate(() => window.__reopened.node.innerText)) as string;
    assert.doesNotMatch(text, /Error displaying widget/);
    await page.evaluate(async () => {
      await window.__reopened.sessionContext.shutdown();
      window.__reopened.dispose();
    });
    await newNotebook();
  });
});

test("a burst of 20,000 printed lines arrives whole in JupyterLab, with the result and the kernel idle (time printed)", { timeout: 180_000 }, async () => {
  await step("burst", async () => {
    const t0 = Date.now();
    const r = await runCell("for (let i = 0; i < 20000; i++) console.log(i);\n'burst done'", 120_000);
    console.log(`# 20,000 lines rendered in ${Date.now() - t0} ms`);
    const lines = r.text.split("\n").filter((l) => /^\d+$/.test(l.trim()));
    assert.equal(lines.length, 20000, "every line is in the output");
    assert.equal(lines[19999]!.trim(), "19999");
    assert.match(r.text, /burst done/, "the result arrived");
    // 20,000 lines push later cells far down (windowed out of view): cleared for the tests that follow.
    await page.evaluate(
      (k: number) => window.__nb.content.widgets[k].model.sharedModel.transact(() => window.__nb.content.widgets[k].model.outputs.clear()),
      r.index,
    );
  });
});

test("a burst of 2,000 lines of 1 KB arrives whole in JupyterLab, with the result (time printed)", { timeout: 180_000 }, async () => {
  await step("wide burst", async () => {
    const t0 = Date.now();
    const r = await runCell("const row = 'x'.repeat(1000);\nfor (let i = 0; i < 2000; i++) console.log(i + row);\n'wide done'", 120_000);
    console.log(`# 2,000 lines of 1 KB rendered in ${Date.now() - t0} ms`);
    const lines = r.text.split("\n").filter((l) => /^\d+x{1000}$/.test(l.trim()));
    assert.equal(lines.length, 2000, "every 1 KB line is in the output");
    assert.match(r.text, /wide done/, "the result arrived");
    await page.evaluate(
      (k: number) => window.__nb.content.widgets[k].model.sharedModel.transact(() => window.__nb.content.widgets[k].model.outputs.clear()),
      r.index,
    );
  });
});

test("a legend click in the chart reaches the kernel", { timeout: 120_000 }, async () => {
  await step("legend", async () => {
    const shown = await runCell(
      'const rows = [0, 5, 10].flatMap((s) => [{ run: "r", step: s, side: "und", metric: "accuracy", value: 0.1 + s / 100 }, { run: "r", step: s, side: "gen", metric: "accuracy", value: 0.3 - s / 200 }]);\n' +
        'const w = new FigureWidget((t) => viz.trainingCurves(t, { bands: false }), aq.from(rows), { title: "legend check", live: true });\nawait w.show();',
    );
    // The cell by its widget (not its place among the windowed notebook's children), scrolled into view.
    await page.evaluate((k: number) => {
      const node = window.__nb.content.widgets[k].node;
      node.dataset.testCell = "legend";
      node.scrollIntoView();
    }, shown.index);
    const legend = page.locator(`[data-test-cell="legend"] .legendtoggle`).first();
    await legend.waitFor({ timeout: 15_000 });
    await legend.click();
    let hidden = "";
    for (let i = 0; i < 20 && !hidden.includes("accuracy"); i++) {
      hidden = (await runCell("JSON.stringify(w.hidden)")).text;
    }
    assert.match(hidden, /accuracy/);
  });
});

test("the chart follows JupyterLab's theme: switching to dark redraws it in dark colours", { timeout: 120_000 }, async () => {
  await step("dark theme", expectDarkThemeCharts);
});

test("the interrupt button stops %train after its step; the kernel keeps its variables; restart clears them", { timeout: 300_000 }, async () => {
  await step("interrupt and restart", async () => {
    await runCell("const keep = 42; keep");
    await expectInterruptedTrain("jl-long");
    assert.equal((await runCell("keep")).text.trim(), "42");
    await page.evaluate(() => window.__nb.sessionContext.restartKernel());
    await page.waitForFunction(() => window.__nb.sessionContext.session?.kernel?.status === "idle", undefined, { timeout: 60_000 });
    assert.match((await runCell("keep")).text, /Cannot find name 'keep'/, "a restarted kernel has no variables");
    assert.equal((await runCell("1+1")).text.trim(), "2");
  });
});

test("a shipped notebook opened untrusted with a fresh kernel shows every chart (durable outputs; time printed)", { timeout: 300_000 }, async () => {
  // Opened untrusted, as a notebook from elsewhere opens: JupyterLab renders only safe outputs.
  await expectShippedNotebookCharts("JupyterLab", async (file) => {
    await page.evaluate(async (p: string) => {
      window.__shown = await window.jupyterapp.commands.execute("docmanager:open", { path: p, factory: "Notebook", kernel: { name: "transferlab" } });
    }, file);
  });
});
