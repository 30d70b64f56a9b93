// A lock file across processes: it names its holder's pid, appears whole or not at all, and a lock
// whose holder is dead is taken over. The run store holds one while it decides and claims a run (a
// few file writes); a pretraining run holds one for as long as it trains.

import * as fs from "node:fs";
import * as os from "node:os";

/** Whether a process with this pid exists (ours always does). */
export function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the lock at `file` and returns its release. A live holder is waited for up to `waitMs`
 * (polling every 5 ms), then `held(pid)` builds the error thrown.
 */
export function acquireLock(file: string, opts: { waitMs: number; held: (pid: number) => Error }): () => void {
  // The lock appears with its content or not at all: written to a private file, then hard-linked to
  // the lock's name (link fails if the name exists). A lock created empty and filled after (O_EXCL then
  // write) could be read half-written by another process, taken for stale and removed: two holders.
  const mine = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(mine, JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString() }));
  } catch (e) {
    // A full disk leaves no half-written private file behind.
    fs.rmSync(mine, { force: true });
    throw e;
  }
  const deadline = Date.now() + opts.waitMs;
  for (;;) {
    try {
      fs.linkSync(mine, file);
      fs.rmSync(mine, { force: true });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        fs.rmSync(mine, { force: true });
        throw e;
      }
      let seen = "";
      let holder = NaN;
      try {
        seen = fs.readFileSync(file, "utf8");
        holder = Number((JSON.parse(seen) as { pid?: unknown }).pid);
      } catch {
        // an unreadable lock (it always appears whole): left by a crash mid-write long ago, stale
      }
      // Our own pid holds it only when an earlier release failed (holders release synchronously): stale.
      const live = Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder);
      if (live && Date.now() < deadline) {
        sleepMs(5); // the holder may be inside a few file writes
        continue;
      }
      if (live) {
        fs.rmSync(mine, { force: true });
        throw opts.held(holder);
      }
      if (!removeIfStill(file, seen)) sleepMs(1);
    }
  }
  return () => {
    try {
      fs.rmSync(file, { force: true });
    } catch {
      // a lock we fail to remove names our pid: the next taker (we, or anyone once we exit) takes it over
    }
  };
}

/** A takeover guard older than this was left by a process that died inside its few file operations. */
const GUARD_STALE_MS = 10_000;

/**
 * Removes the stale lock `file` if it still holds `seen`, as one critical section: two processes that
 * both saw the same stale lock must not both remove it — the second would remove the first's fresh lock
 * and both would hold it. The section is guarded by `file.takeover`, created exclusively; inside it the
 * lock is read again and removed only if unchanged. Returns false when another process holds the guard.
 */
function removeIfStill(file: string, seen: string): boolean {
  const guard = `${file}.takeover`;
  const token = `${guard}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(token, String(process.pid));
    fs.linkSync(token, guard);
  } catch (e) {
    fs.rmSync(token, { force: true });
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > GUARD_STALE_MS) fs.rmSync(guard, { force: true });
    } catch {
      // the guard went away meanwhile: the next try takes it
    }
    return false;
  }
  fs.rmSync(token, { force: true });
  try {
    let now: string | null = null;
    try {
      now = fs.readFileSync(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (now === seen) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
  return true;
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
