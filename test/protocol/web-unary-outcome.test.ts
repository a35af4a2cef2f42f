// The lean client's unary path in Connect and gRPC-Web (src/rpc/web/connect-unary.ts, web-unary.ts): what
// bench's loops call (unaryOutcome, no message kept) and unary(), over real sockets against grpcperf's own
// server, connect-node's server, a node:http2 server answering what a proxy or a foreign server would, and a
// frame-level server that cuts the response's body at every byte. Each answer must be the gRPC status gRPC's
// own call gives for the same outcome, with a one-line message that names what came instead.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { openChannel } from "../../src/client/channel.ts";
import { Flag, FrameType } from "../../src/h2/frame.ts";
import { envelope, Flags } from "../../src/protocol/envelope.ts";
import { wireOf } from "../../src/protocol/wire.ts";
import type { CallOptions, RpcChannel } from "../../src/rpc/channel.ts";
import { type Result, Status } from "../../src/rpc/status.ts";
import { UnaryEvents } from "../../src/rpc/web/unary-events.ts";
import { echoService } from "../../src/server/echo.ts";
import type { Address } from "../../src/transport/address.ts";
import { type ConnectPeer, startConnectPeer } from "../support/connect-peer.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { headersFrame, isRequest, ServerPeer } from "../support/server-peer.ts";

const ECHO = "/grpcperf.v1.Echo/Echo";
const PROTOCOLS = ["connect", "grpc-web"] as const;
/** connect-node serves no gRPC-Web text; grpcperf's server and the frame-level one are asked in it too. */
const OURS = [...PROTOCOLS, "grpc-web-text"] as const;
const request = (fields: Record<string, unknown> = { sequence: 3 }) => encodeMessage(EchoRequest, fields);

function channel(address: Address, protocol: string, codec = "proto", maxReceiveMessageBytes?: number): RpcChannel {
  const wire = wireOf(protocol, codec);
  if (typeof wire === "string") throw new Error(wire);
  return openChannel(address, { client: "lean", wire, maxReceiveMessageBytes });
}

/** bench's call: the outcome only. */
function outcome(ch: RpcChannel, body: Uint8Array, call: CallOptions = {}, path = ECHO): Promise<Result<unknown>> {
  return new Promise((resolve) => ch.unaryOutcome(path, body, call, resolve));
}

/** The status code and message of an outcome (OK: code 0, no message). */
const statusOf = (r: Result<unknown>): { code: number; details?: string } =>
  r.ok ? { code: 0 } : { code: r.error.code, details: r.error.details };

const tcp = (port: number): Address => ({ kind: "tcp", host: "127.0.0.1", port });

describe.each(OURS)("%s against grpcperf's server", (protocol) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()]);
  });
  afterAll(() => srv.stop());

  test("success is counted in both codecs, many in flight; unary() still gives the message", async () => {
    for (const codec of ["proto", "json"]) {
      const ch = channel(srv.address, protocol, codec);
      try {
        const body = codec === "proto" ? request() : Buffer.from('{"sequence":"3"}');
        const all = await Promise.all(Array.from({ length: 50 }, () => outcome(ch, body)));
        expect({ codec, ok: all.filter((r) => r.ok).length }).toEqual({ codec, ok: 50 });
        if (codec === "proto") {
          const r = await ch.unary(ECHO, request({ sequence: 9 }));
          if (!r.ok) throw new Error(r.error.details);
          expect(Number(EchoResponse.decode(r.value).sequence)).toBe(9);
        }
      } finally {
        await ch.close();
      }
    }
  });

  test("each error kind is the gRPC status gRPC's call gives", async () => {
    const ch = channel(srv.address, protocol);
    const small = channel(srv.address, protocol, "proto", 64);
    try {
      const cases: Array<[string, Promise<Result<unknown>>, number]> = [
        ["service refuses", outcome(ch, request({ serverDelayUs: 120_000_000 })), Status.INVALID_ARGUMENT],
        ["unknown method", outcome(ch, request(), {}, "/grpcperf.v1.Echo/Nope"), Status.UNIMPLEMENTED],
        ["deadline", outcome(ch, request({ serverDelayUs: 2_000_000 }), { timeoutMs: 50 }), Status.DEADLINE_EXCEEDED],
        ["too large", outcome(small, request({ payload: Buffer.alloc(200) })), Status.RESOURCE_EXHAUSTED],
      ];
      for (const [name, p, code] of cases) {
        const r = await p;
        expect({ name, code: statusOf(r).code }).toEqual({ name, code });
        if (!r.ok) expect(r.error.details.split("\n")).toHaveLength(1);
      }
      // The connection is still good for the next call.
      expect((await outcome(ch, request())).ok).toBe(true);
    } finally {
      await ch.close();
      await small.close();
    }
  });
});

