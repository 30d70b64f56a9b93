// `transferlab demo`, the README's main job: a transfer experiment on the shipped base (a made-up word
// taught through understanding and used in generation, or counting with --task counting),
// written as one self-contained HTML page (`--engine`: the engine-only demo, a transformer learning a
// copy task, in src/engine/examples/copy-task.ts).

import { writeFileAtomic } from "../core/atomic";
import * as path from "node:path";
import * as aq from "arquero";
import { Lab, SELECTION_CURVE, VERBS, defaultRunsRoot } from "../lab";
import { Table, tableFormat } from "../lab/results/tables";
import { readTransferMap } from "../lab/results/transfer-map";
import { coresHere, trainInWorkers } from "../lab/store/workers";
import { NEW_WORD } from "../lab/worlds/new-word";
import { curveMetrics } from "../lab/worlds";
import * as T from "../tasks";
import * as V from "../viz";
import { runEngineDemo } from "../engine/examples/copy-task";
import { Command, JSON_FLAG, ROOT_FLAG, flagsUsage, parseFlags } from "./command";
import { terminalHooks } from "./progress";

/**
 * What the demo trains and how its page reads, per task: the made-up word (knowledge taught through
 * understanding and used in generation: where the miniature shows transfer) or counting (the paper's
 * capability: where it does not).
 */
interface DemoSetup {
  title: string;
  /** The generation run's own data, as `transfer --gen` takes it (counting: the evaluation's form). */
  genData?: { text: string; fields: Record<string, unknown> };
  /** The metric the headline and the strength read, on the generation side. */
  metric: string;
  grid: readonly string[];
  evalText: string;
  gridHow: (und: string, gen: string) => string;
  headline: (o: Headline) => string;
}

interface Headline {
  effect: (direction: string, metric: string) => Record<string, unknown> | undefined;
  strength?: Record<string, unknown>;
  paper?: Record<string, unknown>;
  seeds: number;
}

const seedsText = (seeds: number) =>
  `Differences are paired (same prompts, same sampling seeds) with 95% bootstrap intervals over prompts × seeds and ${seeds} training seed${seeds === 1 ? "" : "s"} per objective` +
  `${seeds < 3 ? " — a first look; use --seeds 3 (or more) for a claim" : ""}.`;

const verdictText = (e: Record<string, unknown> | undefined, yes: string, worse: string, no: string) =>
  e?.["verdict"] === "positive" ? yes : e?.["verdict"] === "negative" ? worse : no;

/** The shipped map's counting condition where each objective trains on its own data: the null beside the demo. */
function countingNull(): string {
  try {
    const c = readTransferMap().conditions.find((x) => x.id === "own-data");
    const e = c?.effects.find((x) => x["direction"] === "und→gen" && x["metric"] === "accuracy");
    return e ? `${signed(e["delta"])} [${signed(e["lo"])}, ${signed(e["hi"])}]` : "null";
  } catch {
    return "null";
  }
}

