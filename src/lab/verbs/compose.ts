// `compose` (appendix C.5): understanding trained on a counting + spatial mixture, joint accuracy
// measured on compositional generation prompts (count and relation right at once).

import * as aq from "arquero";
import { evaluateSet, Summary } from "../evaluate";
import type { RunHandle } from "../run-handle";
import type { Table } from "../tables";
import { common, evalSize, seedField, selection, training } from "./fields";
import { defineVerb } from "./verb";

export default defineVerb({
  name: "compose",
  help: "Appendix C.5: understanding training on a counting + spatial mixture, joint accuracy on compositional generation prompts.",
  fields: [...training, { ...seedField, help: "seed" }, ...selection, ...evalSize, ...common] as const,
  live: "progress",
  async run(lab, a, hooks): Promise<{ table: Table; run: RunHandle }> {
    const { model } = lab.base(a.base);
    const opts = { ...(a.limit ? { limit: a.limit } : {}), ...(a.cfg !== undefined ? { cfg: a.cfg } : {}) };
    hooks.onStage?.("evaluating the baseline");
    const base = await evaluateSet(model, "composition-gen", opts);
    hooks.onStage?.("training on the counting + spatial mixture");
    const h = await lab.subRun(a, { task: "compose", objective: "und" }, hooks);
    const tuned = await evaluateSet(model, "composition-gen", { ...opts, adapter: lab.adapter(h.name) });
    const row = (train: string, s: Summary) => ({
      train,
      metric: "joint_accuracy",
      value: s.accuracy!.estimate,
      lo: s.accuracy!.lo,
      hi: s.accuracy!.hi,
      n: s.n,
    });
    return { table: aq.from([row("baseline", base.summary), row("und", tuned.summary)]), run: h };
  },
  present: (r) => [{ kind: "result", value: r.table }],
});
