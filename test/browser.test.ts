// Widgets in a real browser (Debian's chromium driven by playwright-core):
// (a) live — @jupyter-widgets/html-manager renders our FigureModel from the kernel's own comm messages,
//     relayed unchanged; appended rows redraw the chart (throttled); a legend click reaches the kernel;
// (b) static — a page of saved widget state renders every chart with zero network requests; the
//     screenshots have non-blank plot areas and the expected trace counts.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as aq from "arquero";
import sharp from "sharp";
import { chromium, Browser } from "playwright-core";
import * as V from "../src/viz";
import { KernelClient } from "../kernel/client";
import { WIDGETS_MODULE, WIDGETS_VERSION } from "../kernel/figure-widget";

// Code inside page.evaluate runs in the browser; these names exist there, not in Node's types.
declare const window: any;
declare const document: any;
type HTMLElement = { dataset: Record<string, string> };

const CHROMIUM = process.env["CHROMIUM"] ?? "/usr/bin/chromium";
let browser: Browser;

before(async () => {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install chromium (.ci/run does), or set CHROMIUM`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu"] });
});
after(async () => browser?.close());

/** Share of pixels in a PNG that are not near-white. */
async function inkShare(png: Buffer): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let ink = 0;
  for (let i = 0; i < data.length; i += 3) if (data[i]! < 235 || data[i + 1]! < 235 || data[i + 2]! < 235) ink++;
  return ink / (info.width * info.height);
}

test("the widget package, the kernel's models and the built extension name one module and version", () => {
  const root = path.join(__dirname, "..", "..", "widgets");
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
  assert.equal(pkg.name, WIDGETS_MODULE);
  assert.equal(pkg.version, WIDGETS_VERSION);
  const built = JSON.parse(fs.readFileSync(path.join(root, "labextension", "package.json"), "utf8"));
  assert.equal(built.name, WIDGETS_MODULE);
  assert.equal(built.version, WIDGETS_VERSION);
  assert.ok(fs.existsSync(path.join(root, "labextension", built.jupyterlab._build.load)), "the built remote entry exists");
  assert.match(fs.readFileSync(path.join(root, "src", "version.ts"), "utf8"), new RegExp(`MODULE_VERSION = "${WIDGETS_VERSION}"`));
});

test(
  "live: html-manager renders the kernel's figure from comm messages, redraws on appended rows, and a legend click reaches the kernel",
  { timeout: 180_000 },
  async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "tl-live-"));
    const kernel = await KernelClient.start(work);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    try {
      const harness = `<script>
      window.live = { comms: {}, outbox: [], acks: [], manager: transferlabWidgets.createManager(),
        // The kernel has processed outbox message i: tell the widget (it sends one message at a time).
        ack(i) { const cb = this.acks[i]; if (cb && cb.iopub && cb.iopub.status) cb.iopub.status({ content: { execution_state: "idle" } }); },
        async open(msg) {
          const live = this;
          const comm = { comm_id: msg.content.comm_id, target_name: msg.content.target_name, cb: null,
            on_msg(f) { this.cb = f; }, on_close() {}, open() { return ""; }, close() { return ""; },
            send(data, callbacks) { live.acks.push(callbacks); live.outbox.push({ comm_id: this.comm_id, data }); return ""; } };
          this.comms[comm.comm_id] = comm;
          const model = await this.manager.handle_comm_open(comm, msg);
          return model.model_id;
        },
        async show(id) {
          const model = await this.manager.get_model(id);
          const view = await this.manager.create_view(model);
          const host = document.createElement("div");
          host.id = "view-" + id;
          document.body.appendChild(host);
          await this.manager.display_view(view, host);
        },
        msg(msg) { const c = this.comms[msg.content.comm_id]; if (c && c.cb) c.cb(msg); },
      };</script>`;
      await page.setContent(V.widgetPage("live", "", {}).replace("</body>", `${harness}</body>`));
      const relay = async (m: { header: { msg_type: string }; content: unknown; metadata: unknown; buffers: Buffer[] }) => {
        const msg = { header: m.header, content: m.content, metadata: m.metadata, buffers: [] };
        if (m.header.msg_type === "comm_open") return page.evaluate((x) => (window as any).live.open(x), msg);
        if (m.header.msg_type === "comm_msg") return page.evaluate((x) => (window as any).live.msg(x), msg);
        return undefined;
      };
      const rows = (n: number) =>
        JSON.stringify(
          Array.from({ length: n }, (_, i) => [
            { run: "r", step: i * 5, side: "und", metric: "accuracy", value: 0.1 + i / 100 },
            { run: "r", step: i * 5, side: "gen", metric: "accuracy", value: 0.3 - i / 200 },
          ]).flat(),
        );
      const shown = await kernel.execute(
        `const w = new FigureWidget((t) => viz.trainingCurves(t, { bands: false }), aq.from(${rows(1)}), { title: "live", seriesKey: (r) => String(r["side"]) + "|" + String(r["metric"]) });\nawait w.show();`,
      );
      assert.equal((shown.reply.content as { status: string }).status, "ok", JSON.stringify(shown.reply.content));
      const open = shown.iopub.find((m) => m.header.msg_type === "comm_open")!;
      assert.equal((open.content as { target_name: string }).target_name, "jupyter.widget");
      const modelId = (await relay(open)) as string;
      const view = shown.iopub.find(
        (m) => m.header.msg_type === "display_data" && (m.content as { data: Record<string, unknown> }).data["application/vnd.jupyter.widget-view+json"],
      )!;
      assert.equal((view.content as { data: Record<string, { model_id: string }> }).data["application/vnd.jupyter.widget-view+json"]!.model_id, modelId);
      await page.evaluate((id) => (window as any).live.show(id), modelId);
      const fig = page.locator(".transferlab-figure");
      await page.waitForSelector(".transferlab-figure[data-draws='1']", { timeout: 30_000 });
      assert.equal(await fig.getAttribute("data-traces"), "2");
      const points = () =>
        page.evaluate(() => ((document.querySelector(".transferlab-figure .js-plotly-plot") as any).data as { x: number[] }[]).map((t) => t.x.length));
      assert.deepEqual(await points(), [1, 1]);

      // Append rows 20 times in a burst: the kernel throttles to a few updates, the last state wins.
      const burst = await kernel.execute(
        `for (let n = 2; n <= 21; n++) w.update(aq.from(JSON.parse(${JSON.stringify(rows(21))}).slice(0, 2 * n)));\nawait new Promise((r) => setTimeout(r, 400));\nw.flush();\nw.sent`,
      );
      const updates = burst.iopub.filter((m) => m.header.msg_type === "comm_msg" && (m.content as { data: { method: string } }).data.method === "update");
      assert.ok(updates.length >= 2 && updates.length <= 4, `${updates.length} updates for 20 appends`);
      for (const u of updates) await relay(u);
      await page.waitForFunction(() => Number((document.querySelector(".transferlab-figure") as HTMLElement).dataset["draws"]) > 1);
      await page.waitForFunction(() => (document.querySelector(".transferlab-figure .js-plotly-plot") as any).data[0].x.length === 21);
      assert.deepEqual(await points(), [21, 21]);
      const shot = await fig.screenshot();
      assert.ok((await inkShare(shot)) > 0.02, "the plot area is not blank");

      // Frontend → kernel: relay the page's comm messages, acknowledging each once the kernel is idle again.
      let relayed = 0;
      // The relay runs in the background for the rest of the test, as a frontend's connection would.
      let stopped = false;
      const relayLoop = (async () => {
        while (!stopped) {
          const outbox = (await page.evaluate(() => (window as any).live.outbox)) as { comm_id: string; data: Record<string, unknown> }[];
          for (; relayed < outbox.length; relayed++) {
            const o = outbox[relayed]!;
            const id = await kernel.send("comm_msg", { comm_id: o.comm_id, data: o.data });
            for (
              let i = 0;
              i < 100 &&
              !kernel.messages.some(
                (m) =>
                  (m.parent_header as { msg_id?: string }).msg_id === id &&
                  m.header.msg_type === "status" &&
                  (m.content as { execution_state: string }).execution_state === "idle",
              );
              i++
            )
              await new Promise((r) => setTimeout(r, 20));
            await page.evaluate((i) => (window as any).live.ack(i), relayed);
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      // The view writes a PNG of the chart back to the kernel once drawn (the static fallback)…
      let png = "";
      for (let i = 0; i < 100 && png !== "true"; i++) {
        png = await kernel.value("w.png.length > 1000");
        if (png !== "true") await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(png, "true", "the kernel holds the chart's PNG");
      // …and a legend click in the browser hides a trace, and the kernel learns which.
      await page.locator(".legendtoggle").first().click();
      await page
        .waitForFunction(() => (window as any).live.outbox.some((o: any) => o.data.state && "hidden" in o.data.state), undefined, { timeout: 10_000 })
        .catch(async (e) => {
          throw new Error(
            `${e.message}; relayed ${relayed}; outbox: ${JSON.stringify(await page.evaluate(() => (window as any).live.outbox.map((o: any) => Object.keys(o.data.state ?? {}))))}; acks: ${await page.evaluate(() => JSON.stringify((window as any).live.acks.map((c: any) => c && Object.keys(c.iopub ?? {}))))}; legend items: ${await page.locator(".legendtoggle").count()}; visible: ${JSON.stringify(await page.evaluate(() => (document.querySelector(".transferlab-figure .js-plotly-plot") as any).data.map((t: any) => t.visible)))}; pending: ${await page.evaluate(
              async () => {
                const ms = await Promise.all(Object.values((window as any).live.manager._models));
                return JSON.stringify(ms.map((m: any) => [m._pending_msgs, !!m._msg_buffer]));
              },
            )}`,
          );
        });
      let hidden = "";
      for (let i = 0; i < 40 && !hidden.includes("accuracy"); i++) {
        hidden = await kernel.value("JSON.stringify(w.hidden)");
        if (!hidden.includes("accuracy")) await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(hidden, /accuracy/);
      stopped = true;
      await relayLoop;
      assert.deepEqual(errors, []);
    } finally {
      await page.close();
      await kernel.close();
    }
  },
);

test("static: saved widget state renders every chart offline, with zero network requests", { timeout: 120_000 }, async () => {
  const curves = aq.from([
    { run: "r", step: 0, side: "und", metric: "accuracy", value: 0.1, lo: 0.05, hi: 0.2 },
    { run: "r", step: 10, side: "und", metric: "accuracy", value: 0.3, lo: 0.2, hi: 0.4 },
    { run: "r", step: 0, side: "gen", metric: "accuracy", value: 0.2, lo: 0.1, hi: 0.3 },
    { run: "r", step: 10, side: "gen", metric: "accuracy", value: 0.25, lo: 0.2, hi: 0.3 },
  ]);
  const figures: Record<string, V.Figure> = {
    curves: V.trainingCurves(curves),
    oscillation: V.oscillation(
      aq.from(
        [0, 1, 2].flatMap((e) => [
          { epoch: e, side: "und", metric: "accuracy", value: 0.2 + e / 10 },
          { epoch: e, side: "gen", metric: "accuracy", value: 0.5 - e / 10 },
        ]),
      ),
    ),
    strength: V.transferStrengthBars(
      aq.from([
        { task: "counting", direction: "und→gen", metric: "accuracy", strength: 1 },
        { task: "counting", direction: "gen→und", metric: "accuracy", strength: 0.23 },
      ]),
    ),
    ablation: V.rankAblation(
      aq.from([
        { rank: 0, metric: "accuracy", value: 0.48 },
        { rank: 8, metric: "accuracy", value: 0.52 },
        { rank: 32, metric: "accuracy", value: 0.53 },
      ]),
    ),
    shift: V.distributionShift(
      aq.from([
        { model: "baseline", fd_to_baseline: 2.6, is: 3 },
        { model: "und→gen", fd_to_baseline: 52, is: 3.1 },
      ]),
    ),
  };
  const state: Record<string, V.WidgetStateEntry> = {};
  let body = "";
  for (const [id, figure] of Object.entries(figures)) {
    state[id] = {
      model_name: "FigureModel",
      model_module: WIDGETS_MODULE,
      model_module_version: WIDGETS_VERSION,
      state: {
        _model_name: "FigureModel",
        _model_module: WIDGETS_MODULE,
        _model_module_version: WIDGETS_VERSION,
        _view_name: "FigureView",
        _view_module: WIDGETS_MODULE,
        _view_module_version: WIDGETS_VERSION,
        figure,
        rows: [],
        columns: [],
        title: id,
        hidden: [],
      },
    };
    body += `<h2>${id}</h2>${V.viewTag(id, "<p>static fallback</p>")}`;
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tl-static-")), "page.html");
  fs.writeFileSync(file, V.widgetPage("static", body, state));
  const page = await browser.newPage();
  const requests: string[] = [];
  // blob: and data: URLs are made in the page (plotly's image export), not fetched.
  page.on("request", (r) => {
    if (r.url() !== `file://${file}` && !/^(blob|data):/.test(r.url())) requests.push(r.url());
  });
  try {
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => document.body.dataset["widgetsRendered"] === "5", undefined, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelectorAll(".transferlab-figure[data-draws]").length === 5);
    const traces = await page.$$eval(".transferlab-figure", (els) => els.map((e) => Number((e as HTMLElement).dataset["traces"])));
    assert.deepEqual(
      traces,
      Object.values(figures).map((f) => f.data.length),
    );
    for (const el of await page.$$(".transferlab-figure")) {
      const share = await inkShare(await el.screenshot());
      assert.ok(share > 0.01, `non-blank plot area (ink ${share.toFixed(4)})`);
    }
    assert.deepEqual(requests, [], "no network requests");
  } finally {
    await page.close();
  }
});

