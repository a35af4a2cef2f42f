// The lean client against peers that exercise its HTTP/2 machinery: a node:http2 server with tight
// settings (flow control, frame size, stream limit), and a hand-written peer sending exactly the frames a
// test needs (GOAWAY, CONTINUATION, PING, RST_STREAM, malformed frames and HPACK).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import {
  encodeFrame,
  Flag,
  FrameType,
  goawayFrame,
  PREFACE,
  rstStreamFrame,
  settingsFrame,
} from "../../src/h2/frame.ts";
import { encodeHeaderBlock } from "../../src/h2/hpack/encoder.ts";
import { HUFFMAN_CODES, HUFFMAN_LENGTHS } from "../../src/h2/hpack/huffman-table.ts";
import { LeanChannel } from "../../src/rpc/lean/channel.ts";
import { prefixMessage as grpcFrame } from "../../src/rpc/message.ts";
import { Status } from "../../src/rpc/status.ts";
import { connect } from "../../src/transport/index.ts";
import { BlockDecoder, FrameReader } from "../support/wire.ts";

function leanTo(port: number, maxReceiveMessageBytes?: number): LeanChannel {
  return new LeanChannel({
    authority: `127.0.0.1:${port}`,
    connect: () => connect({ kind: "tcp", host: "127.0.0.1", port }),
    maxReceiveMessageBytes,
  });
}

