// Coalesces stdout/stderr writes into few iopub `stream` messages, as ipykernel's OutStream does: a cell
// that logs 20,000 lines becomes a handful of messages instead of 20,000. One message per write would
// swamp the frontend (each message is a DOM update) and the iopub socket's queue.
//
// Text is held per stream for one parent (the cell it belongs to) and flushed:
// - on a short timer, so live output (a training loop's progress) still appears as it happens;
// - when the pending text passes a size bound, so memory and message size stay bounded;
// - before any other iopub message (`flushAll`), so output keeps its order relative to displays,
//   results, errors and the cell's `idle`.

export type StreamName = "stdout" | "stderr";

export interface StreamSink<P> {
  send(name: StreamName, text: string, parent: P): void;
}

/** How long text may wait before it is sent, and the most text one message holds. */
export const STREAM_FLUSH_MS = 100;
export const STREAM_MAX_CHARS = 1 << 20;

export class StreamBuffer<P> {
  private pending: { name: StreamName; parent: P; chunks: string[]; chars: number } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly sink: StreamSink<P>,
    private readonly flushMs = STREAM_FLUSH_MS,
    private readonly maxChars = STREAM_MAX_CHARS,
  ) {}

  write(name: StreamName, text: string, parent: P): void {
    if (!text) return;
    // Another stream or another cell ends the current message: order across streams is kept.
    if (this.pending && (this.pending.name !== name || this.pending.parent !== parent)) this.flushAll();
    if (!this.pending) this.pending = { name, parent, chunks: [], chars: 0 };
    this.pending.chunks.push(text);
    this.pending.chars += text.length;
    if (this.pending.chars >= this.maxChars) this.flushAll();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flushAll(), this.flushMs);
      // Pending output must not keep a finished process alive; exit paths call flushAll themselves.
      this.timer.unref();
    }
  }

  /** Sends whatever is pending now. */
  flushAll(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const p = this.pending;
    this.pending = null;
    if (p) this.sink.send(p.name, p.chunks.join(""), p.parent);
  }
}
