// What notebook cells see (the prelude imports these): display helpers, the widget-model API, and the
// running kernel's magic registry and interrupt signal.

import type { Kernel } from "./kernel";
import { MagicSpec } from "./magics";
import * as widgetApi from "./widgets";

export { display, progressBar, mimeBundleOf, MIMEBUNDLE } from "./display";
export const widgets = widgetApi;
export { FigureWidget } from "./figure-widget";

let active: Kernel | null = null;

export function setActiveKernel(k: Kernel | null): void {
  active = k;
}

function need(): Kernel {
  if (!active) throw new Error("kernel: not running inside a TransferLab kernel");
  return active;
}

export const kernel = {
  /** Aborted when the user interrupts the running cell; long jobs check it between steps. */
  get signal(): AbortSignal {
    return need().signal;
  },
  get running(): boolean {
    return active !== null;
  },
  /** Registers a magic, e.g. from a library: `kernel.registerMagic({ name, kind, help, args, handler })`. */
  registerMagic(spec: MagicSpec): void {
    need().magics.register(spec);
  },
  magicNames(): string[] {
    return need().magics.names();
  },
};
