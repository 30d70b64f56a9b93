// `transfer`: the paper's protocol for one task. Baseline; per training seed an understanding run and
// a generation run, each kept at its best validation step; both sides of each read once on the test
// sets. Returns the summaries (long format), the paired effect of every direction against the base
// (same prompts, same sampling seeds; a crossed cluster bootstrap over prompts × training runs), Table
// 6's transfer strength with its interval (only where direct training is a real upper bound) and the
// distribution shift (Table 11).

import { timed } from "../timing";
import * as aq from "arquero";
import * as E from "../../eval";
import { distributionShift, pairedEffects, transferStrengthBars } from "../../viz/figures";
import { GridRow, TunedRows, effectGrids, effectRows, strengthRows } from "../results/effects";
import { GenRow, Summary, UndRow, evaluateSet, summarizePooled } from "../evaluation/sets";
import { GEN_SET, UND_SET, summaryRows } from "../evaluation/summary-rows";
import { LOWER_IS_BETTER, ResultRow, Table } from "../results/tables";
import { CAPABILITY_TASKS, common, evalSize, objectiveOverrides, selection, subRunArgs, training, evalOptionsOf } from "./fields";
import { Part, defineVerb } from "./verb";
import { world } from "../worlds";
import * as path from "node:path";
import { packageRoot } from "../../core/paths";
import { trainInWorkers } from "../store/workers";

/** A base's folder as a reader should see it: relative to the package for the shipped ones (an executed
 * notebook then does not carry the path of the machine that ran it), absolute otherwise. */
function shownDir(dir: string): string {
  const rel = path.relative(packageRoot(), dir);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : dir;
}

