// What a lab job did, measured between two marks: the rows pushed through the model (src/umm/model.ts,
// workDone), the seconds per phase of work (src/lab/timing.ts), and the compute priced at this machine's
// measured matmul peak. A forward row costs 2·P·T FLOPs (P parameters, T sequence positions); a LoRA
// training row about 4·P·T (the forward, and the backward through the frozen weights for the
// activations; the adapters' own gradients are a small fraction at rank 8).

import { phaseSeconds } from "../src/lab/timing";
import { loadModel } from "../src/umm/checkpoint";
import { workDone } from "../src/umm/model";
import { defaultModelDir } from "../src/cli/command";
import { layerMatmulRate, matmulPeak } from "./engine";

export interface WorkPriced {
  work_s: Record<string, number>;
  forward_rows: number;
  trained_rows: number;
  gflop: number;
  matmul_peak_gflops: number;
  seconds_at_peak: number;
  /** The matmul rate at the model's own layer shapes (64 images' rows at a time), and the seconds the work takes at it. */
  layer_matmul_gflops: number;
  seconds_at_layer_rate: number;
  /** Seconds at the peak over the wall time. */
  efficiency: number;
}

/** Marks now; the returned function prices what was done since, for a job that took `wallS` seconds. */
export function markWork(): (wallS: number) => Promise<WorkPriced> {
  const rows0 = { ...workDone };
  const phases0 = phaseSeconds();
  return async (wallS) => {
    const phases1 = phaseSeconds();
    const work_s = Object.fromEntries(
      Object.keys(phases1).map((k) => [k, Math.round(phases1[k as keyof typeof phases1] - phases0[k as keyof typeof phases0])]),
    );
    const forwardRows = workDone.forwardRows - rows0.forwardRows;
    const trainRows = workDone.trainRows - rows0.trainRows;
    const model = loadModel(defaultModelDir());
    const P = model.base.names().reduce((n, k) => n + model.base.get(k).data.length, 0);
    const T = model.config.seq;
    const flops = 2 * P * T * forwardRows + 4 * P * T * trainRows;
    const peak = await matmulPeak(2);
    const atPeak = flops / 1e9 / peak;
    const layerRate = await layerMatmulRate(2, 64 * T, model.config.d, model.config.mlpRatio);
    return {
      work_s,
      forward_rows: forwardRows,
      trained_rows: trainRows,
      gflop: Math.round(flops / 1e9),
      matmul_peak_gflops: Math.round(peak * 10) / 10,
      seconds_at_peak: Math.round(atPeak),
      layer_matmul_gflops: Math.round(layerRate * 10) / 10,
      seconds_at_layer_rate: Math.round(flops / 1e9 / layerRate),
      efficiency: Math.round((1000 * atPeak) / wallS) / 1000,
    };
  };
}

/** The priced work as one line: phases, rows, GFLOP, seconds at the peak and the share of it reached. */
export function workLine(w: WorkPriced): string {
  return `${Object.entries(w.work_s)
    .map(([k, v]) => `${k} ${v} s`)
    .join(", ")}; ${w.forward_rows.toLocaleString("en-US")} forward rows + ${w.trained_rows.toLocaleString("en-US")} trained rows ≈ ${w.gflop.toLocaleString(
    "en-US",
  )} GFLOP, ${w.seconds_at_peak} s at the measured matmul peak (${w.matmul_peak_gflops} GFLOP/s): ${(100 * w.efficiency).toFixed(0)}% of peak; ${w.seconds_at_layer_rate} s at the matmul rate of the model's own layer shapes (${w.layer_matmul_gflops} GFLOP/s)`;
}
