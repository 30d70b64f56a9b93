// The kernel process: `node dist/kernel/main.js CONNECTION_FILE` (what the kernelspec runs).

import { setActiveKernel } from "./api";
import { Kernel, readConnectionFile } from "./kernel";
import { addKernelExtension, registerExtensions } from "./extensions";
import { registerLabMagics } from "./lab-magics";

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node dist/kernel/main.js CONNECTION_FILE\n");
    process.exit(2);
  }
  const k = new Kernel(readConnectionFile(file), process.cwd());
  setActiveKernel(k);
  addKernelExtension((kernel) => registerLabMagics(kernel));
  registerExtensions(k);
  await k.start();
  // A cell's stray rejection must not kill the kernel: report it in the cell that caused it.
  process.on("unhandledRejection", (e) => k.reportAsyncError(e, "unhandled rejection"));
  process.on("uncaughtException", (e) => k.reportAsyncError(e, "uncaught exception"));
}

main().catch((e) => {
  process.stderr.write(`transferlab kernel failed to start: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
