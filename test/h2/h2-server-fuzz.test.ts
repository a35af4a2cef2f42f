// Generated frame sequences (fast-check) against the lean server over real sockets: whatever a client
// sends after the preface, the server answers or closes that connection, never crashes or hangs, lets go
// of every stream, and keeps serving others.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import fc from "fast-check";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest } from "../../src/api/echo.ts";
import { encodeFrame, Flag, FrameType, PREFACE, settingsFrame } from "../../src/h2/frame.ts";
import { encodeHeaderBlock } from "../../src/h2/hpack/encoder.ts";
import { prefixMessage as grpcFrame } from "../../src/rpc/message.ts";
import { echoService } from "../../src/server/echo.ts";
import { channelTo, serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { FrameReader, type RawFrame } from "../support/wire.ts";

let srv: TestServer;
let port = 0;
beforeAll(async () => {
  srv = await serveOnLoopback([echoService()], { engine: "lean", limits: { maxConcurrentStreams: 4 } });
  port = srv.address.kind === "tcp" ? srv.address.port : 0;
});
afterAll(async () => {
  await srv.stop();
});

const REQUEST_BLOCK = encodeHeaderBlock([
  [":method", "POST"],
  [":scheme", "http"],
  [":path", EchoMethod.path],
  ["content-type", "application/grpc"],
]);
const MESSAGE = grpcFrame(encodeMessage(EchoRequest, { payload: Buffer.from("fuzz") }));

const streamId = fc.constantFrom(0, 1, 2, 3, 5, 7, 0x7fffffff);
const anyFrame = fc
  .tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 255 }), streamId, fc.uint8Array({ maxLength: 40 }))
  .map(([type, flags, id, payload]) => encodeFrame(type, flags, id, payload));
const requestHeaders = fc
  .tuple(streamId, fc.boolean(), fc.boolean())
  .map(([id, endHeaders, endStream]) =>
    encodeFrame(
      FrameType.HEADERS,
      (endHeaders ? Flag.END_HEADERS : 0) | (endStream ? Flag.END_STREAM : 0),
      id,
      REQUEST_BLOCK,
    ),
  );
const requestData = fc
  .tuple(streamId, fc.boolean(), fc.nat(MESSAGE.length))
  .map(([id, end, cut]) => encodeFrame(FrameType.DATA, end ? Flag.END_STREAM : 0, id, MESSAGE.subarray(0, cut)));
const frames = fc.array(fc.oneof(anyFrame, requestHeaders, requestData), { maxLength: 12 });

/**
 * Sends the frames and a PING; resolves when the PING is answered (an ACK frame with our payload) or
 * the server closed the connection, with the frames the server sent (read by test/support/wire.ts: the server's own
 * framing is whole, whatever the fuzz did to ours).
 */
function exchange(bytes: Buffer): Promise<{ outcome: "answered" | "closed"; frames: RawFrame[] }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, "127.0.0.1");
    const ping = Buffer.from("fuzzdone");
    const reader = new FrameReader();
    const frames: RawFrame[] = [];
    sock.on("data", (chunk: Buffer) => {
      frames.push(...reader.push(chunk));
      if (frames.some((f) => f.type === FrameType.PING && f.flags & Flag.ACK && f.payload.equals(ping))) {
        sock.destroy();
        resolve({ outcome: "answered", frames });
      }
    });
    sock.on("close", () => resolve({ outcome: "closed", frames }));
    sock.on("error", () => {});
    sock.write(Buffer.concat([PREFACE, settingsFrame([]), bytes, encodeFrame(FrameType.PING, 0, 0, ping)]));
  });
}

describe("lean HTTP/2 server under generated frames", () => {
  test("every sequence is answered or the connection is closed after a GOAWAY; streams are released; others are served", async () => {
    await fc.assert(
      fc.asyncProperty(frames, async (list) => {
        const { outcome, frames } = await exchange(Buffer.concat(list));
        // A connection the server ends, it ends with GOAWAY (RFC 9113 §5.4.1) and sends nothing after it;
        // unless the client said GOAWAY first, after which the server may just close.
        const clientLeft = list.some((f) => f[3] === FrameType.GOAWAY);
        if (outcome === "closed" && !clientLeft) expect(frames.at(-1)?.type).toBe(FrameType.GOAWAY);
      }),
      { numRuns: 300 },
    );
    // Every connection is gone, so every stream must have been let go.
    while (srv.server.inFlight() > 0) await new Promise((r) => setTimeout(r, 10));
    const ch = channelTo(srv.address);
    const r = await ch.unary(EchoMethod.path, encodeMessage(EchoRequest, { payload: Buffer.from("after") }));
    await ch.close();
    expect(r.ok).toBe(true);
  });
});
