// A connection on Bun's own socket (Bun.connect), not node:net: for the lean client, on every transport
// whose socket Bun can hold (TCP by address; Unix sockets and VSOCK by the descriptor ./native.ts has
// connected). Two reasons: a one-shot `call` starts without loading node:net and node:stream (JavaScript
// that a compiled binary compiles on first use, ~20 ms of a ~60 ms `call echo`; docs/performance.md,
// "Start-up"), and `bench`'s load threads skip node:stream's Readable and Writable on every read and write
// (docs/performance.md, "Loader cost (issue 31)": node:net's read plumbing was ~10% of a load thread).
//
// The stream is the part of a Duplex that the lean client (src/rpc/lean/core.ts, src/h2/writer.ts), the
// HTTP/1.1 client (src/rpc/http1/) and the reconnecting channel (src/rpc/reconnect.ts) use, with
// net.Socket's behaviour there: 'data' only once resumed (bytes that came earlier are held, as a paused
// stream holds them), write() false while the socket's buffer is full (the rest is written on drain, in
// order), end() half-closes after what is queued, the peer's FIN is 'end' then 'close' (allowHalfOpen
// false), 'error' before 'close' with node:net's message for the same errno ("read ECONNRESET"), so a lost
// connection reads the same whichever socket carried it. TLS and hybrid vsock need a real stream and keep
// node:net.
import { EventEmitter } from "node:events";
import type { Duplex } from "node:stream";
import type { Socket, SocketHandler } from "bun";

/** A write's callback: called once the socket holds no reference to the bytes (src/h2/writer.ts reuses them). */
type Written = (err?: Error | null) => void;

/**
 * A socket that takes bytes synchronously (src/h2/writer.ts asks for it by this method). writeTaken()
 * writes bytes[from, to) (no view made: Bun's write takes an offset and a length) and returns true when
 * the socket took every byte and keeps no reference to them: `done` is then never called and the bytes
 * are the caller's again at once. False: the rest is queued (a view of the caller's bytes), `done` comes
 * once it is written or failed, and the socket's buffer is full (as a Writable's write() returning false).
 */
interface TakingSocket {
  writeTaken(bytes: Uint8Array, from: number, to: number, done: Written): boolean;
}

/** node:net's message for a system error: syscall and code ("read ECONNRESET"), as libuv words it. */
function asNodeError(err: Error): Error {
  const e = err as Error & { code?: unknown; syscall?: unknown };
  if (typeof e.code !== "string" || typeof e.syscall !== "string") return err;
  return Object.assign(new Error(`${e.syscall} ${e.code}`), {
    code: e.code,
    errno: (e as { errno?: unknown }).errno,
    syscall: e.syscall,
  });
}

export class LightSocket extends EventEmitter implements TakingSocket {
  destroyed = false;
  socket: Socket | undefined;
  /** Bytes that came before resume(): a paused stream holds them for its first reader. */
  private held: Buffer[] | undefined = [];
  /** Bytes the socket's buffer did not take, written in order on drain, with their writes' callbacks. */
  private queue: Array<{ bytes: Uint8Array; done: Written | undefined }> = [];
  private ending = false;

  resume(): this {
    const held = this.held;
    this.held = undefined;
    if (held !== undefined && held.length > 0) {
      queueMicrotask(() => {
        for (const chunk of held) this.emit("data", chunk);
      });
    }
    return this;
  }

  received(chunk: Buffer): void {
    if (this.destroyed) return;
    if (this.held !== undefined) this.held.push(chunk);
    else this.emit("data", chunk);
  }

  write(bytes: Uint8Array, done?: Written): boolean {
    if (this.refused(done)) return false;
    if (this.queue.length > 0) {
      this.queue.push({ bytes, done });
      return false;
    }
    if (!this.send(bytes, done)) return false;
    if (done !== undefined) queueMicrotask(() => done());
    return true;
  }

