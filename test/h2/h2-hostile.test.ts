// Hostile t.peers against the server over real sockets: bodies that inflate past the receive limit,
// header blocks and control frames sent to exhaust memory or time. Each must end in a refusal
// (a status or a GOAWAY), never in the server holding what the peer sent.
import { describe, expect, test } from "bun:test";
import { createDeflate, createGzip, type Gzip } from "node:zlib";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { ErrorCode } from "../../src/h2/errors.ts";
import { encodeFrame, Flag, FrameType } from "../../src/h2/frame.ts";
import { encodeHeaderBlock } from "../../src/h2/hpack/encoder.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../../src/rpc/message.ts";
import { Status } from "../../src/rpc/status.ts";
import type { ServerEngine } from "../../src/server/config.ts";
import { echoService } from "../../src/server/echo.ts";
import { type ServiceDef, unary } from "../../src/server/handler.ts";
import { serveOnLoopback } from "../support/helpers.ts";
import { type Frame, goawayCode, Peer, peerFixture } from "../support/peer.ts";
import { frame, rawCall, rawSession } from "../support/raw.ts";

/** The request headers of an echo call, as one HPACK block. */
function echoBlock(extra: Array<[string, string]> = []): Buffer {
  return encodeHeaderBlock([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", EchoMethod.path],
    [":authority", "test"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
    ...extra,
  ]);
}

const t = peerFixture();

async function startServer(engine: ServerEngine = "lean"): Promise<number> {
  t.srv = await serveOnLoopback([echoService()], { engine });
  return t.srv.address.kind === "tcp" ? t.srv.address.port : 0;
}

async function peerOn(port: number): Promise<Peer> {
  const peer = await Peer.connect(port);
  t.peers.push(peer);
  return peer;
}

const GIB = 1 << 30;
const CHUNK = 1 << 20;

/** `total` zero bytes through a compressor, fed a chunk at a time so the plain text never exists whole. */
async function compressZeros(z: Gzip, total: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  z.on("data", (d: Buffer) => parts.push(d));
  const ended = new Promise<void>((resolve) => z.on("end", () => resolve()));
  const zeros = Buffer.alloc(CHUNK);
  for (let sent = 0; sent < total; sent += CHUNK) {
    if (!z.write(zeros)) await new Promise<void>((resolve) => z.once("drain", () => resolve()));
  }
  z.end();
  await ended;
  return Buffer.concat(parts);
}

// Compressing 1 GiB takes seconds of CPU: each bomb is made once, for both engines, and the tests get time
// for that work (a fixed amount, not a speed being measured).
const bombs = new Map<string, Promise<Buffer>>();
const BOMB_TEST_TIMEOUT_MS = 60_000;

describe("compressed requests are inflated only up to the receive limit", () => {
  for (const engine of ["lean", "grpc-js"] as const) {
    for (const [encoding, make] of [
      ["gzip", () => createGzip({ level: 9 })],
      ["deflate", () => createDeflate({ level: 9 })],
    ] as const) {
      test(
        `${engine}: a ${encoding} bomb of 1 GiB of zeros → RESOURCE_EXHAUSTED`,
        async () => {
          const port = await startServer(engine);
          if (!bombs.has(encoding)) bombs.set(encoding, compressZeros(make(), GIB));
          const bomb = await (bombs.get(encoding) as Promise<Buffer>);
          const session = rawSession(port);
          const rssBefore = process.memoryUsage().rss;
          const out = await rawCall(session, EchoMethod.path, frame(1, bomb.length, bomb), {
            "grpc-encoding": encoding,
          });
          const grew = process.memoryUsage().rss - rssBefore;
          session.close();
          expect(out.grpcStatus).toBe(Status.RESOURCE_EXHAUSTED);
          // Both engines name the inflated size as the reason, and the cap it passed: the default receive limit.
          expect(out.grpcMessage).toMatch(/decompress/i);
          expect(out.grpcMessage).toContain(String(DEFAULT_MAX_MESSAGE_BYTES));
          // The inflate stopped at the cap, not after: this process (the server's) never held the 1 GiB, nor
          // a quarter of it. (Memory, not time: inflating it all would add at least the whole GiB.)
          expect(grew).toBeLessThan(GIB / 4);
        },
        BOMB_TEST_TIMEOUT_MS,
      );
    }
  }
});

describe("header blocks are bounded by frames as well as bytes", () => {
  test("a flood of empty CONTINUATIONs → GOAWAY ENHANCE_YOUR_CALM and the connection closes", async () => {
    const peer = await peerOn(await startServer());
    peer.send(FrameType.HEADERS, 0, 1, echoBlock());
    const empty = encodeFrame(FrameType.CONTINUATION, 0, 1);
    const sent = await peer.flood(1_000_000, () => empty);
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goawayCode(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    await peer.waitClosed();
    expect(sent).toBeLessThan(1_000_000);
  });

  test("a block split into small CONTINUATIONs within the count is still served", async () => {
    const peer = await peerOn(await startServer());
    const block = echoBlock();
    peer.send(FrameType.HEADERS, 0, 1, block.subarray(0, 4));
    for (let off = 4; off < block.length; off += 4) {
      const last = off + 4 >= block.length;
      peer.send(FrameType.CONTINUATION, last ? Flag.END_HEADERS : 0, 1, block.subarray(off, off + 4));
    }
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, frame(0, 0, Buffer.alloc(0)));
    const t = await peer.waitFor((f) => f.type === FrameType.HEADERS && (f.flags & Flag.END_STREAM) !== 0);
    expect(t.headers?.["grpc-status"]).toBe("0");
  });
});

describe("content-type is application/grpc, a +subtype or ;parameters, and nothing else (grpc-go's rule)", () => {
  const block = (type: string) =>
    encodeHeaderBlock([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", EchoMethod.path],
      [":authority", "test"],
      ["content-type", type],
      ["te", "trailers"],
    ]);
  const endOf = (f: Frame) => f.type === FrameType.HEADERS && (f.flags & Flag.END_STREAM) !== 0;

  test("application/grpcfoo → HTTP 415, the handler never runs", async () => {
    const peer = await peerOn(await startServer());
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block("application/grpcfoo"));
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, frame(0, 0, Buffer.alloc(0)));
    const t = await peer.waitFor(endOf);
    expect(t.headers?.[":status"]).toBe("415");
    expect(t.headers?.["grpc-status"]).toBe(String(Status.INTERNAL));
  });

  for (const type of ["application/grpc", "application/grpc+proto", "application/grpc;charset=utf-8"]) {
    test(`${type} is served`, async () => {
      const peer = await peerOn(await startServer());
      peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, block(type));
      peer.send(FrameType.DATA, Flag.END_STREAM, 1, frame(0, 0, Buffer.alloc(0)));
      const t = await peer.waitFor(endOf);
      expect(t.headers?.["grpc-status"]).toBe("0");
    });
  }
});

