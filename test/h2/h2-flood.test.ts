// Floods of frames that cost a client nothing (rapid reset, SETTINGS, PRIORITY, empty DATA, WINDOW_UPDATE)
// end in GOAWAY ENHANCE_YOUR_CALM early; an honest client at a normal rate is not cut.
import { describe, expect, test } from "bun:test";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoRequest } from "../../src/api/echo.ts";
import { ErrorCode } from "../../src/h2/errors.ts";
import { encodeFrame, Flag, FrameType, rstStreamFrame, windowUpdateFrame } from "../../src/h2/frame.ts";
import { encodeHeaderBlock } from "../../src/h2/hpack/encoder.ts";
import { Status } from "../../src/rpc/status.ts";
import type { ServerEngine } from "../../src/server/config.ts";
import { echoService } from "../../src/server/echo.ts";
import { Budget, RAPID_RESET } from "../../src/server/h2/flood.ts";
import { CLIENTS, channelTo, serveOnLoopback } from "../support/helpers.ts";
import { echoFrame, type Frame, goawayCode, Peer, peerFixture } from "../support/peer.ts";
import { probeService, SlowMethod } from "../support/services.ts";

const t = peerFixture();

async function peerOn(engine: ServerEngine = "lean"): Promise<Peer> {
  t.srv = await serveOnLoopback([echoService()], { engine });
  const port = t.srv.address.kind === "tcp" ? t.srv.address.port : 0;
  const peer = await Peer.connect(port);
  t.peers.push(peer);
  return peer;
}

const BLOCK = encodeHeaderBlock([
  [":method", "POST"],
  [":scheme", "http"],
  [":path", "/grpcperf.v1.Echo/Echo"],
  [":authority", "test"],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
]);
const streamId = (i: number) => 2 * i + 1;
const openStream = (id: number) => encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, id, BLOCK);

/**
 * Floods `count` frames, then expects GOAWAY ENHANCE_YOUR_CALM and a closed connection. (Small frames fit
 * the socket buffers whole, so how many were written says nothing about where the server stopped.)
 */
