// Hostile peers, round two (issue 25): the HTTP/2 attacks published in 2025–2026, each frame by frame
// over a real socket, each asserting the bound the server keeps (bytes or objects held, the GOAWAY or
// RST_STREAM it answers with) and that a normal call succeeds right after.

import { heapStats } from "bun:jsc";
import { expect, test } from "bun:test";
import { ErrorCode } from "../../src/h2/errors.ts";
import {
  DEFAULT_WINDOW,
  encodeFrame,
  Flag,
  FrameType,
  MAX_WINDOW,
  Setting,
  windowUpdateFrame,
} from "../../src/h2/frame.ts";
import { HpackDecoder } from "../../src/h2/hpack/decoder.ts";
import { encodeHeaderBlock, encodeInt } from "../../src/h2/hpack/encoder.ts";
import { encodeGrpcMessage, quoted, Status } from "../../src/rpc/status.ts";
import type { ServerEngine } from "../../src/server/config.ts";
import { echoService } from "../../src/server/echo.ts";
import type { Limits } from "../../src/server/limits.ts";
import { serveOnLoopback } from "../support/helpers.ts";
import { echoFrame, type Frame, goawayCode, Peer, peerFixture } from "../support/peer.ts";

const t = peerFixture();

async function startServer(engine: ServerEngine = "lean", limits: Partial<Limits> = {}): Promise<number> {
  t.srv = await serveOnLoopback([echoService()], { engine, limits });
  return t.srv.address.kind === "tcp" ? t.srv.address.port : 0;
}

async function peerOn(port: number): Promise<Peer> {
  const peer = await Peer.connect(port);
  t.peers.push(peer);
  return peer;
}

const heldBytes = (): number => t.srv?.server.requestBytes.held ?? -1;

const isEnd = (id: number) => (f: Frame) =>
  f.type === FrameType.HEADERS && f.id === id && (f.flags & Flag.END_STREAM) !== 0;

/** A normal echo call on stream `id` of `peer`: its status. */
async function echo(peer: Peer, id: number): Promise<string | undefined> {
  peer.headers(id);
  peer.send(FrameType.DATA, Flag.END_STREAM, id, echoFrame(Buffer.from("after"), 1));
  return (await peer.waitFor(isEnd(id))).headers?.["grpc-status"];
}

/** DATA frames of `payloadBytes` each (the last may be shorter), optionally padded, as one buffer. */
function fragments(id: number, bytes: Buffer, payloadBytes: number, padding = 0): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += payloadBytes) {
    const piece = bytes.subarray(at, at + payloadBytes);
    if (padding === 0) {
      parts.push(encodeFrame(FrameType.DATA, 0, id, piece));
    } else {
      const payload = Buffer.alloc(1 + piece.length + padding);
      payload[0] = padding;
      piece.copy(payload, 1);
      parts.push(encodeFrame(FrameType.DATA, Flag.PADDED, id, payload));
    }
  }
  return Buffer.concat(parts);
}

/** JS objects alive after a full collection: a view kept per DATA frame shows here, bytes do not. */
function liveObjects(): number {
  Bun.gc(true);
  return heapStats().objectCount;
}

// --- memory follows message bytes -----------------------------------------------------------------------

for (const [name, padding] of [
  ["fragmented DATA (CVE-2026-84304 class): a message in 1-byte DATA frames", 0],
  ["fragmented DATA, padded (CVE-2026-84304 class): 1-byte frames padded to 256 bytes", 255],
] as const) {
  test(`lean: ${name} holds its bytes, not a view (or read buffer) per frame; the call succeeds`, async () => {
    const peer = await peerOn(await startServer());
    const message = echoFrame(Buffer.alloc(32 * 1024, 0x61), 3);
    const frames = message.length - 1;
    const before = liveObjects();
    peer.headers(1);
    peer.socket.write(fragments(1, message.subarray(0, frames), 1, padding));
    await peer.sync(); // every frame read
    const grown = liveObjects() - before;
    // Main kept a view per frame (32 Ki objects, each pinning its read buffer); one buffer is a handful.
    expect(grown).toBeLessThan(frames / 16);
    // What is counted is the message's bytes: a buffer grown by doubling, never the wire bytes (padding).
    expect(heldBytes()).toBeGreaterThanOrEqual(frames - 5);
    expect(heldBytes()).toBeLessThanOrEqual(2 * frames);
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, message.subarray(frames));
    expect((await peer.waitFor(isEnd(1))).headers?.["grpc-status"]).toBe("0");
    expect(peer.dataOn(1).reduce((n, f) => n + f.payload.length, 0)).toBeGreaterThan(32 * 1024);
    expect(heldBytes()).toBe(0);
    expect(await echo(peer, 3)).toBe("0");
  });
}

