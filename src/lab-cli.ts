// The lab's verbs on the command line (`transferlab train|evaluate|transfer|joint|ablate|compose|
// attention|runs|run`) and the demo: flags come from the same schemas as the magics and the API, a
// terminal progress bar shows training, and --json ends with one JSON object.

import * as fs from "node:fs";
import * as aq from "arquero";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { Field, Hooks, Lab, RunHandle, SELECTION_CURVE, VERBS, Verb, defaultRunsRoot, kebab, parseSpecFile } from "./lab";
import { Table, tableFormat } from "./lab/tables";
import * as V from "./viz";


/** A one-line progress bar on stderr (rewritten in place on a terminal, every 10% otherwise). */
export function terminalHooks(log: (s: string) => void = console.log): Hooks {
  const tty = process.stderr.isTTY;
  let lastPct = -1;
  const controller = new AbortController();
  process.once("SIGINT", () => {
    log("interrupt: stopping after this step (the run keeps its checkpoint; resume with --resume)");
    controller.abort();
  });
  return {
    signal: controller.signal,
    onStage: (s) => {
      if (tty) process.stderr.write("\r\x1b[K");
      log(s);
    },
    onStep: (p) => {
      const frac = p.step / p.steps;
      const bar = "█".repeat(Math.round(frac * 24)).padEnd(24, "░");
      const line = `${p.run} ${bar} ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} ETA ${p.eta_s.toFixed(0)} s`;
      if (tty) process.stderr.write(`\r\x1b[K${line}${p.step === p.steps ? "\n" : ""}`);
      else {
        const pct = Math.floor(frac * 10);
        if (pct !== lastPct) (lastPct = pct), process.stderr.write(line + "\n");
      }
    },
  };
}

/** Parses a verb's flags (kebab-case; positionals for fields marked so) into a spec object. */
export function verbArgs(verb: Verb, argv: string[]): { args: Record<string, unknown>; json: boolean } {
  const fields = VERBS[verb].fields as readonly Field[];
  const options: Record<string, { type: "string" | "boolean" }> = { json: { type: "boolean" } };
  for (const f of fields) if (!f.positional) options[kebab(f.name)] = { type: f.type === "boolean" ? "boolean" : "string" };
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  const args: Record<string, unknown> = {};
  for (const f of fields) {
    const v = (values as Record<string, unknown>)[kebab(f.name)];
    if (v !== undefined) args[f.name] = v;
  }
  const pos = fields.find((f) => f.positional);
  if (positionals.length) {
    if (!pos) throw new Error(`${verb}: unexpected argument ${JSON.stringify(positionals[0])}`);
    args[pos.name] = positionals.join(" ");
  }
  return { args, json: Boolean(values["json"]) };
}

function printTable(title: string, t: Table, log: (s: string) => void): void {
  log(`\n${title}\n${t.toMarkdown({ limit: 100, format: tableFormat(t) })}`);
}

/** Runs a verb and prints its tables; returns a JSON-able summary. */
export async function runVerb(lab: Lab, verb: Verb, args: Record<string, unknown>, log: (s: string) => void, hooks: Hooks): Promise<Record<string, unknown>> {
  const r = (await lab.call(verb, args, hooks)) as Record<string, unknown>;
  if (r instanceof RunHandle) {
    log(r.toString());
    const last = (r.metrics().objects() as Record<string, unknown>[]).filter((m) => m["side"] !== "train");
    return { run: r.name, dir: r.dir, status: r.status, final: last.slice(-8) };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    if (v && typeof v === "object" && typeof (v as Table).toMarkdown === "function") {
      printTable(k, v as Table, log);
      out[k] = (v as Table).objects();
    } else if (Buffer.isBuffer(v)) {
      const file = `${verb}-${Date.now()}.png`;
      fs.writeFileSync(file, v);
      log(`wrote ${file}`);
      out[k] = file;
    } else if (v instanceof RunHandle) out[k] = v.name;
    else if (k !== "maps" && k !== "images") out[k] = v;
  }
  if (verb === "attention") {
    const a = r as unknown as Awaited<ReturnType<Lab["attention"]>>;
    const png = await V.attentionPng(a.maps.map((m) => ({ image: m.image, map: m.mean })));
    const file = `attention-${a.token}.png`;
    fs.writeFileSync(file, png);
    log(`wrote ${file} (per model: image with the attention of "${a.token}" overlaid, then the map)`);
    out["png"] = file;
  }
  return out;
}

export interface DemoOptions {
  root: string;
  out: string;
  steps: number;
  seed: number;
  /** Training seeds per objective in the protocol (the first is `seed`'s run... seeds 0..N-1). */
  seeds: number;
  /** Evaluate on subsets (for tests and a first look); the full sets otherwise. */
  limit?: number;
  log: (s: string) => void;
}

/**
 * The README's main job: a counting transfer experiment on the shipped base — understanding and
 * generation LoRA runs with live held-out curves, the protocol's tables (results, transfer strength,
 * distribution shift), an image grid of base vs tuned — written as one self-contained HTML page.
 */