async function expectCalm(peer: Peer, count: number, next: (i: number) => Buffer): Promise<Frame> {
  await peer.flood(count, next);
  const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
  expect(goawayCode(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  await peer.waitClosed();
  return goaway;
}

/** Waits until the server has read everything sent so far (a SETTINGS round trip: PING would strike). */
async function settle(peer: Peer): Promise<void> {
  const acks = () => peer.frames.filter((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0).length;
  const want = acks() + 1;
  peer.send(FrameType.SETTINGS, 0, 0);
  while (acks() < want) await peer.waitFor(() => acks() >= want);
}

/** The connection still serves: an echo call completes with grpc-status 0. */
async function expectServes(peer: Peer, id: number): Promise<void> {
  peer.send(FrameType.HEADERS, Flag.END_HEADERS, id, BLOCK);
  peer.send(FrameType.DATA, Flag.END_STREAM, id, echoFrame(Buffer.from("ok")));
  const t = await peer.waitFor((f) => f.type === FrameType.HEADERS && f.id === id && (f.flags & Flag.END_STREAM) !== 0);
  expect(t.headers?.["grpc-status"]).toBe("0");
  expect(peer.frames.some((f) => f.type === FrameType.GOAWAY)).toBe(false);
}

describe("Budget: a token bucket refilled when it runs dry", () => {
  test("spends the burst, then refills by time and by earned work, never past the burst", () => {
    let now = 0;
    let earned = 0;
    const b = new Budget(
      { burst: 3, perSecond: 2, perEarned: 1 },
      () => earned,
      () => now,
    );
    for (let i = 0; i < 3; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    now += 500; // one token
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    earned += 2;
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
    now += 60_000;
    for (let i = 0; i < 3; i++) expect(b.take()).toBe(true);
    expect(b.take()).toBe(false);
  });

  test("RAPID_RESET is nghttp2's: 1000 at once", () => {
    const b = new Budget(RAPID_RESET, undefined, () => 0);
    let n = 0;
    while (b.take()) n++;
    expect(n).toBe(RAPID_RESET.burst);
  });
});

describe("rapid reset (CVE-2023-44487)", () => {
  test("lean: open-then-reset in one write → GOAWAY ENHANCE_YOUR_CALM within ~2000 streams", async () => {
    const peer = await peerOn();
    const goaway = await expectCalm(peer, 100_000, (i) =>
      Buffer.concat([openStream(streamId(i)), rstStreamFrame(streamId(i), ErrorCode.CANCEL)]),
    );
    // The last stream the server took: it stopped after about the burst, not at the end of the flood.
    expect(goaway.payload.readUInt32BE(0) & 0x7fffffff).toBeLessThan(streamId(2000));
  });

  test("lean: cancelling after a round trip (as deadlines do) is not cut, 5000 streams in batches", async () => {
    const peer = await peerOn();
    let next = 0;
    for (let batch = 0; batch < 10; batch++) {
      const ids: number[] = [];
      for (let i = 0; i < 500; i++) ids.push(streamId(next++));
      for (const id of ids) peer.socket.write(openStream(id));
      await settle(peer);
      for (const id of ids) peer.socket.write(rstStreamFrame(id, ErrorCode.CANCEL));
      await settle(peer);
    }
    await expectServes(peer, streamId(next));
  });

  test.each(CLIENTS)("%s client: 3000 calls that all time out (RST_STREAM each) are not cut", async (client) => {
    t.srv = await serveOnLoopback([probeService()], { engine: "lean" });
    const ch = channelTo(t.srv.address, { client });
    // The handler sleeps 200 ms; the deadline is 2 ms, so every call is cancelled by the client.
    const request = encodeMessage(EchoRequest, { sequence: 200 });
    for (let wave = 0; wave < 10; wave++) {
      const calls = Array.from({ length: 300 }, () => ch.unary(SlowMethod.path, request, { timeoutMs: 2 }));
      for (const r of await Promise.all(calls)) expect(r.ok ? 0 : r.error.code).toBe(Status.DEADLINE_EXCEEDED);
    }
    expect(ch.stats.goaways).toBe(0);
    expect(ch.stats.connects).toBe(1);
    await ch.close();
  });

  test("grpc-js: open-then-reset in one write is cut (Bun's node:http2 server)", async () => {
    const peer = await peerOn("grpc-js");
    await peer.flood(100_000, (i) =>
      Buffer.concat([openStream(streamId(i)), rstStreamFrame(streamId(i), ErrorCode.CANCEL)]),
    );
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goawayCode(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  });
});

describe("control-frame floods", () => {
  test("SETTINGS flood → GOAWAY ENHANCE_YOUR_CALM", async () => {
    const peer = await peerOn();
    const settings = encodeFrame(FrameType.SETTINGS, 0, 0);
    await expectCalm(peer, 100_000, () => settings);
  });

  test("a SETTINGS with every call, 500 calls, is not cut", async () => {
    const peer = await peerOn();
    const settings = encodeFrame(FrameType.SETTINGS, 0, 0);
    for (let i = 0; i < 500; i++) {
      peer.socket.write(settings);
      await expectServes(peer, streamId(i));
    }
  });

  test("PRIORITY flood → GOAWAY ENHANCE_YOUR_CALM", async () => {
    const peer = await peerOn();
    const priority = encodeFrame(FrameType.PRIORITY, 0, 3, Buffer.from([0, 0, 0, 1, 16]));
    await expectCalm(peer, 100_000, () => priority);
  });

  test("a flood of unknown frame types → GOAWAY ENHANCE_YOUR_CALM", async () => {
    const peer = await peerOn();
    const unknown = encodeFrame(0xfa, 0, 0, Buffer.from("x"));
    await expectCalm(peer, 100_000, () => unknown);
  });

  test("RST_STREAM flood on a closed stream → GOAWAY ENHANCE_YOUR_CALM", async () => {
    const peer = await peerOn();
    await expectServes(peer, 1);
    const rst = rstStreamFrame(1, ErrorCode.CANCEL);
    await expectCalm(peer, 100_000, () => rst);
  });

  test("a PRIORITY per stream, 500 calls, is not cut", async () => {
    const peer = await peerOn();
    for (let i = 0; i < 500; i++) {
      peer.send(FrameType.PRIORITY, 0, streamId(i), Buffer.from([0, 0, 0, 0, 16]));
      await expectServes(peer, streamId(i));
    }
  });

  test("empty DATA frames without END_STREAM → GOAWAY ENHANCE_YOUR_CALM", async () => {
    const peer = await peerOn();
    peer.socket.write(openStream(1));
    const empty = encodeFrame(FrameType.DATA, 0, 1);
    await expectCalm(peer, 100_000, () => empty);
  });

  test("an empty DATA between messages is not cut", async () => {
    const peer = await peerOn();
    for (let i = 0; i < 100; i++) {
      const id = streamId(i);
      peer.send(FrameType.HEADERS, Flag.END_HEADERS, id, BLOCK);
      peer.send(FrameType.DATA, 0, id);
      peer.send(FrameType.DATA, Flag.END_STREAM, id, echoFrame(Buffer.from("ok")));
      await peer.waitFor((f) => f.type === FrameType.HEADERS && f.id === id && (f.flags & Flag.END_STREAM) !== 0);
    }
    await expectServes(peer, streamId(100));
  });

  test("WINDOW_UPDATE flood → GOAWAY ENHANCE_YOUR_CALM", async () => {
    const peer = await peerOn();
    const wu = windowUpdateFrame(0, 1);
    await expectCalm(peer, 100_000, () => wu);
  });

  test("a WINDOW_UPDATE per DATA frame received, on stream and connection, is not cut", async () => {
    const peer = await peerOn();
    for (let i = 0; i < 500; i++) {
      const id = streamId(i);
      await expectServes(peer, id);
      for (const f of peer.dataOn(id)) {
        peer.socket.write(windowUpdateFrame(0, f.payload.length));
        peer.socket.write(windowUpdateFrame(id, f.payload.length));
      }
    }
    await expectServes(peer, streamId(500));
  });
});
