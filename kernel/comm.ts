// Comms (messaging 5.3 comm_open / comm_msg / comm_close) and the Jupyter widget protocol 2.1.0 on the
// kernel side: `jupyter.widget` models with state and binary buffers (buffer_paths), update /
// echo_update / request_state / custom messages, and the `jupyter.widget.control` comm that answers
// request_states with update_states, so a reloaded page restores every widget at once.

import { randomUUID } from "node:crypto";

export type Buffers = (Buffer | ArrayBufferView | ArrayBuffer)[];

/** What the comm layer needs from the kernel: send a comm message on iopub, with buffers. */
export interface CommTransport {
  send(msgType: "comm_open" | "comm_msg" | "comm_close", content: Record<string, unknown>, metadata?: Record<string, unknown>, buffers?: Buffers): void;
  log(message: string): void;
}

export class Comm {
  private msgHandlers: ((data: Record<string, unknown>, buffers: Buffer[]) => void | Promise<void>)[] = [];
  private closeHandlers: ((data: Record<string, unknown>) => void)[] = [];
  closed = false;

  constructor(
    readonly id: string,
    readonly target: string,
    private readonly manager: CommManager,
  ) {}

  send(data: Record<string, unknown>, metadata: Record<string, unknown> = {}, buffers: Buffers = []): void {
    if (this.closed) throw new Error(`comm ${this.id} (${this.target}) is closed`);
    this.manager.transport.send("comm_msg", { comm_id: this.id, data }, metadata, buffers);
  }

  close(data: Record<string, unknown> = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.manager.transport.send("comm_close", { comm_id: this.id, data });
    this.manager.forget(this.id);
  }

  onMsg(h: (data: Record<string, unknown>, buffers: Buffer[]) => void | Promise<void>): void {
    this.msgHandlers.push(h);
  }

  onClose(h: (data: Record<string, unknown>) => void): void {
    this.closeHandlers.push(h);
  }

  /** @internal */
  async receive(data: Record<string, unknown>, buffers: Buffer[]): Promise<void> {
    for (const h of this.msgHandlers) await h(data, buffers);
  }

  /** @internal */
  receiveClose(data: Record<string, unknown>): void {
    this.closed = true;
    for (const h of this.closeHandlers) h(data);
  }
}

export type TargetHandler = (comm: Comm, data: Record<string, unknown>, buffers: Buffer[]) => void | Promise<void>;

export class CommManager {
  private readonly comms = new Map<string, Comm>();
  private readonly targets = new Map<string, TargetHandler>();

  constructor(readonly transport: CommTransport) {}

  registerTarget(name: string, handler: TargetHandler): void {
    this.targets.set(name, handler);
  }

  /** Opens a comm from the kernel side. */
  open(target: string, data: Record<string, unknown>, metadata: Record<string, unknown> = {}, buffers: Buffers = [], id: string = randomUUID()): Comm {
    const comm = new Comm(id, target, this);
    this.comms.set(id, comm);
    this.transport.send("comm_open", { comm_id: id, target_name: target, data }, metadata, buffers);
    return comm;
  }

  get(id: string): Comm | undefined {
    return this.comms.get(id);
  }

  forget(id: string): void {
    this.comms.delete(id);
  }

  info(target?: string): Record<string, { target_name: string }> {
    const out: Record<string, { target_name: string }> = {};
    for (const [id, c] of this.comms) if (!target || c.target === target) out[id] = { target_name: c.target };
    return out;
  }

  /** A frontend opened a comm: to a known target it is kept, to an unknown one it is closed at once. */
  async handleOpen(content: Record<string, unknown>, buffers: Buffer[]): Promise<void> {
    const id = String(content["comm_id"]);
    const target = String(content["target_name"]);
    const handler = this.targets.get(target);
    const comm = new Comm(id, target, this);
    if (!handler) {
      this.transport.log(`comm_open to unknown target ${JSON.stringify(target)}: closing it`);
      this.transport.send("comm_close", { comm_id: id, data: {} });
      return;
    }
    this.comms.set(id, comm);
    await handler(comm, (content["data"] as Record<string, unknown>) ?? {}, buffers);
  }

  async handleMsg(content: Record<string, unknown>, buffers: Buffer[]): Promise<void> {
    const comm = this.comms.get(String(content["comm_id"]));
    if (!comm) return this.transport.log(`comm_msg for unknown comm ${String(content["comm_id"])}: ignored`);
    await comm.receive((content["data"] as Record<string, unknown>) ?? {}, buffers);
  }

  handleClose(content: Record<string, unknown>): void {
    const id = String(content["comm_id"]);
    const comm = this.comms.get(id);
    if (!comm) return;
    this.comms.delete(id);
    comm.receiveClose((content["data"] as Record<string, unknown>) ?? {});
  }
}
