// Where the lab's time goes in this process, per phase: training steps, validation evaluations, test
// evaluations, the distribution-shift features. Benchmarks read the totals before and after a job
// (`transferlab bench demo`, `bench transfer`); nothing else depends on them.

export type Phase = "train" | "validation" | "test" | "shift";

const totals: Record<Phase, number> = { train: 0, validation: 0, test: 0, shift: 0 };

/** Runs `f` and adds its wall time to `phase`'s total. */
export async function timed<T>(phase: Phase, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    totals[phase] += (performance.now() - t0) / 1000;
  }
}

/** A copy of the totals so far (seconds). */
export function phaseSeconds(): Record<Phase, number> {
  return { ...totals };
}

/** Adds another process's totals (a training worker's) to this one's. */
export function addPhaseSeconds(other: Partial<Record<string, number>>): void {
  for (const k of Object.keys(totals) as Phase[]) totals[k] += Number(other[k] ?? 0);
}
