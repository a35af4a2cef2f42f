// Issue 32's bad input: an HTTP/1.1-only peer (connect-node's handler on node:http) called over HTTP/2 is
// one line on stderr naming what it answered, and what to do: --http1 for Connect and gRPC-Web, nothing for
// gRPC (it needs HTTP/2). Through the compiled binary.
import { afterAll, beforeAll, expect, test } from "bun:test";
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

const call = (extra: string[]) =>
  runBinaryAsync([
    "call",
    "grpcperf.v1.Echo/Echo",
    "-s",
    `127.0.0.1:${peer.port}`,
    "--proto",
    PROTO,
    "-d",
    "{}",
    ...extra,
  ]);

for (const protocol of ["connect", "grpc-web"]) {
  test(`--protocol ${protocol} over HTTP/2 to an HTTP/1.1-only peer: one line saying so, and --http1`, async () => {
    const r = await call(["--protocol", protocol]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("answered in HTTP/1 (HTTP/1.1");
    expect(lines[0]).toContain(`add --http1 to call it in ${protocol} over HTTP/1.1`);
  });
}

test("gRPC to an HTTP/1.1-only peer: one line naming what it answered", async () => {
  const r = await call([]);
  expect(r.code).toBe(1);
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain("is not a gRPC server: it answered in HTTP/1 (HTTP/1.1");
  expect(lines[0]).toContain("gRPC needs HTTP/2");
});