test("lean: many half-sent messages → past the connection's request-byte budget new streams are REFUSED_STREAM; freed when they go", async () => {
  const budget = 1 << 20;
  const peer = await peerOn(await startServer("lean", { maxConnectionRequestBytes: budget }));
  // Each declares 4 MiB (the receive limit) and sends 64 KiB of it, never the rest.
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(4 << 20, 1);
  const part = Buffer.concat([prefix, Buffer.alloc(64 * 1024 - 5, 0x62)]);
  const ids: number[] = [];
  for (let i = 0; i < 40; i++) {
    const id = 2 * i + 1;
    ids.push(id);
    peer.headers(id);
    peer.socket.write(fragments(id, part, 16 * 1024));
  }
  await peer.sync();
  const refused = peer.frames.filter(
    (f) => f.type === FrameType.RST_STREAM && f.payload.readUInt32BE(0) === ErrorCode.REFUSED_STREAM,
  );
  expect(refused.length).toBeGreaterThan(0);
  // Held: up to the budget, plus what the last stream admitted brought (its buffer doubles).
  expect(heldBytes()).toBeGreaterThanOrEqual(budget);
  expect(heldBytes()).toBeLessThan(budget + 2 * part.length);
  // The client gives up on them: their bytes are freed and the connection serves again.
  for (const id of ids) peer.send(FrameType.RST_STREAM, 0, id, Buffer.from([0, 0, 0, ErrorCode.CANCEL]));
  await peer.sync();
  expect(heldBytes()).toBe(0);
  expect(await echo(peer, 2 * ids.length + 1)).toBe("0");
});

test("lean: half-sent messages past the budget with the client out of window → the largest answered RESOURCE_EXHAUSTED until under it; the rest complete", async () => {
  const budget = 8 << 20;
  const port = await startServer("lean", { maxConnectionRequestBytes: budget });
  // Our windows wide open, so the 4 MiB answers never wait on us.
  const peer = await Peer.connect(port, [[Setting.INITIAL_WINDOW_SIZE, MAX_WINDOW]]);
  t.peers.push(peer);
  peer.socket.write(windowUpdateFrame(0, MAX_WINDOW - DEFAULT_WINDOW));
  const STREAMS = 5;
  const message = echoFrame(Buffer.alloc((4 << 20) - 2048, 0x64), 9);
  // All open while nothing is held; then 16 MiB between them, round-robin: the server's whole connection
  // window, so the client is out of window with every message still unfinished.
  const ids = Array.from({ length: STREAMS }, (_, i) => 2 * i + 1);
  for (const id of ids) peer.headers(id);
  const from = (await peer.sync()).length;
  const each = Math.floor((16 << 20) / STREAMS);
  const FRAME = 16 * 1024;
  const parts: Buffer[] = [];
  for (let at = 0; at < each; at += FRAME) {
    for (const id of ids)
      parts.push(encodeFrame(FrameType.DATA, 0, id, message.subarray(at, Math.min(each, at + FRAME))));
  }
  peer.socket.write(Buffer.concat(parts));
  // Shed, largest first, until under the budget (3 of 5: each holds its 4 MiB buffer by then); then the
  // window withheld comes back.
  await peer.waitFor((f) => f.type === FrameType.WINDOW_UPDATE && f.id === 0, from);
  const ended = peer.frames.filter((f) => f.type === FrameType.HEADERS && ids.includes(f.id));
  expect(ended.length).toBe(3);
  for (const f of ended) expect(f.headers?.["grpc-status"]).toBe(String(Status.RESOURCE_EXHAUSTED));
  expect(heldBytes()).toBeLessThan(budget);
  // The streams left finish their messages and are served.
  const left = ids.filter((id) => !ended.some((f) => f.id === id));
  expect(left.length).toBe(STREAMS - ended.length);
  for (const id of left) {
    const rest = message.subarray(each);
    for (let at = 0; at < rest.length; at += FRAME) {
      const last = at + FRAME >= rest.length;
      peer.send(FrameType.DATA, last ? Flag.END_STREAM : 0, id, rest.subarray(at, at + FRAME));
    }
  }
  for (const id of left) expect((await peer.waitFor(isEnd(id))).headers?.["grpc-status"]).toBe("0");
  expect(heldBytes()).toBe(0);
  expect(await echo(peer, 2 * STREAMS + 1)).toBe("0");
});

