// What a tally model states about a counting scene (src/umm/shape.ts `plan`): which image positions hold an
// object of the asked class, and the understanding answer's words for each count of them — the batch
// states the count its unmasked cells show (src/umm/objectives.ts).

import { CountingTruth, PlacedObject, countingAnswer } from "../tasks";
import { GenItem } from "./objectives";
import { Vocabulary } from "./layout";

/** A counting scene's tally: its target objects' patch positions (row-major, `cols` cells a row) and each count's statement. */
export function countingTally(vocab: Vocabulary, truth: CountingTruth, objects: readonly PlacedObject[], cols: number): NonNullable<GenItem["tally"]> {
  const cells = objects.filter((o) => o.cls === truth.target).map((o) => o.row * cols + o.col);
  return { cells, says: Array.from({ length: cells.length + 1 }, (_, k) => vocab.textIds(countingAnswer(truth.target, k))) };
}
