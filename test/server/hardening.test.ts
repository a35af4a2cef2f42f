// Bad input and abusive clients: each case checks the server answers sensibly (or cuts the peer off)
// and still serves a good client afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import type net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeMessage } from "../../src/api/codec.ts";
import { ECHO_STREAM_PATH, EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { ErrorCode } from "../../src/h2/errors.ts";
import { FrameType } from "../../src/h2/frame.ts";
import { Status, statusFromRstCode } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import { type ServiceDef, unary } from "../../src/server/handler.ts";
import { openEchoStream } from "../support/echo-stream.ts";
import { channelTo, ROOT, serveOnLoopback, type TestServer, waitForLine } from "../support/helpers.ts";
import { goawayCode, Peer } from "../support/peer.ts";
import { frame, type RawOutcome, rawCall, rawSession, tcpConnect } from "../support/raw.ts";
import { encodeFields, writeFrame } from "../support/wire.ts";

/** The status a gRPC client would report: grpc-status, else the reset code mapped as the spec says. */
const statusOf = (r: RawOutcome): number =>
  r.grpcStatus ?? (r.rstCode ? statusFromRstCode(r.rstCode) : r.httpStatus === 200 ? Status.UNKNOWN : Status.INTERNAL);

/**
 * A handler that works until it sees its call cancelled (as a long signing job checking ctx.cancelled()
 * would), then answers anyway: the late answer must be dropped quietly. No sleeps decide the outcome.
 */
function gatedService() {
  let entered!: () => void;
  const started = new Promise<void>((r) => {
    entered = r;
  });
  let finish!: () => void;
  const finished = new Promise<void>((r) => {
    finish = r;
  });
  const method = { path: "/grpcperf.test.Gated/Work", request: EchoRequest, response: EchoResponse };
  const service: ServiceDef = {
    name: "grpcperf.test.Gated",
    methods: [
      unary(method, async (req, ctx) => {
        entered();
        while (!ctx.cancelled()) await Bun.sleep(5);
        finish();
        return { ok: true, value: EchoResponse.create({ sequence: req.sequence }) };
      }),
    ],
  };
  return { service, path: method.path, started, finished };
}

const gated = gatedService();
let srv: TestServer;
let port: number;
beforeAll(async () => {
  srv = await serveOnLoopback([echoService(), gated.service]);
  port = srv.address.kind === "tcp" ? srv.address.port : 0;
});
afterAll(() => srv.stop());

const good = encodeMessage(EchoRequest, { payload: Buffer.from("still here"), sequence: 7 });

/** The check every case ends with: a fresh, well-behaved client still gets its echo. */
async function stillServes(s: TestServer = srv): Promise<void> {
  const ch = channelTo(s.address);
  const r = await ch.unary(EchoMethod.path, good, { timeoutMs: 10_000 });
  await ch.close();
  expect(r.ok).toBe(true);
  if (r.ok) expect(Buffer.from(EchoResponse.decode(r.value).payload).toString()).toBe("still here");
}

describe("bad request bytes", () => {
  test.each([
    ["a truncated varint", Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])],
    ["a length-delimited field longer than the message", Buffer.from([0x0a, 0x7f, 0x01])],
    ["wire type 7", Buffer.from([0x0f, 0x00])],
    ["random bytes", Buffer.from("9f8e7d6c5b4a39281706f5e4d3c2b1a0", "hex")],
  ])("malformed protobuf (%s) → INVALID_ARGUMENT or INTERNAL", async (_name, bytes) => {
    const s = rawSession(port);
    const r = await rawCall(s, EchoMethod.path, frame(0, bytes.length, bytes));
    s.close();
    expect([Status.INVALID_ARGUMENT, Status.INTERNAL] as number[]).toContain(r.grpcStatus as number);
    await stillServes();
  });

  test("malformed protobuf to health and reflection → an error status, not a crash", async () => {
    const s = rawSession(port);
    const bad = Buffer.from([0x0a, 0xff, 0xff]);
    const h = await rawCall(s, "/grpc.health.v1.Health/Check", frame(0, bad.length, bad));
    const r = await rawCall(s, "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", frame(0, bad.length, bad));
    s.close();
    expect(statusOf(h)).not.toBe(Status.OK);
    expect(statusOf(r)).not.toBe(Status.OK);
    await stillServes();
  });

  test("a length prefix claiming more bytes than the stream carries → an error status", async () => {
    const s = rawSession(port);
    const r = await rawCall(s, EchoMethod.path, frame(0, 100, good));
    s.close();
    expect(statusOf(r)).not.toBe(Status.OK);
    await stillServes();
  });

  test("a length prefix claiming fewer bytes (trailing junk) → an error status", async () => {
    const s = rawSession(port);
    const r = await rawCall(s, EchoMethod.path, frame(0, 2, good));
    s.close();
    expect(statusOf(r)).not.toBe(Status.OK);
    await stillServes();
  });

  test("a length prefix of 4 GiB → RESOURCE_EXHAUSTED, nothing buffered", async () => {
    const s = rawSession(port);
    const r = await rawCall(s, EchoMethod.path, frame(0, 0xffffffff, good));
    s.close();
    expect(r.grpcStatus).toBe(Status.RESOURCE_EXHAUSTED);
    await stillServes();
  });

  test("compressed flag without negotiated compression → an error status", async () => {
    const s = rawSession(port);
    const r = await rawCall(s, EchoMethod.path, frame(1, good.length, good));
    s.close();
    // The stream is reset with PROTOCOL_ERROR, which the gRPC spec maps to INTERNAL.
    expect(statusOf(r)).toBe(Status.INTERNAL);
    await stillServes();
  });

  test("compressed flag with an encoding the server does not know → UNIMPLEMENTED or INTERNAL", async () => {
    const s = rawSession(port);
    const r = await rawCall(s, EchoMethod.path, frame(1, good.length, good), { "grpc-encoding": "snappy-ish" });
    s.close();
    expect([Status.INTERNAL, Status.UNIMPLEMENTED] as number[]).toContain(r.grpcStatus as number);
    await stillServes();
  });

  test("a frame flag that is neither 0 nor 1 → an error status", async () => {
    const s = rawSession(port);
    const r = await rawCall(s, EchoMethod.path, frame(0x80, good.length, good));
    s.close();
    expect(statusOf(r)).toBe(Status.INTERNAL);
    await stillServes();
  });
});

