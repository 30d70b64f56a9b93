// Reading a user's data file (a spec, a chain, a map): YAML when its name ends in .yaml/.yml, JSON
// otherwise, with one error naming the file for a file that cannot be read or parsed.

import * as fs from "node:fs";
import YAML from "yaml";
import { SpecError } from "./fields";

export function readDataFile(file: string, text?: string): unknown {
  const yamlFile = /\.ya?ml$/i.test(file);
  let body: string;
  try {
    body = text ?? fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new SpecError(`${file}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return yamlFile ? YAML.parse(body) : JSON.parse(body);
  } catch (e) {
    throw new SpecError(`${file}: not ${yamlFile ? "YAML" : "JSON"} (${(e as Error).message.split("\n")[0]})`);
  }
}

/** A parsed data file's object (not null, not a list): what every spec reader checks first. */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