test("grpc-js: fragmented DATA (CVE-2026-84304 class) is counted through the frame guard → RESOURCE_EXHAUSTED", async () => {
  // 128 KiB in 1-byte frames: 128 Ki chunks, each an object grpc-js would keep, past a 1 MiB budget.
  const peer = await peerOn(await startServer("grpc-js", { maxConnectionRequestBytes: 1 << 20 }));
  const message = echoFrame(Buffer.alloc(128 * 1024, 0x63), 5);
  peer.headers(1);
  peer.socket.write(fragments(1, message.subarray(0, message.length - 1), 1));
  peer.send(FrameType.DATA, Flag.END_STREAM, 1, message.subarray(message.length - 1));
  const end = await peer.waitFor(isEnd(1));
  expect(end.headers?.["grpc-status"]).toBe(String(Status.RESOURCE_EXHAUSTED));
  expect(heldBytes()).toBe(0);
  expect(await echo(peer, 3)).toBe("0");
});

test("grpc-js: many half-sent messages → past the connection's request-byte budget the call that crosses it ends RESOURCE_EXHAUSTED", async () => {
  // Small enough that the attack fits in the 64 KiB window node:http2 opens (a peer past it is cut).
  const budget = 16 * 1024;
  const peer = await peerOn(await startServer("grpc-js", { maxConnectionRequestBytes: budget }));
  const prefix = Buffer.alloc(5);
  prefix.writeUInt32BE(4 << 20, 1);
  const part = Buffer.concat([prefix, Buffer.alloc(4 * 1024 - 5, 0x62)]);
  const ids: number[] = [];
  for (let i = 0; i < 10; i++) {
    const id = 2 * i + 1;
    ids.push(id);
    peer.headers(id);
    peer.send(FrameType.DATA, 0, id, part);
  }
  await peer.sync();
  const exhausted = peer.frames.filter(
    (f) => f.type === FrameType.HEADERS && f.headers?.["grpc-status"] === String(Status.RESOURCE_EXHAUSTED),
  );
  expect(exhausted.length).toBeGreaterThan(0);
  // Never past the budget by more than the chunk that crossed it (and its piece cost).
  expect(heldBytes()).toBeLessThan(budget);
  for (const id of ids) peer.send(FrameType.RST_STREAM, 0, id, Buffer.from([0, 0, 0, ErrorCode.CANCEL]));
  await peer.sync();
  expect(await echo(peer, 2 * ids.length + 1)).toBe("0");
  expect(heldBytes()).toBe(0);
});

// --- header blocks -------------------------------------------------------------------------------------

/** An HPACK literal with incremental indexing and a new name (RFC 7541 §6.2.1): it enters the table. */
function indexedLiteral(name: string, value: string): Buffer {
  const out: number[] = [0x40];
  for (const s of [name, value]) {
    encodeInt(out, s.length, 7, 0);
    for (const b of Buffer.from(s, "latin1")) out.push(b);
  }
  return Buffer.from(out);
}

/** The most recent dynamic-table entry, indexed (RFC 7541 §2.3.3: 62 is the newest). */
const NEWEST = 0x80 | 62;

test("HPACK: decoding stops emitting at the list cap, every table reference counted; the table stays in step", () => {
  const d = new HpackDecoder();
  let emitted = 0;
  const sink = () => {
    emitted++;
  };
  expect(d.decode(indexedLiteral("x-bomb", "b".repeat(4000)), sink, 0, undefined, 64 * 1024)).toBeUndefined();
  expect(d.oversized).toBe(false);
  emitted = 0;
  // 16 KB of one-byte references to a 4 KB entry: 64 MB of fields, of which 16 fit in the cap.
  const bomb = Buffer.alloc(16 * 1024, NEWEST);
  expect(d.decode(bomb, sink, 0, undefined, 64 * 1024)).toBeUndefined();
  expect(d.oversized).toBe(true);
  expect(emitted).toBeLessThanOrEqual(16);
  // A block after it decodes as the peer meant: the table was kept in step.
  const fields: string[] = [];
  d.decode(Buffer.from([NEWEST]), (n, v) => fields.push(`${n}=${v.length}`), 0, undefined, 64 * 1024);
  expect(fields).toEqual(["x-bomb=4000"]);
});

test("HTTP/2 Bomb (CVE-2026-49975 class), header-list references → RESOURCE_EXHAUSTED each, then GOAWAY ENHANCE_YOUR_CALM", async () => {
  const port = await startServer();
  const peer = await peerOn(port);
  // Stream 1 puts a 4 KB field in the table (and is served: 4 KB is under the cap).
  const request = encodeHeaderBlock([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", "/grpcperf.v1.Echo/Echo"],
    [":authority", "test"],
    ["content-type", "application/grpc"],
  ]);
  peer.send(
    FrameType.HEADERS,
    Flag.END_HEADERS,
    1,
    Buffer.concat([request, indexedLiteral("x-bomb", "b".repeat(4000))]),
  );
  peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("x"), 1));
  expect((await peer.waitFor(isEnd(1))).headers?.["grpc-status"]).toBe("0");
  // Then blocks of 16 KB that name it 16 thousand times each: 64 MB of header list per block.
  const bomb = Buffer.concat([request, Buffer.alloc(16 * 1024 - request.length - 16, NEWEST)]);
  for (let i = 0; i < 30; i++) peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3 + 2 * i, bomb);
  const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
  expect(goawayCode(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  const answered = peer.frames.filter((f) => f.type === FrameType.HEADERS && f.id > 1);
  expect(answered.length).toBeGreaterThan(0);
  expect(answered.length).toBeLessThanOrEqual(10);
  for (const f of answered) expect(f.headers?.["grpc-status"]).toBe(String(Status.RESOURCE_EXHAUSTED));
  expect(await echo(await peerOn(port), 1)).toBe("0");
});

