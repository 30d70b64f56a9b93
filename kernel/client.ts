// A minimal Jupyter client over zeromq (shell + iopub) that starts this package's kernel: what
// `transferlab execute` runs notebooks with, and what browser tests use to relay comm messages between
// the kernel and a browser page: it signs with the kernel's key exactly as jupyter_client does.

import { spawn, ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zmq from "zeromq";
import { Message, Signer, decode, encode, newHeader } from "./wire";
import { freePort } from "../src/core/net";

export class KernelClient {
  private readonly shell = new zmq.Dealer();
  private readonly iopub = new zmq.Subscriber();
  private readonly signer: Signer;
  private readonly session = randomUUID();
  readonly messages: Message[] = [];
  private listeners: ((m: Message) => void)[] = [];
  private replies = new Map<string, (m: Message) => void>();
  private closed = false;
  stderrTail = "";

  private constructor(
    readonly proc: ChildProcess,
    key: string,
  ) {
    this.signer = new Signer(key);
  }

  static async start(cwd: string): Promise<KernelClient> {
    const key = randomBytes(16).toString("hex");
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const conn = {
      transport: "tcp",
      ip: "127.0.0.1",
      shell_port: ports[0],
      iopub_port: ports[1],
      stdin_port: ports[2],
      control_port: ports[3],
      hb_port: ports[4],
      key,
      signature_scheme: "hmac-sha256",
    };
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tl-conn-")), "kernel.json");
    fs.writeFileSync(file, JSON.stringify(conn));
    const proc = spawn(process.execPath, [path.join(__dirname, "main.js"), file], { cwd, stdio: ["ignore", "ignore", "pipe"] });
    const c = new KernelClient(proc, key);
    // Drain the kernel's log so it never blocks on a full pipe; keep the tail for error reports.
    proc.stderr?.on("data", (d: Buffer) => (c.stderrTail = (c.stderrTail + d.toString()).slice(-4000)));
    c.shell.connect(`tcp://127.0.0.1:${conn.shell_port}`);
    c.iopub.connect(`tcp://127.0.0.1:${conn.iopub_port}`);
    c.iopub.subscribe();
    void c.pump();
    // The kernel is ready when it answers kernel_info.
    for (let i = 0; i < 100; i++) {
      try {
        await c.request("kernel_info_request", {}, 500);
        return c;
      } catch {
        /* not up yet */
      }
    }
    throw new Error("kernel did not answer kernel_info_request");
  }

  private async pump(): Promise<void> {
    const shellLoop = (async () => {
      for await (const frames of this.shell) {
        const m = decode(frames as Buffer[], this.signer);
        this.replies.get((m.parent_header as { msg_id: string }).msg_id)?.(m);
      }
    })();
    const iopubLoop = (async () => {
      for await (const frames of this.iopub) {
        const m = decode(frames as Buffer[], this.signer);
        this.messages.push(m);
        for (const l of this.listeners) l(m);
      }
    })();
    await Promise.allSettled([shellLoop, iopubLoop]);
  }

  onIopub(f: (m: Message) => void): void {
    this.listeners.push(f);
  }

  async send(msgType: string, content: unknown): Promise<string> {
    const h = newHeader(msgType, this.session, "test");
    await this.shell.send(encode(this.signer, [], h, {}, {}, content));
    return h.msg_id;
  }

  async request(msgType: string, content: unknown, timeoutMs = 60_000): Promise<Message> {
    const h = newHeader(msgType, this.session, "test");
    const reply = new Promise<Message>((resolve, reject) => {
      const t = setTimeout(() => {
        this.replies.delete(h.msg_id);
        reject(new Error(`${msgType}: no reply in ${timeoutMs} ms`));
      }, timeoutMs);
      this.replies.set(h.msg_id, (m) => {
        clearTimeout(t);
        this.replies.delete(h.msg_id);
        resolve(m);
      });
    });
    await this.shell.send(encode(this.signer, [], h, {}, {}, content));
    return reply;
  }

  /** Executes code; resolves with the reply and this request's iopub messages (after idle). */
  async execute(code: string, timeoutMs = 120_000): Promise<{ reply: Message; iopub: Message[] }> {
    const start = this.messages.length;
    const reply = await this.request(
      "execute_request",
      { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true },
      timeoutMs,
    );
    const id = (reply.parent_header as { msg_id: string }).msg_id;
    const idle = () =>
      this.messages
        .slice(start)
        .some(
          (m) =>
            (m.parent_header as { msg_id?: string }).msg_id === id &&
            m.header.msg_type === "status" &&
            (m.content as { execution_state?: string }).execution_state === "idle",
        );
    for (let i = 0; i < 200 && !idle(); i++) await new Promise((r) => setTimeout(r, 25));
    return { reply, iopub: this.messages.slice(start).filter((m) => (m.parent_header as { msg_id?: string }).msg_id === id) };
  }

  /** The text/plain result of executing an expression (throws with the error when the cell fails). */
  async value(code: string): Promise<string> {
    const r = await this.execute(code);
    const content = r.reply.content as { status: string; ename?: string; evalue?: string };
    if (content.status !== "ok") throw new Error(`${content.ename}: ${content.evalue}`);
    const res = r.iopub.find((m) => m.header.msg_type === "execute_result");
    return String(((res?.content as { data?: Record<string, unknown> })?.data ?? {})["text/plain"] ?? "");
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.request("shutdown_request", { restart: false }, 3000);
    } catch {
      /* already gone */
    }
    this.shell.close();
    this.iopub.close();
    this.proc.kill("SIGKILL");
  }
}
