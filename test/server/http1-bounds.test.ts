// The lean engine's HTTP/1.1 side against a raw client that writes exactly the bytes an attacker would:
// every framing two parsers could read two ways (request smuggling) is answered 400 and the connection
// closed; the head's size and field count, the body's size against --max-recv-msg-size (from its
// Content-Length, before the body is sent), slow and idle clients, Expect: 100-continue, pipelining (in
// order), and what HTTP/1.1 cannot carry (gRPC, a bidi stream) answered as the reference servers do.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { echoService } from "../../src/server/echo.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { connectEcho, RawHttp1 } from "./http1-raw.ts";

let srv: TestServer;
let port: number;
beforeAll(async () => {
  srv = await serveOnLoopback([echoService()], { limits: { maxReceiveMessageBytes: 1024 } });
  port = srv.address.kind === "tcp" ? srv.address.port : 0;
});
afterAll(async () => {
  await srv.stop();
});

/** Sends `bytes` on a new connection; the one answer, and that the server then closed the connection. */
async function refused(bytes: string | Buffer): Promise<{ status: number | undefined; closed: boolean }> {
  const c = await RawHttp1.connect(port);
  c.write(bytes);
  const r = await c.response();
  await c.untilClosed();
  return { status: r?.status, closed: c.closed };
}

const POST = "POST /grpcperf.v1.Echo/Echo HTTP/1.1\r\nHost: t\r\ncontent-type: application/json\r\n";

describe("request smuggling: 400 and the connection closed", () => {
  const cases: [string, string][] = [
    ["Content-Length and Transfer-Encoding", `${POST}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ["two Content-Lengths", `${POST}Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}`],
    ["a Content-Length list", `${POST}Content-Length: 2, 2\r\n\r\n{}`],
    ["a non-numeric Content-Length", `${POST}Content-Length: +2\r\n\r\n{}`],
    ["a Transfer-Encoding other than chunked", `${POST}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`],
    ["two Transfer-Encodings", `${POST}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
    ["obs-fold", `${POST}x-a: 1\r\n  folded\r\nContent-Length: 2\r\n\r\n{}`],
    ["whitespace before the colon", `${POST}Content-Length : 2\r\n\r\n{}`],
    ["a bare LF ending a field line", `${POST}Content-Length: 2\n\r\n{}`],
    ["a bare CR in a field line", `${POST}x-a: 1\rx-b: 2\r\nContent-Length: 2\r\n\r\n{}`],
    ["a chunk size that is not hex", `${POST}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`],
    ["whitespace after a chunk size", `${POST}Transfer-Encoding: chunked\r\n\r\n2 \r\n{}\r\n0\r\n\r\n`],
    ["a chunk size line ending in a bare LF", `${POST}Transfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\r\n\r\n`],
    ["chunk data not followed by CRLF", `${POST}Transfer-Encoding: chunked\r\n\r\n2\r\n{}xx0\r\n\r\n`],
    ["a chunk size of more than 8 digits", `${POST}Transfer-Encoding: chunked\r\n\r\n000000002\r\n{}\r\n0\r\n\r\n`],
    [
      "HTTP/1.0 POST without Content-Length",
      "POST /grpcperf.v1.Echo/Echo HTTP/1.0\r\ncontent-type: application/json\r\n\r\n{}",
    ],
    ["Transfer-Encoding in HTTP/1.0", "POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"],
    ["HTTP/1.1 without Host", "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n"],
    ["two Hosts", "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"],
    ["a request line with two spaces", "GET  /x HTTP/1.1\r\nHost: a\r\n\r\n"],
    ["a method with a separator", "GE(T /x HTTP/1.1\r\nHost: a\r\n\r\n"],
    ["a control character in a value", `${POST}x-a: a\x01b\r\nContent-Length: 2\r\n\r\n{}`],
  ];
  for (const [name, bytes] of cases) {
    test(name, async () => {
      expect(await refused(bytes)).toEqual({ status: 400, closed: true });
    });
  }
});

