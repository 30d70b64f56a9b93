// The magic parser and registry: quoting, flags, types, errors that name the argument and the allowed
// values, and a fuzz run of hostile argument strings.

import { test } from "node:test";
import assert from "node:assert/strict";
import { MagicError, MagicRegistry, parseArgs, splitCell, tokenize } from "../kernel/magics";
import { Rng } from "../src/core/rng";

const TRAIN_ARGS = [
  { name: "task", type: "string" as const, choices: ["counting", "spatial", "text"], required: true, help: "capability" },
  { name: "objective", type: "string" as const, choices: ["und", "gen", "joint"], default: "und", help: "objective" },
  { name: "rank", type: "integer" as const, default: 8, min: 1, max: 256, help: "LoRA rank" },
  { name: "lr", type: "number" as const, default: 5e-4, help: "learning rate" },
  { name: "force", type: "boolean" as const, default: false, help: "recompute" },
  { name: "ranks", type: "list" as const, help: "ranks" },
  { name: "name", type: "string" as const, help: "run name" },
];

test("tokenizer: quotes, escapes and spaces", () => {
  assert.deepEqual(tokenize(`"a photo of five circles" --adapter 'my run' x\\ y`), ["a photo of five circles", "--adapter", "my run", "x y"]);
  assert.deepEqual(tokenize(`--name="a \\"q\\" b" ''`), ['--name=a "q" b', ""]);
  assert.throws(() => tokenize(`"open`), /unterminated double quote/);
});

test("flags: --flag value, --flag=value, booleans, numbers, lists, defaults", () => {
  assert.deepEqual(parseArgs("train", TRAIN_ARGS, "--task counting --objective=gen --rank 16 --lr 1e-3 --force --ranks 2,8,32"), {
    task: "counting",
    objective: "gen",
    rank: 16,
    lr: 1e-3,
    force: true,
    ranks: ["2", "8", "32"],
  });
  assert.deepEqual(parseArgs("train", TRAIN_ARGS, "--task text --no-force"), { task: "text", objective: "und", rank: 8, lr: 5e-4, force: false });
});

test("bad arguments name the argument and the allowed values", () => {
  assert.throws(
    () => parseArgs("train", TRAIN_ARGS, "--task countin"),
    /--task: "countin" is not allowed \(allowed: counting, spatial, text\); did you mean "counting"\?/,
  );
  assert.throws(
    () => parseArgs("train", TRAIN_ARGS, "--task counting --rnk 8"),
    /unknown option --rnk \(allowed: --task, --objective, --rank, --lr, --force, --ranks, --name\); did you mean "--rank"\?/,
  );
  assert.throws(
    () => parseArgs("train", TRAIN_ARGS, "--task counting --rank 2.5"),
    /%train --rank: "2\.5" is not allowed \(allowed: integers >= 1 and <= 256\)/,
  );
  assert.throws(
    () => parseArgs("train", TRAIN_ARGS, "--task counting --rank 1000"),
    /%train --rank: "1000" is not allowed \(allowed: integers >= 1 and <= 256\)/,
  );
  assert.throws(() => parseArgs("train", TRAIN_ARGS, "--objective gen"), /--task is required/);
  assert.throws(() => parseArgs("train", TRAIN_ARGS, "--task counting extra"), /unexpected argument "extra"/);
  assert.throws(() => parseArgs("train", TRAIN_ARGS, "--task"), /--task needs a value \(allowed: counting, spatial, text\)/);
});

test("registry: lsmagic, help, unknown magics with did-you-mean, cell vs line", async () => {
  const r = new MagicRegistry();
  let got: unknown;
  r.register({ name: "train", kind: "line", help: "Train LoRA.", args: TRAIN_ARGS, handler: (a) => (got = a) });
  r.register({ name: "note", kind: "cell", help: "Keep a note.", args: [], handler: (_a, ctx) => ctx.body });
  await r.run("train", "line", "--task spatial");
  assert.equal((got as { task: string }).task, "spatial");
  assert.equal(await r.run("note", "cell", "", "body text"), "body text");
  assert.match(r.lsmagic(), /Line magics: %train/);
  assert.match(r.lsmagic(), /Cell magics: %%note/);
  assert.match(r.help("train"), /^%train --task counting\|spatial\|text/);
  await assert.rejects(r.run("trian", "line", ""), /unknown line magic %trian \(allowed: %train\); did you mean "train"\?/);
  await assert.rejects(r.run("train", "cell", ""), /unknown cell magic %%train \(allowed: %%note\)/);
  assert.throws(() => r.help("nope"), /no magic "nope"/);
});

