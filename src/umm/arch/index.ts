// Registered architectures, by name. Other families of the paper register here without touching callers.
import { decoupled } from "./decoupled";
import { mot } from "./mot";
import { sharedSeparate } from "./shared-separate";
import { sharedUnified } from "./shared-unified";
import { Architecture } from "./types";

export * from "./types";

// One line per family: its file in this folder holds everything the family is.
const REGISTRY = new Map<string, Architecture>([sharedUnified, sharedSeparate, mot, decoupled].map((a) => [a.name, a]));

export function architecture(name: string): Architecture {
  const a = REGISTRY.get(name);
  if (!a) throw new Error(`arch: ${JSON.stringify(name)} is not an architecture (allowed: ${[...REGISTRY.keys()].join(", ")})`);
  return a;
}

export function registerArchitecture(a: Architecture): void {
  REGISTRY.set(a.name, a);
}

export function architectureNames(): string[] {
  return [...REGISTRY.keys()];
}