describe("bounds before the cost", () => {
  test("a head past the header-list cap (64 KiB): 431, closed", async () => {
    expect(await refused(`${POST}x-big: ${"a".repeat(70_000)}\r\n\r\n`)).toEqual({ status: 431, closed: true });
  });

  test("more than 100 fields: 431, closed", async () => {
    const fields = Array.from({ length: 101 }, (_, i) => `x-${i}: 1\r\n`).join("");
    expect(await refused(`${POST}${fields}\r\n`)).toEqual({ status: 431, closed: true });
  });

  test("a Content-Length past --max-recv-msg-size: answered before any body byte is sent, closed", async () => {
    const c = await RawHttp1.connect(port);
    c.write(`${POST}connect-protocol-version: 1\r\nContent-Length: 1000000\r\n\r\n`);
    const r = await c.response();
    expect(r?.status).toBe(413);
    await c.untilClosed();
  });

  test("a Connect message past the limit by its Content-Length: resource_exhausted (429) before the body", async () => {
    const c = await RawHttp1.connect(port);
    c.write(`${POST}connect-protocol-version: 1\r\nContent-Length: 1100\r\n\r\n`);
    const r = await c.response();
    expect(r?.status).toBe(429);
    expect(JSON.parse(r?.body.toString() ?? "{}").code).toBe("resource_exhausted");
    c.end();
  });

  test("a chunked body growing past the limit: refused as it crosses it, closed", async () => {
    const c = await RawHttp1.connect(port);
    c.write(`${POST}connect-protocol-version: 1\r\nTransfer-Encoding: chunked\r\n\r\n`);
    for (let i = 0; i < 4; i++) c.write(`200\r\n${"a".repeat(512)}\r\n`);
    const r = await c.response();
    expect(r?.status).toBe(429);
    await c.untilClosed();
  });

  test("bytes that are no HTTP at all (a TLS ClientHello): closed without an answer", async () => {
    const c = await RawHttp1.connect(port);
    c.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00]));
    expect((await c.untilClosed()).length).toBe(0);
  });

  test("HTTP/2.0 in a request line that is not the preface: 505, closed", async () => {
    expect(await refused("GET /x HTTP/2.0\r\nHost: a\r\n\r\n")).toEqual({ status: 505, closed: true });
  });
});

describe("what HTTP/1.1 cannot carry", () => {
  test("gRPC over HTTP/1.1: 505, as grpc-go's ServeHTTP answers, closed", async () => {
    const r = await refused(
      `POST /grpcperf.v1.Echo/Echo HTTP/1.1\r\nHost: t\r\ncontent-type: application/grpc\r\nContent-Length: 0\r\n\r\n`,
    );
    expect(r).toEqual({ status: 505, closed: true });
  });

  test("a bidi stream (EchoStream) in Connect: 505, as connect-go answers, closed", async () => {
    const r = await refused(
      `POST /grpcperf.v1.Echo/EchoStream HTTP/1.1\r\nHost: t\r\ncontent-type: application/connect+proto\r\nContent-Length: 0\r\n\r\n`,
    );
    expect(r).toEqual({ status: 505, closed: true });
  });

  test("a content-type of no protocol: 415, and the connection serves the next request", async () => {
    const c = await RawHttp1.connect(port);
    c.write(
      "POST /grpcperf.v1.Echo/Echo HTTP/1.1\r\nHost: t\r\ncontent-type: text/plain\r\nContent-Length: 1\r\n\r\nx",
    );
    expect((await c.response())?.status).toBe(415);
    c.write(connectEcho('{"sequence":"4"}'));
    const r = await c.response();
    expect(JSON.parse(r?.body.toString() ?? "{}").sequence).toBe("4");
    c.end();
  });

  test("an unknown expectation: 417", async () => {
    expect((await refusedOrKept(connectEcho("{}", "Expect: 200-ok\r\n")))?.status).toBe(417);
  });
});

async function refusedOrKept(bytes: string) {
  const c = await RawHttp1.connect(port);
  c.write(bytes);
  const r = await c.response();
  c.end();
  return r;
}

