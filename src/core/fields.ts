// Field schemas: the one description of an argument (name, type, help, default, choices, range) that
// the API validates with, the kernel parses magics with, the CLI makes flags from and spec files are
// checked against. One converter (`checkField`) turns a raw value — a JSON value or a word typed in a
// magic or on a command line — into the field's type, or throws an error that names where the value
// was given and the allowed values. `ArgsOf` gives a field list's TypeScript type, so a verb receives
// typed arguments without casts.

import { TaskError } from "./errors";
import { didYouMean, quote } from "./text";

export type FieldType = "string" | "number" | "integer" | "boolean" | "list";

/** One argument of a verb or a magic. */
export interface Field {
  name: string;
  type: FieldType;
  help: string;
  default?: unknown;
  required?: boolean;
  /** Allowed values (for strings, and for each item of a list). */
  choices?: readonly string[];
  /** Takes the first free word instead of a --flag. */
  positional?: boolean;
  min?: number;
  max?: number;
  /** Items of a list: integers, numbers or strings (min and max bound each item). */
  items?: "integer" | "number" | "string";
  /** A list given by repeating the flag (`--sbatch A --sbatch B`), for items that may hold commas. */
  multiple?: boolean;
  /** A one-letter flag on the command line (`-p`). */
  short?: string;
}

export class SpecError extends TaskError {
  override name = "SpecError";
}

/** A field's flag name: evalEvery → eval-every. */
export const kebab = (s: string) => s.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase());

// ---------------------------------------------------------------- types

type ValueOf<F extends Field> = F["type"] extends "integer" | "number"
  ? number
  : F["type"] extends "boolean"
    ? boolean
    : F["type"] extends "list"
      ? F["items"] extends "integer" | "number"
        ? number[]
        : string[]
      : F extends { choices: readonly (infer C)[] }
        ? C
        : string;

/** A field is always present after validation when it is required or has a default. */
type Present<F extends Field> = F extends { required: true } ? true : F extends { default: unknown } ? true : false;

/** The validated arguments of a field list: `{ rank: number; task: "counting" | …; name?: string }`. */
export type ArgsOf<Fs extends readonly Field[]> = {
  [F in Fs[number] as Present<F> extends true ? F["name"] : never]: ValueOf<F>;
} & {
  [F in Fs[number] as Present<F> extends true ? never : F["name"]]?: ValueOf<F>;
};

/** What a caller may pass: every field optional, numbers and booleans also as strings (flags). */
export type InputOf<Fs extends readonly Field[]> = { [F in Fs[number] as F["name"]]?: ValueOf<F> | string } & Record<string, unknown>;

/** A field list without some names, keeping each field's literal type (Array.filter would lose it). */
export function omit<Fs extends readonly Field[], N extends Fs[number]["name"]>(fields: Fs, ...names: N[]): Exclude<Fs[number], { name: N }>[] {
  return fields.filter((f) => !(names as string[]).includes(f.name)) as Exclude<Fs[number], { name: N }>[];
}

// ---------------------------------------------------------------- conversion

/** The longest string a field takes (prompts, names, paths are far shorter); docs/limits.md. */
export const MAX_STRING_CHARS = 10_000;

function range(f: Field): string {
  return (f.min !== undefined ? ` >= ${f.min}` : "") + (f.max !== undefined ? `${f.min !== undefined ? " and" : ""} <= ${f.max}` : "");
}

/**
 * One value of a field, converted and checked. `where` names it in the error (`train.rank`, `%train
 * --rank`); `true` is a bare flag (a boolean, or a missing value for anything else).
 */
export function checkField(where: string, f: Field, v: unknown): unknown {
  const num = (x: unknown, int: boolean) => {
    if (x === true) throw new SpecError(`${where} needs a value (${int ? "an integer" : "a number"}${range(f)})`);
    const n = typeof x === "string" && x.trim() !== "" ? Number(x) : x;
    if (
      typeof n !== "number" ||
      !Number.isFinite(n) ||
      (int && !Number.isInteger(n)) ||
      (f.min !== undefined && n < f.min) ||
      (f.max !== undefined && n > f.max)
    ) {
      throw new SpecError(`${where}: ${quote(x)} is not allowed (allowed: ${int ? "integers" : "numbers"}${range(f)})`);
    }
    return n;
  };
  switch (f.type) {
    case "integer":
      return num(v, true);
    case "number":
      return num(v, false);
    case "boolean":
      if (typeof v === "boolean") return v;
      if (v === "true" || v === "false") return v === "true";
      throw new SpecError(`${where}: ${quote(v)} is not allowed (allowed: true, false)`);
    case "string":
      if (v === true) throw new SpecError(`${where} needs a value (allowed: ${f.choices ? f.choices.join(", ") : "a non-empty string"})`);
      if (typeof v !== "string" || v === "")
        throw new SpecError(`${where}: ${quote(v)} is not allowed (allowed: ${f.choices ? f.choices.join(", ") : "a non-empty string"})`);
      if (v.length > MAX_STRING_CHARS)
        throw new SpecError(`${where}: ${quote(v)} is not allowed (allowed: at most ${MAX_STRING_CHARS.toLocaleString("en-US")} characters)`);
      if (f.choices && !f.choices.includes(v))
        throw new SpecError(`${where}: ${quote(v)} is not allowed (allowed: ${f.choices.join(", ")})${didYouMean(v, f.choices)}`);
      return v;
    case "list": {
      if (v === true) throw new SpecError(`${where} needs a value (a comma-separated list)`);
      // A positional list of strings (prompts) is split on '|': prompts hold commas.
      const sep = f.items === "string" && f.positional ? "|" : ",";
      const items = Array.isArray(v)
        ? v
        : typeof v === "string"
          ? v
              .split(sep)
              .map((x) => x.trim())
              .filter((x) => x !== "")
          : typeof v === "number"
            ? [v]
            : null;
      if (!items) throw new SpecError(`${where}: ${quote(v)} is not allowed (allowed: a list)`);
      if (items.length === 0 && typeof v === "string") throw new SpecError(`${where}: an empty list is not allowed`);
      return items.map((x) =>
        f.items === "integer" || f.items === "number" ? checkField(where, { ...f, type: f.items }, x) : checkField(where, { ...f, type: "string" }, String(x)),
      );
    }
  }
}

/**
 * Validates named arguments against a field list: unknown names, wrong types, out-of-range numbers and
 * values outside a field's choices are errors that name `owner.field` and the allowed values; omitted
 * fields take their defaults. Accepts camelCase or kebab-case names (flags are written --eval-every).
 */
export function validateFields<Fs extends readonly Field[]>(owner: string, fields: Fs, input: Record<string, unknown>): ArgsOf<Fs> {
  const byName = new Map<string, Field>();
  for (const f of fields) {
    byName.set(f.name, f);
    byName.set(kebab(f.name), f);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    if (v === undefined) continue;
    const f = byName.get(k);
    if (!f) {
      const names = fields.map((x) => x.name);
      throw new SpecError(`${owner}.${k.length > 64 ? quote(k, 64) : k}: unknown field (allowed: ${names.join(", ")})${didYouMean(k, names)}`);
    }
    out[f.name] = checkField(`${owner}.${f.name}`, f, v);
  }
  for (const f of fields) {
    if (out[f.name] !== undefined) continue;
    if (f.required) throw new SpecError(`${owner}.${f.name}: required (${f.help})`);
    if (f.default !== undefined) out[f.name] = Array.isArray(f.default) ? [...f.default] : f.default;
  }
  return out as ArgsOf<Fs>;
}
