// Reading a user's data file (a spec, a chain, a map): YAML when its name ends in .yaml/.yml, JSON
// otherwise, with one error naming the file for a file that cannot be read or parsed.

import * as fs from "node:fs";
import YAML from "yaml";
import { SpecError } from "./fields";

/** The largest data file read (a spec, a sweep, a chain, the map's spec are a few KB); docs/limits.md. */
export const MAX_DATA_FILE_BYTES = 1 << 20;
/** The deepest nesting of lists and objects a data file may have. */
export const MAX_DATA_DEPTH = 32;

/** A data file's text, its size checked before it is read. */
export function readDataText(file: string): string {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (e) {
    throw new SpecError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > MAX_DATA_FILE_BYTES)
    throw new SpecError(
      `${file}: ${size.toLocaleString("en-US")} bytes is too large for a data file (allowed: at most ${MAX_DATA_FILE_BYTES.toLocaleString("en-US")} bytes)`,
    );
  try {
    return fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new SpecError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function readDataFile(file: string, text?: string): unknown {
  const yamlFile = /\.ya?ml$/i.test(file);
  const body = text ?? readDataText(file);
  if (body.length > MAX_DATA_FILE_BYTES)
    throw new SpecError(
      `${file}: ${body.length.toLocaleString("en-US")} characters is too large for a data file (allowed: at most ${MAX_DATA_FILE_BYTES.toLocaleString("en-US")})`,
    );
  let parsed: unknown;
  try {
    // YAML's alias expansion is bounded too (a "billion laughs" document).
    parsed = yamlFile ? parseYaml(body) : JSON.parse(body);
  } catch (e) {
    throw new SpecError(`${file}: not ${yamlFile ? "YAML" : "JSON"} (${(e as Error).message.split("\n")[0]!.slice(0, 200)})`);
  }
  if (depthOf(parsed, MAX_DATA_DEPTH + 1) > MAX_DATA_DEPTH)
    throw new SpecError(`${file}: nested deeper than ${MAX_DATA_DEPTH} levels (allowed: at most ${MAX_DATA_DEPTH})`);
  return parsed;
}

/** How deeply lists and objects nest in v, counted up to `cap`. */
function depthOf(v: unknown, cap: number): number {
  if (cap <= 0 || typeof v !== "object" || v === null) return 0;
  let deepest = 0;
  for (const x of Object.values(v)) deepest = Math.max(deepest, depthOf(x, cap - 1));
  return 1 + deepest;
}

/** A parsed data file's object (not null, not a list): what every spec reader checks first. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** YAML with its warnings (an unknown tag such as !!js/function) as errors, not messages on stderr. */
function parseYaml(body: string): unknown {
  const doc = YAML.parseDocument(body, { logLevel: "silent" });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new Error(problem.message);
  return doc.toJS({ maxAliasCount: 100 });
}
