// The terminal's view of a running verb: a one-line progress bar on stderr, stage lines, and Ctrl-C
// that stops a training after its step (the run keeps its checkpoint).

import type { Hooks } from "../lab";

/** A one-line progress bar on stderr (rewritten in place on a terminal, every 10% otherwise). */
export function terminalHooks(log: (s: string) => void = console.log): Hooks {
  const tty = process.stderr.isTTY;
  let lastPct = -1;
  const controller = new AbortController();
  process.once("SIGINT", () => {
    log("interrupt: stopping after this step (the run keeps its checkpoint; resume with --resume)");
    controller.abort();
  });
  return {
    signal: controller.signal,
    onStage: (s) => {
      if (tty) process.stderr.write("\r\x1b[K");
      log(s);
    },
    onStep: (p) => {
      const frac = p.step / p.steps;
      const bar = "█".repeat(Math.round(frac * 24)).padEnd(24, "░");
      const line = `${p.run} ${bar} ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} ETA ${p.eta_s.toFixed(0)} s`;
      if (tty) process.stderr.write(`\r\x1b[K${line}${p.step === p.steps ? "\n" : ""}`);
      else {
        const pct = Math.floor(frac * 10);
        if (pct !== lastPct) ((lastPct = pct), process.stderr.write(line + "\n"));
      }
    },
  };
}
