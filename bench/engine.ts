// `transferlab bench engine`: the reference transformer's training step on onnxruntime-node, against the
// same model in PyTorch CPU measured in the same run, with the machine's matmul peak and MFU.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AdamW, F, Graph, ParamStore, Rng, TensorToWrite, TrainStep, clipGradNorm, compile, floatTensor, int64Tensor, writeSafetensors } from "../src/engine";
import { LoraSpec, REFERENCE, buildReference, forwardFlopsPerToken } from "../src/engine/examples/reference-model";

export interface EngineBenchOptions {
  batch: number;
  steps: number;
  warmup: number;
  threads: number;
  /** Run the PyTorch peer (needs python3 with torch). */
  peer: boolean;
  dump?: string;
  log: (line: string) => void;
}

export interface EngineBenchResult {
  tokens_per_s: number;
  lora_tokens_per_s: number;
  peer_tokens_per_s: number | null;
  ratio: number | null;
  matmul_gflops: number;
  mfu: number;
  lora_peer_tokens_per_s: number | null;
  step_ms: number;
  lora_step_ms: number;
  peak_rss_mb: number;
  parity: Record<string, unknown> | null;
  threads: number;
  batch: number;
}

const LORA: LoraSpec = { rank: 8, alpha: 16, targets: ["qkv", "o", "f1", "f2"] };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function randomBatch(seed: number, batch: number) {
  const rng = new Rng(seed, "bench-batch");
  const n = batch * REFERENCE.seq;
  const ids = Array.from({ length: n }, () => rng.int(REFERENCE.vocab));
  const targets = Array.from({ length: n }, () => rng.int(REFERENCE.vocab));
  return { ids, targets, feeds: { input_ids: int64Tensor(ids, [batch, REFERENCE.seq]), targets: int64Tensor(targets, [batch, REFERENCE.seq]) } };
}

/** Median seconds of one full training step (forward + backward on onnxruntime, clip + AdamW here). */
async function timeSteps(opts: EngineBenchOptions, lora?: LoraSpec): Promise<number> {
  const store = new ParamStore(0);
  const model = buildReference(REFERENCE, store, lora ? { lora } : {});
  const step = await TrainStep.create(model.graph, model.loss, {
    threads: opts.threads,
    dims: { B: opts.batch },
    ...(lora ? { trainable: model.loraParams } : {}),
  });
  const optim = new AdamW({ lr: 1e-3 });
  const { feeds } = randomBatch(1, opts.batch);
  const times: number[] = [];
  for (let i = 0; i < opts.warmup + opts.steps; i++) {
    const t0 = process.hrtime.bigint();
    const r = await step.run(store, feeds);
    clipGradNorm(r.grads, 1);
    optim.update(store, r.grads);
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (i >= opts.warmup) times.push(dt);
  }
  return median(times);
}

/** The machine's matmul rate on onnxruntime: a 2048³ product, median of 10 runs after 3 warm-ups. */
export async function matmulPeak(threads: number): Promise<number> {
  return matmulRate(threads, 2048, 2048, 2048);
}

