// Statement diagnostics for a tally model (src/umm/shape.ts `plan`): before each drawing step the model
// states how many objects of the asked class its canvas holds. For understanding training to reach the
// drawing through that statement, two links must hold, and each is measured here on the counting grid:
//
// - the statement reads the canvas: its error against the objects the canvas shows, per step (an adapter
//   that counts images better should state a smaller error — the link understanding training can move);
// - the drawing reads the statement: the statement is replaced by a claim — nothing drawn yet, or every
//   asked object drawn already — and the final count is compared with the model's own statement on the
//   same prompts and seeds. A generator that reads its statement draws more under the first claim and
//   fewer under the second; one that ignores it draws the same.
//
// Objects sit whole in one cell and the tokenizer round-trips exactly, so counts are read from the codes.

import { Rng } from "../../core/rng";
import * as T from "../../tasks";
import * as U from "../../umm";
import { CanvasItem, codeClasses, objectsOnCanvas } from "./canvas";

/** What the drawing is given as its statement: its own, or a claim put in its place. */
export const STATEMENT_CLAIMS = ["own", "none-drawn", "all-drawn"] as const;
export type StatementClaim = (typeof STATEMENT_CLAIMS)[number];

export interface StatementRow {
  model: string;
  claim: StatementClaim;
  id: string;
  seed: number;
  asked: number;
  /** Objects of the asked class in the final image. */
  final: number;
  correct: boolean;
  /** Mean |stated − shown| over the steps whose statement parses (own statements only; null for a claim). */
  statedError: number | null;
  /** Steps whose statement gives no count. */
  unparsed: number;
}

export async function statementDependence(
  model: U.UnifiedModel,
  models: readonly { name: string; adapter?: U.Adapter }[],
  opts: { items: readonly CanvasItem[]; steps: number; cfg?: number; onStage?: (s: string) => void },
): Promise<StatementRow[]> {
  if (!model.tally)
    throw new Error(`statement: this base states no tally (its shape's plan is "none"); the diagnostic needs a tally model (models/recipes/tally.chain.yaml)`);
  const { layout, vocab } = model;
  const codes = codeClasses(model);
  const reqs = opts.items.map((it) => ({ prompt: vocab.textIds(it.prompt), tokens: layout.slots.image, seed: new Rng(it.seed, it.id).nextU32() }));
  const claimOf = (claim: StatementClaim, it: CanvasItem) =>
    claim === "own" ? null : layout.planIds(vocab.textIds(T.countingAnswer(it.cls, claim === "none-drawn" ? 0 : it.asked)));
  const rows: StatementRow[] = [];
  for (const m of models) {
    for (const claim of STATEMENT_CLAIMS) {
      opts.onStage?.(`${m.name}: drawing ${reqs.length} images with ${claim === "own" ? "its own statement" : `the claim "${claim}"`}`);
      const errors = opts.items.map(() => ({ sum: 0, n: 0, unparsed: 0 }));
      const claims = opts.items.map((it) => claimOf(claim, it));
      const { codes: finals } = await U.generateImages(model, reqs, {
        steps: opts.steps,
        ...(opts.cfg !== undefined ? { cfg: opts.cfg } : {}),
        ...(m.adapter ? { adapter: m.adapter } : {}),
        ...(claim !== "own" ? { restate: (_k: number, i: number) => claims[i]! } : {}),
        onStep: (_k, drawn) => {
          if (claim !== "own") return;
          drawn.forEach((row, i) => {
            const it = opts.items[i]!;
            const said = T.parseCount(vocab.decodeText(row.slice(layout.planStart))).value;
            const shown = objectsOnCanvas(row.slice(layout.genImageStart, layout.genImageStart + layout.slots.image), it.cls, codes, vocab.imageOffset);
            if (said === null) errors[i]!.unparsed++;
            else ((errors[i]!.sum += Math.abs(said - shown)), errors[i]!.n++);
          });
        },
      });
      opts.items.forEach((it, i) => {
        const final = finals[i]!.filter((c) => codes.object.get(c)?.cls === it.cls).length;
        const e = errors[i]!;
        rows.push({
          model: m.name,
          claim,
          id: it.id,
          seed: it.seed,
          asked: it.asked,
          final,
          correct: final === it.asked,
          statedError: claim === "own" && e.n > 0 ? e.sum / e.n : null,
          unparsed: e.unparsed,
        });
      });
    }
  }
  return rows;
}
