// `transferlab bench`: the benchmarks of bench/ (each against a peer measured in the same run). They
// are loaded only when a benchmark runs: the product does not depend on them.

import { parseArgs } from "node:util";
import { loadModel } from "../umm/checkpoint";
import { Command, UsageError, defaultModelDir, positiveInt, weightInitOption } from "./command";

export const BENCH_COMMANDS: Record<string, Command> = {
  bench: {
    usage:
      "transferlab bench engine [--batch 64] [--steps 10] [--warmup 3] [--threads 2] [--no-peer] [--dump DIR] | transferlab bench worlds [--scenes 10000] | transferlab bench umm [--lora-steps 300] [--batch 32] [--images 64] | transferlab bench kernel [--n 50] | transferlab bench sampler [--model DIR] [--temperatures 1,4.5,30,1000] [--cfgs 0,2,5] [--steps 12] [--seeds 7] [--text-words 0] | transferlab bench placement [--emb-stds 0.02,0.1] [--d 128] [--layers 4] [--heads 4] [--steps 600] [--rows 32] [--lr 1e-3] [--block 3] [--weight-init torch|gpt2] [--seeds 0,1,2] [--every 100]",
    summary:
      "engine: the reference transformer's training step (full and LoRA) against PyTorch CPU in the same run, with the matmul peak and MFU; --dump DIR writes DIR/reference.safetensors (parameters, batch, loss, gradients) for a parity check. worlds: rendering speed of the synthetic worlds. umm: the default miniature's LoRA run, images/s, answers/s and sampler efficiency. kernel: round trip of `1 + 1` via jupyter_client against tslab's kernel. sampler: counting and spatial generation accuracy (and text CER on the first --text-words words) across sampler settings, drawn with seeds outside the evaluation's 0–3. placement: fresh models trained on placement captions only, one per token-embedding scale (0.02, the default, is the peer): the spread of the first sampling step's class centroids over the four corner words (0: the word is ignored) and the step at which it first passes 1 cell. Last line: one JSON object.",
    run: async (argv) => {
      const [what, ...rest] = argv;
      if (what === "worlds") {
        const { values } = parseArgs({ args: rest, options: { scenes: { type: "string", default: "10000" } } });
        console.log(
          JSON.stringify(await (await import("../../bench/worlds")).benchWorlds({ scenes: positiveInt("--scenes", values.scenes!), log: console.log })),
        );
        return;
      }
      if (what === "umm") {
        const { values } = parseArgs({
          args: rest,
          options: { "lora-steps": { type: "string", default: "300" }, batch: { type: "string", default: "32" }, images: { type: "string", default: "64" } },
        });
        const r = await (
          await import("../../bench/umm")
        ).benchUmm({
          loraSteps: positiveInt("--lora-steps", values["lora-steps"]!),
          batch: positiveInt("--batch", values.batch!),
          images: positiveInt("--images", values.images!),
          log: console.log,
        });
        console.log(JSON.stringify(r));
        return;
      }
      if (what === "sampler") {
        const { values } = parseArgs({
          args: rest,
          options: {
            model: { type: "string" },
            temperatures: { type: "string", default: "1,4.5,30,1000" },
            cfgs: { type: "string", default: "0,2,5" },
            steps: { type: "string", default: "12" },
            seeds: { type: "string", default: "7" },
            "text-words": { type: "string", default: "0" },
          },
        });
        const nums = (flag: string, raw: string) =>
          raw.split(",").map((x) => {
            const n = Number(x);
            if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag}: ${JSON.stringify(x)} is not a non-negative number`);
            return n;
          });
        const rows = await (
          await import("../../bench/sampler-sweep")
        ).sweepSampler({
          model: values.model ?? defaultModelDir(),
          temperatures: nums("--temperatures", values.temperatures!),
          cfgs: nums("--cfgs", values.cfgs!),
          steps: nums("--steps", values.steps!).map((n) => positiveInt("--steps", String(n))),
          seeds: nums("--seeds", values.seeds!).map((n) => positiveInt("--seeds", String(n), true)),
          textWords: positiveInt("--text-words", values["text-words"]!, true),
          log: console.log,
        });
        console.log(JSON.stringify(rows));
        return;
      }
      if (what === "placement") {
        const { values } = parseArgs({
          args: rest,
          options: {
            "emb-stds": { type: "string", default: "0.02,0.1" },
            d: { type: "string", default: "128" },
            layers: { type: "string", default: "4" },
            heads: { type: "string", default: "4" },
            steps: { type: "string", default: "600" },
            rows: { type: "string", default: "32" },
            lr: { type: "string", default: "1e-3" },
            block: { type: "string", default: "3" },
            "weight-init": { type: "string", default: "torch" },
            seeds: { type: "string", default: "0,1,2" },
            every: { type: "string", default: "100" },
          },
        });
        const embStds = values["emb-stds"]!.split(",").map((x) => {
          const n = Number(x);
          if (!(n > 0 && n <= 1)) throw new UsageError(`--emb-stds: ${JSON.stringify(x)} is not a number in (0, 1]`);
          return n;
        });
        const block = Number(values.block);
        if (block !== 1 && block !== 2 && block !== 3) throw new UsageError(`--block: ${JSON.stringify(values.block)} is not allowed (allowed: 1, 2, 3)`);
        const weightInit = weightInitOption(values["weight-init"]);
        const lr = Number(values.lr);
        if (!(lr > 0 && lr < 1)) throw new UsageError(`--lr must be a number in (0, 1), got ${JSON.stringify(values.lr)}`);
        const d = positiveInt("--d", values.d!);
        const heads = positiveInt("--heads", values.heads!);
        if (d % heads !== 0) throw new UsageError(`--d ${d} is not divisible by --heads ${heads}`);
        const rows = await (
          await import("../../bench/placement-learnability")
        ).benchPlacement({
          vocab: loadModel(defaultModelDir()).vocab,
          d,
          layers: positiveInt("--layers", values.layers!),
          heads,
          embStds,
          steps: positiveInt("--steps", values.steps!),
          rows: positiveInt("--rows", values.rows!),
          lr,
          block,
          weightInit,
          seeds: values.seeds!.split(",").map((x) => positiveInt("--seeds", x, true)),
          every: positiveInt("--every", values.every!),
          log: console.log,
        });
        for (const embStd of embStds) {
          const mine = rows.filter((r) => r.embStd === embStd);
          const at = mine.map((r) => r.groundedAt ?? "never");
          console.log(
            `emb std ${embStd}: grounded in ${mine.filter((r) => r.groundedAt !== null).length} of ${mine.length} seeds, at steps ${at.join(", ")} (final spreads ${mine.map((r) => r.finalSpread.toFixed(2)).join(", ")} cells)`,
          );
        }
        console.log(JSON.stringify(rows));
        return;
      }
      if (what === "kernel") {
        const { values } = parseArgs({ args: rest, options: { n: { type: "string", default: "50" } } });
        console.log(JSON.stringify((await import("../../bench/kernel")).benchKernel({ n: positiveInt("--n", values.n!), log: console.log })));
        return;
      }
      if (what !== "engine")
        throw new UsageError(`bench: unknown benchmark ${JSON.stringify(what ?? "")} (allowed: engine, worlds, umm, kernel, sampler, placement)`);
      const { values } = parseArgs({
        args: rest,
        options: {
          batch: { type: "string", default: "64" },
          steps: { type: "string", default: "10" },
          warmup: { type: "string", default: "3" },
          threads: { type: "string", default: "2" },
          "no-peer": { type: "boolean", default: false },
          dump: { type: "string" },
        },
      });
      const result = await (
        await import("../../bench/engine")
      ).benchEngine({
        batch: positiveInt("--batch", values.batch!),
        steps: positiveInt("--steps", values.steps!),
        warmup: positiveInt("--warmup", values.warmup!, true),
        threads: positiveInt("--threads", values.threads!),
        peer: !values["no-peer"],
        ...(values.dump ? { dump: values.dump } : {}),
        log: console.log,
      });
      console.log(JSON.stringify(result));
    },
  },
};