/** GFLOP/s of an [m×k]·[k×n] product on onnxruntime, median of 10 runs after 3 warm-ups. */
export async function matmulRate(threads: number, m: number, k: number, n: number): Promise<number> {
  const g = new Graph("matmul-rate");
  const a = g.input("a", "float32", [m, k]);
  const b = g.input("b", "float32", [k, n]);
  g.output("c", F.matmul(a, b));
  const c = await compile(g, {}, { threads });
  const rng = new Rng(0, "peak");
  const data = (len: number) => Float32Array.from({ length: len }, () => rng.uniform(-1, 1));
  const feeds = { a: floatTensor(data(m * k), [m, k]), b: floatTensor(data(k * n), [k, n]) };
  const times: number[] = [];
  for (let i = 0; i < 13; i++) {
    const t0 = process.hrtime.bigint();
    await c.run(feeds);
    if (i >= 3) times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return (2 * m * k * n) / median(times) / 1e9;
}

/**
 * The matmul rate at a transformer layer's own shapes (q/k/v, o, the MLP's up and down projections of
 * `rows` rows at width d): their FLOPs over the time they take, the best a forward of this model can do.
 */
export async function layerMatmulRate(threads: number, rows: number, d: number, mlp: number): Promise<number> {
  const shapes: [number, number][] = [
    [d, 3 * d],
    [d, d],
    [d, mlp * d],
    [mlp * d, d],
  ];
  let flops = 0;
  let seconds = 0;
  for (const [k, n] of shapes) {
    const f = 2 * rows * k * n;
    flops += f;
    seconds += f / ((await matmulRate(threads, rows, k, n)) * 1e9);
  }
  return flops / seconds / 1e9;
}

/** python3 with torch: the PATH one, else Debian's (pyenv shims may hide it). */
export function findTorchPython(): string | null {
  for (const py of ["python3", "/usr/bin/python3"]) {
    const r = spawnSync(py, ["-c", "import torch"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return null;
}

function runPython(py: string, args: string[]): Record<string, unknown> {
  const script = path.join(__dirname, "..", "..", "bench", "torch_reference.py");
  const r = spawnSync(py, [script, ...args], {
    encoding: "utf8",
    env: { ...process.env, OMP_NUM_THREADS: args.includes("--threads") ? args[args.indexOf("--threads") + 1] : "2" },
  });
  if (r.status !== 0) throw new Error(`PyTorch peer failed (${py} ${args.join(" ")}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  const lines = r.stdout.trim().split("\n");
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
}

/** Writes the reference parameters, a batch, the loss and every gradient for a parity check. */
export async function dumpReference(dir: string, batch = 8): Promise<string> {
  const store = new ParamStore(0);
  const model = buildReference(REFERENCE, store);
  const step = await TrainStep.create(model.graph, model.loss);
  const { ids, targets, feeds } = randomBatch(2, batch);
  const r = await step.run(store, feeds);
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of store.tensors) tensors[name] = { shape: t.shape, data: t.data };
  for (const [name, g] of r.grads) tensors[`grad.${name}`] = { shape: store.get(name).shape, data: g };
  tensors["input_ids"] = { shape: [batch, REFERENCE.seq], data: BigInt64Array.from(ids.map(BigInt)) };
  tensors["targets"] = { shape: [batch, REFERENCE.seq], data: BigInt64Array.from(targets.map(BigInt)) };
  tensors["loss"] = { shape: [], data: Float32Array.from([r.loss]) };
  const file = path.join(dir, "reference.safetensors");
  writeSafetensors(file, tensors, { config: JSON.stringify(REFERENCE), producer: "transferlab bench engine --dump" });
  return file;
}

export async function benchEngine(opts: EngineBenchOptions): Promise<EngineBenchResult> {
  const log = opts.log;
  const cfg = REFERENCE;
  const tokens = opts.batch * cfg.seq;
  log(
    `reference model: vocab ${cfg.vocab}, d ${cfg.d}, ${cfg.layers} layers, ${cfg.heads} heads, seq ${cfg.seq}; batch ${opts.batch} (${tokens} tokens/step), ${opts.threads} threads, ${os.cpus().length} cores`,
  );

  const step = await timeSteps(opts);
  // Read before anything else allocates: the full step is the largest thing this process runs.
  const peakRss = process.resourceUsage().maxRSS / 1024;
  const peak = await matmulPeak(opts.threads);
  log(`matmul peak (onnxruntime, 2048³ float32): ${peak.toFixed(1)} GFLOP/s`);
  const trainFlops = 3 * forwardFlopsPerToken(cfg) * tokens;
  const mfu = trainFlops / step / 1e9 / peak;
  log(
    `full step (fwd+bwd+AdamW): median ${(step * 1000).toFixed(1)} ms over ${opts.steps} steps → ${(tokens / step).toFixed(0)} tokens/s, ${(trainFlops / step / 1e9).toFixed(1)} GFLOP/s, MFU ${(100 * mfu).toFixed(1)}%`,
  );

  const loraStep = await timeSteps(opts, LORA);
  log(`LoRA step (rank 8 on qkv, o, f1, f2; base frozen): median ${(loraStep * 1000).toFixed(1)} ms → ${(tokens / loraStep).toFixed(0)} tokens/s`);
  log(`peak resident memory of the process during the full step (model, optimizer, onnxruntime): ${peakRss.toFixed(0)} MiB`);

  let peer: number | null = null;
  let loraPeer: number | null = null;
  let parity: Record<string, unknown> | null = null;
  const py = opts.peer ? findTorchPython() : null;
  if (opts.peer && !py) log("PyTorch peer: skipped (no python3 with torch; on Debian: apt-get install python3-torch libopenblas0-pthread)");
  if (py) {
    const common = ["--batch", String(opts.batch), "--steps", String(opts.steps), "--warmup", String(opts.warmup), "--threads", String(opts.threads)];
    const t = runPython(py, ["time", ...common]);
    peer = t["tokens_per_s"] as number;
    log(`PyTorch ${t["torch"]} CPU (${t["threads"]} threads) full step: median ${(t["step_ms_median"] as number).toFixed(1)} ms → ${peer.toFixed(0)} tokens/s`);
    const tl = runPython(py, ["time", ...common, "--lora-rank", "8"]);
    loraPeer = tl["tokens_per_s"] as number;
    log(`PyTorch LoRA step: median ${(tl["step_ms_median"] as number).toFixed(1)} ms → ${loraPeer.toFixed(0)} tokens/s`);
    const dir = opts.dump ?? fs.mkdtempSync(path.join(os.tmpdir(), "tl-parity-"));
    await dumpReference(dir);
    parity = runPython(py, ["parity", dir]);
    log(
      `parity with PyTorch (batch 8): loss rel err ${(parity["loss_rel_err"] as number).toExponential(2)}, worst gradient rel err ${(parity["grad_max_rel_err"] as number).toExponential(2)} (${parity["grad_worst"]}) → ${parity["ok"] ? "within 1e-4" : "OUTSIDE 1e-4"}`,
    );
  } else if (opts.dump) {
    log(`wrote ${await dumpReference(opts.dump)}`);
  }
  const ratio = peer ? tokens / step / peer : null;
  if (ratio) log(`ratio engine / PyTorch: full ${ratio.toFixed(2)}×, LoRA ${(tokens / loraStep / loraPeer!).toFixed(2)}×`);
  return {
    tokens_per_s: tokens / step,
    lora_tokens_per_s: tokens / loraStep,
    peer_tokens_per_s: peer,
    ratio,
    matmul_gflops: peak,
    mfu,
    lora_peer_tokens_per_s: loraPeer,
    step_ms: step * 1000,
    lora_step_ms: loraStep * 1000,
    peak_rss_mb: peakRss,
    parity,
    threads: opts.threads,
    batch: opts.batch,
  };
}
