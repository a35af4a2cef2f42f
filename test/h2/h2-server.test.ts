// The lean engine's HTTP/2 layer (src/server/h2/connection.ts) against a frame-level peer over a real TCP
// socket: settings, pings, CONTINUATION, padding, flow control, stream limits, drain and protocol errors.
// Waits are on frames, never on time: "the server sent nothing more" is shown by a PING answered after it.
import { describe, expect, test } from "bun:test";
import net from "node:net";
import type * as grpc from "@grpc/grpc-js";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { ErrorCode } from "../../src/h2/errors.ts";
import { Flag, FrameType, Setting, windowUpdateFrame } from "../../src/h2/frame.ts";
import { encodeHeaderBlock } from "../../src/h2/hpack/encoder.ts";
import { echoService } from "../../src/server/echo.ts";
import type { ServiceDef } from "../../src/server/handler.ts";
import type { Limits } from "../../src/server/limits.ts";
import { CLIENTS, channelTo, serveOnLoopback } from "../support/helpers.ts";
import { echoFrame, Peer, peerFixture } from "../support/peer.ts";
import { FailMethod, probeService } from "../support/services.ts";

const trailersOf = (peer: Peer, id: number) =>
  peer.waitFor((f) => f.type === FrameType.HEADERS && f.id === id && (f.flags & Flag.END_STREAM) !== 0);

const t = peerFixture();

/** A streaming method whose handler throws on every message: a bug in a service, not in the peer. */
const throwing: ServiceDef = {
  name: "test.Throwing",
  methods: [
    {
      path: "/test.Throwing/Bidi",
      requestStream: true,
      responseStream: true,
      serialize: (v) => v as Buffer,
      deserialize: (b) => b,
      handler: ((call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        call.on("data", () => {
          throw new Error("boom");
        });
      }) as grpc.UntypedHandleCall,
    },
  ],
};

async function start(limits: Partial<Limits> = {}, settings: Array<[number, number]> = []): Promise<Peer> {
  t.srv = await serveOnLoopback([echoService(), throwing], { engine: "lean", limits });
  const port = t.srv.address.kind === "tcp" ? t.srv.address.port : 0;
  const peer = await Peer.connect(port, settings);
  t.peers.push(peer);
  return peer;
}

describe("what the lean server assumes of the runtime", () => {
  test("every socket read comes in a buffer of its own: views into earlier reads stay valid", async () => {
    const kept: Buffer[] = [];
    const copies: Buffer[] = [];
    let markEnded = () => {};
    const ended = new Promise<void>((r) => {
      markEnded = r;
    });
    const server = net.createServer((s) => {
      s.on("data", (c: Buffer) => {
        kept.push(c);
        copies.push(Buffer.from(c));
      });
      s.on("end", () => markEnded());
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as net.AddressInfo;
    const client = net.connect(port, "127.0.0.1");
    await new Promise<void>((r) => client.once("connect", () => r()));
    for (let i = 0; i < 500; i++) client.write(Buffer.alloc(4000 + (i % 13), i & 0xff));
    client.end();
    await ended;
    server.close();
    expect(kept.length).toBeGreaterThan(1);
    for (let i = 0; i < kept.length; i++) expect((kept[i] as Buffer).equals(copies[i] as Buffer)).toBe(true);
  });
});

describe("lean HTTP/2 server: connection", () => {
  test("SETTINGS advertise the stream limit; ours are acknowledged; PING is answered", async () => {
    const peer = await start({ maxConcurrentStreams: 7 });
    const settings = await peer.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) === 0);
    const values = new Map<number, number>();
    for (let i = 0; i < settings.payload.length; i += 6) {
      values.set(settings.payload.readUInt16BE(i), settings.payload.readUInt32BE(i + 2));
    }
    expect(values.get(Setting.MAX_CONCURRENT_STREAMS)).toBe(7);
    await peer.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
    await peer.sync();
  });

  test("headers over HEADERS + CONTINUATION and a padded DATA frame: the call succeeds", async () => {
    const peer = await start();
    const block = encodeHeaderBlock([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", EchoMethod.path],
      ["content-type", "application/grpc"],
    ]);
    peer.send(FrameType.HEADERS, 0, 1, block.subarray(0, 5));
    peer.send(FrameType.CONTINUATION, 0, 1, block.subarray(5, 9));
    peer.send(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(9));
    const body = echoFrame(Buffer.from("padded"));
    const padded = Buffer.concat([Buffer.of(10), body, Buffer.alloc(10)]);
    peer.send(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1, padded);
    const t = await trailersOf(peer, 1);
    expect(t.headers?.["grpc-status"]).toBe("0");
    const data = Buffer.concat(peer.dataOn(1).map((f) => f.payload));
    expect(Buffer.from(EchoResponse.decode(data.subarray(5)).payload ?? []).toString()).toBe("padded");
  });

  test("DATA on a stream never opened → GOAWAY PROTOCOL_ERROR and the connection closes", async () => {
    const peer = await start();
    peer.send(FrameType.DATA, 0, 9, Buffer.alloc(4));
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goaway.payload.readUInt32BE(4)).toBe(ErrorCode.PROTOCOL_ERROR);
    await peer.waitClosed();
  });

  test("a header block interrupted by another frame → GOAWAY PROTOCOL_ERROR", async () => {
    const peer = await start();
    peer.send(FrameType.HEADERS, 0, 1, encodeHeaderBlock([[":method", "POST"]]));
    peer.send(FrameType.DATA, 0, 1, Buffer.alloc(1));
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goaway.payload.readUInt32BE(4)).toBe(ErrorCode.PROTOCOL_ERROR);
    await peer.waitClosed();
  });

  test("an HPACK index that does not exist → GOAWAY COMPRESSION_ERROR", async () => {
    const peer = await start();
    peer.send(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.of(0xff, 0x7f));
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goaway.payload.readUInt32BE(4)).toBe(ErrorCode.COMPRESSION_ERROR);
  });
});

