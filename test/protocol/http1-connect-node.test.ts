// --http1: grpcperf call and bench (the compiled binary) in Connect and gRPC-Web over HTTP/1.1 with
// keep-alive, against connect-node's handler on node:http: unary calls in both codecs, errors with
// details read as gRPC's, a bidi stream refused by the peer (it needs HTTP/2) as one clear status.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type ConnectPeer, startConnectPeer } from "../support/connect-peer.ts";
import { ROOT, runBinaryAsync } from "../support/helpers.ts";

const PROTO = join(ROOT, "proto/grpcperf/v1/echo.proto");
let peer: ConnectPeer;
beforeAll(async () => {
  peer = await startConnectPeer({ http1: true });
});
afterAll(async () => {
  await peer.close();
});

const call = (protocol: string, codec: string, method: string, data: string, extra: string[] = []) =>
  runBinaryAsync([
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
    "--http1",
    "--json",
    "-d",
    data,
    ...extra,
  ]);
const lines = (stdout: string) =>
  stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));

for (const protocol of ["connect", "grpc-web"]) {
  for (const codec of ["proto", "json"]) {
    describe(`${protocol} with ${codec} over HTTP/1.1`, () => {
      test("unary, and an error with details", async () => {
        const ok = await call(protocol, codec, "Echo", '{"sequence":"3"}');
        const [message, status] = lines(ok.stdout);
        expect({ sequence: message.message.sequence, status: status.status }).toEqual({ sequence: "3", status: "OK" });
        const failed = await call(protocol, codec, "Echo", '{"payload":"ZmFpbA=="}');
        const [end] = lines(failed.stdout);
        expect(end).toMatchObject({ status: "FAILED_PRECONDITION", details: "asked to fail" });
        expect(end.status_details.details[0].sequence).toBe("7");
      });
    });
  }
}

test("Connect GET over HTTP/1.1", async () => {
  const r = await call("connect", "proto", "Echo", '{"sequence":"8"}', ["--http-get"]);
  expect(lines(r.stdout)[0].message.sequence).toBe("8");
});

test("a bidi stream the HTTP/1.1 peer will not take is one status, no hint about gRPC", async () => {
  const r = await call("connect", "proto", "EchoStream", '{"sequence":"1"}');
  const [end] = lines(r.stdout);
  expect(end.status).toBe("UNKNOWN");
  expect(end.details).toContain("HTTP status 505");
  expect(r.stderr).toBe("");
});

test("bench --http1: every call answered over keep-alive connections, reported as such", async () => {
  const r = await runBinaryAsync([
    "bench",
    "-s",
    `127.0.0.1:${peer.port}`,
    "--protocol",
    "connect",
    "--http1",
    "-n",
    "200",
    "-c",
    "2",
    "-t",
    "1",
    "--warmup",
    "0s",
    "--json",
  ]);
  const report = JSON.parse(r.stdout);
  expect(report.options).toMatchObject({ protocol: "connect", http1: true });
  expect(report.total).toMatchObject({ requests: 200, ok: 200, failed: 0 });
});

test("--http1 with gRPC is refused in one line", async () => {
  const r = await runBinaryAsync(["call", "grpcperf.v1.Echo/Echo", "-s", `127.0.0.1:${peer.port}`, "--http1"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain("gRPC needs HTTP/2");
});
