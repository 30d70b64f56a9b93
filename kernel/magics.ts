// Magics: `%name args` line magics and `%%name args` cell magics. A shell-like argument parser (quotes,
// escapes, --flag value, --flag=value, booleans, numbers, lists) and a registry that other modules
// extend with typed argument schemas. Every bad input ends in a MagicError that names the argument and
// the allowed values, with a did-you-mean when a name is close.

import { didYouMean } from "../src/core/text";
import { Field, FieldType, SpecError, checkField } from "../src/core/fields";

export type ArgType = FieldType;

/**
 * A magic's argument: the field schema of src/core/fields.ts (name, type, help, default, required,
 * choices — also for each item of a list —, positional: takes the first free word instead of a --flag,
 * min, max, items), with the flag's kebab-case name.
 */
export type ArgSpec = Field;

export interface MagicContext {
  /** The body of a cell magic (everything after the first line). */
  body?: string;
  /** The raw argument text. */
  line: string;
}

export interface MagicSpec {
  name: string;
  kind: "line" | "cell" | "both";
  help: string;
  args: readonly ArgSpec[];
  /** Takes the argument text as it is (ctx.line), without parsing: for %sh and the like. */
  raw?: boolean;
  handler: (args: Record<string, unknown>, ctx: MagicContext) => unknown | Promise<unknown>;
}

export class MagicError extends Error {
  override name = "MagicError";
}

export { didYouMean };

/** Splits an argument line like a POSIX shell: whitespace separates, quotes group, backslash escapes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === "\\" && quote === '"' && i + 1 < line.length && ['"', "\\"].includes(line[i + 1]!)) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = "";
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new MagicError(`unterminated ${quote === '"' ? "double" : "single"} quote in: ${line}`);
  if (inWord) out.push(cur);
  return out;
}

/** A word of the line as the field's value: the one converter of src/core/fields.ts, in the magic's words. */
function convert(magic: string, spec: ArgSpec, raw: string | true | string[]): unknown {
  try {
    return checkField(`%${magic} ${spec.positional ? `<${spec.name}>` : `--${spec.name}`}`, spec, raw);
  } catch (e) {
    if (e instanceof SpecError) throw new MagicError(e.message);
    throw e;
  }
}

/** Parses an argument line against a schema: defaults filled, required checked, unknown flags named. */
export function parseArgs(magic: string, specs: readonly ArgSpec[], line: string): Record<string, unknown> {
  const tokens = tokenize(line);
  const out: Record<string, unknown> = {};
  const byName = new Map(specs.filter((s) => !s.positional).map((s) => [s.name, s]));
  const positional = specs.filter((s) => s.positional);
  const flagNames = [...byName.keys()].map((n) => `--${n}`);
  let pos = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.startsWith("--") && t.length > 2) {
      const eq = t.indexOf("=");
      const name = eq >= 0 ? t.slice(2, eq) : t.slice(2);
      const spec = byName.get(name) ?? (name.startsWith("no-") && byName.get(name.slice(3))?.type === "boolean" ? byName.get(name.slice(3)) : undefined);
      if (!spec) throw new MagicError(`%${magic}: unknown option --${name} (allowed: ${flagNames.join(", ") || "none"})${didYouMean(`--${name}`, flagNames)}`);
      if (spec.name !== name) {
        out[spec.name] = false; // --no-flag
        continue;
      }
      let raw: string | true;
      if (eq >= 0) raw = t.slice(eq + 1);
      else if (spec.type === "boolean") raw = i + 1 < tokens.length && (tokens[i + 1] === "true" || tokens[i + 1] === "false") ? tokens[++i]! : true;
      else if (i + 1 < tokens.length) raw = tokens[++i]!;
      else raw = true;
      if (spec.multiple) {
        // A repeatable flag: each use is one item (items may hold commas).
        if (raw === true) throw new MagicError(`%${magic} --${spec.name} needs a value`);
        out[spec.name] = [...((out[spec.name] as unknown[] | undefined) ?? []), ...(convert(magic, spec, [raw]) as unknown[])];
      } else out[spec.name] = convert(magic, spec, raw);
    } else {
      const spec = positional[pos++];
      if (!spec) throw new MagicError(`%${magic}: unexpected argument ${JSON.stringify(t)} (options: ${flagNames.join(", ") || "none"})`);
      out[spec.name] = convert(magic, spec, t);
    }
  }
  for (const s of specs) {
    if (out[s.name] !== undefined) continue;
    if (s.required) throw new MagicError(`%${magic}: ${s.positional ? `argument <${s.name}>` : `--${s.name}`} is required (${s.help})`);
    if (s.default !== undefined) out[s.name] = s.default;
  }
  return out;
}