export async function runDemo(o: DemoOptions): Promise<{ out: string; wall_s: number; strength: Record<string, unknown>[]; effects: Record<string, unknown>[] }> {
  const t0 = Date.now();
  const log = o.log;
  const lab = new Lab({ root: o.root, log });
  const hooks = terminalHooks(log);
  log(`TransferLab demo: counting, rank-8 LoRA, ${o.steps} steps per objective, seed ${o.seed}; runs in ${path.resolve(o.root)}`);
  const evalEvery = Math.max(1, Math.round(o.steps / 6));
  // --limit (a quick look) shrinks the validation curve too; the protocol below reuses these runs.
  const curve = o.limit ? { evalPrompts: o.limit, evalSeeds: 1, evalQuestions: 5 * o.limit } : SELECTION_CURVE;
  const common = { task: "counting", rank: 8, steps: o.steps, seed: o.seed, evalEvery, ...curve };
  log(`[1/4] training through understanding (VQA), validation curves every ${evalEvery} steps; the best validation step is kept`);
  const und = await lab.train({ ...common, objective: "und" }, hooks);
  log("[2/4] training through generation (text-to-image)");
  const gen = await lab.train({ ...common, objective: "gen" }, hooks);
  log("[3/4] the protocol on the test sets: baseline, und→gen, gen→und, und→und, gen→gen, paired against the base");
  const tr = await lab.transfer({ task: "counting", rank: 8, steps: o.steps, seeds: o.seeds, evalEvery, ...curve, ...(o.limit ? { limit: o.limit } : {}) }, hooks);
  log("[4/4] images and report");
  const grid = await lab.generate({ prompt: ["a photo of three circles", "a photo of five squares", "a photo of seven rings"], adapter: [und.name, gen.name], seeds: 4 });
  const pooled = tr.results.filter(aq.escape((d: Record<string, unknown>) => d["seed"] === null)).select("train", "side", "metric", "value", "lo", "hi", "n");
  const paperStrength = lab.transferStrength(lab.paper().filter(aq.escape((d: Record<string, unknown>) => d["model"] === "Lumina-DiMOO" && d["task"] === "counting" && [1, 2, 5].includes(d["table"] as number))));
  const both = tr.strength.select("source", "task", "direction", "metric", "strength").concat(paperStrength.select("source", "task", "direction", "metric", "strength"));
  const html = V.htmlReport("TransferLab demo: counting transfer in the miniature UMM", [
    { kind: "text", text: `Base: ${und.spec["base"]}. Rank-8 LoRA (alpha 16, q/k/v/o/up/down), ${o.steps} steps, lr 5e-4, batch 32, seed ${o.seed}. Evaluation: ${o.limit ? `subsets of ${o.limit} prompts/questions` : "the full sets (54 GenEval-style prompts × 4 seeds; 540 counting questions)"}; 95% bootstrap intervals. Wall time ${((Date.now() - t0) / 1000).toFixed(0)} s.` },
    { kind: "heading", text: "Training curves (held-out subsets)" },
    { kind: "figure", title: "Understanding-trained run", figure: V.trainingCurves(und.metrics(), { title: `${und.name}: trained through understanding` }), table: und.metrics().filter(aq.escape((d: Record<string, unknown>) => d["side"] !== "train")) },
    { kind: "figure", title: "Generation-trained run", figure: V.trainingCurves(gen.metrics(), { title: `${gen.name}: trained through generation` }), table: gen.metrics().filter(aq.escape((d: Record<string, unknown>) => d["side"] !== "train")) },
    { kind: "heading", text: "Results" },
    { kind: "table", title: "Accuracy and MAD, both sides (train = objective trained; baseline = the base)", table: pooled },
    { kind: "table", title: "Paired effects against the base (same prompts and sampling seeds; 95% interval from a bootstrap over prompts × training runs; a null is stated with its equivalence bound)", table: tr.effects.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict", "mde", "statement") },
    { kind: "figure", title: "Paired effects against the base (Δ with 95% intervals; green: a gain, red: a loss)", figure: V.pairedEffects(tr.effects) },
    { kind: "figure", title: "Transfer strength (Table 6): the miniature beside the paper's Lumina-DiMOO", figure: V.transferStrengthBars(both), table: tr.strength.select("direction", "metric", "baseline", "transfer", "direct", "strength", "lo", "hi", "note") },
    ...(tr.shift.numRows() ? [{ kind: "figure" as const, title: "Distribution shift (Table 11)", figure: V.distributionShift(tr.shift), table: tr.shift }] : []),
    { kind: "image", title: "Generated images: rows base / und-trained / gen-trained per prompt, 4 seeds", png: grid.png, alt: grid.labels.join("; ") },
    { kind: "text", text: `Rows: ${grid.labels.join(" | ")}` },
  ]);
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  fs.writeFileSync(o.out, html);
  const wall = (Date.now() - t0) / 1000;
  printTable("paired effects (tuned − base)", tr.effects.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict", "mde"), log);
  printTable("transfer strength", tr.strength.select("direction", "metric", "baseline", "transfer", "direct", "strength", "lo", "hi", "note"), log);
  log(`\nwrote ${path.resolve(o.out)} (${(html.length / 1e6).toFixed(1)} MB, self-contained) in ${wall.toFixed(0)} s`);
  return { out: path.resolve(o.out), wall_s: wall, strength: tr.strength.objects() as Record<string, unknown>[], effects: tr.effects.objects() as Record<string, unknown>[] };
}

/** `transferlab run SPEC.json`: every entry of a spec file, in order. */
export async function runSpecFile(file: string, root: string | undefined, log: (s: string) => void): Promise<Record<string, unknown>[]> {
  if (!fs.existsSync(file)) throw new Error(`run: ${file} does not exist`);
  const entries = parseSpecFile(fs.readFileSync(file, "utf8"), file);
  const lab = new Lab({ root: root ?? defaultRunsRoot(), log });
  const hooks = terminalHooks(log);
  const out: Record<string, unknown>[] = [];
  for (const [i, e] of entries.entries()) {
    log(`[${i + 1}/${entries.length}] ${e.verb} ${JSON.stringify(e.args)}`);
    out.push({ verb: e.verb, ...(await runVerb(lab, e.verb, e.args, log, hooks)) });
  }
  return out;
}
