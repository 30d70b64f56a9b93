// LoRA as PEFT does it: rank, alpha (scale alpha/r), dropout, target modules, A uniform ±1/√in and B = 0
// (created in the architecture), merge and unmerge, and PEFT's on-disk layout (adapter_config.json +
// adapter_model.safetensors with `base_model.model.<module>.lora_A.weight` keys), so adapters trained
// here load elsewhere and adapters from elsewhere are validated before use.

import { isObject } from "../core/data-file";
import * as fs from "node:fs";
import * as path from "node:path";
import { ParamStore } from "../engine/params";
import { contentHash, readSafetensors, writeFileAtomic, writeSafetensors } from "../engine/safetensors";
import { LoraConfig } from "./arch/types";

export const LORA_MODULES = ["q", "k", "v", "o", "up", "down"] as const;
/**
 * The largest LoRA rank trained or loaded: above the miniature's widest layer a rank adds parameters and
 * no expressiveness, and a bound keeps a typo from allocating gigabytes.
 */
export const MAX_LORA_RANK = 128;
export const DEFAULT_LORA: LoraConfig = { r: 8, alpha: 16, dropout: 0, targetModules: [...LORA_MODULES] };
const PREFIX = "base_model.model.";

export class AdapterError extends Error {
  override name = "AdapterError";
}

/** A LoRA config, checked; `modules` are the family's module names a target may name. */
export function checkLora(c: LoraConfig, modules: readonly string[] = LORA_MODULES): LoraConfig {
  if (!Number.isInteger(c.r) || c.r < 1 || c.r > MAX_LORA_RANK) throw new AdapterError(`lora.r: ${c.r} is not allowed (allowed: integers 1..${MAX_LORA_RANK})`);
  if (!Number.isFinite(c.alpha) || c.alpha <= 0) throw new AdapterError(`lora.alpha: ${c.alpha} is not allowed (allowed: numbers > 0)`);
  if (!Number.isFinite(c.dropout) || c.dropout < 0 || c.dropout >= 1)
    throw new AdapterError(`lora.dropout: ${c.dropout} is not allowed (allowed: 0 <= dropout < 1)`);
  if (c.targetModules.length === 0) throw new AdapterError(`lora.targetModules: empty (allowed: ${modules.join(", ")})`);
  for (const m of c.targetModules) {
    if (!modules.includes(m))
      throw new AdapterError(`lora.targetModules: ${JSON.stringify(m)} matches no module of this family (allowed: ${modules.join(", ")})`);
  }
  return c;
}

export interface Adapter {
  config: LoraConfig;
  /** The LoRA factors, named like the base's modules: `<module>.lora_A.weight`, `<module>.lora_B.weight`. */
  store: ParamStore;
}

/** Module names that hold a LoRA pair in the store. */
export function adapterModules(store: ParamStore): string[] {
  return store
    .names()
    .filter((n) => n.endsWith(".lora_A.weight"))
    .map((n) => n.slice(0, -".lora_A.weight".length))
    .sort();
}

/** W ← W + (alpha/r)·B·A for every adapted module, in a copy of the base (or in place with `inPlace`). */
export function merge(base: ParamStore, adapter: Adapter, sign: 1 | -1 = 1, inPlace = false): ParamStore {
  const out = inPlace ? base : base.clone();
  const scale = (sign * adapter.config.alpha) / adapter.config.r;
  for (const m of adapterModules(adapter.store)) {
    const a = adapter.store.get(`${m}.lora_A.weight`);
    const b = adapter.store.get(`${m}.lora_B.weight`);
    const w = out.get(`${m}.weight`);
    const [outF, inF] = w.shape as [number, number];
    const r = a.shape[0]!;
    const data = w.data.slice();
    for (let i = 0; i < outF; i++) {
      for (let k = 0; k < r; k++) {
        const bik = b.data[i * r + k]! * scale;
        if (bik === 0) continue;
        for (let j = 0; j < inF; j++) data[i * inF + j]! += bik * a.data[k * inF + j]!;
      }
    }
    w.data = data;
  }
  return out;
}

export const unmerge = (base: ParamStore, adapter: Adapter, inPlace = false): ParamStore => merge(base, adapter, -1, inPlace);

export interface AdapterMeta {
  baseModel: string;
  revision?: string;
}

export function saveAdapter(dir: string, adapter: Adapter, meta: AdapterMeta): void {
  fs.mkdirSync(dir, { recursive: true });
  const c = adapter.config;
  const config = {
    peft_type: "LORA",
    task_type: null,
    base_model_name_or_path: meta.baseModel,
    revision: meta.revision ?? null,
    r: c.r,
    lora_alpha: c.alpha,
    lora_dropout: c.dropout,
    target_modules: [...c.targetModules],
    bias: "none",
    fan_in_fan_out: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    use_rslora: false,
    use_dora: false,
    peft_version: "transferlab-0.1.0",
  };
  writeFileAtomic(path.join(dir, "adapter_config.json"), JSON.stringify(config, null, 2) + "\n");
  const tensors: Record<string, { shape: readonly number[]; data: Float32Array }> = {};
  for (const [name, t] of adapter.store.tensors) tensors[PREFIX + name] = { shape: t.shape, data: t.data };
  const sum = contentHash(Object.entries(tensors).map(([k, t]) => [k, t.data]));
  writeSafetensors(path.join(dir, "adapter_model.safetensors"), tensors, { format: "pt", "transferlab.sha256": sum });
}

/**
 * Loads a PEFT LoRA adapter and checks it against the base: every tensor must name a module the base
 * has, with A [r, in] and B [out, r]. Unknown config keys are tolerated (as PEFT does); an adapter that
 * matches no module is an error, never a silent base model.
 */
