// "Hybrid vsock": the host side of Firecracker and cloud-hypervisor. The VMM exposes the guest's vsock as
// a Unix socket; a host client connects to it, sends "CONNECT <port>\n" and gets "OK <host port>\n" once
// the guest accepted, or a closed socket if nothing listens there. After that it is a plain byte stream.
import { Duplex } from "node:stream";
import { type Address, formatAddress } from "./address.ts";
import { TransportError } from "./errors.ts";
import type { ConnectOptions } from "./types.ts";
import { connectUnix } from "./unix.ts";

type HvsockAddress = Extract<Address, { kind: "hvsock" }>;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** "OK 1073741824\n" is 14 bytes; anything much longer without a newline is not the VMM talking. */
const MAX_REPLY_LINE = 64;

type HandshakeReply =
  | { readonly kind: "ok"; readonly hostPort: number; readonly rest: Buffer }
  | { readonly kind: "incomplete" }
  | { readonly kind: "bad"; readonly line: string };

/**
 * Parses what the VMM sent so far. The guest's first bytes (its HTTP/2 preface and SETTINGS) may arrive
 * in the same read as the OK line, so everything after the first newline is returned as `rest`.
 */
export function parseHandshake(received: Buffer): HandshakeReply {
  const nl = received.indexOf(0x0a);
  if (nl < 0) {
    return received.length > MAX_REPLY_LINE
      ? { kind: "bad", line: received.subarray(0, MAX_REPLY_LINE).toString("latin1") }
      : { kind: "incomplete" };
  }
  const line = received.subarray(0, nl).toString("latin1").replace(/\r$/, "");
  const m = /^OK (\d{1,10})$/.exec(line);
  if (!m) return { kind: "bad", line };
  return { kind: "ok", hostPort: Number(m[1]), rest: received.subarray(nl + 1) };
}

export async function connectHvsock(addr: HvsockAddress, opts: ConnectOptions = {}): Promise<Duplex> {
  const where = formatAddress(addr);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const started = Date.now();
  const vmm: Extract<Address, { kind: "unix" }> = { kind: "unix", path: addr.path };
  let socket: Duplex;
  try {
    socket = await connectUnix(vmm, { timeoutMs });
  } catch (err) {
    // The message names the Unix socket; name the hvsock address the user gave, and say whose socket it is.
    if (!(err instanceof TransportError)) throw err;
    const prefix = `cannot connect to ${formatAddress(vmm)}`;
    const tail = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : `: ${err.message}`;
    throw new TransportError(`cannot connect to ${where}${tail} (the VMM's socket)`, err.errno);
  }
  return handshake(socket, addr, where, Math.max(1, timeoutMs - (Date.now() - started)));
}

function handshake(socket: Duplex, addr: HvsockAddress, where: string, timeoutMs: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const done = (err?: TransportError, rest?: Buffer) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("close", onClose);
      socket.off("error", onError);
      if (err) {
        socket.destroy();
        reject(err);
        return;
      }
      socket.pause();
      resolve(rest && rest.length > 0 ? new Prepended(socket, rest) : socket);
    };
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const r = parseHandshake(received);
      if (r.kind === "ok") done(undefined, r.rest);
      else if (r.kind === "bad") {
        done(new TransportError(`cannot connect to ${where}: unexpected reply from the VMM: "${r.line}"`, "EPROTO"));
      }
    };
    const onClose = () =>
      done(
        new TransportError(
          `cannot connect to ${where}: the VMM closed the connection: nothing listens on vsock port ${addr.port} in the guest (ECONNREFUSED)`,
          "ECONNREFUSED",
        ),
      );
    const onError = (err: Error & { code?: string }) =>
      done(new TransportError(`cannot connect to ${where}: ${err.message}`, err.code));
    const timer = setTimeout(
      () =>
        done(
          new TransportError(
            `cannot connect to ${where}: no answer to CONNECT ${addr.port} within ${timeoutMs} ms (ETIMEDOUT)`,
            "ETIMEDOUT",
          ),
        ),
      timeoutMs,
    );
    socket.on("data", onData);
    socket.once("close", onClose);
    socket.once("error", onError);
    socket.write(`CONNECT ${addr.port}\n`);
  });
}

/**
 * The socket with the guest's early bytes (those that came with the OK line) in front. Not unshift():
 * Bun's node:http2 client reads a net.Socket natively and never sees bytes unshifted into its JS buffer,
 * so it lost the server's SETTINGS (and stalled at the default window once a server relied on them).
 */
class Prepended extends Duplex {
  constructor(
    private readonly inner: Duplex,
    first: Buffer,
  ) {
    super();
    this.push(first);
    inner.on("data", (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.on("end", () => this.push(null));
    inner.on("error", (err) => this.destroy(err));
    inner.on("close", () => this.destroy());
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.inner.write(chunk, encoding, cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end(cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.inner.destroy();
    cb(err);
  }
}
