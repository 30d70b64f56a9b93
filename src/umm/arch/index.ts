// Registered architectures, by name. Other families of the paper register here without touching callers.
import { sharedUnified } from "./shared-unified";
import { Architecture } from "./types";

export * from "./types";

const REGISTRY = new Map<string, Architecture>([[sharedUnified.name, sharedUnified]]);

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