describe("bad connections", () => {
  test("garbage instead of the HTTP/2 preface: the connection is closed", async () => {
    const sock = await tcpConnect(port);
    const closed = new Promise<void>((resolve) => {
      sock.on("close", () => resolve());
      sock.on("error", () => {});
    });
    sock.resume(); // read what the server says (SETTINGS, GOAWAY), so its end of the stream is seen
    sock.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    sock.write(Buffer.alloc(4096, 0xa5));
    await closed;
    await stillServes();
  });

  test("HTTP/2 rapid reset: 5,000 streams opened and reset at once → GOAWAY ENHANCE_YOUR_CALM before the last", async () => {
    const peer = await Peer.connect(port);
    const block = encodeFields([
      [":method", "POST"],
      [":scheme", "http"],
      [":path", EchoMethod.path],
      [":authority", "test"],
      ["content-type", "application/grpc"],
    ]);
    const cancel = Buffer.alloc(4);
    cancel.writeUInt32BE(ErrorCode.CANCEL);
    const id = (i: number) => 2 * i + 1;
    // each stream's HEADERS and its RST_STREAM in one write, as CVE-2023-44487's attack sends them
    const sent = await peer.flood(5_000, (i) =>
      Buffer.concat([
        writeFrame(FrameType.HEADERS, 0x4, id(i), block),
        writeFrame(FrameType.RST_STREAM, 0, id(i), cancel),
      ]),
    );
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(5_000);
    const goaway = await peer.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goawayCode(goaway)).toBe(ErrorCode.ENHANCE_YOUR_CALM);
    // the last stream the server took: it stopped well before the 5,000th
    expect(goaway.payload.readUInt32BE(0) & 0x7fffffff).toBeLessThan(id(4_999));
    await peer.waitClosed();
    peer.close();
    await stillServes();
  });

  test("1,000 idle connections, and calls still go through", async () => {
    const socks: net.Socket[] = [];
    try {
      for (let i = 0; i < 1_000; i++) {
        const sock = await tcpConnect(port);
        sock.on("error", () => {});
        socks.push(sock);
      }
      await stillServes();
      expect(srv.server.connections.open).toBeGreaterThanOrEqual(1_000);
    } finally {
      for (const sock of socks) sock.destroy();
    }
  });

  test("a client killed (SIGKILL) mid-call", async () => {
    const dir = mkdtempSync(join(tmpdir(), "grpcperf-kill-"));
    const script = join(dir, "client.ts");
    // A bidi call that has had one answer is mid-call by any definition; the child then waits forever.
    writeFileSync(
      script,
      `import http2 from "node:http2";
import { encodeMessage } from ${JSON.stringify(join(ROOT, "src/api/codec.ts"))};
import { EchoRequest } from ${JSON.stringify(join(ROOT, "src/api/echo.ts"))};
import { prefixMessage } from ${JSON.stringify(join(ROOT, "src/rpc/message.ts"))};
const s = http2.connect("http://127.0.0.1:${port}");
const st = s.request({ ":method": "POST", ":path": ${JSON.stringify(ECHO_STREAM_PATH)}, "content-type": "application/grpc", te: "trailers" });
st.once("data", () => console.error("mid-call"));
st.write(prefixMessage(encodeMessage(EchoRequest, { sequence: 1 })));
setInterval(() => {}, 1000);
`,
    );
    const child = Bun.spawn([process.execPath, script], { stdout: "ignore", stderr: "pipe" });
    try {
      await waitForLine(child.stderr, /mid-call/);
      child.kill("SIGKILL");
      await child.exited;
      await stillServes();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the deadline passes while the server is working: DEADLINE_EXCEEDED, and the late answer is dropped", async () => {
    const ch = channelTo(srv.address);
    const call = ch.unary(gated.path, good, { timeoutMs: 200 });
    await gated.started;
    const r = await call;
    expect(r.ok ? 0 : r.error.code).toBe(Status.DEADLINE_EXCEEDED);
    await gated.finished; // the handler saw the call cancelled, and its late answer went nowhere
    expect((await ch.unary(EchoMethod.path, good)).ok).toBe(true);
    await ch.close();
  });
});

