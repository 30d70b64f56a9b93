// Display: mime bundles (text/plain, html, markdown, png, svg, json and custom types) sent whole in one
// message, updatable displays (display_id) for progress bars, and rich rendering of values (images,
// Arquero tables, objects that bring their own bundle).

import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import sharp from "sharp";

export type MimeBundle = Record<string, unknown>;

export interface DisplayMessage {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient?: { display_id: string };
}

/** Where displays go: the kernel publishes them on iopub with the right parent header. */
export interface DisplaySink {
  publish(kind: "display_data" | "update_display_data", msg: DisplayMessage): void;
  clear(wait: boolean): void;
}

let sink: DisplaySink | null = null;

export function setDisplaySink(s: DisplaySink | null): void {
  sink = s;
}

function out(): DisplaySink {
  if (!sink) throw new Error("display: no kernel is running (display works inside a TransferLab kernel)");
  return sink;
}

/** An object that renders itself: return a mime bundle (and optionally metadata). */
export const MIMEBUNDLE = Symbol.for("transferlab.mimebundle");

interface RgbLike {
  width: number;
  height: number;
  data: Uint8Array;
}

function isRgbImage(v: unknown): v is RgbLike {
  const x = v as RgbLike;
  return (
    !!x &&
    typeof x === "object" &&
    Number.isInteger(x.width) &&
    Number.isInteger(x.height) &&
    x.data instanceof Uint8Array &&
    x.data.length === x.width * x.height * 3
  );
}

function isPng(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array && v.length > 8 && v[0] === 0x89 && v[1] === 0x50 && v[2] === 0x4e && v[3] === 0x47;
}

function isArqueroTable(v: unknown): v is { toHTML: (o?: object) => string; toMarkdown: (o?: object) => string; numRows: () => number; numCols: () => number } {
  const t = v as Record<string, unknown>;
  return !!t && typeof t === "object" && typeof t["toHTML"] === "function" && typeof t["numRows"] === "function" && typeof t["columnNames"] === "function";
}

/** The richest bundle we know for a value; text/plain always present. */
export async function mimeBundleOf(value: unknown): Promise<{ data: MimeBundle; metadata: Record<string, unknown> }> {
  const self = value as Record<symbol, unknown> | null;
  if (self && typeof self === "object" && typeof self[MIMEBUNDLE] === "function") {
    const r = (await (self[MIMEBUNDLE] as () => unknown)()) as { data?: MimeBundle; metadata?: Record<string, unknown> } | MimeBundle;
    const data = ("data" in r && typeof r.data === "object" ? r.data : r) as MimeBundle;
    return { data: { "text/plain": inspect(value, { depth: 1 }), ...data }, metadata: ("metadata" in r && (r.metadata as Record<string, unknown>)) || {} };
  }
  if (isRgbImage(value)) {
    const png = await sharp(Buffer.from(value.data.buffer, value.data.byteOffset, value.data.byteLength), {
      raw: { width: value.width, height: value.height, channels: 3 },
    })
      .png()
      .toBuffer();
    return {
      data: { "image/png": png.toString("base64"), "text/plain": `<image ${value.width}×${value.height}>` },
      metadata: { "image/png": { width: value.width * 4, height: value.height * 4 } },
    };
  }
  if (isPng(value)) return { data: { "image/png": Buffer.from(value).toString("base64"), "text/plain": `<png ${value.length} bytes>` }, metadata: {} };
  if (isArqueroTable(value)) {
    const limit = { limit: 50 };
    return {
      data: {
        "text/html": value.toHTML(limit),
        "text/markdown": value.toMarkdown(limit),
        "text/plain": `Table (${value.numRows()} rows × ${value.numCols()} columns)\n${value.toMarkdown(limit)}`,
      },
      metadata: {},
    };
  }
  return { data: { "text/plain": typeof value === "string" ? value : inspect(value, { depth: 4, colors: false }) }, metadata: {} };
}

export interface DisplayHandle {
  readonly id: string;
  update(value: unknown): Promise<void>;
}