describe.each(PROTOCOLS)("%s against connect-node's server", (protocol) => {
  let peer: ConnectPeer;
  beforeAll(async () => {
    peer = await startConnectPeer();
  });
  afterAll(() => peer.close());

  test("success counted, the service's error and an unknown method mapped", async () => {
    const ch = channel(tcp(peer.port), protocol);
    try {
      const all = await Promise.all(Array.from({ length: 20 }, () => outcome(ch, request())));
      expect(all.every((r) => r.ok)).toBe(true);
      expect(statusOf(await outcome(ch, request({ payload: Buffer.from("fail") })))).toEqual({
        code: Status.FAILED_PRECONDITION,
        details: "asked to fail",
      });
      expect(statusOf(await outcome(ch, request(), {}, "/grpcperf.v1.Echo/Nope")).code).toBe(Status.UNIMPLEMENTED);
    } finally {
      await ch.close();
    }
  });
});

// What a proxy, an error page or a server of another protocol answers: :path names the answer.
const TRAILERS_OK = envelope(Flags.WEB_TRAILERS, Buffer.from("grpc-status: 0\r\n"));
const MESSAGE = envelope(0, encodeMessage(EchoResponse, { sequence: 1 }));
const FOREIGN: Record<string, (s: http2.ServerHttp2Stream) => void> = {
  "/html200": (s) => {
    s.respond({ ":status": 200, "content-type": "text/html; charset=utf-8" });
    s.end("<html><body>Welcome</body></html>");
  },
  "/html502": (s) => {
    s.respond({ ":status": 502, "content-type": "text/html" });
    s.end("<html><body>Bad Gateway</body></html>");
  },
  "/json200": (s) => {
    s.respond({ ":status": 200, "content-type": "application/json" });
    s.end("{}");
  },
  "/grpc200": (s) => {
    s.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    s.on("wantTrailers", () => s.sendTrailers({ "grpc-status": "0" }));
    s.end(MESSAGE);
  },
  "/gzip200": (s) => {
    s.respond({ ":status": 200, "content-type": "application/proto", "content-encoding": "gzip" });
    s.end(Buffer.from([0x1f, 0x8b, 0x08, 0]));
  },
  "/connect404": (s) => {
    s.respond({ ":status": 404, "content-type": "application/json" });
    s.end(JSON.stringify({ code: "not_found", message: "no such thing" }));
  },
  "/web-denied": (s) => {
    s.respond({ ":status": 200, "content-type": "application/grpc-web+proto" });
    s.end(envelope(Flags.WEB_TRAILERS, Buffer.from("grpc-status: 7\r\ngrpc-message: not%20you\r\n")));
  },
  "/web-no-status": (s) => {
    s.respond({ ":status": 200, "content-type": "application/grpc-web+proto" });
    s.end(Buffer.concat([MESSAGE, envelope(Flags.WEB_TRAILERS, Buffer.from("x-other: 1\r\n"))]));
  },
  "/web-no-trailers": (s) => {
    s.respond({ ":status": 200, "content-type": "application/grpc-web+proto" });
    s.end(MESSAGE);
  },
  "/web-compressed": (s) => {
    s.respond({ ":status": 200, "content-type": "application/grpc-web+proto" });
    const m = Buffer.from(MESSAGE);
    m[0] = Flags.COMPRESSED;
    s.end(Buffer.concat([m, TRAILERS_OK]));
  },
  "/web-after-trailers": (s) => {
    s.respond({ ":status": 200, "content-type": "application/grpc-web+proto" });
    s.end(Buffer.concat([MESSAGE, TRAILERS_OK, MESSAGE]));
  },
  "/web-two-messages": (s) => {
    s.respond({ ":status": 200, "content-type": "application/grpc-web+proto" });
    s.end(Buffer.concat([MESSAGE, MESSAGE, TRAILERS_OK]));
  },
};