describe("limits", () => {
  test("at --max-connections with a call open on each, a new connection is closed at once", async () => {
    const s = await serveOnLoopback([echoService()], { limits: { maxConnections: 3 } });
    const calls = [0, 1, 2].map(() => openEchoStream(s.target));
    for (const c of calls) expect(await c.send(1)).toBe(1);
    const extra = await tcpConnect(s.address.kind === "tcp" ? s.address.port : 0);
    extra.resume();
    await new Promise<void>((resolve) => {
      extra.on("error", () => {});
      extra.on("close", () => resolve());
    });
    expect(s.server.connections.refused).toBe(1);
    for (const c of calls) expect(await c.send(2)).toBe(2); // the busy connections were left alone
    for (const c of calls) expect(await c.end()).toBe("0");
    await stillServes(s);
    await s.stop();
  });

  test("at --max-connections, the longest-idle connection is closed (GOAWAY NO_ERROR) to make room (nginx's rule)", async () => {
    const s = await serveOnLoopback([echoService()], { limits: { maxConnections: 3 } });
    const p = s.address.kind === "tcp" ? s.address.port : 0;
    // In order, each accepted (its SETTINGS came) before the next: two that sent only the preface, and one
    // with a call open, which is never the one to go.
    const first = await Peer.connect(p);
    await first.waitFor((f) => f.type === FrameType.SETTINGS);
    const second = await Peer.connect(p);
    await second.waitFor((f) => f.type === FrameType.SETTINGS);
    const busy = openEchoStream(s.target);
    expect(await busy.send(1)).toBe(1);

    // A fourth connection, kept open: room is made by closing `first`.
    const a = channelTo(s.address);
    expect((await a.unary(EchoMethod.path, good, { timeoutMs: 10_000 })).ok).toBe(true);
    const goaway = await first.waitFor((f) => f.type === FrameType.GOAWAY);
    expect(goawayCode(goaway)).toBe(ErrorCode.NO_ERROR);
    expect(goaway.payload.subarray(8).toString()).toBe("connection_limit");
    await first.waitClosed();
    expect(second.closed).toBe(false);

    // A fifth: `second` has been idle longer than `a` (idle since its call ended), so `second` goes.
    const b = channelTo(s.address);
    expect((await b.unary(EchoMethod.path, good, { timeoutMs: 10_000 })).ok).toBe(true);
    await second.waitClosed();
    expect(await busy.send(2)).toBe(2);
    expect(s.server.connections.refused).toBe(0);
    expect(await busy.end()).toBe("0");
    await Promise.all([a.close(), b.close()]);
    await s.stop();
  });

  test("max concurrent streams is advertised in SETTINGS", async () => {
    const s = await serveOnLoopback([echoService()], { limits: { maxConcurrentStreams: 7 } });
    const session = rawSession(s.address.kind === "tcp" ? s.address.port : 0);
    await new Promise<void>((resolve) => session.once("remoteSettings", () => resolve()));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(7);
    session.close();
    await s.stop();
  });

  test("keepalive enforcement: a client pinging with no call open gets GOAWAY ENHANCE_YOUR_CALM", async () => {
    const session = rawSession(port);
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code: number) => resolve(code)));
    await new Promise<void>((resolve) => session.once("connect", () => resolve()));
    for (let i = 0; i < 5 && !session.destroyed; i++) {
      await new Promise<void>((resolve) => {
        try {
          if (!session.ping(() => resolve())) resolve();
        } catch {
          resolve();
        }
      });
    }
    expect(await goaway).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
    session.destroy();
    await stillServes();
  });

  test("max connection age: the client is sent GOAWAY, reconnects, and no call fails", async () => {
    const s = await serveOnLoopback([echoService()], { limits: { maxConnectionAgeMs: 100 } });
    const ch = channelTo(s.address);
    const failures: string[] = [];
    const callOnce = async () => {
      const r = await ch.unary(EchoMethod.path, good);
      if (!r.ok) failures.push(`${r.error.code} ${r.error.details}`);
    };
    // Several calls in flight while connections cycle: calls caught by a GOAWAY before they went out are
    // retried transparently on the next connection, as gRPC clients do, so none of them fails.
    const loop = async () => {
      while (ch.stats.goaways < 4) {
        await callOnce();
        await Bun.sleep(1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, loop));
    await callOnce();
    expect(ch.stats.connects).toBeGreaterThanOrEqual(2);
    expect(failures).toEqual([]);
    await ch.close();
    await s.stop();
  });
});
