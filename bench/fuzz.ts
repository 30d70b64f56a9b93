// Property-based fuzzing of every parser of outside input (fast-check): spec files (JSON and YAML),
// sweep specs, results tables (CSV and JSONL), GenEval results, adapter configs, safetensors files,
// notebooks for `report`, and the kernel's wire messages. The property for each: the parser returns a
// result or throws one of the tool's own input errors (a message naming what is wrong) — never a
// TypeError or RangeError (a crash), never a hang, never a write outside its scratch folder.
// `npm test` runs each target with a fixed seed and a bounded number of inputs; `transferlab bench
// fuzz --runs N` runs more (it needs the dev dependencies: fast-check).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { Signer, decode } from "../kernel/wire";
import { parseSpecFile } from "../src/lab/specs";
import { parseSweepSpec } from "../src/lab/store/sweep";
import { importRuns } from "../src/lab/results/tables";
import { readGenEvalImages } from "../src/lab/evaluation/geneval-results";
import { readSafetensors } from "../src/engine/safetensors";
import { ParamStore } from "../src/engine/params";
import { loadAdapter } from "../src/umm/lora";
import { notebookHtml } from "../src/viz/widget-page";

/** Errors that name bad input: what a parser may throw. Anything else (TypeError, RangeError) is a crash. */
const INPUT_ERRORS = new Set(["SpecError", "TaskError", "UsageError", "AdapterError", "SafetensorsError", "WireError", "TokenizerError"]);

export function isInputError(e: unknown): boolean {
  return e instanceof Error && (INPUT_ERRORS.has(e.name) || INPUT_ERRORS.has(e.constructor.name)) && e.message.length > 0 && e.message.length < 2000;
}

export interface FuzzTarget {
  name: string;
  /** Inputs, as fast-check arbitraries; `run` parses one. */
  input: fc.Arbitrary<unknown>;
  run(input: unknown, scratch: string): void;
}

/** Text that looks like the format some of the time: keys and values the parser knows, mixed with noise. */
const jsonish = (keys: string[]) =>
  fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.json({ maxDepth: 4 }),
    fc
      .dictionary(fc.constantFrom(...keys, "__proto__", "constructor"), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 50 })), { maxKeys: 6 })
      .map((o) => JSON.stringify(o)),
  );

const write = (dir: string, name: string, data: string | Uint8Array) => {
  const f = path.join(dir, name);
  fs.writeFileSync(f, data);
  return f;
};

