// `transferlab bench kernel`: median round trip of executing `1 + 1` from a jupyter_client script, for
// the TransferLab kernel and for tslab's own kernel, measured in the same run on the same machine.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { install } from "../kernel/install";
import { packageRoot } from "../src/core/paths";

export function benchKernel(opts: { n: number; log: (s: string) => void }): Record<string, number> {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), "tl-bench-kernel-"));
  install({ prefix });
  const data = path.join(prefix, "share", "jupyter");
  const root = packageRoot();
  const tslabMain = path.join(root, "node_modules", "tslab", "bin", "tslab");
  const tslabDir = path.join(data, "kernels", "tslab");
  fs.mkdirSync(tslabDir, { recursive: true });
  fs.writeFileSync(
    path.join(tslabDir, "kernel.json"),
    JSON.stringify({ argv: [process.execPath, tslabMain, "kernel", "--config-path", "{connection_file}"], display_name: "tslab", language: "typescript" }),
  );
  let py: string | null = null;
  for (const c of ["/usr/bin/python3", "python3"]) if (spawnSync(c, ["-c", "import jupyter_client"]).status === 0) py = c;
  if (!py) throw new Error("bench kernel needs python3 with jupyter_client (apt-get install python3-jupyter-client)");
  const r = spawnSync(py, [path.join(root, "bench", "kernel_roundtrip.py"), data, String(opts.n), "transferlab", "tslab"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`kernel round-trip script failed: ${r.stderr.slice(-2000)}`);
  const res = JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, { median_ms: number; p90_ms: number; ready_ms: number; first_ms: number }>;
  const ours = res["transferlab"]!;
  const peer = res["tslab"]!;
  opts.log(
    `execute "1 + 1", ${opts.n} round trips each via jupyter_client: transferlab median ${ours.median_ms.toFixed(2)} ms (p90 ${ours.p90_ms.toFixed(2)}), tslab median ${peer.median_ms.toFixed(2)} ms (p90 ${peer.p90_ms.toFixed(2)}); a fresh kernel: start to ready ${ours.ready_ms.toFixed(0)} ms (tslab ${peer.ready_ms.toFixed(0)}), first cell ${ours.first_ms.toFixed(0)} ms (tslab ${peer.first_ms.toFixed(0)})`,
  );
  return {
    median_ms: ours.median_ms,
    p90_ms: ours.p90_ms,
    peer_median_ms: peer.median_ms,
    ratio: ours.median_ms / peer.median_ms,
    ready_ms: ours.ready_ms,
    first_ms: ours.first_ms,
    peer_ready_ms: peer.ready_ms,
    peer_first_ms: peer.first_ms,
  };
}
