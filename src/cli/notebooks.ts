// Commands for Jupyter: `install`/`uninstall`/`doctor` (the kernelspec and the JupyterLab
// extension), `execute` (run a notebook in a fresh kernel) and `report` (an executed notebook as one
// offline HTML page).

import * as nodePath from "node:path";
import { writeFileAtomic } from "../core/atomic";
import * as path from "node:path";
import { doctor, install, uninstall } from "../../kernel/install";
import { Command, UsageError, flagsUsage, onePositional, parseFlags, readNotebook } from "./command";

const INSTALL_FLAGS = [
  { name: "user", type: "boolean", help: "the user's Jupyter data folder (the default)", default: false },
  { name: "prefix", type: "string", help: "PREFIX/share/jupyter" },
  { name: "sysPrefix", type: "boolean", help: "the Python environment's share/jupyter", default: false },
] as const;

const EXECUTE_FLAGS = [
  { name: "p", type: "list", items: "string", multiple: true, short: "p", help: "a parameter NAME=VALUE (repeat for several)", default: [] },
  { name: "out", type: "string", help: "where the executed notebook goes (default: in place)" },
  { name: "allowErrors", type: "boolean", help: "run on after a failed cell", default: false },
  { name: "report", type: "boolean", help: "also write the HTML report", default: false },
  { name: "staticImages", type: "boolean", help: "render every chart to PNG beside its widget", default: false },
  { name: "cwd", type: "string", help: "the kernel's working folder (default: the notebook's)" },
] as const;

const REPORT_FLAGS = [
  { name: "out", type: "string", help: "the HTML page (default: NOTEBOOK.html)" },
  { name: "staticImages", type: "boolean", help: "also render every chart to PNG beside its widget (headless Chromium)", default: false },
  { name: "sanitize", type: "boolean", help: "render the notebook's HTML outputs inert (for notebooks you did not run)", default: false },
  { name: "title", type: "string", help: "the page title (default: the file name)" },
] as const;

