// Outgoing bytes of one connection, gathered and handed to the socket once per microtask: a burst of calls
// (a read that completed many responses, whose slots each send the next call) becomes one write syscall.
//
// Frames are built in one buffer (the slab). With reuse (the client's connections: the load path), views
// queued by append(…, false) (a large message's pieces) are copied into it as well while they fit: in Bun,
// one write of a joined buffer costs less than a write per piece or a corked writev, and joining in a slab
// we reuse costs less than Buffer.concat's new buffer per write (profiled with 64 KiB requests: the
// concat's allocation was the loader's largest cost).
// The slab is reused once the socket has called back every write of it, which on a Writable means it
// holds no reference to those bytes any more; until then a new slab is taken. Nothing here is
// TCP-specific: TCP, Unix sockets, VSOCK and TLS sockets are all just a Duplex to it.
import type { Duplex } from "node:stream";
import { giveSlab, takeSlab } from "./slabs.ts";

/**
 * A socket that takes bytes[from, to) synchronously (Bun's own socket, src/transport/light-socket.ts; no
 * view of the slab is made for it): true when it took them all and keeps no reference, so the slab region is free again at once and no write callback is
 * scheduled; false when it queued the rest, with the callback to come (and its buffer is full).
 */
interface TakingSocket {
  writeTaken(bytes: Uint8Array, from: number, to: number, done: (err?: Error | null) => void): boolean;
}

function takingSocket(socket: Duplex): TakingSocket | undefined {
  return typeof (socket as Partial<TakingSocket>).writeTaken === "function"
    ? (socket as unknown as TakingSocket)
    : undefined;
}

const SLAB_BYTES = 64 * 1024;
// A slab grows (doubling, when a turn's bytes do not fit) up to this; pieces larger still are handed to
// the socket as they are. Per connection, so bounded for a server with many connections too.
const MAX_SLAB_BYTES = 256 * 1024;
// Without reuse, larger pieces are handed to the socket as they are rather than copied into the slab.
const COPY_LIMIT = 16 * 1024;

/** A slab and the writes of it the socket has not called back yet. */
class Slab {
  pending = 0;
  /** Its writer builds in another slab now: at pending 0 it goes to the spares. */
  retired = false;
  constructor(readonly bytes: Buffer) {}
}

export class Writer {
  /** Where reserve()d bytes go; valid until the next reserve(). */
  slab: Buffer;
  private current: Slab;
  // Bytes slab[start, pos) are written but not yet flushed; earlier ones belong to the socket now.
  private start = 0;
  private pos = 0;
  private written: () => void;
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
  /** With reuse, on a socket that writes synchronously: the slab region is written without a callback. */
  private readonly taking: TakingSocket | undefined;

