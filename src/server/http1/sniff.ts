// A new connection's first bytes, read before either HTTP takes it (./preface.ts decides which): the
// engine (../h2/engine.ts) hands the socket and those bytes to the HTTP/2 connection or the HTTP/1.1 one,
// and from then on this is out of the way (its listeners are gone: no check per read afterwards). A
// socket that says nothing is closed after --handshake-timeout, one that speaks neither at once, with a
// debug line saying what it sent. Like Envoy's AUTO codec, nginx and Go's h2c on a port serving both, the
// server waits for the client's first bytes instead of sending HTTP/2's SETTINGS at once (both HTTPs have
// the client speak first, RFC 9112 §3 and RFC 9113 §3.4; a server that spoke first would send an HTTP/1.1
// client, or a browser's preconnected socket, bytes it cannot read).
import type { Duplex } from "node:stream";
import { choosePreface, describeFirstBytes } from "./preface.ts";

export type Speaks = "h2" | "http1";

export class Sniffer {
  private bytes: Buffer = Buffer.alloc(0);
  private timer: ReturnType<typeof setTimeout> | undefined;
  private done = false;
  private readonly onData = (chunk: Buffer) => this.read(chunk);
  private readonly onEnd = () => this.destroy();
  private readonly onClose = () => this.closed();
  private readonly onError = (err: Error) => this.debug(`connection error before its first request: ${err.message}`);

  constructor(
    private readonly socket: Duplex,
    timeoutMs: number,
    private readonly decided: (speaks: Speaks, first: Buffer) => void,
    /** The socket closed before it was decided. */
    private readonly lost: () => void,
    private readonly debug: (message: string) => void,
  ) {
    socket.on("data", this.onData);
    socket.on("end", this.onEnd);
    socket.on("close", this.onClose);
    socket.on("error", this.onError);
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => {
        debug(`no HTTP/2 preface nor HTTP/1.1 request in ${timeoutMs} ms: closing the connection`);
        this.destroy();
      }, timeoutMs);
    }
    socket.resume();
  }

  /** Nothing was asked yet: nothing is lost by closing. */
  drain(): void {
    this.destroy();
  }

  /** The socket goes; its close event still reaches the engine (lost). */
  destroy(): void {
    clearTimeout(this.timer);
    this.socket.off("data", this.onData);
    this.socket.destroy();
  }

  private read(chunk: Buffer): void {
    this.bytes = this.bytes.length === 0 ? chunk : Buffer.concat([this.bytes, chunk]);
    const alpn = (this.socket as Duplex & { alpnProtocol?: string | false }).alpnProtocol;
    const speaks = choosePreface(this.bytes, alpn);
    if (speaks === "more") return;
    if (speaks === "neither") {
      this.debug(`neither HTTP/2 nor HTTP/1.1: the connection began ${describeFirstBytes(this.bytes)}; closing it`);
      this.destroy();
      return;
    }
    this.stop();
    this.decided(speaks, this.bytes);
  }

  private stop(): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onClose);
    this.socket.off("error", this.onError);
  }

  private closed(): void {
    if (this.done) return;
    this.stop();
    this.lost();
  }
}