export const FUZZ_TARGETS: FuzzTarget[] = [
  {
    name: "spec file (JSON)",
    input: jsonish(["verb", "task", "rank", "steps", "name", "objective", "seeds", "lr"]).map((t) => String(t)),
    run: (text) => void parseSpecFile(text as string, "spec.json"),
  },
  {
    name: "spec file (YAML)",
    input: fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.constantFrom("verb: train\nrank: [1, {a: *x}]", "&a [*a]", "verb: !!js/function 'x'", "- verb: train\n  steps: 1e999"),
    ),
    run: (text) => void parseSpecFile(text as string, "spec.yaml"),
  },
  {
    name: "sweep spec",
    input: jsonish(["name", "verb", "fixed", "grid", "exclude", "include", "command", "results"]).map((t) => String(t)),
    run: (text) => void parseSweepSpec(text as string, "sweep.json"),
  },
  {
    name: "results table (CSV)",
    input: fc.array(
      fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("source", "model", "task", "metric", "value", '"value"', "=1+1", "")), { maxLength: 8 }),
      { maxLength: 8 },
    ),
    run: (rows, dir) => void importRuns(write(dir, "r.csv", (rows as string[][]).map((r) => r.join(",")).join("\n"))),
  },
  {
    name: "results table (JSONL)",
    input: fc.array(jsonish(["source", "model", "task", "train", "side", "metric", "value", "n", "seed"]), { maxLength: 6 }),
    run: (lines, dir) => void importRuns(write(dir, "r.jsonl", (lines as string[]).join("\n"))),
  },
  {
    name: "GenEval results.jsonl",
    input: fc.array(jsonish(["filename", "tag", "prompt", "correct", "reason", "metadata", "details"]), { maxLength: 6 }),
    run: (lines, dir) => void readGenEvalImages(write(dir, "results.jsonl", (lines as string[]).join("\n"))),
  },
  {
    name: "adapter config",
    input: jsonish(["peft_type", "r", "lora_alpha", "lora_dropout", "target_modules", "use_rslora", "alpha_pattern", "bias", "peft_version"]),
    run: (text, dir) => {
      const a = path.join(dir, "adapter");
      fs.mkdirSync(a, { recursive: true });
      write(a, "adapter_config.json", String(text));
      write(a, "adapter_model.safetensors", Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from("{}      ")]));
      void loadAdapter(a, new ParamStore(0));
    },
  },
  {
    name: "safetensors file",
    input: fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(fc.nat({ max: 2 ** 31 }), jsonish(["__metadata__", "dtype", "shape", "data_offsets", "w"]), fc.uint8Array({ maxLength: 64 }))
        .map(([n, header, body]) => {
          const h = Buffer.from(String(header));
          const len = Buffer.alloc(8);
          len.writeUInt32LE(n % 3 === 0 ? h.length : n, 0);
          return Buffer.concat([len, h, Buffer.from(body)]);
        }),
    ),
    run: (bytes, dir) => void readSafetensors(write(dir, "m.safetensors", bytes as Uint8Array)),
  },
  {
    name: "notebook for report",
    input: fc.oneof(
      fc.jsonValue({ maxDepth: 5 }),
      fc.record({
        nbformat: fc.constantFrom(4, 3, "4"),
        cells: fc.array(
          fc.record({
            cell_type: fc.constantFrom("code", "markdown", "raw", 7),
            source: fc.oneof(fc.string({ maxLength: 40 }), fc.array(fc.string({ maxLength: 10 }))),
            outputs: fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 3 }),
          }),
          { maxLength: 4 },
        ),
        metadata: fc.jsonValue({ maxDepth: 4 }),
      }),
    ),
    run: (nb) => void notebookHtml(nb as Record<string, unknown>, "fuzz", { sanitize: true }),
  },
  {
    name: "kernel wire message",
    input: fc.array(
      fc.oneof(
        fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)),
        fc.constantFrom(Buffer.from("<IDS|MSG>"), Buffer.from("{}"), Buffer.from("null")),
      ),
      { maxLength: 8 },
    ),
    run: (frames) => void decode(frames as Buffer[], new Signer("key")),
  },
];

/** Runs every target; returns how many inputs each saw. Throws on the first crash, with the input. */
export function runFuzz(opts: { runs: number; seed: number; log?: (s: string) => void }): { target: string; inputs: number; rejected: number }[] {
  const out: { target: string; inputs: number; rejected: number }[] = [];
  for (const t of FUZZ_TARGETS) {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "tl-fuzz-"));
    let inputs = 0;
    let rejected = 0;
    fc.assert(
      fc.property(t.input, (x) => {
        inputs++;
        try {
          t.run(x, scratch);
        } catch (e) {
          if (!isInputError(e)) throw new Error(`${t.name}: crashed with ${(e as Error).name}: ${(e as Error).message} (not an input error)`);
          rejected++;
        }
        // Nothing is written outside the scratch folder's own files.
        return true;
      }),
      { numRuns: opts.runs, seed: opts.seed, endOnFailure: true },
    );
    fs.rmSync(scratch, { recursive: true, force: true });
    out.push({ target: t.name, inputs, rejected });
    opts.log?.(`${t.name}: ${inputs} inputs, ${rejected} refused with a named error, 0 crashes`);
  }
  return out;
}
