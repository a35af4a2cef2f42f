// grpcperf call (the compiled binary) against a server it did not write: @connectrpc/connect-node serving
// gRPC, gRPC-Web and Connect on one HTTP/2 port. Each protocol and codec: a unary call, a bidi stream, and
// an error with details, which every protocol must report the same way (status, message, decoded details).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { encodeMessage } from "../../src/api/codec.ts";
import { EchoRequest } from "../../src/api/echo.ts";
import { openChannel } from "../../src/client/channel.ts";
import { wireOf } from "../../src/protocol/wire.ts";
import { type ConnectPeer, startConnectPeer } from "../support/connect-peer.ts";
import { ROOT, runBinaryAsync } from "../support/helpers.ts";

const PROTO = join(ROOT, "proto/grpcperf/v1/echo.proto");
let peer: ConnectPeer;

beforeAll(async () => {
  peer = await startConnectPeer();
});
afterAll(async () => {
  await peer.close();
});

function call(protocol: string, codec: string, method: string, data: string) {
  return runBinaryAsync([
    "call",
    `grpcperf.v1.Echo/${method}`,
    "-s",
    `127.0.0.1:${peer.port}`,
    "--proto",
    PROTO,
    "--protocol",
    protocol,
    "--codec",
    codec,
    "--json",
    "-d",
    data,
  ]);
}

const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

for (const protocol of ["grpc", "connect", "grpc-web"]) {
  for (const codec of ["proto", "json"]) {
    describe(`${protocol} with ${codec}`, () => {
      test("unary", async () => {
        const r = await call(protocol, codec, "Echo", '{"payload":"aGk=","sequence":"3"}');
        expect(r.stderr).toBe("");
        const [message, status] = lines(r.stdout);
        expect(message.message).toEqual({ payload: "aGk=", sequence: "3" });
        expect(status.status).toBe("OK");
        expect(r.code).toBe(0);
      });

      test("bidi stream", async () => {
        const r = await call(protocol, codec, "EchoStream", '{"sequence":"1"} {"sequence":"2"} {"sequence":"3"}');
        const out = lines(r.stdout);
        expect(out.slice(0, 3).map((o) => o.message.sequence)).toEqual(["1", "2", "3"]);
        expect(out[3]).toMatchObject({ status: "OK", sent: 3, received: 3 });
      });

      test("an error with details reads as gRPC's", async () => {
        const r = await call(protocol, codec, "Echo", '{"payload":"ZmFpbA=="}');
        const [status] = lines(r.stdout);
        expect(status).toMatchObject({ status: "FAILED_PRECONDITION", details: "asked to fail" });
        expect(status.status_details.details).toEqual([
          { "@type": "type.googleapis.com/grpcperf.v1.EchoResponse", sequence: "7" },
        ]);
        expect(r.code).toBe(1);
      });
    });
  }
}

test("a Connect client at a gRPC-only answer names what it found", async () => {
  // connect-node answers an unknown content-type with 415; the call names the status, in one line.
  const r = await runBinaryAsync([
    "call",
    "grpcperf.v1.Echo/Echo",
    "-s",
    `127.0.0.1:${peer.port}`,
    "--proto",
    PROTO,
    "--protocol",
    "grpc-web-text",
  ]);
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split("\n")).toHaveLength(1);
  expect(r.stderr).toContain("HTTP status 415");
});

test("the lean client's unary() (bench's path) in each protocol: the message, or the status with its message", async () => {
  for (const name of ["grpc", "connect", "grpc-web"]) {
    const wire = wireOf(name, "proto");
    if (typeof wire === "string") throw new Error(wire);
    const channel = openChannel({ kind: "tcp", host: "127.0.0.1", port: peer.port }, { client: "lean", wire });
    try {
      const ok = await channel.unary("/grpcperf.v1.Echo/Echo", encodeMessage(EchoRequest, { sequence: 5 }));
      expect({ name, ok: ok.ok }).toEqual({ name, ok: true });
      const failed = await channel.unary(
        "/grpcperf.v1.Echo/Echo",
        encodeMessage(EchoRequest, { payload: Buffer.from("fail") }),
      );
      expect({ name, failed }).toEqual({
        name,
        failed: { ok: false, error: { code: 9, details: "asked to fail" } },
      });
    } finally {
      await channel.close();
    }
  }
});

test("--http-get: Connect's GET for a method marked NO_SIDE_EFFECTS, in both codecs; refused where it cannot be", async () => {
  for (const codec of ["proto", "json"]) {
    const r = await runBinaryAsync([
      "call",
      "grpcperf.v1.Echo/Echo",
      "-s",
      `127.0.0.1:${peer.port}`,
      "--proto",
      PROTO,
      "--protocol",
      "connect",
      "--codec",
      codec,
      "--http-get",
      "--json",
      "-d",
      '{"sequence":"12"}',
    ]);
    const [message, status] = lines(r.stdout);
    expect({ codec, sequence: message.message.sequence, status: status.status }).toEqual({
      codec,
      sequence: "12",
      status: "OK",
    });
  }
  const stream = await runBinaryAsync([
    "call",
    "grpcperf.v1.Echo/EchoStream",
    "-s",
    `127.0.0.1:${peer.port}`,
    "--proto",
    PROTO,
    "--protocol",
    "connect",
    "--http-get",
  ]);
  expect(stream.code).toBe(2);
  expect(stream.stderr).toContain("GET is for unary methods");
});
