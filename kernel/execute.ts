// `transferlab execute`: runs a notebook top to bottom in a fresh TransferLab kernel and saves it with its
// outputs and widget state, papermill-style. Parameters: the cell tagged "parameters" (or whose first
// line is `// parameters`) declares defaults (`const steps = 150;`); `-p steps=10` rewrites those
// declarations, tags the cell "injected-parameters" and records the values in the notebook's metadata.
// A magic line can use them as `${steps}`: the kernel expands `${name}` from the cell scope.

import type { Message } from "./wire";
import { KernelClient } from "./client";

type Json = Record<string, unknown>;
type Cell = { cell_type: string; source: string | string[]; metadata?: Json; outputs?: Json[]; execution_count?: number | null };

const text = (s: string | string[]) => (Array.isArray(s) ? s.join("") : s);

export class ExecuteError extends Error {
  override name = "ExecuteError";
}

/** Parses `name=value` pairs: JSON values when they parse (numbers, booleans, quoted strings, lists), else strings. */
export function parseParameters(pairs: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new ExecuteError(`-p ${JSON.stringify(p)}: expected name=value`);
    const name = p.slice(0, eq).trim();
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new ExecuteError(`-p ${JSON.stringify(p)}: ${JSON.stringify(name)} is not a variable name`);
    const raw = p.slice(eq + 1);
    try {
      out[name] = JSON.parse(raw);
    } catch {
      out[name] = raw;
    }
  }
  return out;
}

/** Rewrites the parameters cell with the given values; errors name the parameters the cell declares. */
export function injectParameters(nb: Json, params: Record<string, unknown>): void {
  if (!Object.keys(params).length) return;
  const cells = nb["cells"] as Cell[];
  const cell = cells.find(
    (c) =>
      c.cell_type === "code" &&
      (((c.metadata?.["tags"] as string[] | undefined) ?? []).includes("parameters") || /^\s*\/\/\s*parameters\b/.test(text(c.source))),
  );
  if (!cell) throw new ExecuteError('parameters: the notebook has no parameters cell (tag a code cell "parameters", or start it with "// parameters")');
  let src = text(cell.source);
  const declared: string[] = [];
  src = src.replace(/^(\s*(?:const|let|var)\s+)([A-Za-z_$][\w$]*)(\s*(?::\s*[^=]+)?=\s*)(.*?);?\s*$/gm, (line, head: string, name: string, mid: string) => {
    declared.push(name);
    return name in params ? `${head}${name}${mid}${JSON.stringify(params[name])}; // injected` : line;
  });
  const unknown = Object.keys(params).filter((k) => !declared.includes(k));
  if (unknown.length)
    throw new ExecuteError(`parameters: ${unknown.join(", ")} not declared in the parameters cell (declared: ${declared.join(", ") || "none"})`);
  cell.source = src;
  const tags = new Set([...(((cell.metadata?.["tags"] as string[] | undefined) ?? []) as string[]), "parameters", "injected-parameters"]);
  cell.metadata = { ...(cell.metadata ?? {}), tags: [...tags] };
  const meta = (nb["metadata"] ??= {}) as Json;
  meta["transferlab"] = { ...((meta["transferlab"] as Json | undefined) ?? {}), parameters: params };
}