  /**
   * reuse: join views into the slab and reuse slabs once called back (the client's load path); false
   * keeps the plain behaviour, a new slab when one is full and large views queued as they are, joined at
   * the flush: the server's, whose speed this issue was not to change (an A/B of the server could not
   * tell the two apart on a shared machine, so the server keeps what it had).
   */
  constructor(
    private readonly socket: Duplex,
    private readonly reuse = false,
  ) {
    this.current = new Slab(takeSlab(SLAB_BYTES, SLAB_BYTES));
    this.slab = this.current.bytes;
    this.written = this.releaser(this.current);
    this.taking = reuse ? takingSocket(socket) : undefined;
  }

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
    if (!copy && bytes.length > (this.reuse ? MAX_SLAB_BYTES : COPY_LIMIT)) {
      this.seal();
      this.parts.push(bytes);
      this.schedule();
      return;
    }
    const at = this.reserve(bytes.length);
    this.slab.set(bytes, at);
  }

  /**
   * The slab cannot take n more bytes. Free (the socket has called back all its writes, nothing unflushed):
   * it starts over, if n fits. Else another slab (a spare, or a new one) takes the unflushed bytes along,
   * so that the turn still goes out in one write. A turn past MAX_SLAB_BYTES is written out as it goes
   * (one write per full slab, as the flush would make anyway), and its slab comes back: sealed as a queued
   * view instead, a full 256 KiB slab went to the collector at every such turn, and with 64 KiB requests
   * (10 in flight, most turns over 256 KiB) a new one was allocated every few calls (~570 MB/s; 7.6% of
   * the load thread in allocUnsafe, 3.5% in the copy to the new slab).
   */
  private renew(n: number): void {
    const old = this.current;
    const unflushed = this.pos - this.start;
    if (old.pending === 0 && unflushed === 0 && n <= this.slab.length) {
      this.start = 0;
      this.pos = 0;
      return;
    }
    const want = unflushed + n;
    let next: Buffer;
    if (this.reuse && want > MAX_SLAB_BYTES && !this.socket.destroyed) {
      this.writeOut(this.socket);
      // taken whole, the slab was started over (writeOut)
      if (old.pending === 0 && this.pos === 0 && n <= this.slab.length) return;
      next = takeSlab(n, n > SLAB_BYTES ? MAX_SLAB_BYTES : SLAB_BYTES);
      this.pos = 0;
      old.retired = true;
      if (old.pending === 0) giveSlab(old.bytes);
    } else if (this.reuse && want <= MAX_SLAB_BYTES) {
      // Large turns (big messages) get the largest slab at once, so they need no second renewal.
      next = takeSlab(want, want > SLAB_BYTES ? MAX_SLAB_BYTES : SLAB_BYTES);
      this.slab.copy(next, 0, this.start, this.pos);
      this.pos = unflushed;
      old.retired = true;
      if (old.pending === 0) giveSlab(old.bytes);
    } else {
      this.seal(); // the old slab's bytes are now a queued view: it is never given back
      next = takeSlab(n, Math.max(n, SLAB_BYTES));
      this.pos = 0;
    }
    this.start = 0;
    this.current = new Slab(next);
    this.slab = next;
    this.written = this.releaser(this.current);
  }

  /** The write callback for one slab's writes: when the last is called back, the slab is free again. */
  private releaser(s: Slab): () => void {
    return () => {
      if (--s.pending > 0) return;
      if (s.retired) giveSlab(s.bytes);
      else if (s === this.current && this.start === this.pos) {
        this.start = 0;
        this.pos = 0;
      }
    };
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
    if (!this.reuse) {
      this.flushPlain(socket);
      return;
    }
    this.writeOut(socket);
  }

  /** With reuse: hands the socket what is queued, the parts and then the slab region. */
  private writeOut(socket: Duplex): void {
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
      const from = this.start;
      const to = this.pos;
      this.start = to;
      this.bytesOut += to - from;
      const taking = this.taking;
      if (taking === undefined) {
        // The slab region, as a view: the slab is reused once the socket has called back.
        this.current.pending++;
        ok = socket.write(this.slab.subarray(from, to), this.written) && ok;
      } else if (taking.writeTaken(this.slab, from, to, this.written)) {
        // Taken whole: nothing refers to the region any more; with no earlier write out, start over.
        if (this.current.pending === 0) {
          this.start = 0;
          this.pos = 0;
        }
      } else {
        this.current.pending++; // the rest is queued on the socket: its callback releases the slab
        ok = false;
      }
    }
    if (!ok) this.onBlocked?.();
  }

  /** Without reuse: one write of everything, joined if in parts; the slab is the socket's from now on. */
  private flushPlain(socket: Duplex): void {
    this.seal();
    const n = this.parts.length;
    if (n === 0) return;
    const out = n === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
    this.parts.length = 0;
    this.current.pending = Number.POSITIVE_INFINITY; // never called back: never reused, never a spare
    this.bytesOut += out.length;
    if (!socket.write(out)) this.onBlocked?.();
  }
}
