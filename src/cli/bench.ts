// `transferlab bench`: the benchmarks of bench/ (each against a peer measured in the same run). They
// are loaded only when a benchmark runs: the product does not depend on them. Each benchmark's flags
// are a field schema, parsed like every other command's.

import { DEMO_TASKS, DemoTask } from "./demo";
import { CAPABILITY_TASKS } from "../lab/verbs/fields";
import { loadModel } from "../umm/checkpoint";
import { shapeField } from "../umm/shape";
import { Command, MODEL_FLAG, UsageError, defaultModelDir, flagsUsage, parseFlags } from "./command";

export const BENCHES = {
  engine: [
    { name: "batch", type: "integer", help: "rows per step", default: 64, min: 1, max: 4096 },
    { name: "steps", type: "integer", help: "timed steps", default: 10, min: 1, max: 1000000 },
    { name: "warmup", type: "integer", help: "untimed steps first", default: 3, min: 0, max: 100000 },
    { name: "threads", type: "integer", help: "threads of both engines", default: 2, min: 1, max: 256 },
    { name: "noPeer", type: "boolean", help: "skip the PyTorch peer", default: false },
    { name: "dump", type: "string", help: "write DIR/reference.safetensors for the parity check" },
  ],
  worlds: [{ name: "scenes", type: "integer", help: "scenes rendered", default: 10000, min: 1, max: 10_000_000 }],
  umm: [
    { name: "loraSteps", type: "integer", help: "LoRA steps timed", default: 300, min: 1, max: 100000 },
    { name: "batch", type: "integer", help: "rows per step", default: 32, min: 1, max: 4096 },
    { name: "images", type: "integer", help: "images sampled", default: 64, min: 1, max: 100000 },
  ],
  kernel: [{ name: "n", type: "integer", help: "round trips", default: 50, min: 1, max: 100000 }],
  demo: [
    { name: "task", type: "string", help: "the demo's task", default: "new-word", choices: DEMO_TASKS },
    { name: "steps", type: "integer", help: "optimizer steps per training run (the demo's default)", default: 150, min: 1, max: 100000 },
    { name: "seeds", type: "integer", help: "training seeds per objective", default: 1, min: 1, max: 10 },
    { name: "limit", type: "integer", help: "evaluate on subsets of N prompts/questions", min: 1, max: 100000 },
    { name: "workers", type: "integer", help: "training runs at a time (the demo's default: one per core, at most 2)", min: 1, max: 64 },
  ],
  transfer: [
    { name: "task", type: "string", help: "the condition's task", default: "counting", choices: CAPABILITY_TASKS },
    { name: "seeds", type: "integer", help: "training seeds per objective", default: 3, min: 1, max: 10 },
    { name: "steps", type: "integer", help: "optimizer steps per run", default: 300, min: 1, max: 100000 },
    { name: "evalEvery", type: "integer", help: "validation every N steps", default: 50, min: 0, max: 100000 },
    { name: "limit", type: "integer", help: "evaluate on subsets of N prompts/questions", min: 1, max: 100000 },
    { name: "workers", type: "integer", help: "training runs at a time, each in its own process (transfer's default: 1)", default: 1, min: 1, max: 64 },
  ],
  fuzz: [
    { name: "runs", type: "integer", help: "inputs per parser", default: 2000, min: 1, max: 1_000_000 },
    { name: "seed", type: "integer", help: "fast-check's seed", default: 1, min: 0, max: 2 ** 31 - 1 },
  ],
  sampler: [
    MODEL_FLAG,
    { name: "temperatures", type: "list", items: "number", help: "initial τ0 values", default: [1, 4.5, 30, 1000], min: 0, max: 10000 },
    { name: "cfgs", type: "list", items: "number", help: "guidance scales", default: [0, 2, 5], min: 0, max: 20 },
    { name: "steps", type: "list", items: "integer", help: "sampling steps", default: [12], min: 1, max: 256 },
    { name: "seeds", type: "list", items: "integer", help: "sampling seeds (outside the evaluation's 0–3)", default: [7], min: 0, max: 2 ** 31 - 1 },
    { name: "textWords", type: "integer", help: "text CER on the first N words (0: none)", default: 0, min: 0, max: 100000 },
  ],
  placement: [
    { name: "embStds", type: "list", items: "number", help: "token-embedding scales, one model each", default: [0.02, 0.1], min: 1e-6, max: 1 },
    shapeField("d"),
    shapeField("layers"),
    shapeField("heads"),
    { name: "steps", type: "integer", help: "steps per model", default: 600, min: 1, max: 1000000 },
    { name: "rows", type: "integer", help: "rows per step", default: 32, min: 1, max: 4096 },
    { name: "lr", type: "number", help: "learning rate, in (0, 1)", default: 1e-3, min: 1e-9, max: 0.999 },
    { name: "block", type: "integer", help: "the block whose attention is read", default: 3, min: 1, max: 3 },
    shapeField("weightInit"),
    { name: "seeds", type: "list", items: "integer", help: "seeds per scale", default: [0, 1, 2], min: 0, max: 2 ** 31 - 1 },
    { name: "every", type: "integer", help: "measure every N steps", default: 100, min: 1, max: 100000 },
  ],
} as const;

type Bench = keyof typeof BENCHES;
const NAMES = Object.keys(BENCHES) as Bench[];

