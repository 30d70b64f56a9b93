// The TransferLab kernel: tslab's TypeScript converter and executor under our own Jupyter message layer
// on zeromq. Our layer, not tslab's, because widgets need comms and binary buffers, and a failed cell
// must publish a real `error` message (so nbconvert and papermill see the failure).

import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import vm = require("node:vm");
import { format } from "node:util";
import * as zmq from "zeromq";
import { createConverter, isCompleteCode } from "tslab/dist/converter";
import { createExecutor, Executor } from "tslab/dist/executor";
import { Buffers, CommManager } from "./comm";
import { StreamBuffer } from "./stream-buffer";
import { History } from "./history";
import { CellScript, cellScriptName, cellTraceback } from "./traceback";
import { DisplayMessage, mimeBundleOf, setDisplaySink, wasDisplayed } from "./display";
import { MagicError, MagicRegistry, splitCell } from "./magics";
import { setWidgetManager } from "./widgets";
import { finishOpenFigures } from "./figure-widget";
import { packageRoot } from "../src/core/paths";
import { Header, Message, Signer, WireError, decode, encode, newHeader } from "./wire";

export interface ConnectionInfo {
  transport: string;
  ip: string;
  shell_port: number;
  control_port: number;
  stdin_port: number;
  iopub_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

export const KERNEL_INFO = {
  protocol_version: "5.3",
  implementation: "transferlab",
  implementation_version: "0.1.0",
  language_info: {
    name: "typescript",
    version: "5.0",
    mimetype: "text/typescript",
    file_extension: ".ts",
    codemirror_mode: { name: "javascript", typescript: true },
    pygments_lexer: "typescript",
  },
  banner: "TransferLab (TypeScript): tslab's TypeScript with magics, widgets and the transferlab API",
  help_links: [{ text: "TransferLab", url: "https://www.npmjs.com/package/transferlab" }],
  status: "ok",
};

interface Cell {
  parent: Header;
  identities: Buffer[];
}

/** Raised inside a cell: the kernel turns it into an `error` message with this name and traceback. */
export class CellError extends Error {
  constructor(
    readonly ename: string,
    readonly evalue: string,
    readonly traceback: string[],
  ) {
    super(evalue);
  }
}

export class Kernel {
  readonly magics = new MagicRegistry();
  readonly comms: CommManager;
  private readonly signer: Signer;
  private readonly session = `transferlab-${process.pid}`;
  private readonly shell = new zmq.Router();
  private readonly control = new zmq.Router();
  private readonly stdin = new zmq.Router();
  // noDrop: past the high-water mark a send waits for the subscriber instead of being dropped — a
  // dropped `idle` leaves a frontend busy forever and a dropped result saves an incomplete notebook.
  private readonly iopub = new zmq.Publisher({ noDrop: true, sendHighWaterMark: 10_000 });
  private readonly streams = new StreamBuffer<Header | Record<string, never>>({
    send: (name, text, parent) => this.publishNow("stream", { name, text }, {}, [], parent as Header),
  });
  private readonly hb = new zmq.Reply();
  private readonly cellContext = new AsyncLocalStorage<Cell>();
  private lastCell: Cell | null = null;
  /** The cell now executing, and the async errors reported in it (they make its reply an error). */
  private runningCell: Cell | null = null;
  private runningAsyncErrors = 0;
  private executor: Executor;
  private executionCount = 0;
  private readonly history = new History();
  private queue: Promise<void> = Promise.resolve();
  private prelude: Promise<void> | null = null;
  /** The running cell's In[n]; its code part's script name; every code part run so far (for tracebacks). */
  private runningCount = 0;
  private scriptName: string | null = null;
  private readonly scripts = new Map<string, CellScript>();
  private readonly sendChains = new Map<object, Promise<void>>();
  private cellErrors: unknown[] = [];
  private lastValue: { value: unknown } | null = null;
  private abort = new AbortController();
  private readonly origStderr = process.stderr.write.bind(process.stderr);
  private shuttingDown = false;