describe("lean HTTP/2 server: connection lifetime", () => {
  test("keepalive: a silent connection is pinged, and closed when the ping goes unanswered", async () => {
    const peer = await start({ keepaliveTimeMs: 50, keepaliveTimeoutMs: 50 });
    const ping = await peer.waitFor((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) === 0);
    expect(ping.payload.length).toBe(8);
    await peer.waitClosed();
  });

  test("handshake timeout: a connection that never sends the preface is closed; others are served", async () => {
    t.srv = await serveOnLoopback([echoService()], { engine: "lean", limits: { handshakeTimeoutMs: 50 } });
    const port = t.srv.address.kind === "tcp" ? t.srv.address.port : 0;
    const silent = net.connect(port, "127.0.0.1");
    silent.on("error", () => {});
    await new Promise<void>((resolve) => silent.once("connect", () => resolve()));
    silent.resume();
    await new Promise<void>((resolve) => silent.once("close", () => resolve()));
    const peer = await Peer.connect(port);
    t.peers.push(peer);
    peer.headers(1);
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("after a silent one")));
    expect((await trailersOf(peer, 1)).headers?.["grpc-status"]).toBe("0");
  });

  test("max connection idle: a connection without calls gets GOAWAY NO_ERROR and is closed", async () => {
    const peer = await start({ maxConnectionIdleMs: 50 });
    peer.headers(1);
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("before idle")));
    expect((await trailersOf(peer, 1)).headers?.["grpc-status"]).toBe("0");
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goaway.payload.readUInt32BE(0)).toBe(1);
    expect(goaway.payload.readUInt32BE(4)).toBe(ErrorCode.NO_ERROR);
    await peer.waitClosed();
  });
});