export function loadAdapter(dir: string, base: ParamStore): Adapter & { meta: AdapterMeta } {
  const cfgFile = path.join(dir, "adapter_config.json");
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(fs.readFileSync(cfgFile, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new AdapterError(`${cfgFile}: cannot read adapter config (${(e as Error).message})`);
  }
  if (!isObject(raw)) throw new AdapterError(`${cfgFile}: expected a JSON object (PEFT's adapter_config.json)`);
  if (raw["peft_type"] !== "LORA") throw new AdapterError(`${cfgFile}: peft_type ${JSON.stringify(raw["peft_type"])} is not allowed (allowed: LORA)`);
  // PEFT options that change what the adapter computes and that this LoRA layer does not implement:
  // refused by name rather than silently ignored (a different model than the one trained).
  const unsupported: [string, (v: unknown) => boolean, string][] = [
    ["use_rslora", (v) => v !== undefined && v !== false && v !== null, "false"],
    ["use_dora", (v) => v !== undefined && v !== false && v !== null, "false"],
    ["alpha_pattern", (v) => v !== undefined && v !== null && !(typeof v === "object" && Object.keys(v as object).length === 0), "{} or absent"],
    ["rank_pattern", (v) => v !== undefined && v !== null && !(typeof v === "object" && Object.keys(v as object).length === 0), "{} or absent"],
    ["modules_to_save", (v) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0), "null or absent"],
    ["fan_in_fan_out", (v) => v !== undefined && v !== false && v !== null, "false"],
    ["bias", (v) => v !== undefined && v !== "none" && v !== null, '"none"'],
    ["layers_to_transform", (v) => v !== undefined && v !== null, "null or absent"],
  ];
  for (const [key, bad, allowed] of unsupported)
    if (bad(raw[key])) throw new AdapterError(`${cfgFile}: ${key} ${JSON.stringify(raw[key]).slice(0, 80)} is not supported (allowed: ${allowed})`);
  const targets = raw["target_modules"];
  let config: LoraConfig;
  try {
    config = checkLora({
      r: raw["r"] as number,
      alpha: raw["lora_alpha"] as number,
      dropout: (raw["lora_dropout"] as number | undefined) ?? 0,
      targetModules: Array.isArray(targets) ? (targets as string[]) : typeof targets === "string" ? [targets] : [],
    });
  } catch (e) {
    throw new AdapterError(`${cfgFile}: ${(e as Error).message}`);
  }
  const weightsFile = path.join(dir, "adapter_model.safetensors");
  const weights = readSafetensors(weightsFile);
  // Adapters we wrote carry a checksum of their tensors (PEFT's own files have none and load as they are).
  const want = weights.metadata["transferlab.sha256"];
  // An adapter this tool wrote must carry its checksum: deleting the key must not switch the check off.
  if (want === undefined && String(raw["peft_version"] ?? "").startsWith("transferlab"))
    throw new AdapterError(
      `${weightsFile}: the checksum written with this adapter is missing (its config says it was written by ${raw["peft_version"]}); the file was edited after it was saved`,
    );
  if (want !== undefined && contentHash([...weights.tensors].map(([k, t]) => [k, t.data as ArrayBufferView])) !== want) {
    throw new AdapterError(`${weightsFile}: the tensors do not match the checksum written with them (the file changed after it was saved)`);
  }
  const store = new ParamStore(0);
  for (const [key, t] of weights.tensors) {
    const name = key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key;
    const m = /^(.*)\.lora_([AB])\.weight$/.exec(name);
    if (!m) throw new AdapterError(`${dir}: tensor "${key}" is not a LoRA factor (<module>.lora_A.weight or .lora_B.weight)`);
    const [, module, which] = m;
    if (!base.has(`${module}.weight`)) throw new AdapterError(`${dir}: tensor "${key}" names module "${module}", which the base model does not have`);
    const [outF, inF] = base.get(`${module}.weight`).shape as [number, number];
    const want = which === "A" ? [config.r, inF] : [outF, config.r];
    if (t.shape.join(",") !== want.join(",") || !(t.data instanceof Float32Array)) {
      throw new AdapterError(`${dir}: "${key}" has shape [${t.shape}] (${t.dtype}) but r=${config.r} on "${module}" needs [${want}]`);
    }
    store.ensure(name, want, { kind: "zeros" }).data = t.data;
  }
  const modules = adapterModules(store);
  // target_modules must say what the tensors adapt: a module the file adapts but the config does not
  // name (or the reverse) means the config was edited or belongs to another adapter.
  const adapted = new Set(modules.map((m) => m.slice(m.lastIndexOf(".") + 1)));
  const named = new Set(config.targetModules);
  const unnamed = [...adapted].filter((m) => !named.has(m));
  const missing = [...named].filter((m) => !adapted.has(m));
  if (modules.length && (unnamed.length || missing.length))
    throw new AdapterError(
      `${cfgFile}: target_modules ${JSON.stringify(config.targetModules)} does not match the adapter's tensors (${unnamed.length ? `adapted but not named: ${unnamed.join(", ")}` : ""}${unnamed.length && missing.length ? "; " : ""}${missing.length ? `named but not adapted: ${missing.join(", ")}` : ""})`,
    );
  if (modules.length === 0)
    throw new AdapterError(`${dir}: the adapter matches no module of the base model (target_modules: ${config.targetModules.join(", ")})`);
  for (const mod of modules) if (!store.has(`${mod}.lora_B.weight`)) throw new AdapterError(`${dir}: module "${mod}" has lora_A but no lora_B`);
  return {
    config,
    store,
    meta: { baseModel: String(raw["base_model_name_or_path"] ?? ""), ...(raw["revision"] ? { revision: String(raw["revision"]) } : {}) },
  };
}