test("report: an executed notebook becomes one offline page, and its charts get PNGs beside their widgets", { timeout: 120_000 }, async () => {
  const t = aq.from([
    { run: "r", step: 0, side: "und", metric: "accuracy", value: 0.1 },
    { run: "r", step: 5, side: "und", metric: "accuracy", value: 0.2 },
  ]);
  const entry: V.WidgetStateEntry = {
    model_name: "FigureModel",
    model_module: WIDGETS_MODULE,
    model_module_version: WIDGETS_VERSION,
    state: {
      _view_name: "FigureView",
      _view_module: WIDGETS_MODULE,
      _view_module_version: WIDGETS_VERSION,
      _model_name: "FigureModel",
      _model_module: WIDGETS_MODULE,
      _model_module_version: WIDGETS_VERSION,
      figure: V.trainingCurves(t),
      rows: t.objects(),
      columns: t.columnNames(),
      hidden: [],
    },
  };
  const nb: Record<string, any> = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { widgets: { "application/vnd.jupyter.widget-state+json": { version_major: 2, version_minor: 0, state: { m1: entry } } } },
    cells: [
      { cell_type: "markdown", metadata: {}, source: ["# Counting\n", "\n", "Some **bold** prose."] },
      {
        cell_type: "code",
        metadata: {},
        execution_count: 1,
        source: "%train",
        outputs: [
          {
            output_type: "display_data",
            metadata: {},
            data: {
              "application/vnd.jupyter.widget-view+json": { model_id: "m1", version_major: 2, version_minor: 1 },
              "text/plain": "curves: und accuracy 0.2",
            },
          },
        ],
      },
      {
        cell_type: "code",
        metadata: {},
        execution_count: 2,
        source: "1 + 1",
        outputs: [{ output_type: "execute_result", metadata: {}, execution_count: 2, data: { "text/plain": "2" } }],
      },
    ],
  };
  assert.equal(await V.addStaticImages(nb), 1);
  const png = Buffer.from(nb.cells[1].outputs[0].data["image/png"], "base64");
  const meta = await sharp(png).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height], ["png", 900, 420]);
  assert.ok((await inkShare(png)) > 0.01);
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tl-report-")), "nb.html");
  fs.writeFileSync(file, V.notebookHtml(nb, "nb"));
  const page = await browser.newPage();
  const requests: string[] = [];
  page.on("request", (r) => r.url() !== `file://${file}` && !/^(blob|data):/.test(r.url()) && requests.push(r.url()));
  try {
    await page.goto(`file://${file}`);
    await page.waitForSelector(".transferlab-figure[data-draws]", { timeout: 30_000 });
    assert.equal(await page.textContent("h2"), "Counting");
    assert.ok((await page.$$eval(".cell pre", (els) => els.map((e: any) => e.textContent))).includes("2"));
    assert.deepEqual(requests, []);
  } finally {
    await page.close();
  }
  assert.throws(() => V.notebookHtml({ cells: [] }), /not an nbformat 4 notebook/);
});