export default defineVerb({
  name: "transfer",
  aliases: ["probe"],
  help: "The paper's protocol: baseline, und→gen, gen→und, und→und, gen→gen; transfer strength (Table 6) and distribution shift (Table 11).",
  fields: [
    { name: "task", type: "string", help: "capability", default: "counting", choices: CAPABILITY_TASKS },
    ...training,
    { name: "seeds", type: "integer", help: "training seeds per objective", default: 3, min: 1, max: 10 },
    {
      name: "und",
      type: "string",
      help: "training fields for the understanding runs only, as field=value pairs (e.g. counts=small,plain=0.5): each objective on its own data, as the paper trains them",
    },
    { name: "gen", type: "string", help: "training fields for the generation runs only, as field=value pairs (e.g. counts=eval,plain=1)" },
    ...selection,
    ...evalSize,
    ...common,
  ] as const,
  live: "progress",
  async run(
    lab,
    a,
    hooks,
  ): Promise<{
    base: { dir: string; id: string };
    results: Table;
    effects: Table;
    strength: Table;
    shift: Table;
    grids: GridRow[];
    runs: string[];
    wall_s: number;
  }> {
    const t0 = Date.now();
    const task = a.task;
    // Checked before any work: a bad pair names transfer.und.<field> or transfer.gen.<field>.
    const own = { und: objectiveOverrides("transfer.und", a.und), gen: objectiveOverrides("transfer.gen", a.gen) };
    const { model, id, dir: baseDir } = lab.base(a.base);
    // Before long work, what it costs: runs × steps × rows at this store's measured rate.
    hooks.onStage?.(`transfer: ${lab.store.trainingEstimate(2 * a.seeds, a.steps, a.batch)}, plus evaluation`);
    const evalOpts = evalOptionsOf(a);
    const gset = GEN_SET[task];
    const uset = UND_SET[task];
    const features = world(task).imageFeatures ? lab.featureNet() : null;
    hooks.onStage?.("evaluating the baseline (test split)");
    const baseGen = await evaluateSet(model, gset, { ...evalOpts, keepImages: true });
    const baseUnd = await evaluateSet(model, uset, evalOpts);
    const baseImages = (baseGen.rows as GenRow[]).map((r) => r.image!);
    const results: ResultRow[] = [];
    const push = (train: string, side: "gen" | "und", s: Summary, seed: number | null, run: string | null) => {
      for (const m of summaryRows(run ?? "baseline", 0, side, s)) {
        if (m.metric === "excluded" || m.metric === "unparsed" || m.value === null) continue;
        results.push({
          source: "miniature",
          model: id.split("@")[0]!,
          task,
          train,
          side,
          metric: m.metric,
          value: m.value,
          lo: m.lo,
          hi: m.hi,
          n: m.n,
          seed,
          run,
          rank: a.rank,
          step: a.steps,
          table: null,
          prompts: "task",
        });
      }
    };
    push("baseline", "gen", baseGen.summary, null, null);
    push("baseline", "und", baseUnd.summary, null, null);
    const shift: Record<string, unknown>[] = [];
    if (features) {
      const floorOther = await evaluateSet(model, gset, { ...evalOpts, keepImages: true, seeds: [4, 5, 6, 7] });
      const other = (floorOther.rows as GenRow[]).map((r) => r.image!);
      shift.push({
        model: "baseline",
        fd_to_baseline: await timed("shift", () => features.frechet(baseImages, other)),
        is: await timed("shift", () => features.inceptionScore(baseImages)),
        note: "FD: baseline vs its own images at other sampling seeds (a floor for unpaired images; tuned models keep the baseline's seeds)",
      });
    }
    // With workers, every run trains first, several at once; the loop below then reuses them.
    if (a.workers > 1)
      await trainInWorkers(
        lab,
        (["und", "gen"] as const).flatMap((objective) =>
          Array.from({ length: a.seeds }, (_, seed) => subRunArgs(a, { ...own[objective], task, objective, seed })),
        ),
        a.workers,
        hooks,
      );
    const reach = a.workers > 1 ? { ...a, force: false, resume: false } : a;
    const runs: string[] = [];
    const tuned = { und: { gen: [] as TunedRows[], und: [] as TunedRows[] }, gen: { gen: [] as TunedRows[], und: [] as TunedRows[] } };
    for (const objective of ["und", "gen"] as const) {
      const pooled = { gen: [] as GenRow[][], und: [] as (GenRow | UndRow)[][] };
      const fds: number[] = [];
      const iss: number[] = [];
      for (let seed = 0; seed < a.seeds; seed++) {
        hooks.onStage?.(`training ${objective} seed ${seed}`);
        const h = await lab.subRun(reach, { ...own[objective], task, objective, seed }, hooks);
        runs.push(h.name);
        const adapter = lab.adapter(h.name);
        hooks.onStage?.(`evaluating ${h.name} at its kept step ${h.status.selected_step ?? h.status.step} (test split)`);
        const g = await evaluateSet(model, gset, { ...evalOpts, adapter, keepImages: true });
        const u = await evaluateSet(model, uset, { ...evalOpts, adapter });
        push(objective, "gen", g.summary, seed, h.name);
        push(objective, "und", u.summary, seed, h.name);
        const genRows = (g.rows as GenRow[]).map(({ image: _i, ...r }) => r);
        tuned[objective].gen.push({ run: h.name, rows: genRows });
        tuned[objective].und.push({ run: h.name, rows: u.rows });
        pooled.gen.push(genRows);
        pooled.und.push(u.rows);
        if (features) {
          const imgs = (g.rows as GenRow[]).map((r) => r.image!);
          fds.push(await timed("shift", () => features.frechet(baseImages, imgs)));
          iss.push(await timed("shift", () => features.inceptionScore(imgs)));
        }
      }
      push(objective, "gen", summarizePooled(gset, pooled.gen), null, null);
      push(objective, "und", summarizePooled(uset, pooled.und), null, null);
      if (features)
        shift.push({
          model: objective === "und" ? "und→gen" : "gen→gen",
          fd_to_baseline: E.mean(fds),
          is: E.mean(iss),
          note: `mean over ${fds.length} seed(s)`,
        });
    }
    const effects = [
      ...effectRows("und→gen", gset, baseGen.rows, tuned.und.gen),
      ...effectRows("gen→gen", gset, baseGen.rows, tuned.gen.gen),
      ...effectRows("gen→und", uset, baseUnd.rows, tuned.gen.und),
      ...effectRows("und→und", uset, baseUnd.rows, tuned.und.und),
    ];
    // The effects' cells, kept compact so that a map can set effects of several conditions (e.g. model sizes) against each other.
    const grids = [
      ...effectGrids("und→gen", gset, baseGen.rows, tuned.und.gen),
      ...effectGrids("gen→gen", gset, baseGen.rows, tuned.gen.gen),
      ...effectGrids("gen→und", uset, baseUnd.rows, tuned.gen.und),
      ...effectGrids("und→und", uset, baseUnd.rows, tuned.und.und),
    ];
    const strength = [
      ...strengthRows("und→gen", gset, baseGen.rows, tuned.und.gen, tuned.gen.gen),
      ...strengthRows("gen→und", uset, baseUnd.rows, tuned.gen.und, tuned.und.und),
    ].map((s) => {
      const t = effects.find((e) => e.direction === s.direction && e.metric === s.metric)!;
      const d = effects.find((e) => e.direction === (s.direction === "und→gen" ? "gen→gen" : "und→und") && e.metric === s.metric)!;
      const sign = LOWER_IS_BETTER.has(s.metric) ? -1 : 1;
      return {
        source: "miniature",
        model: id.split("@")[0]!,
        task,
        direction: s.direction,
        metric: s.metric,
        baseline: t.base,
        transfer: t.tuned,
        direct: d.tuned,
        transfer_gain: sign * t.delta,
        direct_gain: sign * d.delta,
        strength: s.strength,
        lo: s.lo,
        hi: s.hi,
        note: s.note,
      };
    });
    // Which base every number is against (its folder and weights hash): a map entry on another base (the novelty base) says so in its own output.
    const base = { dir: baseDir, id };
    return {
      base,
      results: aq.from(results),
      effects: aq.from(effects),
      strength: aq.from(strength),
      shift: aq.from(shift),
      grids,
      runs,
      wall_s: (Date.now() - t0) / 1000,
    };
  },
  present(r) {
    const pooled = r.results.filter(aq.escape((d: Record<string, unknown>) => d["seed"] === null)).select("train", "side", "metric", "value", "lo", "hi", "n");
    const strength = r.strength.select("direction", "metric", "baseline", "transfer", "direct", "strength", "lo", "hi", "note");
    // A strength is a share only where direct training is an upper bound; where none is, the paired Δs
    // are the figure to read, and a bar chart of nothing would mislead.
    const defined = (r.strength.objects() as Record<string, unknown>[]).some((s) => s["strength"] !== null);
    const parts: Part[] = [
      { kind: "text", text: `base: ${r.base.id} (${shownDir(r.base.dir)})` },
      { kind: "table", title: `Results (pooled over seeds; ${r.wall_s.toFixed(0)} s)`, table: pooled },
      {
        kind: "table",
        title: "Paired effects against the base (same prompts and sampling seeds)",
        table: r.effects.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict", "mde", "statement"),
      },
      { kind: "figure", title: "Paired effects", table: r.effects, draw: (t) => pairedEffects(t) },
      { kind: "table", title: "Transfer strength (Table 6)", table: strength },
    ];
    if (defined) parts.push({ kind: "figure", title: "Transfer strength", table: r.strength, draw: (t) => transferStrengthBars(t) });
    else if (r.strength.numRows())
      parts.push({
        kind: "text",
        text: "Transfer strength not drawn: direct training is not an upper bound for any metric here (its paired Δ's interval does not lie above 0); read the paired effects above.",
      });
    if (r.shift.numRows())
      parts.push(
        { kind: "table", title: "Distribution shift (Table 11)", table: r.shift },
        { kind: "figure", title: "Distribution shift", table: r.shift, draw: (t) => distributionShift(t) },
      );
    return parts;
  },
});