test("HTTP/2 Bomb (CVE-2026-49975 class), reflected :path → the answer quotes a short prefix; the glitch budget ends it with GOAWAY", async () => {
  const port = await startServer();
  const peer = await peerOn(port);
  const longPath = `/${"p".repeat(3899)}`;
  // One block puts content-type and a 3,900-byte :path in the table; every later block is 4 bytes.
  const first = Buffer.concat([
    Buffer.from([0x83, 0x86]), // :method POST, :scheme http
    indexedLiteral(":path", longPath),
    indexedLiteral("content-type", "application/grpc"),
  ]);
  peer.send(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, first);
  const answer = await peer.waitFor(isEnd(1));
  expect(answer.headers?.["grpc-status"]).toBe(String(Status.UNIMPLEMENTED));
  expect(answer.payload.length).toBeLessThan(300);
  expect((answer.headers?.["grpc-message"] ?? "").length).toBeLessThan(200);
  const tiny = Buffer.from([0x83, 0x86, NEWEST + 1, NEWEST]); // POST, http, :path, content-type
  await peer.flood(5000, (i) => encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 3 + 2 * i, tiny));
  const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
  expect(goawayCode(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  for (const f of peer.frames) if (f.type === FrameType.HEADERS) expect(f.payload.length).toBeLessThan(300);
  expect(await echo(await peerOn(port), 1)).toBe("0");
});

test("error answers percent-encode in one pass, as encodeURIComponent would, and quote no more than a prefix", () => {
  const text = `bad "%" ${"é".repeat(3)} \t ✓ ${"x".repeat(10)}`;
  expect(encodeGrpcMessage(text)).toBe(text.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c)));
  expect(encodeGrpcMessage("plain text")).toBe("plain text");
  // A lone surrogate (which encodeURIComponent throws on) is no crash.
  expect(encodeGrpcMessage("\ud800")).toBe("%EF%BF%BD");
  expect(quoted("q".repeat(5000))).toBe(`${"q".repeat(64)}…`);
  expect(quoted("short")).toBe("short");
});

// --- glitches and exact :path ---------------------------------------------------------------------------

test("glitch budget: a stream of malformed requests → RST_STREAM PROTOCOL_ERROR each, then GOAWAY ENHANCE_YOUR_CALM", async () => {
  const port = await startServer();
  const peer = await peerOn(port);
  // No :scheme: malformed (§8.3.1), refused before any handler, at no cost to the peer.
  const malformed = encodeHeaderBlock([
    [":method", "POST"],
    [":path", "/grpcperf.v1.Echo/Echo"],
    ["content-type", "application/grpc"],
  ]);
  await peer.flood(5000, (i) =>
    encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1 + 2 * i, malformed),
  );
  const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
  expect(goawayCode(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  const resets = peer.frames.filter((f) => f.type === FrameType.RST_STREAM);
  expect(resets.length).toBeGreaterThan(900);
  for (const f of resets) expect(f.payload.readUInt32BE(0)).toBe(ErrorCode.PROTOCOL_ERROR);
  expect(await echo(await peerOn(port), 1)).toBe("0");
});

for (const [what, path] of [
  ["a trailing space", "/grpcperf.v1.Echo/Echo "],
  ["a tab", "/grpcperf.v1.Echo/\tEcho"],
  ["no leading /", "grpcperf.v1.Echo/Echo"],
  ["a control character", "/grpcperf.v1.Echo/Ec\x01ho"],
  ["a byte past ASCII", "/grpcperf.v1.Echo/Écho"],
] as const) {
  test(`exact :path (RFC 9113 §8.2.1, §8.3.1): ${what} → RST_STREAM PROTOCOL_ERROR, no handler; the connection serves on`, async () => {
    const peer = await peerOn(await startServer());
    peer.headers(1, path);
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("x"), 1));
    const rst = await peer.waitFor((f) => f.type === FrameType.RST_STREAM && f.id === 1);
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.PROTOCOL_ERROR);
    expect(await echo(peer, 3)).toBe("0");
    expect(peer.frames.some((f) => f.type === FrameType.HEADERS && f.id === 1)).toBe(false);
  });
}
