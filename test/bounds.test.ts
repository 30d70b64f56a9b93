// Every input is bounded: each numeric field a user can give — a verb's (API, magics, spec files, the
// CLI), a command's or benchmark's flag, a pretraining or chain field, a sweep flag — has a largest
// allowed value, so a typo cannot ask for a billion steps or workers.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Field } from "../src/core/fields";
import { VERBS } from "../src/lab";
import { PRETRAIN_FIELDS } from "../src/lab/pretraining/spec";
import { SWEEP_FIELDS } from "../src/lab/store/sweep";
import { COMMANDS } from "../src/cli";
import { BENCHES } from "../src/cli/bench";

const numeric = (f: Field) => f.type === "integer" || f.type === "number" || (f.type === "list" && (f.items === "integer" || f.items === "number"));

test("every numeric field of every verb, command, benchmark, pretraining stage and sweep has a largest value", () => {
  const groups: [string, readonly Field[]][] = [
    ...Object.entries(VERBS).map(([n, v]) => [`verb ${n}`, v.fields as readonly Field[]] as [string, readonly Field[]]),
    ...Object.entries(COMMANDS).map(([n, c]) => [`command ${n}`, c.fields ?? []] as [string, readonly Field[]]),
    ...Object.entries(BENCHES).map(([n, fs]) => [`bench ${n}`, fs as readonly Field[]] as [string, readonly Field[]]),
    ["pretrain", PRETRAIN_FIELDS],
    ["sweep", SWEEP_FIELDS],
  ];
  const unbounded = groups.flatMap(([owner, fields]) => fields.filter((f) => numeric(f) && f.max === undefined).map((f) => `${owner}.${f.name}`));
  assert.deepEqual([...new Set(unbounded)], []);
  // The scan sees the commands' flags (a command without its schema would pass unseen).
  assert.ok(Object.values(COMMANDS).filter((c) => c.fields?.length).length >= 25, "commands carry their flag schemas");
});
