// Outgoing bytes of one connection, gathered and handed to the socket once per microtask: a burst of calls
// (a read that completed many responses, whose slots each send the next call) becomes one write syscall.
//
// Frames are built in one buffer (the slab), and views queued by append(…, false) (a large message's
// pieces) are copied into it as well while they fit: in Bun, one write of a joined buffer costs less than
// a write per piece or a corked writev, and joining in a slab we reuse costs less than Buffer.concat's new
// buffer per write (profiled with 64 KiB requests: the concat's allocation was the loader's largest cost).
// The slab is reused once the socket has called back every write of it, which on a Writable means it
// holds no reference to those bytes any more; until then a new slab is taken. Nothing here is
// TCP-specific: TCP, Unix sockets, VSOCK and TLS sockets are all just a Duplex to it.
import type { Duplex } from "node:stream";

const SLAB_BYTES = 64 * 1024;
// A slab grows (doubling, when a turn's bytes do not fit) up to this; pieces larger still are handed to
// the socket as they are. Per connection, so bounded for a server with many connections too.
const MAX_SLAB_BYTES = 256 * 1024;

export class Writer {
  /** Where reserve()d bytes go; valid until the next reserve(). */
  slab: Buffer = Buffer.allocUnsafe(SLAB_BYTES);
  // Bytes slab[start, pos) are written but not yet flushed; earlier ones belong to the socket now.
  private start = 0;
  private pos = 0;
  // Writes of the current slab the socket has not called back yet; at 0 with nothing unflushed, the slab
  // starts over (hot in cache, and no new Buffer for the collector).
  private pending = 0;
  private written = this.releaser();
  // Bytes queued before the current slab region (an old slab's unflushed bytes, a piece too large to copy).
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
    if (this.pos + n > this.slab.length) this.renew(n);
    const at = this.pos;
    this.pos += n;
    this.schedule();
    return at;
  }

  /**
   * Queues bytes. They are copied into the slab unless larger than it can grow; with copy false such a
   * piece goes to the socket as it is, so the caller must not change it afterwards.
   */
  append(bytes: Buffer, copy = true): void {
    if (bytes.length > MAX_SLAB_BYTES && !copy) {
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

  /**
   * The slab cannot take n more bytes. Free (the socket has called back all its writes, nothing unflushed):
   * it starts over, or doubles if n needs it. Else a new slab takes the unflushed bytes along, so that the
   * turn still goes out in one write; only past MAX_SLAB_BYTES they stay behind, queued ahead of it.
   */
  private renew(n: number): void {
    const unflushed = this.pos - this.start;
    if (this.pending === 0 && unflushed === 0 && n <= this.slab.length) {
      this.start = 0;
      this.pos = 0;
      return;
    }
    const want = unflushed + n;
    const old = this.slab;
    if (want <= MAX_SLAB_BYTES) {
      const grown = this.pending === 0 ? Math.min(MAX_SLAB_BYTES, old.length * 2) : old.length;
      this.slab = Buffer.allocUnsafe(Math.max(want, grown));
      old.copy(this.slab, 0, this.start, this.pos);
      this.pos = unflushed;
    } else {
      this.seal();
      this.slab = Buffer.allocUnsafe(Math.max(n, SLAB_BYTES));
      this.pos = 0;
    }
    this.start = 0;
    this.pending = 0;
    this.written = this.releaser();
  }

  /** The write callback for the current slab's writes (a slab replaced since is left to the collector). */
  private releaser(): () => void {
    const slab = this.slab;
    return () => {
      if (this.slab !== slab || --this.pending > 0) return;
      if (this.start === this.pos) {
        this.start = 0;
        this.pos = 0;
      }
    };
  }

  private seal(): void {
    if (this.pos > this.start) this.parts.push(this.slab.slice(this.start, this.pos));
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
    const socket = this.socket;
    if (socket.destroyed) {
      this.parts.length = 0;
      this.start = this.pos;
      return;
    }
    let ok = true;
    // Only when a turn's bytes outgrew the slab (or a piece was too large to copy): what came before the
    // current slab region goes first, each part a write of its own (each at least a slab's worth).
    const parts = this.parts;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] as Buffer;
      this.bytesOut += part.length;
      ok = socket.write(part) && ok;
    }
    parts.length = 0;
    if (this.pos > this.start) {
      // The slab region, as a view: the slab is reused once the socket has called back.
      const out = this.slab.slice(this.start, this.pos);
      this.start = this.pos;
      this.pending++;
      this.bytesOut += out.length;
      ok = socket.write(out, this.written) && ok;
    }
    if (!ok) this.onBlocked?.();
  }
}