export const NOTEBOOK_COMMANDS: Record<string, Command> = {
  report: {
    fields: REPORT_FLAGS,
    usage: `transferlab report NOTEBOOK.ipynb ${flagsUsage(REPORT_FLAGS)}`,
    summary:
      "Publish an executed notebook as one self-contained HTML page: saved widget state renders live (the standalone renderer and plotly.js are inlined; nothing is fetched), other outputs as images, HTML or text. --static-images also renders every chart to PNG in headless Chromium and writes it into the notebook beside its widget, for GitHub and nbconvert. --sanitize renders the notebook's HTML outputs inert (no scripts, event handlers or styles; nbconvert's --sanitize-html), for notebooks you did not run yourself.",
    run: async (argv) => {
      const { args: a, positionals } = parseFlags("report", REPORT_FLAGS, argv);
      const file = onePositional("report", positionals, "NOTEBOOK.ipynb");
      const nb = readNotebook("report", file);
      const V = await import("../viz");
      if (a.staticImages) {
        const n = await V.addStaticImages(nb);
        writeFileAtomic(file, JSON.stringify(nb, null, 1) + "\n");
        console.log(`${file}: ${n} chart(s) rendered to PNG beside their widgets`);
      }
      const out = a.out ?? file.replace(/\.ipynb$/, "") + ".html";
      let html: string;
      try {
        html = V.notebookHtml(nb, a.title ?? V.notebookTitle(nb) ?? nodePath.basename(file, ".ipynb"), { sanitize: a.sanitize });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      writeFileAtomic(out, html);
      console.log(`wrote ${out} (${(html.length / 1e6).toFixed(1)} MB, self-contained)`);
    },
  },
  execute: {
    fields: EXECUTE_FLAGS,
    usage: `transferlab execute NOTEBOOK.ipynb ${flagsUsage(EXECUTE_FLAGS)}`,
    summary:
      'Run a notebook top to bottom in a fresh TransferLab kernel and save it with outputs and widget state (papermill-style). -p rewrites the declarations of the cell tagged "parameters" (or starting with "// parameters"), tags it "injected-parameters" and records the values in the metadata; magic lines use them as ${name}. A failed cell stops the run (the notebook is saved with its error) and exits 1. --report also writes the HTML report.',
    run: async (argv) => {
      const { args: a, positionals } = parseFlags("execute", EXECUTE_FLAGS, argv);
      const file = onePositional("execute", positionals, "NOTEBOOK.ipynb");
      const nb = readNotebook("execute", file);
      const { executeNotebook, parseParameters, ExecuteError } = await import("../../kernel/execute");
      let r;
      try {
        r = await executeNotebook(nb, {
          cwd: a.cwd ?? nodePath.dirname(nodePath.resolve(file)),
          parameters: parseParameters(a.p),
          allowErrors: a.allowErrors,
          log: console.log,
        });
      } catch (e) {
        if (e instanceof ExecuteError) throw new UsageError(e.message);
        throw e;
      }
      const out = a.out ?? file;
      const V = await import("../viz");
      if (a.staticImages) console.log(`${await V.addStaticImages(nb)} chart(s) rendered to PNG`);
      writeFileAtomic(out, JSON.stringify(nb, null, 1) + "\n");
      console.log(
        `wrote ${out}: ${r.cells} code cells in ${r.wall_s.toFixed(1)} s${r.failed ? `; cell ${r.failed.cell} failed: ${r.failed.ename}: ${r.failed.evalue}` : ""}`,
      );
      if (a.report) {
        const html = out.replace(/\.ipynb$/, "") + ".html";
        writeFileAtomic(html, V.notebookHtml(nb, nodePath.basename(out, ".ipynb")));
        console.log(`wrote ${html}`);
      }
      if (r.failed) process.exitCode = 1;
    },
  },
  install: {
    fields: INSTALL_FLAGS,
    usage: "transferlab install [--user | --prefix DIR | --sys-prefix]",
    summary:
      'Install the Jupyter kernelspec "TransferLab (TypeScript)" (no Python needed) and the prebuilt JupyterLab extension when the package has it. --user (default) writes to the user\'s Jupyter data folder.',
    run: async (argv) => {
      const { args: a } = parseFlags("install", INSTALL_FLAGS, argv);
      const r = install(a.prefix ? { prefix: a.prefix } : a.sysPrefix ? { user: false } : { user: true }, console.log);
      if (a.prefix)
        console.log(
          `Jupyter looks in ${path.join(path.resolve(a.prefix), "share", "jupyter")} only if told: export JUPYTER_PATH=${path.join(path.resolve(a.prefix), "share", "jupyter")} (or use --user)`,
        );
      console.log(JSON.stringify(r));
    },
  },
  uninstall: {
    fields: INSTALL_FLAGS,
    usage: "transferlab uninstall [--user | --prefix DIR | --sys-prefix]",
    summary: "Remove the kernelspec and the JupyterLab extension that install wrote.",
    run: async (argv) => {
      const { args: a } = parseFlags("uninstall", INSTALL_FLAGS, argv);
      uninstall(a.prefix ? { prefix: a.prefix } : a.sysPrefix ? { user: false } : { user: true }, console.log);
    },
  },
  doctor: {
    usage: "transferlab doctor",
    summary: "Check what a Jupyter setup lacks for TransferLab (Node, jupyter on PATH, kernelspec, widget manager, extension) and print the fix for each.",
    run: async () => {
      const checks = doctor();
      for (const c of checks) console.log(`${c.ok ? "ok  " : "MISS"}  ${c.name.padEnd(22)} ${c.detail}${c.ok || !c.fix ? "" : `\n      fix: ${c.fix}`}`);
      const ok = checks.every((c) => c.ok);
      console.log(JSON.stringify({ ok, checks }));
      // A script (or CI) can rely on the exit status: non-zero when any check failed.
      if (!ok) process.exitCode = 1;
    },
  },
};