export interface DisplayOptions {
  /** Reuse or name a display id, so later updates replace this output. */
  id?: string;
  metadata?: Record<string, unknown>;
}

/**
 * Objects already displayed (by display() or a widget's show()): a cell whose last value is one of them
 * does not display it a second time as its result (`await w.show()` as the last line shows one chart).
 */
const displayed = new WeakSet<object>();
export function wasDisplayed(value: unknown): boolean {
  return typeof value === "object" && value !== null && displayed.has(value);
}

async function show(value: unknown, opts: DisplayOptions = {}): Promise<DisplayHandle> {
  const id = opts.id ?? randomUUID();
  if (typeof value === "object" && value !== null) displayed.add(value);
  const b = await mimeBundleOf(value);
  out().publish("display_data", { data: b.data, metadata: { ...b.metadata, ...(opts.metadata ?? {}) }, transient: { display_id: id } });
  return {
    id,
    update: async (v: unknown) => {
      const u = await mimeBundleOf(v);
      out().publish("update_display_data", { data: u.data, metadata: u.metadata, transient: { display_id: id } });
    },
  };
}

/** Sends a full bundle as given: `display.bundle({"text/html": "<b>x</b>", "text/plain": "x"})`. */
function bundle(data: MimeBundle, opts: DisplayOptions = {}): DisplayHandle {
  const id = opts.id ?? randomUUID();
  out().publish("display_data", { data, metadata: opts.metadata ?? {}, transient: { display_id: id } });
  return {
    id,
    update: async (v: unknown) => {
      const d = typeof v === "object" && v !== null && !isRgbImage(v) ? (v as MimeBundle) : (await mimeBundleOf(v)).data;
      out().publish("update_display_data", { data: d, metadata: {}, transient: { display_id: id } });
    },
  };
}

const typed =
  (mime: string) =>
  (content: string | Uint8Array, opts: DisplayOptions = {}) =>
    bundle(
      {
        [mime]: content instanceof Uint8Array ? Buffer.from(content).toString("base64") : content,
        "text/plain": mime === "text/plain" ? content : `<${mime}>`,
      },
      opts,
    );

export const display = Object.assign(show, {
  bundle,
  text: typed("text/plain"),
  html: typed("text/html"),
  markdown: typed("text/markdown"),
  svg: typed("image/svg+xml"),
  png: typed("image/png"),
  json: (v: unknown, opts: DisplayOptions = {}) => bundle({ "application/json": v, "text/plain": JSON.stringify(v) }, opts),
  /** Clears the cell's output; `wait` clears it only when the next output arrives (no flicker), as IPython's. */
  clear: (wait = false) => out().clear(wait),
});

/** A text progress bar on one updatable display: the same output is replaced, never appended. */
export function progressBar(total: number, label = ""): { update(done: number, note?: string): void; id: string } {
  const id = randomUUID();
  const t0 = Date.now();
  const render = (done: number, note = "") => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const bar = "█".repeat(Math.round(frac * width)).padEnd(width, "░");
    const elapsed = (Date.now() - t0) / 1000;
    const eta = frac > 0 ? (elapsed / frac) * (1 - frac) : NaN;
    const text =
      `${label} ${bar} ${done}/${total} ${(frac * 100).toFixed(0)}%  ${elapsed.toFixed(0)} s elapsed, ETA ${Number.isFinite(eta) ? eta.toFixed(0) + " s" : "?"} ${note}`.trim();
    return { "text/plain": text, "text/html": `<pre style="margin:0">${text.replace(/&/g, "&amp;").replace(/</g, "&lt;")}</pre>` };
  };
  out().publish("display_data", { data: render(0), metadata: {}, transient: { display_id: id } });
  let last = 0;
  return {
    id,
    update(done: number, note?: string) {
      // Throttled: at most ~5 updates a second reach the frontend, and always the final one.
      if (done < total && Date.now() - last < 200) return;
      last = Date.now();
      out().publish("update_display_data", { data: render(done, note), metadata: {}, transient: { display_id: id } });
    },
  };
}
