// A raw HTTP/1.1 client for the server's HTTP/1.1 tests: bytes written as given (so malformed requests
// reach the server exactly as an attacker sends them), responses cut by their Content-Length, and the
// connection's close seen as an event.
import net from "node:net";

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export class RawHttp1 {
  private buffered = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  closed = false;
  readonly closedEvent: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on("error", () => {});
    this.closedEvent = new Promise((resolve) =>
      socket.on("close", () => {
        this.closed = true;
        this.wake();
        resolve();
      }),
    );
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawHttp1> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host, port });
      s.once("connect", () => resolve(new RawHttp1(s)));
      s.once("error", reject);
    });
  }

  static over(socket: net.Socket): RawHttp1 {
    return new RawHttp1(socket);
  }

  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  }

  /** The next whole response (head and Content-Length body); undefined if the connection closed first. */
  async response(): Promise<RawResponse | undefined> {
    for (;;) {
      const r = this.take();
      if (r !== undefined) return r;
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
    }
  }

  /** Waits for the server to close the connection; returns the bytes it sent and nobody read. */
  async untilClosed(): Promise<Buffer> {
    await this.closedEvent;
    return this.buffered;
  }

  end(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  private take(): RawResponse | undefined {
    const end = this.buffered.indexOf("\r\n\r\n");
    if (end < 0) return undefined;
    const lines = this.buffered.toString("latin1", 0, end).split("\r\n");
    const status = Number((lines[0] ?? "").split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = status < 200 ? 0 : Number(headers["content-length"] ?? "0");
    if (this.buffered.length < end + 4 + length) return undefined;
    const body = this.buffered.subarray(end + 4, end + 4 + length);
    this.buffered = this.buffered.subarray(end + 4 + length);
    return { status, headers, body: Buffer.from(body) };
  }
}

/** A Connect unary request in JSON for Echo, with the head fields given (Host and the type first). */
export function connectEcho(body: string, extra = "", version = "1.1"): string {
  return (
    `POST /grpcperf.v1.Echo/Echo HTTP/${version}\r\nHost: test\r\ncontent-type: application/json\r\n` +
    `connect-protocol-version: 1\r\n${extra}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}