  constructor(
    readonly conn: ConnectionInfo,
    readonly rootDir: string = process.cwd(),
  ) {
    this.signer = new Signer(conn.key, conn.signature_scheme);
    // Each converter builds a TypeScript program (about a second each): both are made on first use —
    // the node one by the prelude a moment after start, the browser one only for a browser-mode cell —
    // so a fresh kernel answers a frontend's first requests (and restores its widgets) sooner.
    let node: ReturnType<typeof createConverter> | null = null;
    let browser: ReturnType<typeof createConverter> | null = null;
    const makeNode = () => {
      const c = createConverter();
      // Keep the JavaScript each cell compiles to: runtime errors point at its lines (traceback.ts maps them).
      const convert = c.convert.bind(c);
      c.convert = (prevDecl, src) => {
        const r = convert(prevDecl, src);
        if (r.output && this.scriptName) this.scripts.set(this.scriptName, { cell: src, compiled: r.output, count: this.runningCount });
        return r;
      };
      return c;
    };
    const convs = {
      get node() {
        return (node ??= makeNode());
      },
      get browser() {
        return (browser ??= createConverter({ isBrowser: true }));
      },
      close: () => {
        node?.close();
        browser?.close();
      },
    };
    // tslab runs each compiled cell with vm.runInThisContext and no file name: give it the cell's, so a
    // stack frame says which cell (and which compiled lines) it is in.
    const runInThisContext = vm.runInThisContext;
    (vm as { runInThisContext: typeof vm.runInThisContext }).runInThisContext = ((code: string, options?: vm.RunningScriptOptions | string) => {
      const opts = typeof options === "string" ? { filename: options } : (options ?? {});
      return runInThisContext(code, this.scriptName && !opts.filename ? { ...opts, filename: this.scriptName } : opts);
    }) as typeof vm.runInThisContext;
    this.executor = createExecutor(rootDir, convs, {
      log: (...args: unknown[]) => {
        // tslab passes a cell's last expression value here.
        this.lastValue = { value: args[0] };
      },
      error: (...args: unknown[]) => {
        this.cellErrors.push(args.length === 1 ? args[0] : format(...(args as [string, ...unknown[]])));
      },
    });
    this.comms = new CommManager({
      send: (type, content, metadata, buffers) => this.publish(type, content, metadata, buffers),
      log: (m) => this.log(m),
    });
    setWidgetManager(this.comms);
    setDisplaySink({ publish: (kind, msg) => this.publishDisplay(kind, msg), clear: (wait) => this.publish("clear_output", { wait }) });
    this.registerBuiltinMagics();
  }

  /**
   * An error no code awaited — a rejected promise nobody handled, a throw in a timer callback — shown as
   * an `error` output in the cell that scheduled it (its async context), else the running or last cell,
   * as Deno's kernel does: printed only to the server's log, it would be invisible to the user.
   */
  reportAsyncError(e: unknown, kind: "unhandled rejection" | "uncaught exception"): void {
    this.log(`${kind}: ${(e as Error)?.stack ?? String(e)}`);
    const cell = this.cellContext.getStore() ?? this.runningCell ?? this.lastCell;
    if (!cell) return;
    const err =
      e instanceof Error
        ? new CellError(e.name || "Error", e.message, cellTraceback(e.name || "Error", e.message, e.stack ?? "", this.scripts))
        : new CellError("Error", String(e), [`Uncaught (in promise) ${String(e)}`]);
    this.publish("error", { ename: err.ename, evalue: err.evalue, traceback: err.traceback }, {}, [], cell.parent);
    if (cell === this.runningCell) this.runningAsyncErrors++;
  }

  log(message: string): void {
    this.origStderr(`[transferlab kernel] ${message}\n`);
  }

