// The shipped word lists (data/words), with separate train and test splits.

import * as fs from "node:fs";
import { dataPath } from "../core/paths";
import { oneOf } from "./vocab";

export const SPLITS = ["train", "test"] as const;
export type Split = (typeof SPLITS)[number];

const cache = new Map<Split, string[]>();

export function words(split: Split): readonly string[] {
  oneOf("split", split, SPLITS);
  let w = cache.get(split);
  if (!w) {
    w = fs
      .readFileSync(dataPath("words", `${split}.txt`), "utf8")
      .split("\n")
      .filter((x) => x.length > 0);
    cache.set(split, w);
  }
  return w;
}