test("cells split into magics and TypeScript with line numbers kept", () => {
  const parts = splitCell("const a = 1;\n%train --task counting\nconst b = 2;\nb");
  assert.deepEqual(
    parts.map((p) => p.kind),
    ["code", "line-magic", "code"],
  );
  assert.equal(parts[1]!.args, "--task counting");
  assert.equal(parts[2]!.text, "\n\nconst b = 2;\nb");
  const cm = splitCell("%%sh\necho hi\necho there");
  assert.deepEqual([cm[0]!.kind, cm[0]!.name, cm[0]!.body], ["cell-magic", "sh", "echo hi\necho there"]);
  assert.deepEqual(
    splitCell("x % 2").map((p) => p.kind),
    ["code"],
  );
});

test("fuzz: thousands of random and hostile argument strings end in a result or a MagicError", async () => {
  const r = new MagicRegistry();
  r.register({ name: "train", kind: "both", help: "", args: TRAIN_ARGS, handler: (a) => a });
  const rng = new Rng(99, "fuzz");
  const alphabet = [..."--=\"'\\ ,.abcdefghijklmnopqrstuvwxyz0123456789eE+-_\n\t\u0000💥%"];
  const pieces = [
    "--task",
    "--task=",
    "counting",
    "--rank",
    "--lr",
    "1e309",
    "-0",
    "NaN",
    "Infinity",
    "--ranks",
    ",,",
    "--no-force",
    "--force=maybe",
    '"',
    "'",
    "\\",
    "--",
    "--=",
    "--name",
    "__proto__",
    "constructor",
    "toString",
    "--__proto__",
  ];
  let ok = 0;
  let errors = 0;
  for (let i = 0; i < 5000; i++) {
    let s = rng.next() < 0.4 ? "--task counting " : "";
    const n = rng.int(12);
    for (let k = 0; k < n; k++) s += rng.next() < 0.5 ? pieces[rng.int(pieces.length)] + " " : alphabet[rng.int(alphabet.length)];
    try {
      const parsed = (await r.run(rng.next() < 0.9 ? "train" : "tr" + s.slice(0, 2), "line", s)) as Record<string, unknown>;
      // What parses holds declared arguments only, each of its declared type.
      for (const [k, v] of Object.entries(parsed)) {
        const spec = TRAIN_ARGS.find((a) => a.name === k);
        assert.ok(spec, `input ${JSON.stringify(s)} gave an undeclared argument ${JSON.stringify(k)}`);
        if (spec.type === "integer") assert.ok(Number.isInteger(v), `${k}: ${String(v)} from ${JSON.stringify(s)}`);
        if (spec.type === "number") assert.ok(typeof v === "number" && Number.isFinite(v), `${k}: ${String(v)} from ${JSON.stringify(s)}`);
      }
      assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
      ok++;
    } catch (e) {
      assert.ok(e instanceof MagicError, `input ${JSON.stringify(s)} threw ${(e as Error).name}: ${(e as Error).message}`);
      assert.ok((e as Error).message.length > 0);
      errors++;
    }
  }
  assert.ok(ok > 100 && errors > 100, `${ok} parsed, ${errors} refused: both kinds of input were exercised`);
  assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
});

test("list fields: numbers are converted and bounded per item; a repeatable flag keeps commas inside its items", () => {
  const specs = [
    { name: "temps", type: "list", items: "number", help: "numbers", min: 0 },
    { name: "sbatch", type: "list", items: "string", multiple: true, help: "lines", default: [] },
  ] as const;
  assert.deepEqual(parseArgs("m", specs, "--temps 1,4.5 --sbatch --mail-type=END,FAIL --sbatch --qos=low"), {
    temps: [1, 4.5],
    sbatch: ["--mail-type=END,FAIL", "--qos=low"],
  });
  assert.throws(() => parseArgs("m", specs, "--temps 1,-2"), /%m --temps: "-2" is not allowed \(allowed: numbers >= 0\)/);
});
