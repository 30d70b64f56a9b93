// The list of the lab's verbs. Every frontend is derived from it: the API (`lab.<verb>()`,
// `Lab.call`), the magics, the `transferlab <verb>` commands, `help`, spec files and sweeps.
// To add a verb: write src/lab/verbs/<verb>.ts with defineVerb and add it here.

import type { ArgsOf, Field, InputOf } from "../../core/fields";
import ablate from "./ablate";
import attention from "./attention";
import canvas from "./canvas";
import compose from "./compose";
import evaluate from "./evaluate";
import generate from "./generate";
import joint from "./joint";
import patch from "./patch";
import readout from "./readout";
import sharing from "./sharing";
import statement from "./statement";
import train from "./train";
import transfer from "./transfer";
import type { VerbDef } from "./verb";

export const VERB_LIST = [train, generate, evaluate, transfer, joint, ablate, compose, attention, sharing, canvas, readout, patch, statement] as const;

type AnyVerb = (typeof VERB_LIST)[number];
export type Verb = AnyVerb["name"];
export type VerbOf<V extends Verb> = Extract<AnyVerb, { name: V }>;
type FieldsOf<V extends Verb> = VerbOf<V>["fields"];
/** A verb's validated arguments. */
export type VerbArgs<V extends Verb> = ArgsOf<FieldsOf<V>>;
/** What a caller may pass to a verb. */
export type VerbInput<V extends Verb> = InputOf<FieldsOf<V>>;
/** What a verb returns. */
export type VerbResult<V extends Verb> = VerbOf<V> extends VerbDef<string, readonly Field[], infer R> ? R : never;

/** Each verb by name: its help, fields and aliases. */
export const VERBS = Object.fromEntries(VERB_LIST.map((v) => [v.name, v])) as { [V in Verb]: VerbOf<V> };
export const VERB_NAMES = VERB_LIST.map((v) => v.name) as Verb[];

/** A verb by its name or one of its aliases (`eval` → evaluate, `probe` → transfer). */
export function findVerb(name: string): VerbDef | undefined {
  return (VERB_LIST as readonly VerbDef[]).find((v) => v.name === name || v.aliases?.includes(name));
}

export type { Part, Live, VerbDef } from "./verb";
export { defineVerb } from "./verb";
export { TRAINING_FIELDS, SELECTION_CURVE, CAPABILITY_TASKS, OBJECTIVES, SIDES, SELECTS, runFieldsOf, subRunArgs } from "./fields";
export { trainPlan } from "./train";
export type { GeneratedCell } from "./generate";
