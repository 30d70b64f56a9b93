// A real JupyterLab 4 (widgets/lab-app) or Notebook 7 notebook page (widgets/nb7-app) for the end-to-end
// tests: the frontend built from the npm registry's packages (cached until its lockfile or sources
// change), served by Debian's jupyterlab-server on 127.0.0.1 with token auth, with the kernelspec and the
// prebuilt extension that `transferlab install --prefix` writes.

import { spawn, spawnSync, ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../../src/core/net";

const ROOT = path.join(__dirname, "..", "..", "..");
export const LAB_APP = path.join(ROOT, "widgets", "lab-app");
export const NB7_APP = path.join(ROOT, "widgets", "nb7-app");
const PYTHON = "/usr/bin/python3";

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: "skip" }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) failed with ${r.status}:\n${(r.stdout ?? "").slice(-2000)}\n${(r.stderr ?? "").slice(-4000)}`);
}

/** What a built frontend depends on: the lockfile, the entry sources and the build config (its own and the shared one). */
function sourceStamp(app: string): string {
  const h = createHash("sha256");
  for (const f of [
    "package.json",
    "package-lock.json",
    "webpack.config.js",
    path.join("..", "frontend-webpack.js"),
    path.join("..", "frontend-bootstrap.js"),
    ...fs
      .readdirSync(path.join(app, "src"))
      .sort()
      .map((f) => path.join("src", f)),
  ]) {
    h.update(f);
    h.update(fs.readFileSync(path.join(app, f)));
  }
  return h.digest("hex");
}

/** Installs a frontend's packages (npm ci) and builds it, unless the cached build matches its sources. */
export function ensureLabApp(log: (s: string) => void = () => {}, app = LAB_APP): void {
  const name = path.basename(app);
  // npm writes node_modules/.package-lock.json on every install: older than the lockfile means stale.
  const lock = path.join(app, "package-lock.json");
  const installed = path.join(app, "node_modules", ".package-lock.json");
  if (!fs.existsSync(installed) || fs.statSync(installed).mtimeMs < fs.statSync(lock).mtimeMs) {
    log(`installing the frontend's packages (npm ci in widgets/${name})`);
    run(process.platform === "win32" ? "npm.cmd" : "npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], app);
  }
  const stamp = sourceStamp(app);
  const built = path.join(app, "static", ".stamp");
  if (!fs.existsSync(built) || fs.readFileSync(built, "utf8") !== stamp) {
    log(`building the frontend in widgets/${name} (webpack)`);
    run(process.execPath, [path.join(app, "node_modules", "webpack-cli", "bin", "cli.js"), "--config", "webpack.config.js"], app);
    fs.writeFileSync(built, stamp);
  }
}

export interface LabServer {
  url: string;
  token: string;
  /** The folder the server shows as its root (notebooks are put here). */
  root: string;
  proc: ChildProcess;
  log: () => string;
  /** Marks a notebook trusted for this server, as JupyterLab's "Trust Notebook" command does. */
  trust(file: string): void;
  stop(): Promise<void>;
}

/** Starts jupyterlab-server with a frontend (default JupyterLab) on a free port, with TransferLab installed into a fresh prefix. */
export async function startLabServer(app = LAB_APP): Promise<LabServer> {
  const probe = spawnSync(PYTHON, ["-c", "import jupyterlab_server, jupyter_server"], { encoding: "utf8" });
  if (probe.status !== 0)
    throw new Error(`${PYTHON} cannot import jupyterlab_server: apt-get install python3-jupyterlab-server (.ci/run does)\n${probe.stderr}`);
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "tl-jlab-"));
  const prefix = path.join(base, "prefix");
  const root = path.join(base, "root");
  fs.mkdirSync(root);
  run(process.execPath, [path.join(ROOT, "bin", "transferlab.js"), "install", "--prefix", prefix], ROOT);
  // TRANSFERLAB_TEST_KERNEL=path/to/dist/kernel/main.js runs the test against another kernel build (to
  // show that a test fails on a kernel without the fix it checks).
  const otherKernel = process.env["TRANSFERLAB_TEST_KERNEL"];
  if (otherKernel) {
    const specFile = path.join(prefix, "share", "jupyter", "kernels", "transferlab", "kernel.json");
    const spec = JSON.parse(fs.readFileSync(specFile, "utf8"));
    spec.argv[1] = path.resolve(otherKernel);
    fs.writeFileSync(specFile, JSON.stringify(spec, null, 1));
  }
  const port = await freePort();
  const token = randomBytes(12).toString("hex");
  const env = {
    ...process.env,
    JUPYTER_PATH: path.join(prefix, "share", "jupyter"),
    JUPYTER_RUNTIME_DIR: path.join(base, "runtime"),
    JUPYTER_CONFIG_DIR: path.join(base, "config"),
    JUPYTER_DATA_DIR: path.join(base, "data"),
  };
  const args = [
    path.join(app, "server.py"),
    "--state",
    path.join(base, "state"),
    "--labextensions",
    path.join(prefix, "share", "jupyter", "labextensions"),
    `--port=${port}`,
    "--ip=127.0.0.1",
    "--no-browser",
    "--allow-root",
    `--ServerApp.token=${token}`,
    `--ServerApp.root_dir=${root}`,
    "--ServerApp.port_retries=0",
  ];
  const proc = spawn(PYTHON, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (d: Buffer) => (log = (log + d.toString()).slice(-20000));
  proc.stdout?.on("data", keep);
  proc.stderr?.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the JupyterLab server exited with ${proc.exitCode}:\n${log}`);
    try {
      const r = await fetch(`${url}/api/status`, { headers: { Authorization: `token ${token}` } });
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`the JupyterLab server did not answer within 60 s:\n${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    token,
    root,
    proc,
    log: () => log,
    trust(file: string) {
      // jupyter_server's notary signs with the secret in the Jupyter data folder (JUPYTER_DATA_DIR).
      const code = "import sys, nbformat\nfrom nbformat.sign import NotebookNotary\nnb = nbformat.read(sys.argv[1], as_version=4)\nNotebookNotary().sign(nb)";
      const r = spawnSync(PYTHON, ["-c", code, file], { env, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`could not trust ${file}: ${r.stderr}`);
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 1500));
        if (proc.exitCode === null) proc.kill("SIGKILL");
      }
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