const DEMOS = {
  "new-word": {
    title: "TransferLab demo: a word learned through understanding, used in generation",
    metric: "class_share",
    grid: [`a photo of three ${NEW_WORD.word}`, `a photo of five ${NEW_WORD.word}`, `a photo of seven ${NEW_WORD.word}`],
    evalText: `the full sets (9 prompts "a photo of N ${NEW_WORD.word}" × 8 seeds; 270 questions on scenes with other shapes)`,
    gridHow: (und, gen) =>
      `How to read the grid: rows are model: prompt (base, the understanding-trained ${und}, the generation-trained ${gen}); columns are sampling seeds; under each image, the ${T.plural(NEW_WORD.cls)} the detector counted of the ones asked, ✓ when they match. The base has never seen the word; the understanding-trained model learned it from questions only.`,
    headline: ({ effect, strength, seeds }) => {
      const transfer = effect("und→gen", "class_share");
      return (
        `What this page shows: a made-up word, "${NEW_WORD.word}", names ${T.plural(NEW_WORD.cls)}. One run learns it only by answering questions ("How many ${NEW_WORD.word} are there in the image?", scenes with as many other shapes); another only from captioned pictures. ` +
        verdictText(
          transfer,
          `Knowledge taught through understanding reaches generation: transfer appears.`,
          `Understanding training made generation draw the word's shape less.`,
          `Understanding training did not measurably change what generation draws for the word: no transfer shown.`,
        ) +
        ` The share of ${T.plural(NEW_WORD.cls)} among the objects drawn for "a photo of N ${NEW_WORD.word}" changed by ${interval(transfer, "delta")} after understanding training alone (und→gen), ` +
        `and by ${interval(effect("gen→gen", "class_share"), "delta")} after generation training on the word (gen→gen, the upper bound); ` +
        `understanding accuracy changed by ${interval(effect("und→und", "accuracy"), "delta")} (und→und) and by ${interval(effect("gen→und", "accuracy"), "delta")} after generation training (gen→und). ` +
        `Transfer strength (und→gen over gen→gen, share of the shape): ${strength && typeof strength["strength"] === "number" ? interval(strength, "strength") : "not defined here (direct training is no upper bound on this run)"}. ` +
        seedsText(seeds) +
        ` Beside it, counting — the paper's capability — shows no und→gen transfer in this miniature (own data, 3 seeds: accuracy Δ ${countingNull()}; \`transferlab demo --task counting\`, models/README.md). The confirmatory run: models/new-word-map.json.`
      );
    },
  },
  counting: {
    title: "TransferLab demo: counting transfer in the miniature UMM",
    // The map's "own-data" condition: generation on the evaluation's form (one class, counts two…ten),
    // where direct generation training is a real upper bound; understanding on the default pool.
    genData: { text: "counts=eval,plain=1", fields: { counts: "eval", plain: 1 } },
    metric: "accuracy",
    grid: ["a photo of three circles", "a photo of five squares", "a photo of seven rings"],
    evalText: "the full sets (54 GenEval-style prompts × 4 seeds; 540 counting questions)",
    gridHow: (und, gen) =>
      `How to read the grid: rows are model: prompt (base, the understanding-trained ${und}, the generation-trained ${gen}); columns are sampling seeds; under each image, the objects the detector counted of the ones asked, ✓ when they match.`,
    headline: ({ effect, strength, paper, seeds }) => {
      const transfer = effect("und→gen", "accuracy");
      return (
        `What this page shows: counting trained through understanding (VQA) and measured in generation, each objective on its own data. ` +
        verdictText(
          transfer,
          "Understanding training improved generation: transfer appears in this run.",
          "Understanding training made generation worse.",
          "Understanding training did not measurably change generation: no transfer shown.",
        ) +
        ` Generation counting accuracy changed by ${interval(transfer, "delta")} after understanding training (und→gen), ` +
        `and by ${interval(effect("gen→gen", "accuracy"), "delta")} after direct generation training (gen→gen, the upper bound); ` +
        `understanding accuracy changed by ${interval(effect("und→und", "accuracy"), "delta")} (und→und) and ${interval(effect("gen→und", "accuracy"), "delta")} after generation training (gen→und). ` +
        `Transfer strength (Table 6, und→gen over gen→gen): ${strength && typeof strength["strength"] === "number" ? interval(strength, "strength") : "not defined here (direct training is no upper bound on this run)"}; ` +
        `the paper's Lumina-DiMOO: ${paper && typeof paper["strength"] === "number" ? (paper["strength"] as number).toFixed(2) : "—"}. ` +
        seedsText(seeds) +
        ` The map of 16 conditions (models/README.md) finds no und→gen transfer for counting in this miniature; the causal diagnostics (\`transferlab canvas\`, \`transferlab readout\`) say where the chain breaks, and \`transferlab demo\` (a made-up word) shows where transfer does appear.`
      );
    },
  },
} satisfies Record<string, DemoSetup>;

export type DemoTask = keyof typeof DEMOS;
export const DEMO_TASKS = Object.keys(DEMOS) as DemoTask[];

