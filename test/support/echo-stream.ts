// A bidi EchoStream call held open over a raw node:http2 session, for tests that need a call in flight
// across a server event (drain, shutdown, a worker thread going away).
import http2 from "node:http2";
import type { Duplex } from "node:stream";
import { encodeMessage } from "../../src/api/codec.ts";
import { ECHO_STREAM_PATH, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { fromLong } from "../../src/clock.ts";
import { MessageDecoder, prefixMessage } from "../../src/rpc/message.ts";

export interface HeldStream {
  /** Sends one request; resolves with the sequence the server echoed back. */
  send(sequence: number): Promise<number>;
  /** Half-closes, waits for the end of the call and returns its grpc-status. */
  end(): Promise<string | undefined>;
  destroy(): void;
}

/** `target` is "host:port" for TCP, or a function that yields a connected socket (any transport). */
export function openEchoStream(target: string | (() => Duplex)): HeldStream {
  const session =
    typeof target === "string"
      ? http2.connect(`http://${target}`)
      : http2.connect("http://localhost", { createConnection: target });
  session.on("error", () => {});
  const stream = session.request({
    ":method": "POST",
    ":path": ECHO_STREAM_PATH,
    "content-type": "application/grpc",
    te: "trailers",
  });
  stream.on("error", () => {});
  const decoder = new MessageDecoder(1 << 20);
  const waiting: ((seq: number) => void)[] = [];
  stream.on("data", (chunk: Buffer) => {
    const out: Buffer[] = [];
    decoder.push(chunk, out);
    for (const m of out) waiting.shift()?.(Number(fromLong(EchoResponse.decode(m).sequence)));
  });
  let status: string | undefined;
  stream.on("trailers", (h) => {
    status = String(h["grpc-status"]);
  });
  const closed = new Promise<void>((resolve) => stream.on("close", () => resolve()));
  return {
    send: (sequence: number) =>
      new Promise<number>((resolve) => {
        waiting.push(resolve);
        stream.write(prefixMessage(encodeMessage(EchoRequest, { sequence })));
      }),
    end: async () => {
      stream.end();
      await closed;
      session.close();
      return status;
    },
    destroy: () => session.destroy(),
  };
}
