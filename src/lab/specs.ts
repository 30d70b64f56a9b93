// Validating a verb's arguments and reading spec files (`transferlab run SPEC.json|yaml`): the verbs'
// fields (src/lab/verbs) are the one schema, so a `%train --rank 8`, `lab.train({ rank: 8 })`, a
// `transferlab train --rank 8` and `{verb: train, rank: 8}` in a spec file are the same call.

import { readDataFile } from "../core/data-file";
import { SpecError, validateFields } from "../core/fields";
import { didYouMean, quote } from "../core/text";
import { VERBS, VERB_NAMES, Verb, VerbArgs } from "./verbs";

export { SpecError, kebab } from "../core/fields";
export type { Field, FieldType } from "../core/fields";
export { VERBS, VERB_NAMES, TRAINING_FIELDS, SELECTION_CURVE, CAPABILITY_TASKS, OBJECTIVES, SIDES, SELECTS } from "./verbs";
export type { Verb } from "./verbs";

/**
 * A verb's arguments, validated: unknown fields, wrong types, out-of-range numbers and values outside
 * a field's choices are errors that name `verb.field` and the allowed values; omitted fields take their
 * defaults. Accepts camelCase or kebab-case names (magics and the CLI write --eval-every).
 */
export function validateSpec<V extends Verb>(verb: V, input: Record<string, unknown>): VerbArgs<V> {
  if (!Object.hasOwn(VERBS, verb))
    throw new SpecError(`verb: ${quote(verb)} is not allowed (allowed: ${VERB_NAMES.join(", ")})${didYouMean(String(verb), VERB_NAMES)}`);
  return validateFields(verb, VERBS[verb].fields, input) as VerbArgs<V>;
}

/** A spec file for `transferlab run` (JSON or YAML): `{ verb: transfer, ...fields }` or a list of them. */
export function parseSpecFile(text: string, file: string): { verb: Verb; args: Record<string, unknown> }[] {
  const v = readDataFile(file, text);
  const list = Array.isArray(v) ? v : [v];
  return list.map((item, i) => {
    if (typeof item !== "object" || item === null) throw new SpecError(`${file}[${i}]: expected an object with a "verb" field`);
    const { verb, ...args } = item as Record<string, unknown>;
    if (typeof verb !== "string" || !Object.hasOwn(VERBS, verb))
      throw new SpecError(
        `${file}[${i}].verb: ${quote(verb)} is not allowed (allowed: ${VERB_NAMES.join(", ")})${typeof verb === "string" ? didYouMean(verb, VERB_NAMES) : ""}`,
      );
    try {
      return { verb: verb as Verb, args: validateSpec(verb as Verb, args) as Record<string, unknown> };
    } catch (e) {
      // In a long spec file the entry matters as much as the field: name both.
      throw new SpecError(`${file}[${i}]: ${(e as Error).message}`);
    }
  });
}
