// `transferlab install | uninstall | doctor`: the kernelspec written directly (no Python needed), the
// prebuilt JupyterLab extension copied when it exists, and a doctor that says what a setup lacks.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { packageRoot } from "../src/core/paths";

export const KERNEL_NAME = "transferlab";
// JupyterLab finds prebuilt extensions at labextensions/<package name>.
export const EXTENSION_NAME = "@transferlab/widgets";

export interface InstallTarget {
  /** "user" (~/.local/share/jupyter), a prefix (PREFIX/share/jupyter), or the system folder. */
  user?: boolean;
  prefix?: string;
}

export function jupyterDataDir(t: InstallTarget): string {
  if (t.prefix) return path.join(path.resolve(t.prefix), "share", "jupyter");
  if (t.user !== false) {
    if (process.env["JUPYTER_DATA_DIR"]) return process.env["JUPYTER_DATA_DIR"];
    return process.platform === "darwin"
      ? path.join(os.homedir(), "Library", "Jupyter")
      : path.join(process.env["XDG_DATA_HOME"] ?? path.join(os.homedir(), ".local", "share"), "jupyter");
  }
  return "/usr/local/share/jupyter";
}

export function kernelSpec(): Record<string, unknown> {
  return {
    argv: [process.execPath, path.join(packageRoot(), "dist", "kernel", "main.js"), "{connection_file}"],
    display_name: "TransferLab (TypeScript)",
    language: "typescript",
    interrupt_mode: "signal",
    env: {},
    metadata: { debugger: false, transferlab: { version: "0.1.0" } },
  };
}

export function install(t: InstallTarget, log: (s: string) => void = () => {}): { kernelDir: string; extensionDir: string | null } {
  const data = jupyterDataDir(t);
  const kernelDir = path.join(data, "kernels", KERNEL_NAME);
  fs.mkdirSync(kernelDir, { recursive: true });
  fs.writeFileSync(path.join(kernelDir, "kernel.json"), JSON.stringify(kernelSpec(), null, 2) + "\n");
  // The launcher's and the notebook toolbar's icon (Jupyter reads logo-32x32.png, logo-64x64.png, logo-svg.svg).
  for (const f of ["logo-32x32.png", "logo-64x64.png", "logo-svg.svg"]) fs.copyFileSync(path.join(packageRoot(), "kernel", "logo", f), path.join(kernelDir, f));
  log(`kernelspec written to ${kernelDir}`);
  const built = path.join(packageRoot(), "widgets", "labextension");
  let extensionDir: string | null = null;
  if (fs.existsSync(path.join(built, "package.json"))) {
    extensionDir = path.join(data, "labextensions", EXTENSION_NAME);
    fs.rmSync(extensionDir, { recursive: true, force: true });
    fs.cpSync(built, extensionDir, { recursive: true });
    log(`JupyterLab extension copied to ${extensionDir}`);
  } else log("no prebuilt JupyterLab extension in this package (widgets/labextension): charts fall back to their static images");
  return { kernelDir, extensionDir };
}

export function uninstall(t: InstallTarget, log: (s: string) => void = () => {}): void {
  const data = jupyterDataDir(t);
  for (const dir of [path.join(data, "kernels", KERNEL_NAME), path.join(data, "labextensions", EXTENSION_NAME)]) {
    if (fs.existsSync(dir)) {
      fs.rmSync(dir, { recursive: true, force: true });
      log(`removed ${dir}`);
    }
  }
}

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

function which(cmd: string): string | null {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Jupyter's data folders, as `jupyter --paths` would list them (user, prefixes, system). */
function dataDirs(): string[] {
  const dirs = [
    jupyterDataDir({ user: true }),
    ...(process.env["JUPYTER_PATH"] ?? "").split(path.delimiter).filter(Boolean),
    "/usr/local/share/jupyter",
    "/usr/share/jupyter",
  ];
  return [...new Set(dirs)];
}

export function doctor(): DoctorCheck[] {
  const checks: DoctorCheck[] = [];
  const node = process.versions.node.split(".").map(Number);
  checks.push({ name: "node", ok: node[0]! >= 20, detail: `Node.js ${process.versions.node}`, fix: "install Node.js 20 or newer" });
  const jupyter = which("jupyter");
  checks.push({ name: "jupyter", ok: !!jupyter, detail: jupyter ?? "not on PATH", fix: "apt-get install jupyter-notebook (or pip install jupyterlab)" });
  const spec = dataDirs()
    .map((d) => path.join(d, "kernels", KERNEL_NAME, "kernel.json"))
    .find((f) => fs.existsSync(f));
  let specOk = false;
  if (spec) {
    const argv = (JSON.parse(fs.readFileSync(spec, "utf8")) as { argv: string[] }).argv;
    specOk = fs.existsSync(argv[1] ?? "");
    checks.push({
      name: "kernelspec",
      ok: specOk,
      detail: specOk ? spec : `${spec} points to ${argv[1]}, which does not exist`,
      fix: "npx transferlab install --user",
    });
  } else checks.push({ name: "kernelspec", ok: false, detail: "not installed", fix: "npx transferlab install --user" });
  const manager = dataDirs().find((d) => fs.existsSync(path.join(d, "labextensions", "@jupyter-widgets", "jupyterlab-manager")));
  checks.push({
    name: "widget manager",
    ok: !!manager,
    detail: manager ? `@jupyter-widgets/jupyterlab-manager in ${manager}` : "not found",
    fix: "pip install jupyterlab_widgets (Debian 12 packages no JupyterLab 4 widget manager; python3-ipywidgets is the classic notebook's)",
  });
  const ext = dataDirs().find((d) => fs.existsSync(path.join(d, "labextensions", EXTENSION_NAME)));
  checks.push({
    name: "transferlab extension",
    ok: !!ext,
    detail: ext ? `${EXTENSION_NAME} in ${ext}` : "not installed (charts show their static images instead)",
    fix: "npx transferlab install --user",
  });
  return checks;
}