describe("lean HTTP/2 server: flow control", () => {
  test("a response never exceeds the client's stream window; WINDOW_UPDATE releases the rest", async () => {
    const peer = await start({}, [[Setting.INITIAL_WINDOW_SIZE, 100]]);
    await peer.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
    peer.headers(1);
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.alloc(1000, 0x61)));
    await peer.waitFor((f) => f.type === FrameType.DATA && f.id === 1);
    const before = await peer.sync();
    const sent = before
      .filter((f) => f.type === FrameType.DATA && f.id === 1)
      .reduce((n, f) => n + f.payload.length, 0);
    expect(sent).toBe(100);
    expect(before.some((f) => f.type === FrameType.HEADERS && f.id === 1 && f.flags & Flag.END_STREAM)).toBe(false);
    peer.send(FrameType.WINDOW_UPDATE, 0, 1, windowUpdateFrame(1, 10_000).subarray(9));
    const t = await trailersOf(peer, 1);
    expect(t.headers?.["grpc-status"]).toBe("0");
    const data = Buffer.concat(peer.dataOn(1).map((f) => f.payload));
    expect(EchoResponse.decode(data.subarray(5)).payload?.length).toBe(1000);
  });

  test("a 3 MiB request (beyond every initial window) is taken in and answered", async () => {
    const peer = await start();
    await peer.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
    peer.headers(1);
    const body = echoFrame(Buffer.alloc(3 << 20, 0x62));
    // The server's SETTINGS allowed 1 MiB per stream: more only arrives as it sends WINDOW_UPDATEs.
    let sent = 0;
    let window = 1 << 20;
    while (sent < body.length) {
      while (window === 0) {
        const from = peer.frames.length;
        const wu = await peer.waitFor((f) => f.type === FrameType.WINDOW_UPDATE && f.id === 1, from);
        window += wu.payload.readUInt32BE(0);
      }
      const n = Math.min(16_384, window, body.length - sent);
      const last = sent + n === body.length;
      peer.send(FrameType.DATA, last ? Flag.END_STREAM : 0, 1, body.subarray(sent, sent + n));
      sent += n;
      window -= n;
    }
    peer.send(FrameType.WINDOW_UPDATE, 0, 0, windowUpdateFrame(0, 8 << 20).subarray(9));
    peer.send(FrameType.WINDOW_UPDATE, 0, 1, windowUpdateFrame(1, 8 << 20).subarray(9));
    const t = await trailersOf(peer, 1);
    expect(t.headers?.["grpc-status"]).toBe("0");
  });
});

describe("lean HTTP/2 server: a client that reads slowly", () => {
  test("40 MiB of responses to a client that stops reading: all arrive intact once it reads", async () => {
    const peer = await start({}, [[Setting.INITIAL_WINDOW_SIZE, 0x7fffffff]]);
    await peer.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
    peer.send(FrameType.WINDOW_UPDATE, 0, 0, windowUpdateFrame(0, 0x7fffffff - 65_535).subarray(9));
    peer.socket.pause(); // the server fills the socket; it must stop reading us rather than buffer without end
    const body = echoFrame(Buffer.alloc(1 << 20, 0x63));
    const ids = Array.from({ length: 40 }, (_, i) => 2 * i + 1);
    for (const id of ids) {
      peer.headers(id);
      for (let off = 0; off < body.length; off += 16_384) {
        const last = off + 16_384 >= body.length;
        peer.send(FrameType.DATA, last ? Flag.END_STREAM : 0, id, body.subarray(off, off + 16_384));
      }
    }
    peer.socket.resume();
    for (const id of ids) {
      expect((await trailersOf(peer, id)).headers?.["grpc-status"]).toBe("0");
      const bytes = peer.dataOn(id).reduce((n, f) => n + f.payload.length, 0);
      expect(bytes).toBeGreaterThan(1 << 20);
    }
  });
});