export const BENCH_COMMANDS: Record<string, Command> = {
  bench: {
    usage: NAMES.map((b) => `transferlab bench ${b} ${flagsUsage(BENCHES[b])}`).join(" | "),
    summary:
      "engine: the reference transformer's training step (full and LoRA) against PyTorch CPU in the same run, with the matmul peak and MFU; --dump DIR writes DIR/reference.safetensors (parameters, batch, loss, gradients) for a parity check. worlds: rendering speed of the synthetic worlds. umm: the default miniature's LoRA run, images/s, answers/s and sampler efficiency. kernel: round trip of `1 + 1` via jupyter_client against tslab's kernel. demo: the README's main job timed, per phase, with its compute priced at the measured matmul peak (target 150 s). transfer: one transfer condition (3 seeds × 2 objectives, 300 steps, validation every 50) in a fresh store, with its time per phase and its compute at the measured matmul peak (target 8 min). fuzz: every parser of outside input under property-based fuzzing (fast-check, a dev dependency), --runs inputs each: a named error or a result, never a crash. sampler: counting and spatial generation accuracy (and text CER on the first --text-words words) across sampler settings, drawn with seeds outside the evaluation's 0–3. placement: fresh models trained on placement captions only, one per token-embedding scale (0.02, the default, is the peer): the spread of the first sampling step's class centroids over the four corner words (0: the word is ignored) and the step at which it first passes 1 cell. Last line: one JSON object.",
    run: async (argv) => {
      const [what, ...rest] = argv;
      if (!what || !(NAMES as string[]).includes(what))
        throw new UsageError(`bench: unknown benchmark ${JSON.stringify(what ?? "")} (allowed: ${NAMES.join(", ")})`);
      const log = console.log;
      switch (what as Bench) {
        case "worlds": {
          const { args: a } = parseFlags("bench worlds", BENCHES.worlds, rest);
          log(JSON.stringify(await (await import("../../bench/worlds")).benchWorlds({ scenes: a.scenes, log })));
          return;
        }
        case "umm": {
          const { args: a } = parseFlags("bench umm", BENCHES.umm, rest);
          log(JSON.stringify(await (await import("../../bench/umm")).benchUmm({ loraSteps: a.loraSteps, batch: a.batch, images: a.images, log })));
          return;
        }
        case "kernel": {
          const { args: a } = parseFlags("bench kernel", BENCHES.kernel, rest);
          log(JSON.stringify((await import("../../bench/kernel")).benchKernel({ n: a.n, log })));
          return;
        }
        case "demo": {
          const { args: a } = parseFlags("bench demo", BENCHES.demo, rest);
          const { benchDemo } = await import("../../bench/demo");
          log(
            JSON.stringify(
              await benchDemo({
                task: a.task as DemoTask,
                steps: a.steps,
                seeds: a.seeds,
                ...(a.limit ? { limit: a.limit } : {}),
                ...(a.workers ? { workers: a.workers } : {}),
                log,
              }),
            ),
          );
          return;
        }
        case "transfer": {
          const { args: a } = parseFlags("bench transfer", BENCHES.transfer, rest);
          const { benchTransfer } = await import("../../bench/transfer");
          log(
            JSON.stringify(
              await benchTransfer({
                task: a.task,
                seeds: a.seeds,
                steps: a.steps,
                evalEvery: a.evalEvery,
                workers: a.workers,
                ...(a.limit ? { limit: a.limit } : {}),
                log,
              }),
            ),
          );
          return;
        }
        case "fuzz": {
          const { args: a } = parseFlags("bench fuzz", BENCHES.fuzz, rest);
          const t0 = Date.now();
          const counts = (await import("../../bench/fuzz")).runFuzz({ runs: a.runs, seed: a.seed, log });
          log(JSON.stringify({ seed: a.seed, seconds: (Date.now() - t0) / 1000, counts }));
          return;
        }
        case "sampler": {
          const { args: a } = parseFlags("bench sampler", BENCHES.sampler, rest);
          const { sweepSampler } = await import("../../bench/sampler-sweep");
          log(
            JSON.stringify(
              await sweepSampler({
                model: a.model ?? defaultModelDir(),
                temperatures: a.temperatures,
                cfgs: a.cfgs,
                steps: a.steps,
                seeds: a.seeds,
                textWords: a.textWords,
                log,
              }),
            ),
          );
          return;
        }
        case "placement": {
          const { args: a } = parseFlags("bench placement", BENCHES.placement, rest);
          if (a.d % a.heads !== 0) throw new UsageError(`bench placement: --d ${a.d} is not divisible by --heads ${a.heads}`);
          const { benchPlacement } = await import("../../bench/placement-learnability");
          const rows = await benchPlacement({
            vocab: loadModel(defaultModelDir()).vocab,
            d: a.d,
            layers: a.layers,
            heads: a.heads,
            embStds: a.embStds,
            steps: a.steps,
            rows: a.rows,
            lr: a.lr,
            block: a.block as 1 | 2 | 3,
            weightInit: a.weightInit,
            seeds: a.seeds,
            every: a.every,
            log,
          });
          for (const embStd of a.embStds) {
            const mine = rows.filter((r) => r.embStd === embStd);
            const at = mine.map((r) => r.groundedAt ?? "never");
            log(
              `emb std ${embStd}: grounded in ${mine.filter((r) => r.groundedAt !== null).length} of ${mine.length} seeds, at steps ${at.join(", ")} (final spreads ${mine.map((r) => r.finalSpread.toFixed(2)).join(", ")} cells)`,
            );
          }
          log(JSON.stringify(rows));
          return;
        }
        case "engine": {
          const { args: a } = parseFlags("bench engine", BENCHES.engine, rest);
          const { benchEngine } = await import("../../bench/engine");
          log(
            JSON.stringify(
              await benchEngine({
                batch: a.batch,
                steps: a.steps,
                warmup: a.warmup,
                threads: a.threads,
                peer: !a.noPeer,
                ...(a.dump ? { dump: a.dump } : {}),
                log,
              }),
            ),
          );
          return;
        }
      }
    },
  },
};
