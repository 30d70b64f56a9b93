// A finished chain made into a base others can use (`transferlab publish-base CHAIN --out RUNS --to DIR`):
// the last stage's model copied to DIR with a card — what the family shares and which of the paper's models
// it stands for, how it was made (each stage's data, schedule, kept step and CPU time here), its baselines
// on every evaluation set with 95% intervals (test split, read once, by this command), and a sample grid
// with its prompts. Nothing in a chain is chosen on these numbers: the stages and kept steps are the
// shipped chain's.

import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../../core/atomic";
import { SpecError } from "../../core/fields";
import { architecture } from "../../umm/arch";
import { loadModel } from "../../umm/checkpoint";
import { EVAL_SETS, EvalSet, evaluateSet } from "../evaluation/sets";
import { generateImages, gridPng } from "../evaluation/image-grids";
import { summaryRows } from "../evaluation/summary-rows";
import type { MetricRow } from "../store/run-store";
import { Chain, StageState, chainState } from "./chain";

/** The prompts of a card's sample grid: one per world the base draws, a row each. */
export const CARD_PROMPTS = [
  "a photo of three circles",
  "a photo of six squares",
  "a ring to the left of a diamond",
  "a photo of a cross. The text reads: cat",
] as const;
export const CARD_SEEDS = [0, 1, 2, 3] as const;

export interface BaseCard {
  family: string;
  paper: { model: string; shares: string } | null;
  params: number;
  /** The shipped base's parameter count and this base's difference from it (the families are made within ±10%). */
  shipped_params: number | null;
  config: Record<string, unknown>;
  chain: string;
  about: string;
  /** The model folder the chain's first stage continued (its `from`), relative to the working folder; null for fresh weights. */
  continues: string | null;
  stages: (StageState & { recipe: string | null; lr: number; steps: number; quick: Record<string, number> | null })[];
  cpu_minutes: number;
  baselines: (MetricRow & { set: string; seconds: number })[];
  samples: string;
}

/** The last line of a stage's quick evaluations (evals.jsonl), or null. */
function lastQuickEval(dir: string): Record<string, number> | null {
  try {
    const lines = fs.readFileSync(path.join(dir, "evals.jsonl"), "utf8").trim().split("\n");
    return JSON.parse(lines.at(-1)!) as Record<string, number>;
  } catch {
    return null;
  }
}

/**
 * Copies the chain's last model to `to` and measures it (baselines on every set, the sample grid); every
 * stage must be finished. Returns the card's numbers (also written to `to`/card.json beside README.md).
 */
export async function publishBase(
  chain: Chain,
  out: string,
  to: string,
  opts: { shipped?: string; log?: (s: string) => void; sets?: readonly EvalSet[] } = {},
): Promise<BaseCard> {
  const log = opts.log ?? (() => {});
  const states = chainState(chain, out);
  const open = states.find((s) => s.state !== "finished");
  if (open)
    throw new SpecError(
      `${chain.file}: stage "${open.name}" is ${open.state === "new" ? "not started" : `at step ${open.step} of ${open.stopAt}`} under ${out}; finish the chain first (transferlab pretrain-chain ${chain.file} --out ${out})`,
    );
  const from = path.join(states.at(-1)!.dir, "model");
  if (
    fs.existsSync(to) &&
    fs
      .readdirSync(to)
      .some(
        (f) => !["model.json", "model.safetensors", "image-tokenizer.safetensors", "text-tokenizer.json", "README.md", "card.json", "samples.png"].includes(f),
      )
  )
    throw new SpecError(`--to: ${to} holds files other than a base's; choose an empty or new folder`);
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
  const model = loadModel(to);
  const family = String(model.config.arch);
  const shippedParams = opts.shipped && fs.existsSync(opts.shipped) ? loadModel(opts.shipped).base.count() : null;
  const baselines: BaseCard["baselines"] = [];
  for (const set of opts.sets ?? EVAL_SETS) {
    const t0 = Date.now();
    const r = await evaluateSet(model, set);
    const seconds = (Date.now() - t0) / 1000;
    log(`${set}: ${JSON.stringify(r.summary)} (${seconds.toFixed(1)} s)`);
    for (const m of summaryRows("base", 0, set.endsWith("-gen") ? "gen" : "und", r.summary)) baselines.push({ ...m, set, seconds });
  }
  const grid = await generateImages(model, [...CARD_PROMPTS], { seeds: [...CARD_SEEDS] });
  writeFileAtomic(path.join(to, "samples.png"), await gridPng(grid));
  const card: BaseCard = {
    family,
    paper: architecture(family).paper ?? null,
    params: model.base.count(),
    shipped_params: shippedParams,
    config: { ...model.config } as Record<string, unknown>,
    chain: chain.file,
    about: chain.about,
    continues: chain.stages[0]!.cfg.init ? path.relative(process.cwd(), chain.stages[0]!.cfg.init) || "." : null,
    stages: states.map((s, i) => {
      const stage = chain.stages[i]!;
      return { ...s, recipe: stage.recipe ?? null, lr: stage.cfg.lr, steps: stage.cfg.steps, quick: lastQuickEval(s.dir) };
    }),
    cpu_minutes: states.reduce((t, s) => t + s.elapsed_s, 0) / 60,
    baselines,
    samples: "samples.png",
  };
  writeFileAtomic(path.join(to, "card.json"), JSON.stringify(card, null, 1) + "\n");
  writeFileAtomic(path.join(to, "README.md"), cardMarkdown(card, out, to));
  return card;
}