describe("lean HTTP/2 server: streams", () => {
  test("beyond MAX_CONCURRENT_STREAMS a new stream is refused with REFUSED_STREAM", async () => {
    const peer = await start({ maxConcurrentStreams: 2 });
    peer.headers(1);
    peer.headers(3);
    peer.headers(5);
    const rst = await peer.waitFor((f) => f.type === FrameType.RST_STREAM && f.id === 5);
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.REFUSED_STREAM);
    // The two open ones still work.
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("a")));
    expect((await trailersOf(peer, 1)).headers?.["grpc-status"]).toBe("0");
  });

  test("a streaming handler that throws fails its call with INTERNAL; the connection keeps serving", async () => {
    const peer = await start();
    peer.headers(1, "/test.Throwing/Bidi");
    peer.send(FrameType.DATA, 0, 1, echoFrame(Buffer.from("x")));
    const t = await trailersOf(peer, 1);
    expect(t.headers?.["grpc-status"]).toBe("13");
    peer.headers(3);
    peer.send(FrameType.DATA, Flag.END_STREAM, 3, echoFrame(Buffer.from("still here")));
    expect((await trailersOf(peer, 3)).headers?.["grpc-status"]).toBe("0");
    expect(peer.frames.some((f) => f.type === FrameType.GOAWAY)).toBe(false);
  });

  test("a client reset mid-request frees the slot and the connection keeps serving", async () => {
    const peer = await start({ maxConcurrentStreams: 1 });
    peer.headers(1);
    peer.send(FrameType.RST_STREAM, 0, 1, Buffer.of(0, 0, 0, ErrorCode.CANCEL));
    peer.headers(3);
    peer.send(FrameType.DATA, Flag.END_STREAM, 3, echoFrame(Buffer.from("b")));
    expect((await trailersOf(peer, 3)).headers?.["grpc-status"]).toBe("0");
    expect(peer.frames.some((f) => f.type === FrameType.RST_STREAM && f.id === 3)).toBe(false);
  });

  test("request headers beyond 64 KiB → RESOURCE_EXHAUSTED, connection still serving", async () => {
    const peer = await start({}, [[Setting.MAX_FRAME_SIZE, 1 << 20]]);
    await peer.waitFor((f) => f.type === FrameType.SETTINGS && (f.flags & Flag.ACK) !== 0);
    const big = encodeHeaderBlock([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", EchoMethod.path],
      ["content-type", "application/grpc"],
      ["x-big", "x".repeat(70_000)],
    ]);
    for (let off = 0; off < big.length; off += 16_384) {
      const last = off + 16_384 >= big.length;
      const type = off === 0 ? FrameType.HEADERS : FrameType.CONTINUATION;
      peer.send(
        type,
        (last ? Flag.END_HEADERS : 0) | (off === 0 ? Flag.END_STREAM : 0),
        1,
        big.subarray(off, off + 16_384),
      );
    }
    expect((await trailersOf(peer, 1)).headers?.["grpc-status"]).toBe("8");
    peer.headers(3);
    peer.send(FrameType.DATA, Flag.END_STREAM, 3, echoFrame(Buffer.from("c")));
    expect((await trailersOf(peer, 3)).headers?.["grpc-status"]).toBe("0");
  });

  test("drain: GOAWAY names the last stream, a call in flight finishes, new streams are refused", async () => {
    const peer = await start();
    peer.headers(1);
    await peer.sync(); // stream 1 is open at the server
    const stopping = t.srv?.server.shutdown(10_000);
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goaway.payload.readUInt32BE(0)).toBe(1);
    expect(goaway.payload.readUInt32BE(4)).toBe(ErrorCode.NO_ERROR);
    peer.headers(3, EchoMethod.path, [], true);
    const rst = await peer.waitFor((f) => f.type === FrameType.RST_STREAM && f.id === 3);
    expect(rst.payload.readUInt32BE(0)).toBe(ErrorCode.REFUSED_STREAM);
    peer.send(FrameType.DATA, Flag.END_STREAM, 1, echoFrame(Buffer.from("last")));
    expect((await trailersOf(peer, 1)).headers?.["grpc-status"]).toBe("0");
    await peer.waitClosed();
    expect((await stopping)?.forced).toBe(false);
    t.srv = undefined;
  });
});

describe.each(CLIENTS)("lean HTTP/2 server: a header block over several frames, %s client", (client) => {
  test("a 40 KB grpc-message goes out as HEADERS + CONTINUATION and arrives whole", async () => {
    t.srv = await serveOnLoopback([probeService()], { engine: "lean" });
    const ch = channelTo(t.srv.address, { client });
    const text = "m".repeat(40_000);
    const r = await ch.unary(FailMethod.path, encodeMessage(EchoRequest, { payload: Buffer.from(text), sequence: 9 }));
    await ch.close();
    expect(r.ok ? 0 : r.error.code).toBe(9);
    expect(r.ok ? "" : r.error.details).toBe(text);
  });
});
