// TransferLab inside Notebook 7, the other frontend most users have: its notebook page built from the npm
// registry's @jupyter-notebook/* and @jupyterlab/* packages (widgets/nb7-app), served by Debian's
// jupyterlab-server, with the kernelspec and prebuilt extension from `transferlab install --prefix`,
// driven in Debian's chromium by playwright-core as a user works: a notebook opened at /notebooks/<path>,
// keys typed into cells, Shift+Enter, Tab and Shift-Tab, the theme and interrupt commands, a saved
// notebook reopened with a fresh kernel, a shipped notebook opened untrusted.
//
// Each check keeps a screenshot of the page when it fails (test-artifacts/notebook7/).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { chromium, Browser, Page } from "playwright-core";
import { ensureLabApp, notebookDriver, startLabServer, LabServer, NB7_APP } from "./helpers/jupyterlab";

// Code inside page.evaluate runs in the browser; these names exist there, not in Node's types.
declare const window: any;
declare const document: any;

const ROOT = path.join(__dirname, "..", "..");
const ARTIFACTS = path.join(ROOT, "test-artifacts", "notebook7");
const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";

let browser: Browser;
let server: LabServer;
let page: Page;
const { step, runCell, expectCompletion, expectSignatureTooltip, expectInterruptedTrain, expectDarkThemeCharts, expectShippedNotebookCharts } = notebookDriver(
  () => page,
  ARTIFACTS,
  () => server,
);

before(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (.ci/run does), or set CHROMIUM`);
  ensureLabApp((s) => console.log(`# ${s}`), NB7_APP);
  server = await startLabServer(NB7_APP);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
  page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** An empty notebook on the TransferLab kernel, as a file in the server's root. */
function emptyNotebook(name: string): string {
  const nb = {
    cells: [{ cell_type: "code", execution_count: null, id: "first", metadata: {}, outputs: [], source: "" }],
    metadata: { kernelspec: { name: "transferlab", display_name: "TransferLab", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  fs.writeFileSync(path.join(server.root, name), JSON.stringify(nb));
  return name;
}

/** Opens a notebook's page (/notebooks/<path>) as a user follows its link, and waits for its kernel when it has one. */
async function openPage(file: string, waitKernel = true): Promise<void> {
  await page.goto(`${server.url}/notebooks/${encodeURIComponent(file)}?token=${server.token}`);
  await page.waitForSelector("body[data-notebook-restored=true]", { state: "attached", timeout: 90_000 });
  await page.waitForFunction(() => window.jupyterapp.shell.currentWidget?.content?.widgets?.length > 0, undefined, { timeout: 60_000 });
  await page.evaluate(async () => {
    window.__nb = window.jupyterapp.shell.currentWidget;
    await window.__nb.context.ready;
    await window.__nb.sessionContext.ready;
  });
  if (waitKernel) await page.waitForFunction(() => window.__nb.sessionContext.session?.kernel?.status === "idle", undefined, { timeout: 60_000 });
}

test("Notebook 7 opens a notebook on the TransferLab kernel, with TransferLab's prebuilt extension, and runs a cell", { timeout: 240_000 }, async () => {
  await step("plugin and 1+1", async () => {
    await openPage(emptyNotebook("first.ipynb"));
    assert.equal(await page.evaluate(() => window.jupyterapp.name), "Jupyter Notebook");
    assert.equal(
      await page.evaluate(() => window.jupyterapp.isPluginActivated("@transferlab/widgets:plugin")),
      true,
      "the @transferlab/widgets plugin is activated",
    );
    const r = await runCell("1+1");
    assert.equal(r.text.trim(), "2");
    // Notebook 7's own shell (one document, its top bar), not JupyterLab's.
    assert.equal(await page.evaluate(() => window.jupyterapp.shell.constructor.name), "NotebookShell");
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, "notebook-page.png") });
  });
});

test("Notebook 7: Tab completes from the kernel, Shift-Tab inside a call shows the signature", { timeout: 120_000 }, async () => {
  await step("completion and inspect", async () => {
    await expectCompletion();
    await expectSignatureTooltip();
  });
});

test("Notebook 7: an unhandled rejection appears in the cell that scheduled it", { timeout: 120_000 }, async () => {
  await step("async error", async () => {
    const r = await runCell("Promise.reject(new Error('late boom'));\n'scheduled'");
    assert.match(r.text, /late boom/, `the rejection in its cell: ${JSON.stringify(r.text.slice(0, 300))}`);
  });
});

test("Notebook 7: %train draws one live chart that becomes durable, survives saving, kernel shutdown and reopening", { timeout: 300_000 }, async () => {
  await step("live chart and reopen", async () => {
    const file = emptyNotebook("train.ipynb");
    await openPage(file);
    const r = await runCell(
      "%train --task counting --objective und --rank 2 --steps 6 --eval-every 2 --eval-prompts 2 --eval-seeds 1 --eval-questions 4 --name nb7-train",
      240_000,
    );
    assert.match(r.text, /nb7-train/);
    const figures = (k: number) => window.__nb.content.widgets[k].outputArea.node.querySelectorAll(".transferlab-figure").length;
    assert.equal(await page.evaluate(figures, r.index), 1, "one chart in the cell's output");
    await page.waitForFunction(
      (k: number) => !!window.__nb.content.widgets[k].outputArea.node.querySelector(".transferlab-figure[data-durable][data-draws]"),
      r.index,
      { timeout: 30_000 },
    );
    await page.evaluate(async () => {
      await window.__nb.context.save();
      await window.__nb.sessionContext.shutdown();
    });
    const saved = JSON.parse(fs.readFileSync(path.join(server.root, file), "utf8"));
    assert.equal(saved.metadata?.widgets, undefined, "widget state is not saved (the default)");
    // Reopened as a user does: the page loaded again, a fresh kernel.
    await openPage(file);
    await page.waitForFunction(() => !!window.__nb.node.querySelector(".transferlab-figure[data-durable][data-draws]"), undefined, { timeout: 60_000 });
    assert.doesNotMatch((await page.evaluate(() => window.__nb.node.innerText)) as string, /Error displaying widget/);
  });
});

test(
  "Notebook 7: the dark theme redraws the chart dark and keeps the whiskers' colours; an interrupted %train shows no internal frames",
  { timeout: 300_000 },
  async () => {
    await step("theme and interrupt", async () => {
      await expectDarkThemeCharts();
      await expectInterruptedTrain("nb7-long");
    });
  },
);

test("Notebook 7: each shipped notebook opened untrusted with a fresh kernel shows every chart (time printed)", { timeout: 300_000 }, async () => {
  await expectShippedNotebookCharts("Notebook 7", async (file) => {
    await openPage(file, false);
    await page.evaluate(() => (window.__shown = window.__nb));
  });
});
