// `joint` (Fig. 8): understanding and generation trained together, both sides evaluated on the
// validation split every epoch. The paper reads an oscillation off one run's curves ("understanding rises
// in the first half while generation falls, and the trend reverses"); here that claim is tested: each
// run keeps its per-item rows along training, and each half's change is a paired difference (the same
// items at two epochs of the same run) with a crossed bootstrap over items × training seeds.

import * as aq from "arquero";
import { oscillation, pairedEffects } from "../../viz/figures";
import { EffectRow, RunPair, changeRows } from "../results/effects";
import { GenRow, UndRow, summarizePooled } from "../evaluation/sets";
import type { CurveRow } from "../store/run-store";
import type { RunHandle } from "../store/run-handle";
import { GEN_SET, UND_SET, summaryRows } from "../evaluation/summary-rows";
import type { Table } from "../results/tables";
import { omit, validateFields } from "../../core/fields";
import train from "./train";
import { CAPABILITY_TASKS, common, runFieldsOf, training } from "./fields";
import type { Part } from "./verb";
import { defineVerb } from "./verb";

const onlyScores = aq.escape((d: Record<string, unknown>) => ["accuracy", "mad", "cer"].includes(d["metric"] as string));

/** The paper's pattern, half by half: the sign each side's accuracy change takes in Fig. 8. */
const PAPER_SIGN: Record<string, number> = { "und 1st half": 1, "gen 1st half": -1, "und 2nd half": -1, "gen 2nd half": 1 };

export default defineVerb({
  name: "joint",
  help: "Joint und+gen training with both sides evaluated every epoch (Fig. 8), over several training seeds; each half's change is a paired difference.",
  fields: [
    { name: "task", type: "string", help: "capability", default: "counting", choices: CAPABILITY_TASKS },
    { name: "epochs", type: "integer", help: "epochs (even: the halves compare epoch 0, the middle and the end)", default: 10, min: 2, max: 100 },
    { name: "stepsPerEpoch", type: "integer", help: "optimizer steps per epoch", default: 30, min: 1, max: 10000 },
    ...omit(training, "steps"),
    { name: "seeds", type: "integer", help: "training seeds (runs pooled per epoch and in the paired changes)", default: 3, min: 1, max: 10 },
    { name: "evalPrompts", type: "integer", help: "validation generation prompts per epoch evaluation", default: 54, min: 1, max: 10000 },
    { name: "evalSeeds", type: "integer", help: "validation sampling seeds per prompt (of 4)", default: 2, min: 1, max: 4 },
    { name: "evalQuestions", type: "integer", help: "validation questions per epoch evaluation", default: 540, min: 1, max: 10000 },
    ...common,
  ] as const,
  live: "epochs",
  async run(lab, a, hooks): Promise<{ curve: Table; changes: Table; runs: RunHandle[]; pattern: string }> {
    const spe = a.stepsPerEpoch;
    const gset = GEN_SET[a.task];
    const uset = UND_SET[a.task];
    const runs: RunHandle[] = [];
    const perSeed: Record<string, unknown>[] = [];
    for (let seed = 0; seed < a.seeds; seed++) {
      hooks.onStage?.(`joint training, seed ${seed}`);
      const h = await train.run(
        lab,
        validateFields("train", train.fields, {
          ...runFieldsOf(a),
          task: a.task,
          objective: "joint",
          seed,
          steps: spe * a.epochs,
          evalEvery: spe,
          evalPrompts: a.evalPrompts,
          evalSeeds: a.evalSeeds,
          evalQuestions: a.evalQuestions,
          curveRows: true,
        }),
        hooks,
      );
      runs.push(h);
      for (const r of h.metrics().objects() as Record<string, unknown>[])
        if (r["side"] !== "train") perSeed.push({ ...r, seed, epoch: (r["step"] as number) / spe });
    }
    // Each run's items by step and side, read once.
    const items = runs.map((h) => {
      const m = new Map<string, CurveRow[]>();
      for (const r of h.run.curveRows()) {
        const key = `${r.step}|${r.side}`;
        const g = m.get(key);
        if (g) g.push(r);
        else m.set(key, [r]);
      }
      return m;
    });
    const at = (k: number, step: number, side: "gen" | "und") => (items[k]!.get(`${step}|${side}`) ?? []) as unknown as (GenRow & UndRow)[];
    const curve: Record<string, unknown>[] = [];
    for (let e = 0; e <= a.epochs; e++) {
      for (const side of ["gen", "und"] as const) {
        const perRun = runs.map((_, k) => at(k, e * spe, side));
        if (!perRun.some((r) => r.length)) continue;
        for (const m of summaryRows("pooled", e * spe, side, summarizePooled(side === "gen" ? gset : uset, perRun))) curve.push({ ...m, epoch: e, seed: null });
      }
    }
    const mid = Math.floor(a.epochs / 2) * spe;
    const end = a.epochs * spe;
    const pairs = (side: "gen" | "und", from: number, to: number): RunPair[] =>
      runs.map((h, k) => ({ run: h.name, from: at(k, from, side), to: at(k, to, side) }));
    const changes: EffectRow[] = [
      ...changeRows("und 1st half", uset, pairs("und", 0, mid)),
      ...changeRows("gen 1st half", gset, pairs("gen", 0, mid)),
      ...changeRows("und 2nd half", uset, pairs("und", mid, end)),
      ...changeRows("gen 2nd half", gset, pairs("gen", mid, end)),
    ];
    return { curve: aq.from([...curve, ...perSeed]), changes: aq.from(changes), runs, pattern: patternVerdict(changes, a.seeds) };
  },
  present: (r): Part[] => [
    {
      kind: "figure",
      drawnLive: true,
      title: "Joint training: und and gen per epoch (runs pooled)",
      table: r.curve.filter(aq.escape((d: Record<string, unknown>) => d["seed"] === null)),
      draw: (t) => oscillation(t, { bands: true }),
    },
    {
      kind: "table",
      title: "Paired changes along joint training (the same items at two epochs of each run)",
      table: r.changes.select("direction", "metric", "base", "tuned", "delta", "lo", "hi", "verdict", "statement"),
    },
    {
      kind: "figure",
      title: "Paired changes per half",
      table: r.changes,
      draw: (t) => pairedEffects(t, { title: "Paired changes along joint training (Fig. 8's halves)" }),
    },
    { kind: "text", text: r.pattern },
    {
      kind: "result",
      value: r.curve
        .filter(aq.escape((d: Record<string, unknown>) => d["seed"] === null))
        .filter(onlyScores)
        .select("epoch", "side", "metric", "value", "lo", "hi"),
    },
  ],
});