test("report --sanitize: a hostile notebook's HTML outputs are inert; an image payload never breaks out of its attribute", { timeout: 120_000 }, async () => {
  const hostile =
    '<script>window.pwned = "script"</script><img src="x" onerror="window.pwned = \'onerror\'"><b id="kept">kept</b><table><tr><td>1</td></tr></table><a href="javascript:window.pwned=\'link\'">x</a>';
  const nb: Record<string, any> = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", metadata: {}, source: "# Title <script>window.pwned = 'markdown'</script>" },
      {
        cell_type: "code",
        metadata: {},
        execution_count: 1,
        source: "x",
        outputs: [{ output_type: "display_data", metadata: {}, data: { "text/html": hostile, "text/plain": "x" } }],
      },
      {
        cell_type: "code",
        metadata: {},
        execution_count: 2,
        source: "y",
        outputs: [{ output_type: "display_data", metadata: {}, data: { "image/png": '"><script>window.pwned = "png"</script>', "text/plain": "y" } }],
      },
    ],
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-sanitize-"));
  const render = async (sanitize: boolean) => {
    const file = path.join(dir, `nb-${sanitize}.html`);
    fs.writeFileSync(file, V.notebookHtml(nb, "hostile", { sanitize }));
    const page = await browser.newPage();
    try {
      await page.goto(`file://${file}`);
      await page.waitForTimeout(300);
      const live = await page.evaluate(() => ({
        handlers: document.querySelectorAll(".cell [onerror]").length,
        jsLinks: document.querySelectorAll(".cell a[href^='javascript']").length,
        scripts: document.querySelectorAll(".cell script").length,
      }));
      return {
        pwned: await page.evaluate(() => (window as any).pwned ?? null),
        kept: await page.locator("b:has-text('kept')").count(),
        tables: await page.locator(".cell table").count(),
        live,
        html: fs.readFileSync(file, "utf8"),
      };
    } finally {
      await page.close();
    }
  };
  const safe = await render(true);
  assert.equal(safe.pwned, null, "nothing the notebook embeds runs");
  assert.ok(safe.kept >= 1 && safe.tables >= 1, "markup and tables are kept");
  assert.deepEqual(safe.live, { handlers: 0, jsLinks: 0, scripts: 0 }, "no handlers, javascript: links or scripts in the cells");
  // Without --sanitize the notebook's HTML is trusted, as Jupyter treats a notebook you ran yourself;
  // the markdown and the image payload stay inert either way.
  const trusted = await render(false);
  assert.ok(["script", "onerror"].includes(trusted.pwned), `trusted HTML outputs run as in Jupyter (${trusted.pwned})`);
  assert.doesNotMatch(trusted.html, /window\.pwned = "png"/, "a non-base64 image payload is dropped");
});

