// The unary paths that skip grpc-js (the lean engine, and the fast path in front of grpc-js) against a raw
// HTTP/2 client that sends what a well-behaved gRPC client never would. After each case the server must
// still answer a normal call.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import http2 from "node:http2";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest } from "../../src/api/echo.ts";
import { prefixMessage } from "../../src/rpc/message.ts";
import { Status } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import { channelTo, serveOnLoopback, type TestServer } from "../support/helpers.ts";

describe.each(["lean", "grpc-js"] as const)("%s engine", (engine) => {
  let srv: TestServer;
  let client: http2.ClientHttp2Session;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()], { engine });
    client = http2.connect(`http://${srv.target}`);
    client.on("error", () => {});
  });
  afterAll(async () => {
    client.close();
    await srv.stop();
  });

  const headers = (extra: http2.OutgoingHttpHeaders = {}) => ({
    ":method": "POST",
    ":path": EchoMethod.path,
    "content-type": "application/grpc",
    te: "trailers",
    ...extra,
  });

  /** Sends raw body bytes; resolves with the grpc-status (from trailers or a trailers-only response). */
  function raw(body: Buffer, extra: http2.OutgoingHttpHeaders = {}): Promise<number | undefined> {
    return new Promise((resolve) => {
      const s = client.request(headers(extra));
      let status: number | undefined;
      const read = (h: http2.IncomingHttpHeaders) => {
        if (h["grpc-status"] !== undefined) status = Number(h["grpc-status"]);
      };
      s.on("response", read);
      s.on("trailers", read);
      s.on("data", () => {});
      s.on("error", () => {});
      s.on("close", () => resolve(status));
      s.end(body);
    });
  }

  async function stillServes() {
    const ch = channelTo(srv.address);
    const r = await ch.unary(EchoMethod.path, encodeMessage(EchoRequest, { payload: Buffer.from("alive") }));
    await ch.close();
    expect(r.ok).toBe(true);
  }

  const good = prefixMessage(encodeMessage(EchoRequest, { payload: Buffer.from("hi") }));

  describe("hardening", () => {
    test("a well-formed call succeeds", async () => {
      expect(await raw(good)).toBe(Status.OK);
    });

    test("compressed flag without negotiated compression → INTERNAL", async () => {
      const b = Buffer.from(good);
      b[0] = 1;
      expect(await raw(b)).toBe(Status.INTERNAL);
      await stillServes();
    });

    test("length prefix larger than the body → INTERNAL", async () => {
      const b = Buffer.from(good);
      b.writeUInt32BE(1000, 1);
      expect(await raw(b)).toBe(Status.INTERNAL);
      await stillServes();
    });

    test("two messages on a unary call → INTERNAL", async () => {
      expect(await raw(Buffer.concat([good, good]))).toBe(Status.INTERNAL);
      await stillServes();
    });

    test("no message at all → INTERNAL", async () => {
      expect(await raw(Buffer.alloc(0))).toBe(Status.INTERNAL);
      await stillServes();
    });

    test("length prefix over the limit → RESOURCE_EXHAUSTED from the header alone", async () => {
      const b = Buffer.from(good);
      b.writeUInt32BE(64 * 1024 * 1024, 1);
      expect(await raw(b)).toBe(Status.RESOURCE_EXHAUSTED);
      await stillServes();
    });

    test("malformed grpc-timeout → INTERNAL", async () => {
      expect(await raw(good, { "grpc-timeout": "soon" })).toBe(Status.INTERNAL);
      await stillServes();
    });

    test("gzip-encoded calls are decompressed", async () => {
      const { gzipSync } = await import("node:zlib");
      const msg = encodeMessage(EchoRequest, { payload: Buffer.from("zipped") });
      const z = gzipSync(msg);
      const frame = Buffer.alloc(5 + z.length);
      frame[0] = 1;
      frame.writeUInt32BE(z.length, 1);
      z.copy(frame, 5);
      expect(await raw(frame, { "grpc-encoding": "gzip" })).toBe(Status.OK);
    });

    test("pings with no call open, one after another: GOAWAY ENHANCE_YOUR_CALM", async () => {
      const own = http2.connect(`http://${srv.target}`);
      own.on("error", () => {});
      const goaway = new Promise<number>((resolve) => own.once("goaway", (code: number) => resolve(code)));
      await new Promise<void>((resolve) => own.once("connect", () => resolve()));
      for (let i = 0; i < 5 && !own.destroyed; i++) {
        await new Promise<void>((resolve) => {
          try {
            if (!own.ping(() => resolve())) resolve();
          } catch {
            resolve();
          }
        });
      }
      expect(await goaway).toBe(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM);
      own.destroy();
      await stillServes();
    });

    test("pings on every chunk of a large response (as BDP estimators do) are no abuse", async () => {
      // A session of its own: the keepalive policy counts per connection.
      const own = http2.connect(`http://${srv.target}`);
      own.on("error", () => {});
      let goaway = false;
      let pings = 0;
      own.on("goaway", () => {
        goaway = true;
      });
      const body = prefixMessage(encodeMessage(EchoRequest, { payload: Buffer.alloc(1 << 20, 7) }));
      const status = await new Promise<number | undefined>((resolve) => {
        const s = own.request(headers());
        let st: number | undefined;
        const read = (h: http2.IncomingHttpHeaders) => {
          if (h["grpc-status"] !== undefined) st = Number(h["grpc-status"]);
        };
        s.on("response", read);
        s.on("trailers", read);
        // One ping outstanding at a time, sent as data arrives: what grpc-go's BDP estimator does.
        let pinging = false;
        s.on("data", () => {
          if (pinging || own.destroyed) return;
          pinging = true;
          own.ping(() => {
            pinging = false;
            pings++;
          });
        });
        s.on("error", () => {});
        s.on("close", () => resolve(st));
        s.end(body);
      });
      own.close();
      expect(status).toBe(Status.OK);
      expect(goaway).toBe(false);
      expect(pings).toBeGreaterThan(3); // more than the policy's strikes would allow
    });

    test("streams reset before the answer, many at once, do not take the server down", async () => {
      for (let i = 0; i < 500; i++) {
        const s = client.request(headers());
        s.on("error", () => {});
        s.write(good);
        s.close(http2.constants.NGHTTP2_CANCEL);
      }
      await stillServes();
      expect(await raw(good)).toBe(Status.OK);
    });
  });
});
