// What a command is, the usage error it throws for bad input (exit code 2, one line naming the flag
// and the allowed values), and the small flag converters commands share.

import * as nodeFs from "node:fs";
import * as nodePath from "node:path";
import { parseArgs } from "node:util";
import { ArgsOf, Field, checkField, kebab } from "../core/fields";
import { didYouMean } from "../core/text";
import { packageRoot } from "../core/paths";

export interface Command {
  usage: string;
  summary: string;
  /** The flags' schema (the same converter as the verbs' fields parses them; `usage` lists them). */
  fields?: readonly Field[];
  run: (argv: string[]) => Promise<void>;
}

export class UsageError extends Error {
  override name = "UsageError";
}

/** The one file a command takes (`map SPEC.yaml`), or a usage error naming what it expected and what it got. */
export function onePositional(command: string, positionals: readonly string[], what: string): string {
  if (positionals.length !== 1) throw new UsageError(`${command}: expected one ${what} (got ${positionals.length ? positionals.join(" ") : "none"})`);
  return positionals[0]!;
}

export function defaultModelDir(): string {
  return nodePath.join(packageRoot(), "models", "shared-unified");
}

/** A notebook file as JSON, or a usage error naming the command and the file. */
export function readNotebook(command: string, file: string): Record<string, unknown> {
  try {
    return JSON.parse(nodeFs.readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`${command}: cannot read ${file} as a notebook (${(e as Error).message})`);
  }
}

/**
 * A command's flags parsed against its field schema (the same schema and converter as the verbs and the
 * magics): `--kebab-case` flags, booleans bare, values checked and converted, defaults filled; an unknown
 * flag names the allowed ones and a near one, a bad value names `command --flag` and the allowed values.
 */
export function parseFlags<const Fs extends readonly Field[]>(command: string, fields: Fs, argv: string[]): { args: ArgsOf<Fs>; positionals: string[] } {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean; short?: string }> = {};
  for (const f of fields)
    options[kebab(f.name)] = {
      type: f.type === "boolean" ? "boolean" : "string",
      ...(f.multiple ? { multiple: true } : {}),
      ...(f.short ? { short: f.short } : {}),
    };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    const m = /Unknown option '(--?[^']+)'/.exec((e as Error).message);
    if (!m) throw new UsageError(`${command}: ${(e as Error).message}`);
    const flags = Object.keys(options).map((k) => `--${k}`);
    throw new UsageError(`${command}: unknown option ${m[1]} (allowed: ${flags.join(", ") || "none"})${didYouMean(m[1]!, flags)}`);
  }
  const values = parsed.values as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const flag = `--${kebab(f.name)}`;
    const raw = values[kebab(f.name)];
    if (raw !== undefined) out[f.name] = checkField(`${command} ${flag}`, f, raw);
    else if (f.required) throw new UsageError(`${command}: ${flag} is required (${f.help})`);
    else if (f.default !== undefined) out[f.name] = Array.isArray(f.default) ? [...f.default] : f.default;
  }
  return { args: out as ArgsOf<Fs>, positionals: parsed.positionals };
}

/** A usage line from a field schema: `[--steps 150] [--json]`. */
export function flagsUsage(fields: readonly Field[]): string {
  return fields
    .map((f) => {
      const v =
        f.type === "boolean"
          ? ""
          : ` ${f.default !== undefined ? (Array.isArray(f.default) ? f.default.join(",") : String(f.default)) : f.choices ? f.choices.join("|") : f.name.toUpperCase()}`;
      return f.required ? `--${kebab(f.name)}${v}` : `[--${kebab(f.name)}${v}]`;
    })
    .join(" ");
}

// Flags several commands share.
export const JSON_FLAG = { name: "json", type: "boolean", help: "end with one JSON object", default: false } as const;
export const MODEL_FLAG = { name: "model", type: "string", help: "the model folder (default: the shipped base)" } as const;
export const ROOT_FLAG = { name: "root", type: "string", help: "the run store's folder (default: ./runs or $TRANSFERLAB_RUNS)" } as const;
