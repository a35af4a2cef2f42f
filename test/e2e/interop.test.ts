// Independent reference: grpc-js's client against our server, and our client against a plain grpc-js
// server (bound by grpc-js itself, not through our transports).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as grpc from "@grpc/grpc-js";
import { asBuffer, encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { fromLong } from "../../src/clock.ts";
import { Status } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import { CLIENTS, channelTo, serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { FailMethod, probeService } from "../support/services.ts";

const serialize = (m: grpcperfReq) => encodeMessage(EchoRequest, m);
type grpcperfReq = Parameters<typeof EchoRequest.encode>[0];
const deserialize = (b: Buffer) => EchoResponse.decode(b);

describe("grpc-js client → grpcperf server", () => {
  let srv: TestServer;
  let client: grpc.Client;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService(), probeService()]);
    client = new grpc.Client(srv.target, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    client.close();
    await srv.stop();
  });

  const call = (path: string, req: grpcperfReq) =>
    new Promise<{ err: grpc.ServiceError | null; res?: EchoResponse }>((resolve) => {
      client.makeUnaryRequest(path, serialize, deserialize, req, (err, res) => resolve({ err, res }));
    });

  test("echo", async () => {
    const { err, res } = await call(EchoMethod.path, { payload: Buffer.from("interop"), sequence: 9 });
    expect(err).toBeNull();
    expect(Buffer.from(res?.payload ?? []).toString()).toBe("interop");
    expect(fromLong(res?.sequence)).toBe(9n);
    expect(fromLong(res?.serverSendUnixNanos)).toBeGreaterThan(0n);
  });

  test("bidi EchoStream answers each message in order", async () => {
    const stream = client.makeBidiStreamRequest("/grpcperf.v1.Echo/EchoStream", serialize, deserialize);
    const got: number[] = [];
    const done = new Promise<void>((resolve, reject) => {
      stream.on("data", (r: EchoResponse) => got.push(Number(fromLong(r.sequence))));
      stream.on("end", resolve);
      stream.on("error", reject);
    });
    for (let i = 1; i <= 5; i++) stream.write({ sequence: i });
    stream.end();
    await done;
    expect(got).toEqual([1, 2, 3, 4, 5]);
  });

  test("unknown method → UNIMPLEMENTED", async () => {
    const { err } = await call("/grpcperf.v1.Echo/Missing", {});
    expect(err?.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  test("service errors arrive with code and message", async () => {
    const { err } = await call(FailMethod.path, { sequence: Status.NOT_FOUND, payload: Buffer.from("no key ✗") });
    expect(err?.code).toBe(grpc.status.NOT_FOUND);
    expect(err?.details).toBe("no key ✗");
  });
});

// The same cases for both HTTP/2 clients: node:http2 and the lean one (src/rpc/lean).
describe.each(CLIENTS)("%s client", (client) => {
  describe("grpcperf client → plain grpc-js server", () => {
    let server: grpc.Server;
    let port: number;
    beforeAll(async () => {
      server = new grpc.Server();
      const passthrough = (b: Buffer) => b;
      server.register(
        EchoMethod.path,
        ((call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          const req = EchoRequest.decode(call.request);
          cb(null, encodeMessage(EchoResponse, { payload: req.payload, sequence: req.sequence }));
        }) as grpc.UntypedHandleCall,
        passthrough,
        passthrough,
        "unary",
      );
      server.register(
        "/ref.Ref/Fail",
        ((call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          const req = EchoRequest.decode(call.request);
          cb({ code: Number(fromLong(req.sequence)), details: Buffer.from(req.payload ?? []).toString() });
        }) as grpc.UntypedHandleCall,
        passthrough,
        passthrough,
        "unary",
      );
      server.register(
        "/ref.Ref/Slow",
        ((_call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
          setTimeout(() => cb(null, asBuffer(new Uint8Array(0))), 2_000);
        }) as grpc.UntypedHandleCall,
        passthrough,
        passthrough,
        "unary",
      );
      port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
          err ? reject(err) : resolve(p),
        ),
      );
    });
    afterAll(() => server.forceShutdown());

    const address = () => ({ kind: "tcp" as const, host: "127.0.0.1", port });

    test("echo", async () => {
      const ch = channelTo(address(), { client });
      const r = await ch.unary(
        EchoMethod.path,
        encodeMessage(EchoRequest, { payload: Buffer.from("ref"), sequence: 3 }),
      );
      expect(r.ok).toBe(true);
      if (r.ok) expect(Buffer.from(EchoResponse.decode(r.value).payload).toString()).toBe("ref");
      await ch.close();
    });

    test.each([
      Status.CANCELLED,
      Status.INVALID_ARGUMENT,
      Status.NOT_FOUND,
      Status.PERMISSION_DENIED,
      Status.RESOURCE_EXHAUSTED,
      Status.INTERNAL,
      Status.UNAVAILABLE,
      Status.UNAUTHENTICATED,
    ])("status %d with a percent-encoded message (trailers-only response)", async (code) => {
      const ch = channelTo(address(), { client });
      const details = `failed: 100% ünïcode\nsecond line`;
      const r = await ch.unary(
        "/ref.Ref/Fail",
        encodeMessage(EchoRequest, { sequence: code, payload: Buffer.from(details) }),
      );
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe(code);
        expect(r.error.details).toBe(details);
      }
      await ch.close();
    });

    test("unknown method → UNIMPLEMENTED", async () => {
      const ch = channelTo(address(), { client });
      const r = await ch.unary("/ref.Ref/Nope", Buffer.alloc(0));
      expect(r.ok ? 0 : r.error.code).toBe(Status.UNIMPLEMENTED);
      await ch.close();
    });

    test("deadline → DEADLINE_EXCEEDED", async () => {
      const ch = channelTo(address(), { client });
      const r = await ch.unary("/ref.Ref/Slow", Buffer.alloc(0), { timeoutMs: 100 });
      expect(r.ok ? 0 : r.error.code).toBe(Status.DEADLINE_EXCEEDED);
      await ch.close();
    });
  });
});
