// The lab's verbs as commands, derived from the verb list: `transferlab <verb>` takes the flags of the
// verb's schema (kebab-case; the positional field as free words), runs `lab.call`, prints the verb's
// result parts (tables, text), writes its images, and with --html writes its figures and tables into
// one offline page. `run SPEC` runs the entries of a spec file in order. Aliases (`probe`, and `eval`
// for the magic) are the verb under its earlier name.

import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../core/atomic";
import { readDataText } from "../core/data-file";
import { Field, Hooks, Lab, RunHandle, SpecError, VERB_LIST, Verb, defaultRunsRoot, kebab, parseSpecFile, validateSpec } from "../lab";
import type { Part, VerbDef } from "../lab";
import { Table, tableFormat } from "../lab/results/tables";
import { didYouMean } from "../core/text";
import { Command, UsageError, onePositional } from "./command";
import { terminalHooks } from "./progress";

/** Parses a verb's flags (kebab-case; positionals for fields marked so) into a spec object. */
export function verbArgs(verb: VerbDef, argv: string[]): { args: Record<string, unknown>; json: boolean; html?: string; out?: string } {
  const fields = verb.fields as readonly Field[];
  const options: Record<string, { type: "string" | "boolean" }> = { json: { type: "boolean" }, html: { type: "string" }, out: { type: "string" } };
  for (const f of fields) if (!f.positional) options[kebab(f.name)] = { type: f.type === "boolean" ? "boolean" : "string" };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    // Node's message names neither the allowed flags nor a near one: the magics' message instead.
    const m = /Unknown option '(--?[^']+)'/.exec((e as Error).message);
    if (!m) throw e;
    const flags = Object.keys(options).map((k) => `--${k}`);
    throw new UsageError(`${verb.name}: unknown option ${m[1]} (allowed: ${flags.join(", ")})${didYouMean(m[1]!, flags)}`);
  }
  const { values, positionals } = parsed;
  const args: Record<string, unknown> = {};
  for (const f of fields) {
    const v = (values as Record<string, unknown>)[kebab(f.name)];
    if (v !== undefined) args[f.name] = v;
  }
  const pos = fields.find((f) => f.positional);
  if (positionals.length) {
    if (!pos) throw new UsageError(`${verb.name}: unexpected argument ${JSON.stringify(positionals[0])}`);
    // Several free words are one prompt; a list field takes several prompts separated by '|'.
    args[pos.name] = positionals.join(pos.type === "list" ? "|" : " ");
  }
  const str = (k: string) => (values as Record<string, unknown>)[k] as string | undefined;
  return { args, json: Boolean(values["json"]), ...(str("html") ? { html: str("html")! } : {}), ...(str("out") ? { out: str("out")! } : {}) };
}

const markdown = (t: Table) => t.toMarkdown({ limit: 100, format: tableFormat(t) });

/** Prints a verb's result parts; writes its images (the first to `out` when given). */
async function printParts(parts: readonly Part[], log: (s: string) => void, out?: string): Promise<string[]> {
  const files: string[] = [];
  for (const p of parts) {
    if (p.kind === "text") log(p.text);
    else if (p.kind === "table") log(`\n${p.title}\n${markdown(p.table)}`);
    else if (p.kind === "result") log(typeof p.value === "string" ? p.value : `\n${markdown(p.value)}`);
    else if (p.kind === "image") {
      const file = files.length === 0 && out ? out : p.file;
      writeFileAtomic(file, p.png);
      files.push(file);
      log(`wrote ${file} (${p.title})`);
    }
  }
  return files;
}

/** A verb's parts as one offline HTML page: figures (with their tables) and tables, in order. */
async function writeHtml(file: string, verb: VerbDef, parts: readonly Part[]): Promise<void> {
  const V = await import("../viz");
  const sections: import("../viz").Section[] = [];
  for (const p of parts) {
    if (p.kind === "text") sections.push({ kind: "text", text: p.text });
    else if (p.kind === "table") sections.push({ kind: "table", title: p.title, table: p.table });
    else if (p.kind === "result" && typeof p.value !== "string") sections.push({ kind: "table", title: "Result", table: p.value });
    else if (p.kind === "result") sections.push({ kind: "text", text: String(p.value) });
    else if (p.kind === "figure") sections.push({ kind: "figure", title: p.title, figure: p.draw(p.table), table: p.table });
    else if (p.kind === "image") sections.push({ kind: "image", title: p.title, png: p.png, alt: p.title });
  }
  writeFileAtomic(file, V.htmlReport(`transferlab ${verb.name}`, sections));
}

/** The JSON-able summary `--json` ends with: tables as row objects, run handles as names, images as files. */
function jsonSummary(r: unknown, files: string[]): Record<string, unknown> {
  if (r instanceof RunHandle) {
    const last = (r.metrics().objects() as Record<string, unknown>[]).filter((m) => m["side"] !== "train");
    return { run: r.name, dir: r.dir, status: r.status, final: last.slice(-8) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r as Record<string, unknown>)) {
    if (v && typeof v === "object" && typeof (v as Table).toMarkdown === "function") out[k] = (v as Table).objects();
    else if (v instanceof RunHandle) out[k] = v.name;
    else if (Buffer.isBuffer(v) || k === "maps" || k === "images" || k === "cells") continue;
    else out[k] = v;
  }
  if (files.length) out["png"] = files.length === 1 ? files[0] : files;
  return out;
}