  /** The abort signal of the running cell: long jobs (training) check it to stop on interrupt. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  async start(): Promise<void> {
    const url = (port: number) => `${this.conn.transport}://${this.conn.ip}:${port}`;
    await Promise.all([
      this.shell.bind(url(this.conn.shell_port)),
      this.control.bind(url(this.conn.control_port)),
      this.stdin.bind(url(this.conn.stdin_port)),
      this.iopub.bind(url(this.conn.iopub_port)),
      this.hb.bind(url(this.conn.hb_port)),
    ]);
    this.captureOutput();
    process.on("SIGINT", () => this.interrupt());
    void this.heartbeat();
    void this.serve(this.control, "control");
    void this.serve(this.shell, "shell");
    void this.drain(this.stdin);
    this.publish("status", { execution_state: "starting" });
    // The prelude builds the TypeScript converter and compiles the API's declarations (about 2.5 s of
    // blocked event loop on 2 cores). Started at once, it overlaps the frontend's own start: the kernel
    // answers its first requests (kernel_info, then the widget manager's) when it is done, and the first
    // cell runs without waiting for a compiler — a later start only moved the wait onto that cell.
    setImmediate(() => void this.ensurePrelude());
  }

  private async heartbeat(): Promise<void> {
    for await (const frames of this.hb) await this.hb.send(frames);
  }

  private async drain(sock: zmq.Router): Promise<void> {
    for await (const _ of sock) void _;
  }

  private async serve(sock: zmq.Router, channel: "shell" | "control"): Promise<void> {
    for await (const frames of sock) {
      let msg: Message;
      try {
        msg = decode(frames as Buffer[], this.signer);
      } catch (e) {
        // Dropped, never executed: a forged or corrupt message must not reach a handler.
        this.log(`${channel}: dropped a message: ${(e as WireError).message}`);
        continue;
      }
      void this.dispatch(sock, channel, msg).catch((e) => this.log(`${channel} ${msg.header.msg_type}: ${(e as Error).stack ?? e}`));
    }
  }

  private reply(sock: zmq.Router, req: Message, type: string, content: unknown, metadata: Record<string, unknown> = {}): Promise<void> {
    const frames = encode(this.signer, req.identities, newHeader(type, this.session), req.header, metadata, content);
    return this.sendOn(sock, frames);
  }

  /** A zeromq socket accepts one send at a time: each socket has its own chain of sends, in order. */
  private sendOn(sock: zmq.Router | zmq.Publisher, frames: Buffer[]): Promise<void> {
    const prev = this.sendChains.get(sock) ?? Promise.resolve();
    const p = prev.then(() => sock.send(frames));
    this.sendChains.set(
      sock,
      p.catch((e) => this.log(`send failed: ${(e as Error).message}`)),
    );
    return p;
  }

  /** The parent header for an output: the cell it belongs to, even when it arrives late from async code. */
  private parent(): Header | Record<string, never> {
    return this.cellContext.getStore()?.parent ?? this.lastCell?.parent ?? {};
  }

  /** Publishes on iopub after any buffered stream text, so output keeps its order. */
  publish(type: string, content: Record<string, unknown>, metadata: Record<string, unknown> = {}, buffers: Buffers = [], parent?: Header): void {
    this.streams.flushAll();
    this.publishNow(type, content, metadata, buffers, parent);
  }

  private publishNow(type: string, content: Record<string, unknown>, metadata: Record<string, unknown>, buffers: Buffers, parent?: Header): void {
    const frames = encode(this.signer, [Buffer.from(type)], newHeader(type, this.session), parent ?? this.parent(), metadata, content, buffers);
    void this.sendOn(this.iopub, frames);
  }

  private publishDisplay(kind: "display_data" | "update_display_data", msg: DisplayMessage): void {
    this.publish(kind, { data: msg.data, metadata: msg.metadata, transient: msg.transient ?? {} });
  }

  private captureOutput(): void {
    const hook = (name: "stdout" | "stderr") => (chunk: unknown, enc?: unknown, cb?: unknown) => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString((typeof enc === "string" ? enc : "utf8") as BufferEncoding);
      this.streams.write(name, text, this.parent());
      if (typeof enc === "function") (enc as () => void)();
      else if (typeof cb === "function") (cb as () => void)();
      return true;
    };
    process.stdout.write = hook("stdout") as typeof process.stdout.write;
    process.stderr.write = hook("stderr") as typeof process.stderr.write;
  }

