// What a verb is: a name, a help line, its typed fields, what it runs and how its result is shown.
// Every frontend derives from this one definition: `lab.<verb>()` and `Lab.call` (the API), the
// `%<verb>` magic (kernel/lab-magics.ts), the `transferlab <verb>` command (src/cli/verbs.ts), spec
// files for `transferlab run` and sweeps. Adding a verb is a file in this folder and a line in index.ts.

import type { Field, ArgsOf } from "../../core/fields";
import type { Figure } from "../../viz/figures";
import type { Hooks } from "../hooks";
import type { Lab } from "../lab";
import type { Table } from "../results/tables";

/**
 * One piece of a verb's result as any frontend shows it. The kernel turns a figure into a live chart
 * widget (its table is the fallback and the data behind it), the CLI prints tables and text and writes
 * images and, with --html, the figures into one offline page.
 */
export type Part =
  | { kind: "text"; text: string }
  | { kind: "table"; title: string; table: Table }
  | {
      kind: "figure";
      title: string;
      table: Table;
      draw: (t: Table) => Figure;
      /** One line of text that stands for the chart where it cannot be drawn. */
      summary?: string;
      /** The kernel already drew this chart while the verb ran (live curves): not drawn again. */
      drawnLive?: boolean;
    }
  | { kind: "image"; title: string; png: Buffer; file: string }
  /** The cell's value in a notebook (its execute_result); the CLI prints it like a table. */
  | { kind: "result"; value: Table | string };

/** How the kernel shows a verb while it runs: live training curves, per-epoch curves, or progress bars. */
export type Live = "curves" | "epochs" | "progress";

export interface VerbDef<N extends string = string, Fs extends readonly Field[] = readonly Field[], R = unknown> {
  name: N;
  help: string;
  fields: Fs;
  /** Other names the magic and the command answer to (kept for notebooks and scripts of earlier versions). */
  aliases?: readonly string[];
  live: Live;
  run(lab: Lab, a: ArgsOf<Fs>, hooks: Hooks): Promise<R>;
  present(r: R, a: ArgsOf<Fs>): Part[] | Promise<Part[]>;
}

/** Keeps the literal types of a verb's fields (so `run` receives typed arguments) and checks the shape. */
export function defineVerb<N extends string, const Fs extends readonly Field[], R>(v: VerbDef<N, Fs, R>): VerbDef<N, Fs, R> {
  return v;
}
