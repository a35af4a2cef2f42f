// Outgoing bytes of one connection, gathered and handed to the socket once per microtask: a burst of calls
// (a read that completed many responses, whose slots each send the next call) becomes one write syscall.
import type { Duplex } from "node:stream";

const SLAB_BYTES = 64 * 1024;
// Larger pieces are handed to the socket as they are rather than copied into the slab.
const COPY_LIMIT = 16 * 1024;

export class Writer {
  /** Where reserve()d bytes go; valid until the next reserve(). */
  slab: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  // Bytes slab[start, pos) are written but not yet flushed; earlier ones belong to the socket now.
  private start = 0;
  private pos = 0;
  private readonly parts: Buffer[] = [];
  private scheduled = false;
  // Set by hold(): the scheduled flush waits one more microtask (see hold()).
  private held = false;
  private readonly flushBound = () => {
    if (this.held) {
      this.held = false;
      queueMicrotask(this.flushBound);
      return;
    }
    this.flush();
  };
  /** Called when the socket's buffer is full after a flush (write() returned false). */
  onBlocked: (() => void) | undefined = undefined;
  /** Bytes handed to the socket so far (the server's WINDOW_UPDATE budget is earned by them). */
  bytesOut = 0;

  constructor(private readonly socket: Duplex) {}

  /** Makes room for n bytes in `slab` and returns their offset. */
  reserve(n: number): number {
    if (this.pos + n > this.slab.length) {
      this.seal();
      this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, n));
      this.start = 0;
      this.pos = 0;
    }
    const at = this.pos;
    this.pos += n;
    this.schedule();
    return at;
  }

  /**
   * Queues bytes; large ones (or any, with copy false) are not copied, so the caller must not change
   * them afterwards.
   */
  append(bytes: Buffer, copy = bytes.length <= COPY_LIMIT): void {
    if (!copy) {
      this.seal();
      this.parts.push(bytes);
      this.schedule();
      return;
    }
    const at = this.reserve(bytes.length);
    this.slab.set(bytes, at);
  }

  /**
   * Lets the next scheduled flush wait one more microtask. A client calls it when a read ends a unary
   * call: what it writes while reading (a PING ack, a WINDOW_UPDATE) would otherwise be flushed before
   * the callers of the calls that read ended have run (they resume a promise hop later); their next calls
   * then go out in a second write. With the wait, everything goes in one write.
   */
  hold(): void {
    this.held = true;
  }

  private seal(): void {
    if (this.pos > this.start) this.parts.push(this.slab.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(this.flushBound);
  }

  flush(): void {
    this.scheduled = false;
    this.held = false;
    this.seal();
    const n = this.parts.length;
    if (n === 0 || this.socket.destroyed) {
      this.parts.length = 0;
      return;
    }
    // One write either way: Bun's writev joins corked writes into one buffer itself.
    const out = n === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    this.bytesOut += out.length;
    const ok = this.socket.write(out);
    this.parts.length = 0;
    if (!ok) this.onBlocked?.();
  }
}