describe("keep-alive, pipelining, 100-continue", () => {
  test("pipelined requests in one write are answered in order", async () => {
    const c = await RawHttp1.connect(port);
    c.write(connectEcho('{"sequence":"1"}') + connectEcho('{"sequence":"2"}') + connectEcho('{"sequence":"3"}'));
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push(JSON.parse((await c.response())?.body.toString() ?? "{}").sequence);
    expect(got).toEqual(["1", "2", "3"]);
    c.end();
  });

  test("Expect: 100-continue gets 100 Continue, then the answer once the body came", async () => {
    const c = await RawHttp1.connect(port);
    const body = '{"sequence":"9"}';
    c.write(`${POST}connect-protocol-version: 1\r\nExpect: 100-continue\r\nContent-Length: ${body.length}\r\n\r\n`);
    expect((await c.response())?.status).toBe(100);
    c.write(body);
    const r = await c.response();
    expect({ status: r?.status, sequence: JSON.parse(r?.body.toString() ?? "{}").sequence }).toEqual({
      status: 200,
      sequence: "9",
    });
    c.end();
  });

  test("a target in absolute-form names its path (RFC 9112 §3.2.2)", async () => {
    const c = await RawHttp1.connect(port);
    c.write(connectEcho('{"sequence":"11"}').replace("POST /grpcperf", "POST http://test/grpcperf"));
    expect(JSON.parse((await c.response())?.body.toString() ?? "{}").sequence).toBe("11");
    c.end();
  });

  test("a chunked request with an extension and a trailer section", async () => {
    const c = await RawHttp1.connect(port);
    const body = '{"sequence":"6"}';
    c.write(
      `${POST}connect-protocol-version: 1\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `5;name=value\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\nx-t: 1\r\n\r\n`,
    );
    const r = await c.response();
    expect(JSON.parse(r?.body.toString() ?? "{}").sequence).toBe("6");
    c.end();
  });

  test("Connection: close is honoured; HTTP/1.0 closes unless it asks for keep-alive", async () => {
    for (const [extra, version, closes] of [
      ["Connection: close\r\n", "1.1", true],
      ["", "1.0", true],
      ["Connection: keep-alive\r\n", "1.0", false],
    ] as const) {
      const c = await RawHttp1.connect(port);
      c.write(connectEcho("{}", extra, version));
      const r = await c.response();
      expect({ extra, status: r?.status, close: r?.headers.connection }).toEqual({
        extra,
        status: 200,
        close: closes ? "close" : undefined,
      });
      if (closes) await c.untilClosed();
      c.end();
    }
  });
});

describe("slow and idle clients", () => {
  test("a head that does not come whole within --handshake-timeout: the connection is closed", async () => {
    const slow = await serveOnLoopback([echoService()], { limits: { handshakeTimeoutMs: 100 } });
    try {
      const c = await RawHttp1.connect(slow.address.kind === "tcp" ? slow.address.port : 0);
      c.write("POST /grpcperf.v1.Echo/Echo HTTP/1.1\r\nHost: t\r\n");
      await c.untilClosed();
      expect(c.closed).toBe(true);
    } finally {
      await slow.stop();
    }
  });

  test("an idle keep-alive connection is closed after --max-connection-idle", async () => {
    const idle = await serveOnLoopback([echoService()], { limits: { maxConnectionIdleMs: 100 } });
    try {
      const c = await RawHttp1.connect(idle.address.kind === "tcp" ? idle.address.port : 0);
      c.write(connectEcho("{}"));
      expect((await c.response())?.status).toBe(200);
      expect((await c.untilClosed()).length).toBe(0);
    } finally {
      await idle.stop();
    }
  });
});

describe("--max-connection-age", () => {
  test("an HTTP/1.1 connection past its age is closed once idle, as HTTP/2's gets GOAWAY", async () => {
    const s = await serveOnLoopback([echoService()], { limits: { maxConnectionAgeMs: 100 } });
    try {
      const c = await RawHttp1.connect(s.address.kind === "tcp" ? s.address.port : 0);
      c.write(connectEcho('{"sequence":"1"}'));
      expect((await c.response())?.status).toBe(200);
      expect((await c.untilClosed()).length).toBe(0);
    } finally {
      await s.stop();
    }
  });
});

describe("graceful shutdown", () => {
  test("a call in flight on HTTP/1.1 is answered (Connection: close), then the connection closes", async () => {
    const s = await serveOnLoopback([echoService()]);
    const c = await RawHttp1.connect(s.address.kind === "tcp" ? s.address.port : 0);
    c.write(connectEcho('{"sequence":"5","serverDelayUs":"200000"}'));
    // The head was read once the engine counts the call (no timer: each turn of the loop looks once).
    while (s.server.inFlight() === 0) await new Promise((resolve) => setImmediate(resolve));
    const shutdown = s.server.shutdown(10_000);
    const r = await c.response();
    expect({ status: r?.status, connection: r?.headers.connection }).toEqual({ status: 200, connection: "close" });
    expect(JSON.parse(r?.body.toString() ?? "{}").sequence).toBe("5");
    await c.untilClosed();
    expect(await shutdown).toEqual({ forced: false });
  });
});

describe("--max-connections", () => {
  test("an idle keep-alive HTTP/1.1 connection makes room for a newcomer, as an idle HTTP/2 one does", async () => {
    const s = await serveOnLoopback([echoService()], { limits: { maxConnections: 1 } });
    try {
      const p = s.address.kind === "tcp" ? s.address.port : 0;
      const idle = await RawHttp1.connect(p);
      idle.write(connectEcho('{"sequence":"1"}'));
      expect((await idle.response())?.status).toBe(200);
      const newcomer = await RawHttp1.connect(p);
      newcomer.write(connectEcho('{"sequence":"2"}'));
      expect(JSON.parse((await newcomer.response())?.body.toString() ?? "{}").sequence).toBe("2");
      await idle.untilClosed();
      newcomer.end();
    } finally {
      await s.stop();
    }
  });
});

describe("a client that does not read its answers", () => {
  test("its next request waits for the answer to be taken; none taken within --send-timeout: cut", async () => {
    const s = await serveOnLoopback([echoService()], { limits: { sendTimeoutMs: 200 } });
    try {
      const c = await RawHttp1.connect(s.address.kind === "tcp" ? s.address.port : 0);
      c.socket.pause();
      // Answers of ~3.3 MB each (the payload echoed), asked for in one go and never read: the kernel's
      // buffers (up to 32 MiB + 4 MiB here: tcp_rmem, tcp_wmem) fill, the server stops reading with requests
      // still unread, and the send timeout ends it (a reset, which a paused client sees as it would not see
      // a FIN).
      const big = connectEcho(`{"payload":"${Buffer.alloc(2_500_000).toString("base64")}"}`);
      for (let i = 0; i < 20; i++) c.write(big);
      await c.closedEvent;
      expect(c.closed).toBe(true);
    } finally {
      await s.stop();
    }
  });
});