  writeTaken(bytes: Uint8Array, from: number, to: number, done: Written): boolean {
    if (this.refused(done)) return false;
    if (this.queue.length > 0) {
      this.queue.push({ bytes: bytes.subarray(from, to), done });
      return false;
    }
    const n = this.socket === undefined ? -1 : this.socket.write(bytes, from, to - from);
    if (n === to - from) return true;
    return this.sent(bytes.subarray(from, to), n, done);
  }

  /** After end() or destroy() nothing more is written; the callback hears why, a turn later. */
  private refused(done: Written | undefined): boolean {
    if (!this.destroyed && !this.ending) return false;
    if (done !== undefined) queueMicrotask(() => done(new Error("write after end")));
    return true;
  }

  /**
   * Writes what the socket takes (Bun's socket keeps no reference to it) and queues the rest with its
   * callback; true when all was taken (the callback is then the caller's to call, or not).
   */
  private send(bytes: Uint8Array, done: Written | undefined): boolean {
    return this.sent(bytes, this.socket === undefined ? -1 : this.socket.write(bytes), done);
  }

  /** After a write that took n bytes (-1: the socket is gone): queues what it did not take. */
  private sent(bytes: Uint8Array, n: number, done: Written | undefined): boolean {
    if (n < 0) {
      this.queue.unshift({ bytes, done });
      this.destroy(Object.assign(new Error("write EPIPE"), { code: "EPIPE", syscall: "write" }));
      return false;
    }
    if (n < bytes.length) {
      this.queue.unshift({ bytes: bytes.subarray(n), done });
      return false;
    }
    return true;
  }

  drained(): void {
    while (this.queue.length > 0 && !this.destroyed) {
      const next = this.queue.shift() as { bytes: Uint8Array; done: Written | undefined };
      if (!this.send(next.bytes, next.done)) return;
      const done = next.done;
      if (done !== undefined) queueMicrotask(() => done());
    }
    if (this.destroyed) return;
    if (this.ending) this.socket?.end();
    else this.emit("drain");
  }

  end(): this {
    if (this.ending || this.destroyed) return this;
    this.ending = true;
    if (this.queue.length === 0) this.socket?.end();
    return this;
  }

  /** The peer's FIN: with nothing more to read the connection ends (net.Socket's allowHalfOpen false). */
  peerEnded(): void {
    if (this.destroyed) return;
    this.emit("end");
    this.destroy();
  }

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    const s = this.socket;
    this.socket = undefined;
    const unsent = this.queue.splice(0);
    s?.end();
    const e = err === undefined ? undefined : asNodeError(err);
    queueMicrotask(() => {
      for (const w of unsent) w.done?.(e ?? new Error("socket destroyed"));
      // as net.Socket: an error for whoever listens, then 'close'; never an uncaught 'error' event
      if (e !== undefined && this.listenerCount("error") > 0) this.emit("error", e);
      this.emit("close", e !== undefined);
    });
    return this;
  }
}

/** Bun's socket events, handed to the stream. */
export function lightHandlers(stream: LightSocket): SocketHandler<undefined> {
  return {
    open(s) {
      if (stream.destroyed) s.end();
      else stream.socket = s;
    },
    data(_s, bytes) {
      stream.received(bytes);
    },
    drain() {
      stream.drained();
    },
    end() {
      stream.peerEnded();
    },
    error(_s, err) {
      stream.destroy(err);
    },
    close(_s, err) {
      stream.destroy(err);
    },
  };
}

/**
 * Bun's event loop takes over a connected socket's descriptor (Unix, VSOCK: ./native.ts connected it):
 * from here on Bun owns and closes it. Rejects with the adoption's error (the caller words it).
 */
export async function adoptLight(fd: number): Promise<Duplex> {
  const stream = new LightSocket();
  // Bun.connect({ fd }) is what node:net's connect({ fd }) does underneath; the types name only host and unix.
  const options = { fd, socket: lightHandlers(stream) } as unknown as Parameters<typeof Bun.connect>[0];
  await Bun.connect(options);
  // The lean client uses only the part of Duplex that LightSocket has (see the top of this file).
  return stream as unknown as Duplex;
}
