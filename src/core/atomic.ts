// Atomic file replacement: readers see the old file or the new one, never a half-written one.

import * as fs from "node:fs";
import * as path from "node:path";

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    // A full disk (ENOSPC) or a failed rename leaves no half-written temp file behind.
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
