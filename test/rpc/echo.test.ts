// Echo over real TCP sockets: our server, our thin client.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { fromLong, toLong, unixNanos } from "../../src/clock.ts";
import { type Result, Status } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import { CLIENTS, channelTo, ENGINES, serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { BigMethod, GateMethod, gateService, probeService, SlowMethod } from "../support/services.ts";

const req = (payload: Uint8Array, sequence = 1) =>
  encodeMessage(EchoRequest, { payload, sequence, clientSendUnixNanos: toLong(unixNanos()) });

// The same cases for both HTTP/2 clients: node:http2 and the lean one (src/rpc/lean).
describe.each(CLIENTS)("%s client", (client) => {
  // Every behaviour holds on each way the server serves: the lean engine, grpc-js's fast path, grpc-js alone.
  describe.each(ENGINES)("Echo over TCP, %s", (_name, engine) => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await serveOnLoopback([echoService(), probeService()], engine);
    });
    afterAll(() => srv.stop());

    test.each([
      ["empty", 0],
      ["1 byte", 1],
      ["1 MiB", 1024 * 1024],
    ])("%s payload comes back byte for byte", async (_name, size) => {
      const ch = channelTo(srv.address, { client });
      const payload = Buffer.alloc(size);
      for (let i = 0; i < size; i++) payload[i] = (i * 31 + 7) & 0xff;
      const before = unixNanos();
      const r = await ch.unary(EchoMethod.path, req(payload, 42), { timeoutMs: 10_000 });
      const after = unixNanos();
      await ch.close();
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const res = EchoResponse.decode(r.value);
      expect(Buffer.compare(Buffer.from(res.payload ?? []), payload)).toBe(0);
      expect(fromLong(res.sequence)).toBe(42n);
      const recv = fromLong(res.serverRecvUnixNanos);
      const send = fromLong(res.serverSendUnixNanos);
      expect(recv).toBeGreaterThanOrEqual(before);
      expect(send).toBeGreaterThanOrEqual(recv);
      expect(after).toBeGreaterThanOrEqual(send);
      expect(fromLong(res.clientSendUnixNanos)).toBeLessThanOrEqual(recv);
    });

    test("many calls share one connection", async () => {
      const ch = channelTo(srv.address, { client });
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) => ch.unary(EchoMethod.path, req(Buffer.from([i & 0xff]), i))),
      );
      expect(results.every((r) => r.ok)).toBe(true);
      expect(ch.stats.connects).toBe(1);
      await ch.close();
    });

    test("unaryOutcome (the load generator's call) ends as unary() does, the response checked, not kept", async () => {
      const ch = channelTo(srv.address, { client, maxReceiveMessageBytes: 2 * 1024 * 1024 });
      const outcome = (path: string, body: Uint8Array, timeoutMs?: number) =>
        new Promise<Result<unknown>>((resolve) => ch.unaryOutcome(path, body, { timeoutMs }, resolve));
      const code = (r: Result<unknown>) => (r.ok ? 0 : r.error.code);
      // Responses whole in one DATA frame, and spread over many (1 MiB): both ok, no message handed over.
      for (const size of [0, 16, 1024 * 1024]) {
        const r = await outcome(EchoMethod.path, req(Buffer.alloc(size, 3)));
        expect(code(r)).toBe(0);
      }
      expect(code(await outcome("/grpcperf.v1.Echo/Nope", req(Buffer.alloc(0))))).toBe(Status.UNIMPLEMENTED);
      expect(code(await outcome(SlowMethod.path, req(Buffer.alloc(0), 2_000), 50))).toBe(Status.DEADLINE_EXCEEDED);
      await ch.close();
      const small = channelTo(srv.address, { client, maxReceiveMessageBytes: 1024 });
      const big = await new Promise<Result<unknown>>((resolve) =>
        small.unaryOutcome(BigMethod.path, req(Buffer.alloc(0), 4096), {}, resolve),
      );
      expect(code(big)).toBe(Status.RESOURCE_EXHAUSTED);
      await small.close();
    });

    test("deadline passes → DEADLINE_EXCEEDED", async () => {
      const ch = channelTo(srv.address, { client });
      const r = await ch.unary(SlowMethod.path, req(Buffer.alloc(0), 2_000), { timeoutMs: 50 });
      expect(r.ok ? 0 : r.error.code).toBe(Status.DEADLINE_EXCEEDED);
      // the connection is still good for the next call
      const again = await ch.unary(EchoMethod.path, req(Buffer.from("x")));
      expect(again.ok).toBe(true);
      await ch.close();
    });

    test("unknown method → UNIMPLEMENTED", async () => {
      const ch = channelTo(srv.address, { client });
      const r = await ch.unary("/grpcperf.v1.Echo/Nope", req(Buffer.alloc(0)));
      expect(r.ok ? 0 : r.error.code).toBe(Status.UNIMPLEMENTED);
      await ch.close();
    });

    test("request over the server's limit → RESOURCE_EXHAUSTED", async () => {
      const ch = channelTo(srv.address, { client, maxSendMessageBytes: 64 * 1024 * 1024 });
      const r = await ch.unary(EchoMethod.path, req(Buffer.alloc(5 * 1024 * 1024)));
      expect(r.ok ? 0 : r.error.code).toBe(Status.RESOURCE_EXHAUSTED);
      await ch.close();
    });

    test("request over the client's own send limit → RESOURCE_EXHAUSTED without sending", async () => {
      const ch = channelTo(srv.address, { client, maxSendMessageBytes: 1024 });
      const r = await ch.unary(EchoMethod.path, req(Buffer.alloc(2048)));
      expect(r.ok ? 0 : r.error.code).toBe(Status.RESOURCE_EXHAUSTED);
      expect(ch.stats.connects).toBe(0);
    });

    test("response over the client's receive limit → RESOURCE_EXHAUSTED", async () => {
      const ch = channelTo(srv.address, { client, maxReceiveMessageBytes: 1024 });
      const r = await ch.unary(BigMethod.path, req(Buffer.alloc(0), 4096));
      expect(r.ok ? 0 : r.error.code).toBe(Status.RESOURCE_EXHAUSTED);
      await ch.close();
    });

    test("malformed protobuf request → an error status, and the server keeps serving", async () => {
      const ch = channelTo(srv.address, { client });
      const r = await ch.unary(EchoMethod.path, Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]));
      expect(r.ok).toBe(false);
      if (!r.ok) expect([Status.INVALID_ARGUMENT, Status.INTERNAL]).toContain(r.error.code as never);
      expect((await ch.unary(EchoMethod.path, req(Buffer.from("ok")))).ok).toBe(true);
      await ch.close();
    });
  });

  describe("server gone", () => {
    test("calls to a stopped server → UNAVAILABLE", async () => {
      const s = await serveOnLoopback([echoService()]);
      const ch = channelTo(s.address, { client });
      expect((await ch.unary(EchoMethod.path, req(Buffer.from("a")))).ok).toBe(true);
      await s.stop();
      const r = await ch.unary(EchoMethod.path, req(Buffer.from("b")), { timeoutMs: 5_000 });
      expect(r.ok ? 0 : r.error.code).toBe(Status.UNAVAILABLE);
      await ch.close();
    });

    test("nothing listening → UNAVAILABLE naming the address", async () => {
      const s = await serveOnLoopback([echoService()]);
      await s.stop();
      const ch = channelTo(s.address, { client });
      const r = await ch.unary(EchoMethod.path, req(Buffer.from("a")));
      expect(r.ok ? 0 : r.error.code).toBe(Status.UNAVAILABLE);
      if (!r.ok) expect(r.error.details).toContain("ECONNREFUSED");
    });
  });

  describe("graceful shutdown", () => {
    test("a call in flight finishes within the grace period", async () => {
      const gate = gateService();
      const s = await serveOnLoopback([echoService(), gate.service]);
      const ch = channelTo(s.address, { client });
      const inFlight = ch.unary(GateMethod.path, req(Buffer.from("held")));
      await gate.started;
      const stopped = s.server.shutdown(5_000);
      gate.release();
      const r = await inFlight;
      expect(r.ok).toBe(true);
      expect((await stopped).forced).toBe(false);
      await ch.close();
    });
  });
});