/**
 * Whether the paired changes show the paper's trade-off, half by half. A side moved "better" in a half
 * when one of its metrics moved in its better direction with an interval off 0 (accuracy up, MAD down)
 * and none moved the other way; "worse" the reverse; otherwise no change is shown.
 */
export function patternVerdict(changes: readonly EffectRow[], seeds: number): string {
  const halves = [...new Set(changes.map((c) => c.direction))];
  const moves = halves.map((h) => {
    const rows = changes.filter((c) => c.direction === h);
    const gain = (c: EffectRow) => (c.better === "higher" ? 1 : -1) * (c.lo > 0 ? 1 : c.hi < 0 ? -1 : 0);
    const up = rows.some((c) => gain(c) > 0);
    const down = rows.some((c) => gain(c) < 0);
    const seen = up && !down ? 1 : down && !up ? -1 : 0;
    const detail = rows.map((c) => `${c.metric} ${c.delta >= 0 ? "+" : ""}${c.delta.toFixed(3)} [${c.lo.toFixed(3)}, ${c.hi.toFixed(3)}]`).join(", ");
    const word =
      seen === 0
        ? "no change shown"
        : seen === PAPER_SIGN[h]
          ? seen > 0
            ? "better, as the paper"
            : "worse, as the paper"
          : seen > 0
            ? "better, against the paper"
            : "worse, against the paper";
    return { h, ok: seen === PAPER_SIGN[h], text: `${h}: ${word} (${detail})` };
  });
  const shown = moves.filter((m) => m.ok).length;
  return (
    `Fig. 8's trade-off (understanding better and generation worse in the first half, reversed in the second), on the validation split, ${seeds} training seed(s): ` +
    `${shown === moves.length ? "shown in every half" : shown === 0 ? "not shown" : `shown in ${shown} of ${moves.length} side-halves`}. ${moves.map((m) => m.text).join("; ")}.`
  );
}
