// What a tally model states about a counting scene (src/umm/shape.ts `plan`): which image positions hold an
// object of the asked class, and the understanding answer's words for each count of them — the batch
// states the count its unmasked cells show (src/umm/objectives.ts).

import { CountingTruth, ObjectClass, PlacedObject, countingAnswer } from "../tasks";
import { GenItem } from "./objectives";
import { Vocabulary } from "./layout";

// Each class's statements, tokenized once per vocabulary: every counting row of every pool and batch
// carries its tally, so building one must cost no tokenizing.
const statements = new WeakMap<Vocabulary, Map<ObjectClass, number[][]>>();

function statementsOf(vocab: Vocabulary, cls: ObjectClass, upTo: number): readonly (readonly number[])[] {
  let byClass = statements.get(vocab);
  if (!byClass) statements.set(vocab, (byClass = new Map()));
  const says = byClass.get(cls) ?? [];
  for (let k = says.length; k <= upTo; k++) says.push(vocab.textIds(countingAnswer(cls, k)));
  byClass.set(cls, says);
  return says;
}

/** A counting scene's tally: its target objects' patch positions (row-major, `cols` cells a row) and each count's statement. */
export function countingTally(vocab: Vocabulary, truth: CountingTruth, objects: readonly PlacedObject[], cols: number): NonNullable<GenItem["tally"]> {
  const cells = objects.filter((o) => o.cls === truth.target).map((o) => o.row * cols + o.col);
  return { cells, says: statementsOf(vocab, truth.target, cells.length).slice(0, cells.length + 1) };
}