  private async dispatch(sock: zmq.Router, channel: string, msg: Message): Promise<void> {
    const type = msg.header.msg_type;
    if (type === "execute_request") {
      // Cells run one after another; other requests (comms, completion) are served meanwhile. execute
      // publishes its own busy/idle around the cell.
      const run = this.queue.then(() => this.ensurePrelude()).then(() => this.execute(sock, msg));
      this.queue = run.catch(() => {});
      return run;
    }
    // Every other request is wrapped in busy → reply → idle with its parent header, as ipykernel does:
    // JupyterLab waits for the idle of a request (completion, comm_info, history) before it resolves it.
    this.publish("status", { execution_state: "busy" }, {}, [], msg.header);
    try {
      await this.handle(sock, channel, msg);
    } finally {
      if (type !== "shutdown_request") this.publish("status", { execution_state: "idle" }, {}, [], msg.header);
    }
  }

  private async handle(sock: zmq.Router, channel: string, msg: Message): Promise<void> {
    const type = msg.header.msg_type;
    switch (type) {
      case "kernel_info_request":
        await this.reply(sock, msg, "kernel_info_reply", KERNEL_INFO);
        return;
      case "is_complete_request": {
        const code = String(msg.content["code"] ?? "");
        const r = code.trimStart().startsWith("%") ? { completed: true } : isCompleteCode(code);
        await this.reply(sock, msg, "is_complete_reply", r.completed ? { status: "complete" } : { status: "incomplete", indent: r.indent ?? "" });
        return;
      }
      case "complete_request":
        await this.ensurePrelude();
        await this.reply(sock, msg, "complete_reply", this.complete(String(msg.content["code"] ?? ""), Number(msg.content["cursor_pos"] ?? 0)));
        return;
      case "inspect_request":
        await this.ensurePrelude();
        await this.reply(sock, msg, "inspect_reply", this.inspect(String(msg.content["code"] ?? ""), Number(msg.content["cursor_pos"] ?? 0)));
        return;
      case "comm_info_request":
        await this.reply(sock, msg, "comm_info_reply", { status: "ok", comms: this.comms.info(msg.content["target_name"] as string | undefined) });
        return;
      case "comm_open":
      case "comm_msg":
      case "comm_close":
        await this.cellContext.run({ parent: msg.header, identities: msg.identities }, async () => {
          if (type === "comm_open") await this.comms.handleOpen(msg.content, msg.buffers);
          else if (type === "comm_msg") await this.comms.handleMsg(msg.content, msg.buffers);
          else this.comms.handleClose(msg.content);
        });
        return;
      case "history_request":
        await this.reply(sock, msg, "history_reply", { status: "ok", history: this.history.query(msg.content) });
        return;
      case "interrupt_request":
        this.interrupt();
        await this.reply(sock, msg, "interrupt_reply", { status: "ok" });
        return;
      case "shutdown_request": {
        const restart = !!msg.content["restart"];
        await this.reply(sock, msg, "shutdown_reply", { status: "ok", restart });
        await this.shutdown();
        return;
      }
      default:
        this.log(`${channel}: unsupported message type ${type}`);
    }
  }

  interrupt(): void {
    this.abort.abort(new Error("KeyboardInterrupt"));
    this.executor.interrupt();
  }

  private async shutdown(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.streams.flushAll();
    // A subscriber that stopped reading must not keep a shut-down kernel alive.
    await Promise.race([Promise.all(this.sendChains.values()), new Promise((r) => setTimeout(r, 5000).unref())]);
    this.executor.close();
    setTimeout(() => process.exit(0), 50);
  }

  private complete(code: string, pos: number): Record<string, unknown> {
    const lineStart = code.lastIndexOf("\n", pos - 1) + 1;
    const line = code.slice(lineStart, pos);
    const magic = /^(%%?)([\w-]*)$/.exec(line);
    if (magic) {
      const matches = this.magics
        .names()
        .filter((n) => n.startsWith(magic[2]!))
        .map((n) => magic[1] + n);
      return { status: "ok", matches, cursor_start: lineStart, cursor_end: pos, metadata: {} };
    }
    try {
      const info = this.executor.complete(maskMagics(code), pos);
      return { status: "ok", matches: info.candidates, cursor_start: info.start, cursor_end: info.end, metadata: {} };
    } catch (e) {
      return { status: "ok", matches: [], cursor_start: pos, cursor_end: pos, metadata: { error: (e as Error).message } };
    }
  }