describe("against node:http2 with a 3-byte window", () => {
  test("the 5-byte gRPC prefix split over DATA frames: the message still arrives whole", async () => {
    const server = http2.createServer({ settings: { initialWindowSize: 3 } });
    server.on("stream", (stream: http2.ServerHttp2Stream) => {
      stream.on("error", () => {});
      const parts: Buffer[] = [];
      stream.on("data", (c: Buffer) => parts.push(c));
      stream.on("end", () => {
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(Buffer.concat(parts));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const ch = leanTo((server.address() as AddressInfo).port);
    const payload = Buffer.from("a message longer than the window, prefix and all");
    const r = await ch.unary("/t/echo", payload, { timeoutMs: 10_000 });
    await ch.close();
    server.close();
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.toString()).toBe(payload.toString());
  });
});

describe("against node:http2 with tight settings", () => {
  let server: http2.Http2Server;
  let port: number;
  let active = 0;
  let maxActive = 0;
  beforeAll(async () => {
    server = http2.createServer({
      settings: { maxConcurrentStreams: 2, initialWindowSize: 1000, maxFrameSize: 16_384 },
    });
    server.on("stream", (stream: http2.ServerHttp2Stream) => {
      active++;
      maxActive = Math.max(maxActive, active);
      stream.on("error", () => {});
      const parts: Buffer[] = [];
      stream.on("data", (c: Buffer) => parts.push(c));
      stream.on("end", () => {
        // Answers after a turn of the event loop, so that several streams really overlap.
        setTimeout(() => {
          active--;
          const body = Buffer.concat(parts); // already gRPC-framed: echo it as it came
          stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
          stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
          stream.end(body);
        }, 2);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => server.close());

  test("requests far larger than the peer's window and frame size arrive whole", async () => {
    const ch = leanTo(port);
    const payload = Buffer.alloc(200_000);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7 + 3) & 0xff;
    const r = await ch.unary("/t/echo", payload, { timeoutMs: 10_000 });
    expect(r.ok).toBe(true);
    if (r.ok) expect(Buffer.compare(r.value, payload)).toBe(0);
    await ch.close();
  });

  test("more calls than MAX_CONCURRENT_STREAMS are queued, not refused", async () => {
    maxActive = 0;
    const ch = leanTo(port);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ch.unary("/t/echo", Buffer.alloc(3000, i), { timeoutMs: 10_000 })),
    );
    expect(results.filter((r) => !r.ok)).toEqual([]);
    results.forEach((r, i) => {
      if (r.ok) expect(r.value.equals(Buffer.alloc(3000, i))).toBe(true);
    });
    expect(maxActive).toBeLessThanOrEqual(2);
    expect(ch.stats.connects).toBe(1);
    await ch.close();
  });

  test("a response larger than the client's stream window is returned in WINDOW_UPDATEs", async () => {
    const ch = leanTo(port, 8 << 20);
    const payload = Buffer.alloc(3 << 20, 0x5a); // 3 MiB: three times our 1 MiB stream window
    const r = await ch.unary("/t/echo", payload, { timeoutMs: 20_000 });
    expect(r.ok && r.value.length).toBe(payload.length);
    await ch.close();
  });
});

// ---- a hand-written peer ----

/** Huffman-codes text with the RFC 7541 table, as servers do for header values. */
function huffmanEncode(text: string): Buffer {
  let bits = "";
  for (const ch of Buffer.from(text, "latin1")) {
    bits += (HUFFMAN_CODES[ch] as number).toString(2).padStart(HUFFMAN_LENGTHS[ch] as number, "0");
  }
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, "1");
  return Buffer.from(bits.match(/.{8}/g)?.map((b) => Number.parseInt(b, 2)) ?? []);
}

const OK_HEADERS = encodeHeaderBlock([
  [":status", "200"],
  ["content-type", "application/grpc"],
]);
const OK_TRAILERS = encodeHeaderBlock([["grpc-status", "0"]]);

interface PeerConn {
  send(...frames: Buffer[]): void;
  /** A normal gRPC answer with this message on stream id. */
  answer(id: number, message: Buffer): void;
  readonly socket: net.Socket;
  readonly frames: Array<RawFrame>;
  /** The first frame (recorded or still to come) that matches. */
  waitFor(match: (f: RawFrame) => boolean): Promise<RawFrame>;
}

interface RawFrame {
  type: number;
  flags: number;
  id: number;
  payload: Buffer;
}

/** Calls onStream for every request stream (after its END_STREAM) with the connection it came on. */
async function rawPeer(
  onStream: (conn: PeerConn, id: number, path: string, connIndex: number) => void,
  settings: ReadonlyArray<readonly [number, number]> = [],
) {
  let conns = 0;
  const server = net.createServer((socket) => {
    const connIndex = conns++;
    // frames and header blocks read by test/support/wire.ts (hpack.js), not by the client's own src/h2 code
    const reader = new FrameReader();
    const hpack = new BlockDecoder();
    let prefaceSeen = false;
    let held = Buffer.alloc(0);
    const paths = new Map<number, string>();
    const waiters: Array<() => void> = [];
    const conn: PeerConn = {
      socket,
      frames: [],
      waitFor: async (match) => {
        for (;;) {
          const f = conn.frames.find(match);
          if (f) return f;
          if (socket.destroyed) throw new Error("the connection closed before the frame came");
          await new Promise<void>((resolve) => waiters.push(resolve));
        }
      },
      send: (...frames) => {
        if (!socket.destroyed) socket.write(Buffer.concat(frames));
      },
      answer: (id, message) =>
        conn.send(
          encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, id, OK_HEADERS),
          encodeFrame(FrameType.DATA, 0, id, grpcFrame(message)),
          encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, OK_TRAILERS),
        ),
    };
    socket.on("error", () => {});
    socket.on("close", () => {
      for (const w of waiters.splice(0)) w();
    });
    conn.send(settingsFrame(settings));
    socket.on("data", (chunk: Buffer) => {
      let data = chunk;
      if (!prefaceSeen) {
        held = Buffer.concat([held, chunk]);
        if (held.length < PREFACE.length) return;
        prefaceSeen = true;
        data = held.subarray(PREFACE.length);
      }
      for (const f of reader.push(data)) {
        conn.frames.push(f);
        const fields = hpack.feed(f);
        if (Array.isArray(fields)) paths.set(f.id, fields.find(([n]) => n === ":path")?.[1] ?? "");
        if ((f.type === FrameType.DATA || f.type === FrameType.HEADERS) && f.flags & Flag.END_STREAM) {
          onStream(conn, f.id, paths.get(f.id) ?? "", connIndex);
        }
      }
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port, connections: () => conns };
}

describe("against a hand-written peer", () => {
  test("GOAWAY: streams up to last-stream-id finish, later ones are sent again on a new connection", async () => {
    const waiting: Array<[PeerConn, number]> = [];
    const peer = await rawPeer((conn, id, _path, connIndex) => {
      if (connIndex > 0) return conn.answer(id, Buffer.from("again"));
      waiting.push([conn, id]);
      if (waiting.length < 2) return;
      const first = waiting[0] as [PeerConn, number];
      conn.send(goawayFrame(first[1], 0));
      first[0].answer(first[1], Buffer.from("first"));
    });
    const ch = leanTo(peer.port);
    const [a, b] = await Promise.all([
      ch.unary("/t/a", Buffer.from("1"), { timeoutMs: 5_000 }),
      ch.unary("/t/b", Buffer.from("2"), { timeoutMs: 5_000 }),
    ]);
    expect(a.ok && a.value.toString()).toBe("first");
    expect(b.ok && b.value.toString()).toBe("again");
    const c = await ch.unary("/t/c", Buffer.from("3"), { timeoutMs: 5_000 });
    expect(c.ok && c.value.toString()).toBe("again");
    expect(ch.stats.goaways).toBe(1);
    expect(ch.stats.connects).toBe(2);
    await ch.close();
    peer.server.close();
  });

  test("a call the server never processes is sent three times in all, then UNAVAILABLE", async () => {
    let attempts = 0;
    const peer = await rawPeer((conn, id) => {
      attempts++;
      conn.send(goawayFrame(0, 0)); // stream id 0: none of the streams was processed
      void id;
    });
    const ch = leanTo(peer.port);
    const r = await ch.unary("/t/x", Buffer.from("x"), { timeoutMs: 5_000 });
    expect(r.ok ? 0 : r.error.code).toBe(Status.UNAVAILABLE);
    if (!r.ok) expect(r.error.details).toContain("GOAWAY");
    expect(attempts).toBe(3);
    expect(ch.stats.connects).toBe(3);
    await ch.close();
    peer.server.close();
  });

  test("calls queued behind MAX_CONCURRENT_STREAMS move to a new connection after GOAWAY", async () => {
    const peer = await rawPeer(
      (conn, id, _path, connIndex) => {
        if (connIndex === 0) {
          conn.send(goawayFrame(id, 0));
          conn.answer(id, Buffer.from("only"));
        } else {
          conn.answer(id, Buffer.from("moved"));
        }
      },
      [[0x3, 1]],
    );
    const ch = leanTo(peer.port);
    expect((await ch.ready()).ok).toBe(true);
    const rs = await Promise.all([1, 2, 3].map(() => ch.unary("/t/q", Buffer.from("x"), { timeoutMs: 5_000 })));
    expect(rs.map((r) => (r.ok ? r.value.toString() : r.error.details))).toEqual(["only", "moved", "moved"]);
    await ch.close();
    peer.server.close();
  });

  test("response headers in HEADERS + CONTINUATION, Huffman-coded, after a PING", async () => {
    let seen: PeerConn | undefined;
    const peer = await rawPeer((conn, id) => {
      seen = conn;
      conn.send(encodeFrame(FrameType.PING, 0, 0, Buffer.from("12345678")));
      // ":status: 200" indexed, then content-type with a Huffman-coded "application/grpc"... split in two.
      const huff = huffmanEncode("application/grpc");
      const block = Buffer.concat([Buffer.from([0x88, 0x0f, 0x10, 0x80 | huff.length]), huff]);
      conn.send(
        encodeFrame(FrameType.HEADERS, 0, id, block.subarray(0, 3)),
        encodeFrame(FrameType.CONTINUATION, 0, id, block.subarray(3, 6)),
        encodeFrame(FrameType.CONTINUATION, Flag.END_HEADERS, id, block.subarray(6)),
        encodeFrame(FrameType.DATA, 0, id, grpcFrame(Buffer.from("continued"))),
        encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, OK_TRAILERS),
      );
    });
    const ch = leanTo(peer.port);
    const r = await ch.unary("/t/x", Buffer.from("x"), { timeoutMs: 5_000 });
    expect(r.ok && r.value.toString()).toBe("continued");
    const ack = await seen?.waitFor((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0);
    expect(ack?.payload.toString()).toBe("12345678");
    await ch.close();
    peer.server.close();
  });

  test("grpc-status and a percent-encoded grpc-message in a trailers-only response", async () => {
    const peer = await rawPeer((conn, id) => {
      const block = encodeHeaderBlock([
        [":status", "200"],
        ["content-type", "application/grpc"],
        ["grpc-status", "5"],
        ["grpc-message", "no%20such%20key"],
      ]);
      conn.send(encodeFrame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, id, block));
    });
    const ch = leanTo(peer.port);
    const r = await ch.unary("/t/x", Buffer.from("x"), { timeoutMs: 5_000 });
    expect(r.ok ? null : r.error).toEqual({ code: Status.NOT_FOUND, details: "no such key" });
    await ch.close();
    peer.server.close();
  });

  test.each([
    [0x8, Status.CANCELLED, 1],
    [0x7, Status.UNAVAILABLE, 3], // REFUSED_STREAM: not processed, so sent again twice on fresh connections
    [0x2, Status.INTERNAL, 1],
  ])("RST_STREAM code %d → status %d after %d attempt(s)", async (code, status, attempts) => {
    let seen = 0;
    const peer = await rawPeer((conn, id) => {
      seen++;
      conn.send(rstStreamFrame(id, code));
    });
    const ch = leanTo(peer.port);
    const r = await ch.unary("/t/x", Buffer.from("x"), { timeoutMs: 5_000 });
    expect(r.ok ? 0 : r.error.code).toBe(status);
    expect(seen).toBe(attempts);
    await ch.close();
    peer.server.close();
  });

  test("deadline → DEADLINE_EXCEEDED and RST_STREAM CANCEL on the wire", async () => {
    let seen: PeerConn | undefined;
    const peer = await rawPeer((conn) => {
      seen = conn;
    });
    const ch = leanTo(peer.port);
    const r = await ch.unary("/t/slow", Buffer.from("x"), { timeoutMs: 50 });
    expect(r.ok ? 0 : r.error.code).toBe(Status.DEADLINE_EXCEEDED);
    const rst = await seen?.waitFor((f) => f.type === FrameType.RST_STREAM);
    expect(rst?.payload.readUInt32BE(0)).toBe(0x8);
    await ch.close();
    peer.server.close();
  });

  test.each([
    ["malformed HPACK", (id: number) => encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, id, Buffer.from([0xff]))],
    [
      "an unknown HPACK index",
      (id: number) => encodeFrame(FrameType.HEADERS, Flag.END_HEADERS, id, Buffer.from([0xfe])),
    ],
    ["a frame over the maximum size", (id: number) => encodeFrame(FrameType.DATA, 0, id, Buffer.alloc(20_000))],
    ["a PUSH_PROMISE", (id: number) => encodeFrame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, id, Buffer.alloc(4))],
    ["a short PING", () => encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(3))],
    ["HEADERS interrupted", (id: number) => encodeFrame(FrameType.HEADERS, 0, id, Buffer.from([0x88]))],
  ])("%s → INTERNAL, the connection is closed, nothing hangs", async (_name, frame) => {
    const peer = await rawPeer((conn, id) => {
      conn.send(frame(id), encodeFrame(FrameType.DATA, 0, id, Buffer.alloc(1)));
    });
    const ch = leanTo(peer.port);
    const r = await ch.unary("/t/x", Buffer.from("x"), { timeoutMs: 5_000 });
    expect(r.ok ? 0 : r.error.code).toBe(Status.INTERNAL);
    if (!r.ok) expect(r.error.details).toContain("HTTP/2 protocol error");
    await ch.close();
    peer.server.close();
  });

  test("the peer closing mid-call → UNAVAILABLE", async () => {
    const peer = await rawPeer((conn) => conn.socket.destroy());
    const ch = leanTo(peer.port);
    const r = await ch.unary("/t/x", Buffer.from("x"), { timeoutMs: 5_000 });
    expect(r.ok ? 0 : r.error.code).toBe(Status.UNAVAILABLE);
    await ch.close();
    peer.server.close();
  });

  test("the deadline runs while the connection is still waiting for the server's SETTINGS", async () => {
    const server = net.createServer(() => {}); // accepts, never speaks
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const ch = leanTo((server.address() as AddressInfo).port);
    const r = await ch.unary("/t/x", Buffer.from("x"), { timeoutMs: 100 });
    expect(r.ok ? 0 : r.error.code).toBe(Status.DEADLINE_EXCEEDED);
    await ch.close();
    server.close();
  });

  test("a peer that never sends SETTINGS fails ready() when it closes, rather than hanging", async () => {
    // closes once the client's preface came, having sent nothing
    const server = net.createServer((s) => s.once("data", () => s.destroy()));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const ch = leanTo((server.address() as AddressInfo).port);
    const r = await ch.ready();
    expect(r.ok ? 0 : r.error.code).toBe(Status.UNAVAILABLE);
    await ch.close();
    server.close();
  });
});