const signed = (x: unknown) => (typeof x === "number" ? (x >= 0 ? "+" : "−") + Math.abs(x).toFixed(3) : "undefined");
const interval = (r: Record<string, unknown> | undefined, est: string) => (r ? `${signed(r[est])} [${signed(r["lo"])}, ${signed(r["hi"])}]` : "not measured");

function printTable(title: string, t: Table, log: (s: string) => void): void {
  log(`\n${title}\n${t.toMarkdown({ limit: 100, format: tableFormat(t) })}`);
}

export interface DemoOptions {
  root: string;
  out: string;
  /** What is trained and measured (DEMO_TASKS). */
  task: DemoTask;
  steps: number;
  seed: number;
  /** Training seeds per objective in the protocol (the first is `seed`'s run... seeds 0..N-1). */
  seeds: number;
  /** Evaluate on subsets (for tests and a first look); the full sets otherwise. */
  limit?: number;
  /** Training runs at a time, each in its own process (default: one per core, at most 2). */
  workers?: number;
  log: (s: string) => void;
}

/**
 * The README's main job: a transfer experiment on the shipped base — understanding and generation LoRA
 * runs with live held-out curves, the protocol's tables (results, transfer strength, distribution
 * shift), an image grid of base vs tuned — written as one self-contained HTML page.
 */