  private inspect(code: string, pos: number): Record<string, unknown> {
    try {
      const masked = maskMagics(code);
      // Inside a call's parentheses (`Math.max(1, |`) there is no name at the cursor: inspect the callee.
      let info = this.executor.inspect(masked, pos);
      if (!info) {
        const callee = calleeEnd(masked, pos);
        if (callee !== null) info = this.executor.inspect(masked, callee);
      }
      if (!info) return { status: "ok", found: false, data: {}, metadata: {} };
      const text = [(info.displayParts ?? []).map((p) => p.text).join(""), (info.documentation ?? []).map((p) => p.text).join("")].filter(Boolean).join("\n\n");
      return { status: "ok", found: true, data: { "text/plain": text }, metadata: {} };
    } catch (e) {
      return { status: "ok", found: false, data: {}, metadata: { error: (e as Error).message } };
    }
  }

  private async execute(sock: zmq.Router, msg: Message): Promise<void> {
    const code = String(msg.content["code"] ?? "");
    const silent = !!msg.content["silent"];
    const storeHistory = msg.content["store_history"] !== false && !silent;
    if (storeHistory) this.executionCount++;
    const count = this.executionCount;
    if (storeHistory) this.history.add(count, code);
    const cell: Cell = { parent: msg.header, identities: msg.identities };
    this.lastCell = cell;
    this.runningCell = cell;
    this.runningAsyncErrors = 0;
    this.abort = new AbortController();
    this.publish("status", { execution_state: "busy" }, {}, [], msg.header);
    if (!silent) this.publish("execute_input", { code, execution_count: count }, {}, [], msg.header);
    let error: CellError | null = null;
    this.runningCount = count;
    await this.cellContext.run(cell, async () => {
      try {
        const value = await this.runCell(code);
        // One turn of the event loop: a promise the cell rejected without a handler is reported (Node
        // emits unhandledRejection once the microtasks drain) while the cell still runs, in its output.
        await new Promise((resolve) => setImmediate(resolve));
        if (value !== undefined && !silent && !wasDisplayed(value.value)) {
          const b = await mimeBundleOf(value.value);
          this.publish("execute_result", { execution_count: count, data: b.data, metadata: b.metadata }, {}, [], msg.header);
          if (storeHistory && typeof b.data["text/plain"] === "string") this.history.setOutput(count, b.data["text/plain"]);
        }
      } catch (e) {
        error = toCellError(e);
      }
      // The cell's charts are done being drawn: their outputs become durable (the figure itself).
      await finishOpenFigures();
    });
    this.runningCell = null;
    if (error) {
      const e = error as CellError;
      this.publish("error", { ename: e.ename, evalue: e.evalue, traceback: e.traceback }, {}, [], msg.header);
      await this.reply(
        sock,
        msg,
        "execute_reply",
        { status: "error", execution_count: count, ename: e.ename, evalue: e.evalue, traceback: e.traceback },
        { status: "error" },
      );
    } else if (this.runningAsyncErrors > 0) {
      // The error output is already in the cell; the reply says the cell failed, so a notebook run stops.
      await this.reply(
        sock,
        msg,
        "execute_reply",
        { status: "error", execution_count: count, ename: "AsyncError", evalue: "an error was thrown by async code of this cell", traceback: [] },
        { status: "error" },
      );
    } else {
      await this.reply(sock, msg, "execute_reply", { status: "ok", execution_count: count, payload: [], user_expressions: {} }, { status: "ok" });
    }
    this.publish("status", { execution_state: "idle" }, {}, [], msg.header);
  }