describe("stream ids only go up (RFC 9113 §5.1.1)", () => {
  test("request HEADERS on a stream id below the last one → GOAWAY PROTOCOL_ERROR, not silence", async () => {
    const peer = await peerOn(await startServer());
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 5, echoBlock());
    peer.send(FrameType.DATA, Flag.END_STREAM, 5, frame(0, 0, Buffer.alloc(0)));
    await peer.waitFor((f) => f.type === FrameType.HEADERS && f.id === 5 && (f.flags & Flag.END_STREAM) !== 0);
    peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3, echoBlock());
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goawayCode(goaway)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(goaway.payload.readUInt32BE(0) & 0x7fffffff).toBe(5);
  });
});

describe("deadlines past setTimeout's range (2^31-1 ms) do not expire at once", () => {
  // A call that takes a while, so a timer that overflowed (and so fires at once) would end it first.
  const slow = { path: "/grpcperf.test.Slow/Work", request: EchoRequest, response: EchoResponse };
  const slowService: ServiceDef = {
    name: "grpcperf.test.Slow",
    methods: [
      unary(slow, async (req) => {
        await Bun.sleep(50);
        return { ok: true, value: EchoResponse.create({ sequence: req.sequence }) };
      }),
    ],
  };
  const request = encodeMessage(EchoRequest, { payload: Buffer.from("long"), sequence: 1 });
  for (const engine of ["lean", "grpc-js"] as const) {
    for (const timeout of ["596H", "597H", "600H", "99999999H"]) {
      test(`${engine}: grpc-timeout ${timeout} → OK`, async () => {
        t.srv = await serveOnLoopback([slowService], { engine });
        const port = t.srv.address.kind === "tcp" ? t.srv.address.port : 0;
        const session = rawSession(port);
        const out = await rawCall(session, slow.path, frame(0, request.length, request), { "grpc-timeout": timeout });
        session.close();
        expect(out.grpcStatus).toBe(Status.OK);
      });
    }
  }
});