/** Runs a verb, prints its parts; returns the JSON-able summary. */
export async function runVerb(
  lab: Lab,
  verb: VerbDef,
  args: Record<string, unknown>,
  log: (s: string) => void,
  hooks: Hooks,
  opts: { html?: string; out?: string } = {},
): Promise<Record<string, unknown>> {
  const r = await lab.call(verb.name as Verb, args, hooks);
  const parts = await verb.present(r, validateSpec(verb.name as Verb, args) as never);
  const files = await printParts(parts, log, opts.out);
  if (opts.html) {
    await writeHtml(opts.html, verb, parts);
    log(`wrote ${opts.html} (figures and tables, self-contained)`);
  }
  return jsonSummary(r, files);
}

/** `transferlab run SPEC.json`: every entry of a spec file, in order. */
export async function runSpecFile(file: string, root: string | undefined, log: (s: string) => void): Promise<Record<string, unknown>[]> {
  if (!fs.existsSync(file)) throw new UsageError(`run: ${file} does not exist`);
  const entries = parseSpecFile(readDataText(file), file);
  const lab = new Lab({ root: root ?? defaultRunsRoot(), log });
  const hooks = terminalHooks(log);
  const out: Record<string, unknown>[] = [];
  for (const [i, e] of entries.entries()) {
    log(`[${i + 1}/${entries.length}] ${e.verb} ${JSON.stringify(e.args)}`);
    out.push({ verb: e.verb, ...(await runVerb(lab, VERB_LIST.find((v) => v.name === e.verb)! as VerbDef, e.args, log, hooks)) });
  }
  return out;
}

function verbCommand(verb: VerbDef, name: string): Command {
  const fields = verb.fields as readonly Field[];
  const flags = fields.map((f) =>
    f.positional
      ? `<${f.name}>`
      : `[--${kebab(f.name)}${f.type === "boolean" ? "" : ` ${f.default !== undefined ? (Array.isArray(f.default) ? f.default.join(",") : f.default) : f.choices ? f.choices.join("|") : f.name.toUpperCase()}`}]`,
  );
  return {
    fields,
    usage: `transferlab ${name} ${flags.join(" ")} [--json] [--html FILE]${fields.some((f) => f.name === "prompt") ? " [--out FILE.png]" : ""}`,
    summary: `${name !== verb.name ? `The earlier name of \`transferlab ${verb.name}\`: ` : ""}${verb.help} The same call as \`%${verb.name}\` and \`lab.${verb.name}()\`. Runs are stored under --root (default runs/); a finished run with the same spec is reused (--force redoes it). --html writes the figures and tables into one offline page; --json ends with one JSON object.`,
    run: async (argv) => {
      let parsed: ReturnType<typeof verbArgs>;
      try {
        parsed = verbArgs(verb, argv);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const lab = new Lab({ root: (parsed.args["root"] as string | undefined) ?? defaultRunsRoot(), log: console.log });
      const out = await runVerb(lab, verb, parsed.args, console.log, terminalHooks(console.log), {
        ...(parsed.html ? { html: parsed.html } : {}),
        ...(parsed.out ? { out: parsed.out } : {}),
      }).catch((e) => {
        if (e instanceof SpecError) throw new UsageError(e.message);
        throw e;
      });
      if (parsed.json) console.log(JSON.stringify(out));
    },
  };
}

export const VERB_COMMANDS: Record<string, Command> = {
  run: {
    usage: "transferlab run SPEC.json|SPEC.yaml [--root runs] [--json]",
    summary: `Run the experiments of a spec file: one object or a list, each {"verb": ${VERB_LIST.map((v) => `"${v.name}"`).join("|")}, ...the verb's fields (camelCase or kebab-case)}; fields are validated before anything runs.`,
    run: async (argv) => {
      const { values, positionals } = parseArgs({
        args: argv,
        options: { root: { type: "string" }, json: { type: "boolean", default: false } },
        allowPositionals: true,
      });
      const r = await runSpecFile(onePositional("run", positionals, "SPEC.json file"), values.root, console.log);
      if (values.json) console.log(JSON.stringify(r));
    },
  },
};
for (const verb of VERB_LIST as readonly VerbDef[]) {
  VERB_COMMANDS[verb.name] = verbCommand(verb, verb.name);
  // `eval` stays the model-folder command of earlier versions (cli/model.ts); other aliases are the verb.
  for (const alias of verb.aliases ?? []) if (alias !== "eval") VERB_COMMANDS[alias] = verbCommand(verb, alias);
}

// `probe` read `--seeds 0,1,2` as a list; it trained that many seeds, so the list form means its length.
const probe = VERB_COMMANDS["probe"]!;
VERB_COMMANDS["probe"] = {
  ...probe,
  run: (argv) => {
    const i = argv.indexOf("--seeds");
    const list = i >= 0 ? argv[i + 1] : undefined;
    if (list !== undefined && list.includes(",")) {
      const seeds = list.split(",").map((x) => Number(x.trim()));
      if (!seeds.every((x, k) => x === k)) throw new UsageError(`--seeds: ${JSON.stringify(list)} is not allowed (allowed: a count N, or the list 0,1,…,N-1)`);
      argv = [...argv.slice(0, i + 1), String(seeds.length), ...argv.slice(i + 2)];
    }
    return probe.run(argv);
  },
};