  /** Runs a cell's parts in order; returns the last TypeScript part's value, if it has one. */
  async runCell(code: string): Promise<{ value: unknown } | undefined> {
    let last: { value: unknown } | undefined;
    for (const [index, part] of splitCell(code).entries()) {
      last = undefined;
      if (part.kind === "code") {
        this.cellErrors = [];
        this.lastValue = null;
        this.scriptName = cellScriptName(this.runningCount, index);
        let ok: boolean;
        try {
          ok = await this.executor.execute(part.text);
        } finally {
          this.scriptName = null;
        }
        if (!ok || this.cellErrors.length) throw this.compileOrRuntimeError();
        if (this.lastValue) last = this.lastValue;
      } else {
        let value: unknown;
        try {
          value = await this.magics.run(part.name!, part.kind === "cell-magic" ? "cell" : "line", this.expandVariables(part.args ?? ""), part.body);
        } catch (e) {
          if (e instanceof MagicError) throw new CellError("MagicError", e.message, [`MagicError: ${e.message}`]);
          throw e;
        }
        if (value !== undefined && value !== null) last = { value };
      }
    }
    return last;
  }

  /**
   * `${name}` in a magic line takes a variable of the notebook (a parameters cell's `const steps = 10`
   * makes `%train --steps ${steps}`); `$${` keeps a literal `${`. Strings are quoted for the parser.
   */
  expandVariables(line: string): string {
    return line.replace(/(\$?)\$\{\s*([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\}/g, (all, escaped: string, name: string) => {
      if (escaped) return all.slice(1);
      const [head, ...rest] = name.split(".");
      const locals = this.executor.locals;
      if (!(head! in locals)) {
        const known = Object.keys(locals)
          .filter((k) => !k.startsWith("_"))
          .slice(0, 12);
        throw new MagicError(`\${${name}}: no variable ${JSON.stringify(head)} in the notebook${known.length ? ` (defined: ${known.join(", ")})` : ""}`);
      }
      let v: unknown = locals[head!];
      for (const k of rest) v = (v as Record<string, unknown> | null | undefined)?.[k];
      if (Array.isArray(v)) return v.join(",");
      if (typeof v === "string") return JSON.stringify(v);
      return String(v);
    });
  }

  private compileOrRuntimeError(): CellError {
    const errs = this.cellErrors;
    const first = errs[0];
    if (first instanceof Error) {
      const interrupted = /Interrupted asynchronously/.test(first.message) || /Script execution was interrupted/.test(first.message);
      if (interrupted) return new CellError("KeyboardInterrupt", "the cell was interrupted", ["KeyboardInterrupt: the cell was interrupted"]);
      const name = first.name || "Error";
      return new CellError(name, first.message, cellTraceback(name, first.message, first.stack ?? "", this.scripts));
    }
    const lines = errs.map((e) => String(e));
    return new CellError(lines.every((l) => /^\d+:\d+ - /.test(l)) ? "TSError" : "Error", lines[0] ?? "the cell failed", lines);
  }

  /** Runs the prelude once: when a request needs the API's names, or a moment after start. */
  private ensurePrelude(): Promise<void> {
    return (this.prelude ??= this.runPrelude());
  }

  private async runPrelude(): Promise<void> {
    // Cells see the transferlab API and the kernel helpers without an import, wherever the notebook is.
    const root = packageRoot();
    const index = JSON.stringify(path.join(root, "dist", "src", "index"));
    const src = `import * as transferlab from ${index};\nimport { lab, aq, viz } from ${index};\nimport { display, progressBar, kernel, widgets, FigureWidget } from ${JSON.stringify(path.join(root, "dist", "kernel", "api"))};`;
    this.cellErrors = [];
    const ok = await this.executor.execute(src);
    if (!ok) this.log(`prelude failed: ${this.cellErrors.map(String).join("; ")}`);
  }

  private registerBuiltinMagics(): void {
    this.magics.register({
      name: "lsmagic",
      kind: "line",
      help: "List every magic.",
      args: [],
      handler: () => ({ [Symbol.for("transferlab.mimebundle")]: () => ({ "text/plain": this.magics.lsmagic() }) }),
    });
    this.magics.register({
      name: "help",
      kind: "line",
      help: "Show a magic's arguments and help.",
      args: [{ name: "name", type: "string", positional: true, help: "the magic's name" }],
      handler: (a) => ({ [Symbol.for("transferlab.mimebundle")]: () => ({ "text/plain": this.magics.help(a["name"] as string | undefined) }) }),
    });
    this.magics.register({
      name: "sh",
      kind: "both",
      help: "Run a shell command (npm, ls, …) from the notebook's folder; output streams into the cell. Fails the cell on a non-zero exit.",
      args: [{ name: "command", type: "string", positional: true, help: "the rest of the line (or the cell body after %%sh)" }],
      raw: true,
      handler: async (a, ctx) => {
        const cmd = ctx.body !== undefined ? ctx.body : ctx.line;
        if (!cmd.trim()) throw new MagicError("%sh: no command given");
        await new Promise<void>((resolve, reject) => {
          const child = spawn("/bin/sh", ["-c", cmd], { cwd: this.rootDir, env: process.env });
          child.stdout.on("data", (d: Buffer) => this.streams.write("stdout", d.toString(), this.parent()));
          child.stderr.on("data", (d: Buffer) => this.streams.write("stderr", d.toString(), this.parent()));
          const onAbort = () => child.kill("SIGINT");
          this.signal.addEventListener("abort", onAbort, { once: true });
          child.on("close", (code) => {
            this.signal.removeEventListener("abort", onAbort);
            code === 0 ? resolve() : reject(new CellError("ShellError", `command exited with code ${code}`, [`ShellError: ${cmd} exited with code ${code}`]));
          });
        });
        void a;
      },
    });
  }
}

function toCellError(e: unknown): CellError {
  if (e instanceof CellError) return e;
  // An interrupt is the user's own doing: its name and message, not the library frames it stopped in.
  if (e instanceof Error && e.name === "KeyboardInterrupt") return new CellError(e.name, e.message, [`${e.name}: ${e.message}`]);
  if (e instanceof Error) return new CellError(e.name, e.message, (e.stack ?? e.message).split("\n"));
  return new CellError("Error", String(e), [String(e)]);
}

/**
 * The position just inside the name of the innermost call the cursor is in (`Math.max(1, |` → inside
 * `max`), or null outside any call. Brackets inside strings are skipped roughly (quotes toggle).
 */
export function calleeEnd(code: string, pos: number): number | null {
  let quote: string | null = null;
  const open: number[] = [];
  for (let i = 0; i < pos; i++) {
    const c = code[i]!;
    if (quote) {
      if (c === "\\") i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") quote = c;
    else if (c === "(" || c === "[" || c === "{") open.push(i);
    else if ((c === ")" || c === "]" || c === "}") && open.length) open.pop();
  }
  for (let k = open.length - 1; k >= 0; k--) {
    const at = open[k]!;
    if (code[at] !== "(") continue;
    let j = at - 1;
    while (j >= 0 && /\s/.test(code[j]!)) j--;
    return j >= 0 && /[\w$]/.test(code[j]!) ? j : null;
  }
  return null;
}

/** Completion and inspection see magic lines as blank lines, keeping positions. */
function maskMagics(code: string): string {
  return code
    .split("\n")
    .map((l) => (l.startsWith("%") ? " ".repeat(l.length) : l))
    .join("\n");
}

export function readConnectionFile(file: string): ConnectionInfo {
  let c: ConnectionInfo;
  try {
    c = JSON.parse(fs.readFileSync(file, "utf8")) as ConnectionInfo;
  } catch (e) {
    throw new Error(`${file}: cannot read the connection file (${(e as Error).message})`);
  }
  for (const k of ["shell_port", "control_port", "stdin_port", "iopub_port", "hb_port"] as const) {
    if (!Number.isInteger(c[k])) throw new Error(`${file}: ${k} must be a port number, got ${JSON.stringify(c[k])}`);
  }
  return { ...c, transport: c.transport ?? "tcp", ip: c.ip ?? "127.0.0.1", key: c.key ?? "", signature_scheme: c.signature_scheme ?? "hmac-sha256" };
}