export async function runDemo(
  o: DemoOptions,
): Promise<{ out: string; wall_s: number; phases: Record<string, number>; strength: Record<string, unknown>[]; effects: Record<string, unknown>[] }> {
  const t0 = Date.now();
  const setup: DemoSetup = DEMOS[o.task];
  // Where the time goes, per phase (seconds): printed by `transferlab bench demo`.
  const phases: Record<string, number> = {};
  let mark = t0;
  const phase = (name: string) => {
    phases[name] = (Date.now() - mark) / 1000;
    mark = Date.now();
  };
  const log = o.log;
  const lab = new Lab({ root: o.root, log });
  const hooks = terminalHooks(log);
  log(`TransferLab demo: ${o.task}, rank-8 LoRA, ${o.steps} steps per objective, seed ${o.seed}; runs in ${path.resolve(o.root)}`);
  const evalEvery = Math.max(1, Math.round(o.steps / 6));
  // --limit (a quick look) shrinks the validation curve too; the protocol below reuses these runs.
  const curve = o.limit ? { evalPrompts: o.limit, evalSeeds: 1, evalQuestions: 5 * o.limit } : SELECTION_CURVE;
  const common = { task: o.task, rank: 8, steps: o.steps, seed: o.seed, evalEvery, ...curve };
  const undArgs = { ...common, objective: "und" };
  const genArgs = { ...common, objective: "gen", ...(setup.genData?.fields ?? {}) };
  // The two runs side by side, one per core, when there are two (the same runs, the same numbers).
  const workers = o.workers ?? Math.min(2, coresHere());
  if (workers > 1) {
    log(
      `[1–2/4] training through understanding (VQA) and through generation (text-to-image)${setup.genData ? `, on its own data (${setup.genData.text})` : ""}, side by side; validation curves every ${evalEvery} steps, the best validation step kept`,
    );
    await trainInWorkers(lab, [undArgs, genArgs], workers, hooks);
  } else log(`[1/4] training through understanding (VQA), validation curves every ${evalEvery} steps; the best validation step is kept`);
  const und = await lab.train(undArgs, hooks);
  phase("train_und");
  if (workers <= 1) log(`[2/4] training through generation (text-to-image)${setup.genData ? ` on its own data (${setup.genData.text})` : ""}`);
  const gen = await lab.train(genArgs, hooks);
  phase("train_gen");
  log("[3/4] the protocol on the test sets: baseline, und→gen, gen→und, und→und, gen→gen, paired against the base");
  const tr = await lab.transfer(
    {
      task: o.task,
      rank: 8,
      steps: o.steps,
      seeds: o.seeds,
      workers,
      evalEvery,
      ...(setup.genData ? { gen: setup.genData.text } : {}),
      ...curve,
      ...(o.limit ? { limit: o.limit } : {}),
    },
    hooks,
  );
  phase("protocol");
  log("[4/4] images and report");
  const grid = await lab.generate({ prompt: [...setup.grid], adapter: [und.name, gen.name], seeds: 4 });
  const gridParts = await VERBS.generate.present(grid, undefined as never);
  const gridFigure = gridParts.find((p): p is Extract<(typeof gridParts)[number], { kind: "figure" }> => p.kind === "figure")!;
  const pooled = tr.results.filter(aq.escape((d: Record<string, unknown>) => d["seed"] === null)).select("train", "side", "metric", "value", "lo", "hi", "n");
  const paperStrength = lab.transferStrength(
    lab
      .paper()
      .filter(aq.escape((d: Record<string, unknown>) => d["model"] === "Lumina-DiMOO" && d["task"] === "counting" && [1, 2, 5].includes(d["table"] as number))),
  );
  // The paper measures counting, spatial relations and text, not taught words: its bars stand beside counting only.
  const strengthShown = tr.strength.filter(aq.escape((d: Record<string, unknown>) => d["direction"] === "und→gen" || o.task === "counting"));
  const both =
    o.task === "counting"
      ? strengthShown
          .select("source", "task", "direction", "metric", "strength")
          .concat(paperStrength.select("source", "task", "direction", "metric", "strength"))
      : strengthShown.select("source", "task", "direction", "metric", "strength", "lo", "hi");
  const effects = tr.effects.objects() as Record<string, unknown>[];
  const strengthRows = tr.strength.objects() as Record<string, unknown>[];
  const html = V.htmlReport(setup.title, [
    {
      kind: "text",
      text: setup.headline({
        effect: (direction, metric) => effects.find((e) => e["direction"] === direction && e["metric"] === metric),
        strength: strengthRows.find((e) => e["direction"] === "und→gen" && e["metric"] === setup.metric),
        paper: (paperStrength.objects() as Record<string, unknown>[]).find((e) => e["direction"] === "und→gen" && e["metric"] === "accuracy"),
        seeds: o.seeds,
      }),
    },
    {
      kind: "text",
      text: `Base: ${und.spec["base"]}. Rank-8 LoRA (alpha 16, q/k/v/o/up/down), ${o.steps} steps, lr 5e-4, batch 32, seed ${o.seed}. Evaluation: ${o.limit ? `subsets of ${o.limit} prompts/questions` : setup.evalText}; 95% bootstrap intervals. Wall time ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
    },
    { kind: "heading", text: "Training curves (held-out validation subsets)" },
    {
      kind: "figure",
      title: "Understanding-trained run: both sides measured while only understanding trains",
      figure: V.trainingCurves(und.metrics(), { title: `${und.name}: trained through understanding`, metrics: curveMetrics(o.task) }),
      table: und.metrics().filter(aq.escape((d: Record<string, unknown>) => d["side"] !== "train")),
    },
    {
      kind: "figure",
      title: "Generation-trained run",
      figure: V.trainingCurves(gen.metrics(), { title: `${gen.name}: trained through generation`, metrics: curveMetrics(o.task) }),
      table: gen.metrics().filter(aq.escape((d: Record<string, unknown>) => d["side"] !== "train")),
    },
    { kind: "heading", text: "Results" },
    { kind: "table", title: "Every metric, both sides (train = objective trained; baseline = the base)", table: pooled },
    {
      kind: "table",
      title:
        "Paired effects against the base (same prompts and sampling seeds; 95% interval from a bootstrap over prompts × training runs; a null is stated with its equivalence bound)",
      table: tr.effects.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict", "mde", "statement"),
    },
    { kind: "figure", title: "Paired effects against the base (Δ with 95% intervals; green: a gain, red: a loss)", figure: V.pairedEffects(tr.effects) },
    {
      kind: "figure",
      title:
        o.task === "counting"
          ? "Transfer strength (Table 6): the miniature beside the paper's Lumina-DiMOO"
          : "Transfer strength: und→gen over gen→gen, per metric (1 = as much as direct training)",
      figure: V.transferStrengthBars(both),
      table: tr.strength.select("direction", "metric", "baseline", "transfer", "direct", "strength", "lo", "hi", "note"),
    },
    ...(tr.shift.numRows()
      ? [{ kind: "figure" as const, title: "Distribution shift (Table 11)", figure: V.distributionShift(tr.shift), table: tr.shift }]
      : []),
    // The grid as %generate draws it: a row per model and prompt, a column per seed, each image captioned
    // with the detector's count against the asked one and its verdict (✓/✗).
    { kind: "figure", title: "Generated images", figure: gridFigure.draw(gridFigure.table), table: gridFigure.table },
    { kind: "text", text: setup.gridHow(und.name, gen.name) },
  ]);
  writeFileAtomic(o.out, html);
  phase("images_report");
  const wall = (Date.now() - t0) / 1000;
  printTable("paired effects (tuned − base)", tr.effects.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict", "mde"), log);
  printTable("transfer strength", tr.strength.select("direction", "metric", "baseline", "transfer", "direct", "strength", "lo", "hi", "note"), log);
  log(`\nwrote ${path.resolve(o.out)} (${(html.length / 1e6).toFixed(1)} MB, self-contained) in ${wall.toFixed(0)} s`);
  return { out: path.resolve(o.out), wall_s: wall, phases, strength: strengthRows, effects };
}

const DEMO_FLAGS = [
  {
    name: "task",
    type: "string",
    help: "what is taught and measured: a made-up word (where the miniature shows transfer) or counting (where it does not)",
    default: "new-word",
    choices: DEMO_TASKS,
  },
  { name: "steps", type: "integer", help: "optimizer steps per training run", default: 150, min: 1, max: 100000 },
  { name: "seed", type: "integer", help: "seed of the first training run", default: 0, min: 0, max: 2 ** 31 - 1 },
  { name: "seeds", type: "integer", help: "training seeds per objective in the protocol", default: 1, min: 1, max: 10 },
  ROOT_FLAG,
  { name: "out", type: "string", help: "the HTML page", default: "transferlab-demo.html" },
  { name: "limit", type: "integer", help: "evaluate on subsets of N prompts/questions (faster)", min: 1, max: 100000 },
  {
    name: "workers",
    type: "integer",
    help: "training runs at a time, each in its own process (default: one per core, at most 2; the numbers do not depend on it)",
    min: 1,
    max: 64,
  },
  JSON_FLAG,
  { name: "engine", type: "boolean", help: "the engine-only demo (a transformer learning a copy task)", default: false },
] as const;

export const DEMO_COMMANDS: Record<string, Command> = {
  demo: {
    fields: DEMO_FLAGS,
    usage: `transferlab demo ${flagsUsage(DEMO_FLAGS)}`,
    summary:
      "The main job: a transfer experiment on the shipped base — by default a made-up word taught only through understanding and measured in generation (--task counting: the paper's counting, where the miniature shows no transfer) (understanding and generation LoRA runs with held-out curves; baseline, und→gen, gen→und, und→und, gen→gen on the evaluation sets; transfer strength beside the paper's; distribution shift; an image grid), written to one self-contained HTML page. --limit evaluates on subsets (faster); --engine runs the engine-only demo (a transformer learning a copy task).",
    run: async (argv) => {
      const { args: a } = parseFlags("demo", DEMO_FLAGS, argv);
      if (a.engine) {
        await runEngineDemo({ steps: a.steps, seed: a.seed, log: console.log });
        return;
      }
      const r = await runDemo({
        root: a.root ?? defaultRunsRoot(),
        out: a.out,
        task: a.task as DemoTask,
        steps: a.steps,
        seed: a.seed,
        seeds: a.seeds,
        ...(a.limit ? { limit: a.limit } : {}),
        ...(a.workers ? { workers: a.workers } : {}),
        log: console.log,
      });
      if (a.json) console.log(JSON.stringify(r));
    },
  },
};