describe("answers that are not the protocol's", () => {
  let server: http2.Http2Server;
  let address: Address;
  beforeAll(async () => {
    server = http2.createServer();
    server.on("stream", (s: http2.ServerHttp2Stream, headers) => {
      s.on("error", () => {});
      s.resume();
      (FOREIGN[String(headers[":path"])] ?? FOREIGN["/html200"])?.(s);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    address = tcp((server.address() as AddressInfo).port);
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const cases: Array<[string, string, number, string]> = [
    ["connect", "/html200", Status.UNKNOWN, 'expected a connect response, got content-type "text/html; charset=utf-8"'],
    ["connect", "/html502", Status.UNAVAILABLE, "HTTP status 502"],
    ["connect", "/json200", Status.INTERNAL, 'expected proto messages, got json ("application/json")'],
    ["connect", "/grpc200", Status.UNKNOWN, 'expected a connect response, got grpc (content-type "application/grpc")'],
    ["connect", "/connect404", Status.NOT_FOUND, "no such thing"],
    ["connect", "/gzip200", Status.INTERNAL, 'response compressed with "gzip", but no compression was negotiated'],
    [
      "grpc-web",
      "/html200",
      Status.UNKNOWN,
      'expected a grpc-web response, got content-type "text/html; charset=utf-8"',
    ],
    ["grpc-web", "/html502", Status.UNAVAILABLE, "unexpected HTTP status 502"],
    [
      "grpc-web",
      "/grpc200",
      Status.UNKNOWN,
      'expected a grpc-web response, got grpc (content-type "application/grpc")',
    ],
    ["grpc-web", "/web-denied", Status.PERMISSION_DENIED, "not you"],
    ["grpc-web", "/web-no-status", Status.INTERNAL, "gRPC-Web trailers without grpc-status"],
    ["grpc-web", "/web-no-trailers", Status.INTERNAL, "response ended without trailers"],
    [
      "grpc-web",
      "/web-compressed",
      Status.INTERNAL,
      "received a compressed message, but no compression was negotiated",
    ],
    ["grpc-web", "/web-after-trailers", Status.INTERNAL, "message after the trailers"],
    ["grpc-web", "/web-two-messages", Status.INTERNAL, "expected one response message, got 2"],
  ];
  test.each(cases)("%s at %s: status %d, one line", async (protocol, path, code, details) => {
    const ch = channel(address, protocol);
    try {
      expect(statusOf(await outcome(ch, request(), {}, path))).toEqual({ code, details });
      // unary() (a caller who wants the message) reads the same answer the same way.
      const r = await ch.unary(path, request());
      expect(statusOf(r)).toEqual({ code, details });
      // So does the stream call `call` makes (./stream-call.ts), which keeps headers and trailers.
      const viaStream = await new Promise<Result<Buffer>>((resolve) => {
        const s = ch.stream(path, new UnaryEvents(resolve), { unary: true });
        s.send(request());
        s.end();
      });
      expect(statusOf(viaStream)).toEqual({ code, details });
    } finally {
      await ch.close();
    }
  });
});

describe.each(OURS)("%s: a response body cut at every byte", (protocol) => {
  let srv: ServerPeer;
  beforeAll(async () => {
    srv = await ServerPeer.listen();
  });
  afterAll(() => srv.close());

  test("reads as the whole body does, in both calls", async () => {
    const message = encodeMessage(EchoResponse, { sequence: 4, payload: Buffer.from("split") });
    const enveloped = Buffer.concat([
      envelope(0, message),
      envelope(Flags.WEB_TRAILERS, Buffer.from("grpc-status: 0\r\n")),
    ]);
    // Text mode as a server that encodes each write on its own sends it: two padded base64 runs.
    const text = () => Buffer.from(envelope(0, message).toString("base64") + TRAILERS_OK.toString("base64"), "latin1");
    const body = protocol === "connect" ? message : protocol === "grpc-web" ? enveloped : text();
    const type =
      { connect: "application/proto", "grpc-web": "application/grpc-web+proto" }[protocol as string] ??
      "application/grpc-web-text+proto";
    const ch = channel(srv.address, protocol);
    try {
      let from = 0;
      for (let cut = 1; cut < body.length; cut++) {
        for (const keep of [false, true]) {
          const pending = keep ? ch.unary(ECHO, request()) : outcome(ch, request());
          const conn = await srv.accepted();
          const req = await conn.waitFor(isRequest, from);
          from = conn.frames.indexOf(req) + 1;
          conn.socket.write(
            headersFrame(req.id, [
              [":status", "200"],
              ["content-type", type],
            ]),
          );
          conn.send(FrameType.DATA, 0, req.id, body.subarray(0, cut));
          conn.send(FrameType.DATA, Flag.END_STREAM, req.id, body.subarray(cut));
          const r = await pending;
          expect({ cut, keep, ok: r.ok }).toEqual({ cut, keep, ok: true });
          if (keep && r.ok) expect(Buffer.from(r.value as Buffer)).toEqual(Buffer.from(message));
        }
      }
    } finally {
      await ch.close();
    }
  });
});