test("report --sanitize: saved widget state that carries HTML does not run; a hostile model_id breaks no other chart", { timeout: 120_000 }, async () => {
  const t = aq.from([
    { run: "r", step: 0, side: "und", metric: "accuracy", value: 0.1 },
    { run: "r", step: 5, side: "und", metric: "accuracy", value: 0.2 },
  ]);
  const own = { _view_module: WIDGETS_MODULE, _view_module_version: WIDGETS_VERSION, _model_module: WIDGETS_MODULE, _model_module_version: WIDGETS_VERSION };
  const figure: V.WidgetStateEntry = {
    model_name: "FigureModel",
    model_module: WIDGETS_MODULE,
    model_module_version: WIDGETS_VERSION,
    state: {
      ...own,
      _view_name: "FigureView",
      _model_name: "FigureModel",
      figure: V.trainingCurves(t),
      rows: t.objects(),
      columns: t.columnNames(),
      hidden: [],
    },
  };
  const controls = {
    _model_module: "@jupyter-widgets/controls",
    _view_module: "@jupyter-widgets/controls",
    _model_module_version: "2.0.0",
    _view_module_version: "2.0.0",
  };
  const html: V.WidgetStateEntry = {
    model_name: "HTMLModel",
    model_module: "@jupyter-widgets/controls",
    model_module_version: "2.0.0",
    state: { ...controls, _model_name: "HTMLModel", _view_name: "HTMLView", value: `<img src=x onerror="window.pwned = 'widget'">` },
  };
  const view = (id: string, plain: string) => ({
    output_type: "display_data",
    metadata: {},
    data: { "application/vnd.jupyter.widget-view+json": { model_id: id, version_major: 2, version_minor: 1 }, "text/plain": plain },
  });
  const nb: Record<string, any> = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { widgets: { "application/vnd.jupyter.widget-state+json": { version_major: 2, version_minor: 0, state: { h1: html, f1: figure } } } },
    cells: [
      {
        cell_type: "code",
        metadata: {},
        execution_count: 1,
        source: "x",
        outputs: [view("constructor", "proto"), view("h1", "html widget"), view("f1", "the chart")],
      },
    ],
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-sanitize-widgets-"));
  const render = async (sanitize: boolean) => {
    const file = path.join(dir, `nb-${sanitize}.html`);
    fs.writeFileSync(file, V.notebookHtml(nb, "hostile widgets", { sanitize }));
    const page = await browser.newPage();
    try {
      await page.goto(`file://${file}`);
      await page.waitForSelector(".transferlab-figure[data-draws]", { timeout: 30_000 });
      await page.waitForTimeout(300);
      return { pwned: await page.evaluate(() => (window as any).pwned ?? null), figures: await page.locator(".transferlab-figure[data-draws]").count() };
    } finally {
      await page.close();
    }
  };
  const safe = await render(true);
  assert.deepEqual(safe, { pwned: null, figures: 1 }, "sanitized: the HTML widget's markup does not run; the chart renders beside a view named constructor");
  const trusted = await render(false);
  assert.equal(trusted.figures, 1, "trusted: the view named constructor does not stop the chart");
  assert.equal(trusted.pwned, "widget", "trusted: widget HTML renders as Jupyter renders it");
});