export class MagicRegistry {
  private readonly magics = new Map<string, MagicSpec>();

  register(spec: MagicSpec): void {
    if (!/^[a-z][a-z0-9_-]*$/i.test(spec.name)) throw new MagicError(`magic name ${JSON.stringify(spec.name)} must be a word`);
    this.magics.set(spec.name, spec);
  }

  get(name: string): MagicSpec | undefined {
    return this.magics.get(name);
  }

  names(): string[] {
    return [...this.magics.keys()].sort();
  }

  require(name: string, kind: "line" | "cell"): MagicSpec {
    const m = this.magics.get(name);
    const allowed = this.names().filter((n) => {
      const k = this.magics.get(n)!.kind;
      return k === "both" || k === kind;
    });
    if (!m || (m.kind !== "both" && m.kind !== kind)) {
      const prefix = kind === "cell" ? "%%" : "%";
      throw new MagicError(`unknown ${kind} magic ${prefix}${name} (allowed: ${allowed.map((n) => prefix + n).join(", ")})${didYouMean(name, allowed)}`);
    }
    return m;
  }

  async run(name: string, kind: "line" | "cell", line: string, body?: string): Promise<unknown> {
    const m = this.require(name, kind);
    const args = m.raw ? {} : parseArgs(name, m.args, line);
    return m.handler(args, { line, ...(body !== undefined ? { body } : {}) });
  }

  help(name?: string): string {
    if (!name) return this.lsmagic();
    const m = this.magics.get(name.replace(/^%+/, ""));
    if (!m) throw new MagicError(`%help: no magic ${JSON.stringify(name)} (allowed: ${this.names().join(", ")})${didYouMean(name, this.names())}`);
    const usage = m.args.map((a) => {
      const v = a.positional ? `<${a.name}>` : `--${a.name}${a.type === "boolean" ? "" : ` ${a.choices ? a.choices.join("|") : a.type.toUpperCase()}`}`;
      return a.required ? v : `[${v}]`;
    });
    const lines = [`${m.kind === "cell" ? "%%" : "%"}${m.name} ${usage.join(" ")}`.trim(), "", m.help, ""];
    for (const a of m.args)
      lines.push(
        `  ${a.positional ? `<${a.name}>` : `--${a.name}`}  ${a.type}${a.default !== undefined ? ` (default ${JSON.stringify(a.default)})` : ""}${a.required ? " (required)" : ""} — ${a.help}`,
      );
    return lines.join("\n");
  }

  lsmagic(): string {
    const line = this.names().filter((n) => this.magics.get(n)!.kind !== "cell");
    const cell = this.names().filter((n) => this.magics.get(n)!.kind !== "line");
    return [
      `Line magics: ${line.map((n) => "%" + n).join("  ")}`,
      `Cell magics: ${cell.map((n) => "%%" + n).join("  ")}`,
      "",
      "%help NAME shows a magic's arguments.",
    ].join("\n");
  }
}

export interface CellPart {
  kind: "code" | "line-magic" | "cell-magic";
  /** Code: the cell's text with every other line blanked, so compiler line numbers match the cell. */
  text: string;
  name?: string;
  args?: string;
  body?: string;
  line: number;
}

/**
 * Splits a cell into parts in order. A cell whose first line is `%%name` is one cell magic. Otherwise
 * each line starting with `%` is a line magic and runs of other lines are TypeScript.
 */
export function splitCell(cell: string): CellPart[] {
  const lines = cell.split("\n");
  const first = lines[0] ?? "";
  const cm = /^%%([A-Za-z][\w-]*)\s*(.*)$/.exec(first);
  if (cm) return [{ kind: "cell-magic", text: cell, name: cm[1]!, args: cm[2]!, body: lines.slice(1).join("\n"), line: 0 }];
  const parts: CellPart[] = [];
  let code: number[] = [];
  const flush = () => {
    if (code.length === 0) return;
    const text = lines
      .map((l, i) => (code.includes(i) ? l : ""))
      .slice(0, code[code.length - 1]! + 1)
      .join("\n");
    if (text.trim()) parts.push({ kind: "code", text, line: code[0]! });
    code = [];
  };
  lines.forEach((l, i) => {
    const m = /^%([A-Za-z][\w-]*)(?:\s+(.*))?$/.exec(l);
    if (m && !l.startsWith("%%")) {
      flush();
      parts.push({ kind: "line-magic", text: l, name: m[1]!, args: m[2] ?? "", line: i });
    } else code.push(i);
  });
  flush();
  return parts;
}
