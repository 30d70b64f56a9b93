// Magics that other layers contribute (the lab's %train, %generate, …) are registered here, so the
// kernel itself stays independent of the model. Each registration is a function of the kernel.

import type { Kernel } from "./kernel";

const registrations: ((k: Kernel) => void)[] = [];

export function addKernelExtension(f: (k: Kernel) => void): void {
  registrations.push(f);
}

export function registerExtensions(k: Kernel): void {
  for (const f of registrations) f(k);
}
