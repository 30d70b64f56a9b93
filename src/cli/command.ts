// What a command is, the usage error it throws for bad input (exit code 2, one line naming the flag
// and the allowed values), and the small flag converters commands share.

import * as nodeFs from "node:fs";
import * as nodePath from "node:path";
import { parseRecipe } from "../lab/pretrain-data";
import { packageRoot } from "../core/paths";

export interface Command {
  usage: string;
  summary: string;
  run: (argv: string[]) => Promise<void>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

export function defaultModelDir(): string {
  return nodePath.join(packageRoot(), "models", "shared-unified");
}

export function recipeFromFile(file: string) {
  let obj: unknown;
  try {
    obj = JSON.parse(nodeFs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`--recipe: cannot read ${file} as JSON (${(e as Error).message})`);
  }
  try {
    return parseRecipe(obj);
  } catch (e) {
    throw new UsageError(`--recipe ${file}: ${(e as Error).message}`);
  }
}

/** A notebook file as JSON, or a usage error naming the command and the file. */
export function readNotebook(command: string, file: string): Record<string, unknown> {
  try {
    return JSON.parse(nodeFs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${command}: cannot read ${file} as a notebook (${(e as Error).message})`);
  }
}

export function guidanceOption(raw: string): number {
  const g = Number(raw);
  if (!(g >= 0 && g <= 20)) throw new UsageError(`--cfg must be a guidance scale in [0, 20], got ${JSON.stringify(raw)}`);
  return g;
}

export function weightInitOption(raw: string | undefined): "torch" | "gpt2" {
  if (raw !== "torch" && raw !== "gpt2") throw new UsageError(`--weight-init: ${JSON.stringify(raw)} is not allowed (allowed: torch, gpt2)`);
  return raw;
}

export function positiveInt(flag: string, raw: string, allowZero = false): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1))
    throw new UsageError(`${flag} must be ${allowZero ? "a non-negative" : "a positive"} integer, got ${JSON.stringify(raw)}`);
  return n;
}
