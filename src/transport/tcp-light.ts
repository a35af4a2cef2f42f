// A plaintext TCP connection on Bun's own socket (Bun.connect), for the lean client of a one-shot `call`:
// Bun's node:net and the node:stream it is built on are JavaScript that a compiled binary loads and
// compiles on first use, ~20 ms of a ~60 ms `call echo` (docs/performance.md, "Start-up"); Bun.connect
// costs next to nothing. Its events are a few lines here rather than node:events: each built-in a compiled
// binary loads costs a few milliseconds of the start, and `call echo` loads none.
//
// The stream is the part of a Duplex that the lean client (src/rpc/lean/core.ts, src/h2/writer.ts) uses,
// with net.Socket's behaviour there: 'data' only once resumed (bytes that came earlier are held, as a
// paused stream holds them), write() false while the socket's buffer is full (the rest is written on
// drain, in order), end() half-closes after what is queued, 'close' once the socket is gone (after the
// peer's end too: allowHalfOpen false), 'error' with the errno code before 'close'. Nothing else takes it:
// src/client/channel.ts asks for it only for the lean client without TLS (node:tls and node:http2 need a
// real stream).
import type { Duplex } from "node:stream";
import type { Socket, SocketHandler } from "bun";
import { type Address, formatAddress } from "./address.ts";
import { TransportError, transportError } from "./errors.ts";
import type { ConnectOptions } from "./types.ts";

type TcpAddress = Extract<Address, { kind: "tcp" }>;
/** A write's callback: called once the socket holds no reference to the bytes (src/h2/writer.ts reuses them). */
type Written = (err?: Error | null) => void;

type Listener = (...args: never[]) => void;

/** EventEmitter's on/once/off/emit/listenerCount, which is what the lean client and net.Socket's users call. */
class Events {
  private readonly listeners = new Map<string, Listener[]>();

  on(event: string, fn: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
    return this;
  }

  once(event: string, fn: Listener): this {
    const once = (...args: never[]) => {
      this.off(event, once);
      fn(...args);
    };
    return this.on(event, once);
  }

  off(event: string, fn: Listener): this {
    const list = this.listeners.get(event);
    const i = list === undefined ? -1 : list.lastIndexOf(fn);
    if (list !== undefined && i >= 0) this.listeners.set(event, list.toSpliced(i, 1));
    return this;
  }

  /** Calls the listeners there are now, in order; an 'error' nobody listens to is thrown, as EventEmitter does. */
  emit(event: string, ...args: unknown[]): boolean {
    const list = this.listeners.get(event);
    if (list === undefined || list.length === 0) {
      if (event === "error") throw args[0];
      return false;
    }
    for (const fn of list) (fn as (...a: unknown[]) => void)(...args);
    return true;
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}

class LightSocket extends Events {
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
    if (this.destroyed || this.ending) {
      if (done !== undefined) queueMicrotask(() => done(new Error("write after end")));
      return false;
    }
    if (this.queue.length > 0) {
      this.queue.push({ bytes, done });
      return false;
    }
    return this.send(bytes, done);
  }

  /**
   * Writes what the socket takes (Bun's socket keeps no reference to it) and queues the rest; false when
   * something is left queued. The callback comes once all of the bytes are written, as a Writable's does.
   */
  private send(bytes: Uint8Array, done: Written | undefined): boolean {
    const n = this.socket === undefined ? -1 : this.socket.write(bytes);
    if (n < 0) {
      this.queue.unshift({ bytes, done });
      this.destroy(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
      return false;
    }
    if (n < bytes.length) {
      this.queue.unshift({ bytes: bytes.subarray(n), done });
      return false;
    }
    if (done !== undefined) queueMicrotask(() => done());
    return true;
  }

  drained(): void {
    while (this.queue.length > 0 && !this.destroyed) {
      const next = this.queue.shift() as { bytes: Uint8Array; done: Written | undefined };
      if (!this.send(next.bytes, next.done)) return;
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

  destroy(err?: Error): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    const s = this.socket;
    this.socket = undefined;
    const unsent = this.queue.splice(0);
    s?.end();
    queueMicrotask(() => {
      for (const w of unsent) w.done?.(err ?? new Error("socket destroyed"));
      // as net.Socket: an error for whoever listens, then 'close'; never an uncaught 'error' event
      if (err !== undefined && this.listenerCount("error") > 0) this.emit("error", err);
      this.emit("close", err !== undefined);
    });
    return this;
  }
}

function handlers(stream: LightSocket): SocketHandler<undefined> {
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
    // the peer's FIN: with nothing more to read, the connection ends (net.Socket's allowHalfOpen false)
    end() {
      stream.destroy();
    },
    error(_s, err) {
      stream.destroy(err);
    },
    close(_s, err) {
      stream.destroy(err);
    },
  };
}

/** Connects over TCP as src/transport/tcp.ts's connectTcp does, with the same errors and timeout. */
export function connectTcpLight(addr: TcpAddress, opts: ConnectOptions = {}): Promise<Duplex> {
  const where = formatAddress(addr);
  const stream = new LightSocket();
  return new Promise((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        stream.destroy();
        reject(new TransportError(`cannot connect to ${where}: timed out after ${opts.timeoutMs} ms`, "ETIMEDOUT"));
      }, opts.timeoutMs);
    }
    Bun.connect({ hostname: addr.host, port: addr.port, socket: handlers(stream) }).then(
      (s) => {
        clearTimeout(timer);
        if (stream.destroyed) return;
        s.setNoDelay(true);
        // The lean client uses only the part of Duplex that LightSocket has (see the top of this file).
        resolve(stream as unknown as Duplex);
      },
      (err: unknown) => {
        clearTimeout(timer);
        stream.destroy();
        reject(transportError("cannot connect to", where, err));
      },
    );
  });
}
