// `joint` (Fig. 8): understanding and generation trained together, both sides evaluated every epoch.

import * as aq from "arquero";
import { oscillation } from "../../viz/figures";
import type { RunHandle } from "../run-handle";
import type { Table } from "../tables";
import { omit, validateFields } from "../../core/fields";
import train from "./train";
import { TASKS, common, training } from "./fields";
import { defineVerb } from "./verb";

const onlyScores = aq.escape((d: Record<string, unknown>) => ["accuracy", "mad", "cer"].includes(d["metric"] as string));

export default defineVerb({
  name: "joint",
  help: "Joint und+gen training with both sides evaluated every epoch (the oscillation plot of Fig. 8).",
  fields: [
    { name: "task", type: "string", help: "capability", default: "counting", choices: TASKS },
    { name: "epochs", type: "integer", help: "epochs", default: 10, min: 1, max: 100 },
    { name: "stepsPerEpoch", type: "integer", help: "optimizer steps per epoch", default: 30, min: 1 },
    ...omit(training, "steps"),
    { name: "seed", type: "integer", help: "seed", default: 0, min: 0 },
    { name: "evalPrompts", type: "integer", help: "generation prompts per epoch evaluation (one seed each)", default: 54, min: 1 },
    { name: "evalQuestions", type: "integer", help: "questions per epoch evaluation", default: 270, min: 1 },
    ...common,
  ] as const,
  live: "epochs",
  async run(lab, a, hooks): Promise<{ curve: Table; run: RunHandle }> {
    const spe = a.stepsPerEpoch;
    const h = await train.run(
      lab,
      validateFields("train", train.fields, {
        task: a.task,
        objective: "joint",
        rank: a.rank,
        alpha: a.alpha,
        lr: a.lr,
        batch: a.batch,
        seed: a.seed,
        steps: spe * a.epochs,
        evalEvery: spe,
        evalPrompts: a.evalPrompts,
        evalQuestions: a.evalQuestions,
        ...(a.base ? { base: a.base } : {}),
      }),
      hooks,
    );
    const curve = h
      .metrics()
      .filter(aq.escape((d: Record<string, unknown>) => d["side"] !== "train"))
      .derive({ epoch: aq.escape((d: Record<string, unknown>) => (d["step"] as number) / spe) });
    return { curve, run: h };
  },
  present: (r) => [
    { kind: "figure", drawnLive: true, title: "Joint training: und and gen per epoch", table: r.curve, draw: (t) => oscillation(t) },
    { kind: "result", value: r.curve.filter(onlyScores).select("epoch", "side", "metric", "value", "lo", "hi") },
  ],
});
