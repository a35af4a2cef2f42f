// gRPC's C core as the client (Debian's python3-grpcio, which .ci/run installs): an independent HTTP/2 and
// gRPC implementation with its own flow control and BDP pings, against both engines over real sockets.
// Without python3-grpcio the tests are skipped, and say so (a failure under GRPCPERF_REQUIRE_ALL=1, as in CI).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../../src/api/echo.ts";
import { toLong } from "../../src/clock.ts";
import { Status } from "../../src/rpc/status.ts";
import { echoService } from "../../src/server/echo.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";
import { available } from "../support/require-env.ts";
import { FailMethod, probeService, SlowMethod } from "../support/services.ts";

const PYTHON = "/usr/bin/python3";
const hasGrpcio = available(
  "interop-ccore: python3-grpcio",
  spawnSync(PYTHON, ["-c", "import grpc"], { stdio: "ignore" }).status === 0,
  "apt-get install python3-grpcio",
);

// Raw bytes in, raw bytes out: the messages are encoded here, so Python needs no generated code.
const CLIENT = `
import grpc, json, sys
from concurrent import futures
target, calls = sys.argv[1], json.loads(sys.stdin.read())
ch = grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", 8 << 20), ("grpc.max_send_message_length", 8 << 20)])
def run(c):
    stub = ch.unary_unary(c["path"])
    try:
        out = stub(bytes.fromhex(c["request"]), timeout=c.get("timeout", 30))
        return {"code": 0, "response": out.hex()}
    except grpc.RpcError as e:
        return {"code": e.code().value[0], "details": e.details()}
with futures.ThreadPoolExecutor(max_workers=16) as pool:
    print(json.dumps(list(pool.map(run, calls))))
`;

interface Call {
  readonly path: string;
  readonly request: Uint8Array;
  readonly timeout?: number;
}
interface Outcome {
  readonly code: number;
  readonly response?: string;
  readonly details?: string;
}

let srv: TestServer;
const script = join(mkdtempSync(join(tmpdir(), "grpcperf-ccore-")), "client.py");
writeFileSync(script, CLIENT);

/** Async: the server runs in this process, so the client must not block its event loop. */
async function callAll(calls: Call[]): Promise<Outcome[]> {
  const input = JSON.stringify(calls.map((c) => ({ ...c, request: Buffer.from(c.request).toString("hex") })));
  const child = Bun.spawn([PYTHON, script, srv.target], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  child.stdin.write(input);
  await child.stdin.end();
  const [stdout, stderr, code] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (code !== 0) throw new Error(`python client failed (${code}): ${stderr}`);
  return JSON.parse(stdout) as Outcome[];
}

const echoReq = (payload: Buffer, sequence = 1) => encodeMessage(EchoRequest, { payload, sequence });
const payloadOf = (o: Outcome) => Buffer.from(EchoResponse.decode(Buffer.from(o.response ?? "", "hex")).payload ?? []);

describe.skipIf(!hasGrpcio).each(["lean", "grpc-js"] as const)(
  "C-core client (python3-grpcio) → %s engine",
  (engine) => {
    beforeAll(async () => {
      srv = await serveOnLoopback([echoService(), probeService()], { engine });
    });
    afterAll(async () => {
      await srv.stop();
    });

    test("echo: 16 bytes, 64 KiB and 4 MiB - 64 payloads come back intact", async () => {
      const sizes = [16, 65_536, (4 << 20) - 64];
      const payloads = sizes.map((n) => Buffer.alloc(n, n & 0xff));
      const out = await callAll(payloads.map((p) => ({ path: EchoMethod.path, request: echoReq(p) })));
      out.forEach((o, i) => {
        expect(o.code).toBe(Status.OK);
        expect(payloadOf(o).equals(payloads[i] as Buffer)).toBe(true);
      });
    });

    test("200 calls, 16 at a time on one channel: all OK, each its own answer", async () => {
      const calls = Array.from({ length: 200 }, (_, i) => ({
        path: EchoMethod.path,
        request: echoReq(Buffer.from(`call ${i}`), i + 1),
      }));
      const out = await callAll(calls);
      out.forEach((o, i) => {
        expect(o.code).toBe(Status.OK);
        expect(payloadOf(o).toString()).toBe(`call ${i}`);
      });
    });

    test("statuses: unknown method, a service error with its message, a deadline, an oversized request", async () => {
      const out = await callAll([
        { path: "/grpcperf.v1.Echo/Nope", request: echoReq(Buffer.from("x")) },
        {
          path: FailMethod.path,
          request: encodeMessage(EchoRequest, { payload: Buffer.from("nö: bad"), sequence: toLong(9n) }),
        },
        { path: SlowMethod.path, request: encodeMessage(EchoRequest, { sequence: toLong(2000n) }), timeout: 0.2 },
        { path: EchoMethod.path, request: echoReq(Buffer.alloc(5 << 20)) },
      ]);
      expect(out.map((o) => o.code)).toEqual([
        Status.UNIMPLEMENTED,
        Status.FAILED_PRECONDITION,
        Status.DEADLINE_EXCEEDED,
        Status.RESOURCE_EXHAUSTED,
      ]);
      expect(out[1]?.details).toBe("nö: bad");
    });

    test("health Check over the same client", async () => {
      const [o] = await callAll([{ path: "/grpc.health.v1.Health/Check", request: Buffer.alloc(0) }]);
      expect(o?.code).toBe(Status.OK);
      expect(o?.response).toBe("0801"); // status: SERVING
    });
  },
);
