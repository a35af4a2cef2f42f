// bench --protocol and --protocols (the compiled binary) against grpcperf serve: the same load in each
// protocol, a report each and a comparison, every call answered; bad combinations refused in one line.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBinaryAsync, type ServedBinary, serveBinary } from "../support/helpers.ts";

let served: ServedBinary;
let servedUnix: ServedBinary;
const dir = mkdtempSync(join(tmpdir(), "grpcperf-protocols-"));
const socket = join(dir, "serve.sock");
beforeAll(async () => {
  // TCP (the target) and a Unix socket: every transport carries every protocol. Two servers: serve listens
  // on one address, and a second --addr would replace the first.
  [served, servedUnix] = await Promise.all([serveBinary(), serveBinary(["--addr", `unix://${socket}`])]);
});
afterAll(async () => {
  await Promise.all([served.stop(), servedUnix.stop()]);
});

/** A small closed-loop run: 100 calls, one connection, one thread, no warm-up, the JSON report on stdout. */
const SMALL_RUN = ["-n", "100", "-c", "1", "-t", "1", "--warmup", "0s", "--json"];

test("--protocols: a report per protocol and a comparison of them", async () => {
  const out = join(dir, "run.json");
  const r = await runBinaryAsync([
    "bench",
    "-s",
    served.target,
    "--protocols",
    "grpc,connect,grpc-web",
    "-n",
    "200",
    "-c",
    "2",
    "-t",
    "1",
    "--warmup",
    "0s",
    "-o",
    out,
    "-q",
  ]);
  expect(r.code).toBe(0);
  for (const [name, protocol] of [
    ["grpc", undefined],
    ["connect", "connect"],
    ["grpc-web", "grpc-web"],
  ] as const) {
    const report = JSON.parse(readFileSync(join(dir, `run.${name}.json`), "utf8"));
    expect(report.options.protocol).toBe(protocol);
    expect(report.total).toMatchObject({ requests: 200, ok: 200, failed: 0 });
  }
  const compared = JSON.parse(readFileSync(join(dir, "run.compare.json"), "utf8"));
  expect(compared.runs).toHaveLength(3);
  expect(compared.differences).toEqual([]);
  expect(r.stdout).toContain("calls per CPU-s");
});

test("--codec json over Connect: every call answered", async () => {
  const r = await runBinaryAsync([
    "bench",
    "-s",
    served.target,
    "--protocol",
    "connect",
    "--codec",
    "json",
    "--service",
    "both",
    ...SMALL_RUN,
  ]);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.options).toMatchObject({ protocol: "connect", codec: "json" });
  expect(report.total.failed).toBe(0);
});

test("--http-get: Connect's GET under load, every call answered", async () => {
  const r = await runBinaryAsync(["bench", "-s", served.target, "--protocol", "connect", "--http-get", ...SMALL_RUN]);
  expect(r.code).toBe(0);
  const report = JSON.parse(r.stdout);
  expect(report.options).toMatchObject({ protocol: "connect", http_get: true });
  expect(report.total).toMatchObject({ requests: 100, ok: 100 });
});

test("bad combinations are one line, exit 2", async () => {
  for (const [args, line] of [
    [["--protocol", "connect", "--client", "http2"], "lean client"],
    [["--protocol", "thrift"], "--protocol thrift"],
    [["--protocols", "grpc"], "two or more"],
    [["--protocols", "grpc,connect", "--protocol", "grpc"], "exclude each other"],
    [["--codec", "json", "--service", "echo-stream"], "--codec json"],
    [["--http-get"], "--http-get"],
    [["--http-get", "--protocol", "connect", "--service", "crypto"], "--http-get"],
  ] as const) {
    const r = await runBinaryAsync(["bench", "-s", served.target, "-n", "1", ...args]);
    expect({ args, code: r.code }).toEqual({ args, code: 2 });
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(line);
  }
});

test("over a Unix socket: call and bench in Connect and gRPC-Web text", async () => {
  const call = await runBinaryAsync([
    "call",
    "grpcperf.v1.Echo/EchoStream",
    "-s",
    `unix://${socket}`,
    "--protocol",
    "grpc-web-text",
    "--codec",
    "json",
    "--json",
    "-d",
    '{"sequence":"4"} {"sequence":"5"}',
  ]);
  const lines = call.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => l.message?.sequence ?? l.status)).toEqual(["4", "5", "OK"]);
  const bench = await runBinaryAsync(["bench", "-s", `unix://${socket}`, "--protocol", "connect", ...SMALL_RUN]);
  expect(JSON.parse(bench.stdout).total).toMatchObject({ requests: 100, ok: 100 });
});
