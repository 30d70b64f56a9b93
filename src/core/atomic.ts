// Atomic file replacement: readers see the old file or the new one, never a half-written one.

import * as fs from "node:fs";
import * as path from "node:path";
import { TaskError } from "./errors";

/**
 * The file a write to `file` should replace: `file` itself when it is absent or a regular file, the
 * target of a symlink (written through, not replaced by a file), and a refusal for anything else —
 * a rename over a device node, a FIFO or a folder would destroy it.
 */
export function writeTarget(file: string): string {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return file;
    throw e;
  }
  if (st.isSymbolicLink()) {
    let real: string;
    try {
      real = fs.realpathSync(file);
    } catch (e) {
      throw new TaskError(`${file}: is a symlink whose target cannot be resolved (${(e as NodeJS.ErrnoException).code}); refusing to write over it`);
    }
    return writeTarget(real);
  }
  if (!st.isFile()) {
    const kind = st.isDirectory()
      ? "a folder"
      : st.isCharacterDevice() || st.isBlockDevice()
        ? "a device"
        : st.isFIFO()
          ? "a FIFO"
          : st.isSocket()
            ? "a socket"
            : "not a regular file";
    throw new TaskError(`${file}: is ${kind}; refusing to write over it (allowed: a regular file or a path that does not exist)`);
  }
  return file;
}

export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const target = writeTarget(file);
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.writeFileSync(tmp, data, { flag: "wx" });
    fs.renameSync(tmp, target);
  } catch (e) {
    // A full disk (ENOSPC) or a failed rename leaves no half-written temp file behind.
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
