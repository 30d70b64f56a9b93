// A small widget-model API on the comm layer: a model is a comm to `jupyter.widget` whose state lives
// here; binary values (typed arrays) travel as buffers. The figures and live widgets of src/viz and
// widgets/ build on WidgetModel.

import { Comm, CommManager } from "./comm";

export const WIDGET_PROTOCOL_VERSION = "2.1.0";
export const WIDGET_TARGET = "jupyter.widget";
export const CONTROL_TARGET = "jupyter.widget.control";
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

export type WidgetState = Record<string, unknown>;

/** Moves typed arrays and ArrayBuffers out of a state into buffers, recording their paths. */
export function extractBuffers(state: WidgetState): { state: WidgetState; buffer_paths: (string | number)[][]; buffers: (ArrayBufferView | ArrayBuffer)[] } {
  const buffer_paths: (string | number)[][] = [];
  const buffers: (ArrayBufferView | ArrayBuffer)[] = [];
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) {
      buffer_paths.push(path);
      buffers.push(v as ArrayBufferView);
      return null;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  return { state: walk(state, []) as WidgetState, buffer_paths, buffers };
}

/** Puts received buffers back into a state at their paths. */
export function insertBuffers(state: WidgetState, paths: unknown, buffers: Buffer[]): WidgetState {
  if (!Array.isArray(paths)) return state;
  paths.forEach((p, i) => {
    if (!Array.isArray(p) || p.length === 0 || !buffers[i]) return;
    let obj = state as Record<string | number, unknown>;
    for (const key of p.slice(0, -1)) obj = obj[key as string] as Record<string | number, unknown>;
    if (obj && typeof obj === "object") obj[p[p.length - 1] as string] = buffers[i];
  });
  return state;
}

export interface ModelSpec {
  modelName: string;
  modelModule: string;
  modelModuleVersion: string;
  viewName: string | null;
  viewModule: string | null;
  viewModuleVersion: string;
}

const live = new Map<string, WidgetModel>();
let manager: CommManager | null = null;

export function setWidgetManager(m: CommManager | null): void {
  manager = m;
  live.clear();
  if (!m) return;
  // A frontend asks for every model's state when a page (re)loads.
  m.registerTarget(CONTROL_TARGET, (comm) => {
    comm.onMsg((data) => {
      if (data["method"] !== "request_states") return;
      const states: Record<string, unknown> = {};
      const paths: Record<string, unknown> = {};
      const buffers: (ArrayBufferView | ArrayBuffer)[] = [];
      for (const w of live.values()) {
        const x = extractBuffers(w.fullState());
        states[w.id] = { model_name: w.spec.modelName, model_module: w.spec.modelModule, model_module_version: w.spec.modelModuleVersion, state: x.state };
        paths[w.id] = x.buffer_paths.map((p) => p);
        buffers.push(...x.buffers);
      }
      // buffer_paths index from the states object: [model_id, "state", ...path] per buffer, in order.
      const flat: (string | number)[][] = [];
      for (const [id, ps] of Object.entries(paths)) for (const p of ps as (string | number)[][]) flat.push([id, "state", ...p]);
      comm.send({ method: "update_states", states, buffer_paths: flat }, {}, buffers);
    });
  });
  m.registerTarget(WIDGET_TARGET, (comm) => {
    // Frontend-created models are not supported: close them rather than keep a half-model.
    comm.close();
  });
}

export class WidgetModel {
  readonly comm: Comm;
  private state: WidgetState;
  private changeHandlers: ((changed: WidgetState) => void)[] = [];
  private customHandlers: ((content: unknown, buffers: Buffer[]) => void)[] = [];

  constructor(
    readonly spec: ModelSpec,
    state: WidgetState,
  ) {
    if (!manager) throw new Error("widgets: no kernel is running (widgets work inside a TransferLab kernel)");
    this.state = { ...state };
    const x = extractBuffers(this.fullState());
    this.comm = manager.open(WIDGET_TARGET, { state: x.state, buffer_paths: x.buffer_paths }, { version: WIDGET_PROTOCOL_VERSION }, x.buffers);
    live.set(this.comm.id, this);
    this.comm.onMsg((data, buffers) => this.receive(data, buffers));
    this.comm.onClose(() => live.delete(this.comm.id));
  }

  get id(): string {
    return this.comm.id;
  }

  /** The state with the model/view identification keys the protocol requires. */
  fullState(): WidgetState {
    const s = this.spec;
    return {
      _model_name: s.modelName,
      _model_module: s.modelModule,
      _model_module_version: s.modelModuleVersion,
      _view_name: s.viewName,
      _view_module: s.viewModule,
      _view_module_version: s.viewModuleVersion,
      _view_count: null,
      ...this.state,
    };
  }

  get(key: string): unknown {
    return this.state[key];
  }

  /** Changes state here and in every frontend. */
  set(patch: WidgetState): void {
    Object.assign(this.state, patch);
    const x = extractBuffers(patch);
    this.comm.send({ method: "update", state: x.state, buffer_paths: x.buffer_paths }, {}, x.buffers);
  }

  sendCustom(content: unknown, buffers: (ArrayBufferView | ArrayBuffer)[] = []): void {
    this.comm.send({ method: "custom", content }, {}, buffers);
  }

  onChange(h: (changed: WidgetState) => void): void {
    this.changeHandlers.push(h);
  }

  onCustom(h: (content: unknown, buffers: Buffer[]) => void): void {
    this.customHandlers.push(h);
  }

  /** The mime bundle that displays this model's view. */
  viewBundle(): Record<string, unknown> {
    return {
      [WIDGET_VIEW_MIME]: { model_id: this.id, version_major: 2, version_minor: 1 },
      "text/plain": `${this.spec.modelName}(${this.id})`,
    };
  }

  close(): void {
    live.delete(this.id);
    this.comm.close();
  }

  private receive(data: Record<string, unknown>, buffers: Buffer[]): void {
    const method = data["method"];
    if (method === "update") {
      const changed = insertBuffers({ ...((data["state"] as WidgetState) ?? {}) }, data["buffer_paths"], buffers);
      Object.assign(this.state, changed);
      // Protocol 2.1: confirm a frontend's change to every frontend.
      const x = extractBuffers(changed);
      this.comm.send({ method: "echo_update", state: x.state, buffer_paths: x.buffer_paths }, {}, x.buffers);
      for (const h of this.changeHandlers) h(changed);
    } else if (method === "request_state") {
      const x = extractBuffers(this.fullState());
      this.comm.send({ method: "update", state: x.state, buffer_paths: x.buffer_paths }, {}, x.buffers);
    } else if (method === "custom") {
      for (const h of this.customHandlers) h(data["content"], buffers);
    }
  }
}