/** nbformat outputs from one execute request's iopub messages (display updates applied in place). */
function outputsOf(msgs: readonly Message[]): Json[] {
  const outs: Json[] = [];
  const byDisplay = new Map<string, Json[]>();
  for (const m of msgs) {
    const c = m.content as Json;
    const t = m.header.msg_type;
    if (t === "stream") {
      const last = outs[outs.length - 1];
      if (last && last["output_type"] === "stream" && last["name"] === c["name"]) last["text"] = String(last["text"]) + String(c["text"]);
      else outs.push({ output_type: "stream", name: c["name"], text: c["text"] });
    } else if (t === "display_data" || t === "execute_result") {
      const o: Json = { output_type: t, data: c["data"], metadata: c["metadata"] ?? {} };
      if (t === "execute_result") o["execution_count"] = c["execution_count"];
      outs.push(o);
      const id = (c["transient"] as Json | undefined)?.["display_id"] as string | undefined;
      if (id) byDisplay.set(id, [...(byDisplay.get(id) ?? []), o]);
    } else if (t === "update_display_data") {
      const id = (c["transient"] as Json | undefined)?.["display_id"] as string | undefined;
      for (const o of (id && byDisplay.get(id)) || []) ((o["data"] = c["data"]), (o["metadata"] = c["metadata"] ?? {}));
    } else if (t === "error") outs.push({ output_type: "error", ename: c["ename"], evalue: c["evalue"], traceback: c["traceback"] });
    else if (t === "clear_output") outs.length = 0;
  }
  return outs;
}

export interface ExecuteResult {
  cells: number;
  failed: { cell: number; ename: string; evalue: string } | null;
  wall_s: number;
}

/**
 * Executes every code cell of a notebook (in place) in a fresh kernel started in `cwd`; stops at the
 * first error unless allowErrors. Widget state is stored like nbclient's store_widget_state.
 */
export async function executeNotebook(
  nb: Json,
  opts: { cwd: string; parameters?: Record<string, unknown>; allowErrors?: boolean; timeoutS?: number; log?: (s: string) => void },
): Promise<ExecuteResult> {
  if (nb["nbformat"] !== 4 || !Array.isArray(nb["cells"]))
    throw new ExecuteError("execute: not an nbformat 4 notebook (expected nbformat: 4 and a cells list)");
  injectParameters(nb, opts.parameters ?? {});
  const t0 = Date.now();
  const kernel = await KernelClient.start(opts.cwd);
  const widgets = new Map<string, { model_name: string; model_module: string; model_module_version: string; state: Json }>();
  kernel.onIopub((m) => {
    const c = m.content as Json;
    if (m.header.msg_type === "comm_open" && c["target_name"] === "jupyter.widget") {
      const state = ((c["data"] as Json)["state"] ?? {}) as Json;
      widgets.set(String(c["comm_id"]), {
        model_name: String(state["_model_name"]),
        model_module: String(state["_model_module"]),
        model_module_version: String(state["_model_module_version"]),
        state: { ...state },
      });
    } else if (m.header.msg_type === "comm_msg") {
      const w = widgets.get(String(c["comm_id"]));
      const data = c["data"] as Json;
      if (w && (data["method"] === "update" || data["method"] === "echo_update")) Object.assign(w.state, data["state"] as Json);
    } else if (m.header.msg_type === "comm_close") widgets.delete(String(c["comm_id"]));
  });
  let failed: ExecuteResult["failed"] = null;
  let n = 0;
  try {
    const cells = nb["cells"] as Cell[];
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i]!;
      if (cell.cell_type !== "code") continue;
      n++;
      opts.log?.(`cell ${i + 1}/${cells.length}: ${text(cell.source).split("\n")[0]!.slice(0, 70)}`);
      const r = await kernel.execute(text(cell.source), (opts.timeoutS ?? 1800) * 1000);
      cell.outputs = outputsOf(r.iopub);
      const reply = r.reply.content as Json;
      cell.execution_count = (reply["execution_count"] as number | undefined) ?? null;
      if (reply["status"] !== "ok") {
        failed ??= { cell: i + 1, ename: String(reply["ename"]), evalue: String(reply["evalue"]) };
        if (!opts.allowErrors) break;
      }
    }
  } finally {
    await kernel.close();
  }
  const meta = (nb["metadata"] ??= {}) as Json;
  meta["widgets"] = { "application/vnd.jupyter.widget-state+json": { version_major: 2, version_minor: 0, state: Object.fromEntries(widgets) } };
  return { cells: n, failed, wall_s: (Date.now() - t0) / 1000 };
}