test(
  "the demo page (subset mode) in Chromium: no console errors or requests, a labelled image grid, no bar from a non-zero baseline; screenshots at desktop and phone widths",
  { timeout: 400_000 },
  async () => {
    const { runDemo } = await import("../src/cli/demo");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-demo-page-"));
    const out = path.join(dir, "demo.html");
    await runDemo({ root: path.join(dir, "runs"), out, task: "new-word", steps: 4, seed: 0, seeds: 1, limit: 6, log: () => {} });
    for (const [name, width] of [
      ["desktop", 1280],
      ["phone", 390],
    ] as const) {
      const page = await browser.newPage({ viewport: { width, height: 900 } });
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
      page.on("pageerror", (e) => errors.push(e.message));
      page.on("request", (r) => r.url() !== `file://${out}` && !/^(blob|data):/.test(r.url()) && requests.push(r.url()));
      try {
        await page.goto(`file://${out}`);
        await page.waitForFunction(`document.querySelectorAll(".js-plotly-plot").length === 6`, undefined, { timeout: 60_000 });
        await page.waitForTimeout(500);
        const check = (await page.evaluate(`(() => {
        const plots = [...document.querySelectorAll(".js-plotly-plot")];
        const bars = [];
        for (const gd of plots)
          for (const t of gd.data.filter((d) => d.type === "bar")) {
            const ax = gd._fullLayout[(t.yaxis || "y").replace("y", "yaxis")];
            bars.push({ type: ax.type, lo: ax.range[0] });
          }
        const text = plots.map((p) => p.textContent).join(" ");
        return { bars, grid: /base: a photo of three wugs/.test(text) && /\\d+ of \\d+ [✓✗]/.test(text), seeds: /seed \\d/.test(text) };
      })()`)) as { bars: { type: string; lo: number }[]; grid: boolean; seeds: boolean };
        assert.ok(check.bars.length > 0, "the page has bar charts");
        for (const b of check.bars) assert.ok(b.type !== "log" && b.lo <= 0, `a bar axis starts at ${b.lo} (${b.type})`);
        assert.equal(check.grid, true, "the grid names its rows (model: prompt) and captions each image with detected of asked and a verdict");
        assert.equal(check.seeds, true, "the grid's columns are seeds");
        assert.deepEqual(errors, [], `${name}: console errors`);
        assert.deepEqual(requests, [], `${name}: network requests`);
        fs.mkdirSync(path.join(__dirname, "..", "..", "test-artifacts"), { recursive: true });
        await page.screenshot({ path: path.join(__dirname, "..", "..", "test-artifacts", `demo-${name}.png`), fullPage: true });
      } finally {
        await page.close();
      }
    }
  },
);