const num = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) ? "—" : v.toFixed(d));

/** The card as markdown: who the base is, how it was made, what it scores, what it draws. */
export function cardMarkdown(c: BaseCard, out: string, to: string): string {
  const diff = c.shipped_params
    ? ` (the shipped base: ${c.shipped_params.toLocaleString("en-US")}; ${c.params >= c.shipped_params ? "+" : ""}${((100 * (c.params - c.shipped_params)) / c.shipped_params).toFixed(1)}%)`
    : "";
  const cfg = c.config;
  const lines = [
    `# The ${c.family} base${c.paper ? ` — ${c.paper.model}'s family in miniature` : ""}`,
    "",
    c.about,
    "",
    ...(c.paper ? [`What its two tasks share: ${c.paper.shares}. The paper's model of this family is ${c.paper.model} (its Table 1).`, ""] : []),
    `- Parameters: ${c.params.toLocaleString("en-US")}${diff}.`,
    `- Shape: d ${cfg["d"]}, ${cfg["layers"]} layer${cfg["layers"] === 1 ? "" : "s"}, ${cfg["heads"]} heads, vocabulary ${cfg["vocab"]}, sequence ${cfg["seq"]}${cfg["plan"] ? `; states a ${String(cfg["plan"])} before each drawing step (shape field \`plan\`)` : ""}.`,
    ...(c.continues ? [`- Continues the weights of \`${c.continues}\` (the chain's \`from\`); the CPU time below is the continuation's only.`] : []),
    `- Made by \`npx transferlab pretrain-chain ${c.chain} --out ${out}\`, then \`npx transferlab publish-base ${c.chain} --out ${out} --to ${to}\` (this card). The numbers below were read after the chain finished and choose nothing.`,
    "",
    "## How it was made",
    "",
    "| stage | recipe | steps (kept / schedule) | peak lr | CPU minutes here | pretraining's quick evaluation at the kept step: counting gen acc, counting und acc, spatial gen acc, text CER |",
    "|---|---|---:|---:|---:|---|",
    ...c.stages.map(
      (s) =>
        `| ${s.name} | ${s.recipe ?? "—"} | ${s.step} / ${s.steps} | ${s.lr} | ${(s.elapsed_s / 60).toFixed(0)} | ${s.quick ? [num(s.quick["counting_gen_acc"]), num(s.quick["counting_und_acc"]), num(s.quick["spatial_gen_acc"]), num(s.quick["text_gen_cer"])].join(", ") : "—"} |`,
    ),
    "",
    `CPU time: ${c.cpu_minutes.toFixed(0)} minutes of one thread on this machine (2 cores, shared with other jobs, so an upper figure). The quick evaluation reads subsets of the test sets with one sampling seed; it watches training and chooses nothing.`,
    "",
    "## Baselines",
    "",
    "Every evaluation set of the worlds on the test split, read once by `publish-base`; 95% bootstrap intervals over prompts (generation) or questions (understanding).",
    "",
    "| set | metric | value | 95% interval | n |",
    "|---|---|---:|---|---:|",
    ...c.baselines.map((b) => `| ${b.set} | ${b.metric} | ${num(b.value)} | ${b.lo === null ? "—" : `[${num(b.lo)}, ${num(b.hi)}]`} | ${b.n} |`),
    "",
    "## Samples",
    "",
    `![samples](${c.samples})`,
    "",
    `A row per prompt, a column per sampling seed (${CARD_SEEDS.join(", ")}), the model's own sampler: ${CARD_PROMPTS.map((p) => `"${p}"`).join("; ")}.`,
    "",
  ];
  return lines.join("\n");
}
