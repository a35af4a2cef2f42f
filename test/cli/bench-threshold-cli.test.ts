// bench --threshold as CI runs it: the compiled binary against `grpcperf serve` in another process — a bar
// met exits 0, a bar missed exits 99 with FAIL on stderr, a bad bar exits 2 before any call reaches a server.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import { EchoMethod } from "../../src/api/echo.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { fail, Status } from "../../src/rpc/status.ts";
import { type ServiceDef, unary } from "../../src/server/handler.ts";
import { countingEcho, newCounter } from "../support/bench-helpers.ts";
import { runBinaryAsync, type ServedBinary, serveBinary, serveOnLoopback } from "../support/helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-threshold-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
const validate = new Ajv({ allErrors: true }).compile(schema);

/** The binary, awaited without blocking this process's event loop (an in-process server may be serving). */
function bench(args: string[]) {
  return runBinaryAsync(["bench", ...args], { cwd, env });
}

describe("bench --threshold against grpcperf serve", () => {
  let server: ServedBinary;
  let target: string;
  beforeAll(async () => {
    server = await serveBinary([], { cwd, env });
    target = server.target;
  });
  afterAll(() => server.stop());
  const small = () => ["-s", target, "-n", "200", "-c", "2", "-q"];

  test("bars that hold: exit 0, one PASS line each on stderr", async () => {
    const r = await bench([...small(), "--threshold", "p99<30s", "--threshold=error_rate<1%", "--threshold", "rps>0"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("=== Echo Service Benchmark Results ===");
    const lines = r.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^threshold p99<30s: PASS \(p99 [\d.]+ (μs|ms)\)$/);
    expect(lines[1]).toBe("threshold error_rate<1%: PASS (error_rate 0%)");
    expect(lines[2]).toMatch(/^threshold rps>0: PASS \(rps [\d.]+\/s\)$/);
  });

  test("a bar missed: exit 99, FAIL named, the report still printed", async () => {
    const r = await bench([...small(), "--threshold", "p99<30s", "--threshold", "p50<1us", "--threshold", "rps>1e9"]);
    expect(r.code).toBe(99);
    expect(r.stdout).toContain("Total requests: 200");
    expect(r.stderr).toMatch(/^threshold p99<30s: PASS /m);
    expect(r.stderr).toMatch(/^threshold p50<1us: FAIL \(p50 [\d.]+ (μs|ms)\)$/m);
    expect(r.stderr).toMatch(/^threshold rps>1e9: FAIL \(rps [\d.]+\/s\)$/m);
  });

  test("--json carries the verdicts and still validates; a named service works", async () => {
    const r = await bench([...small(), "--json", "--threshold", "echo:p99<30s", "--threshold", "p50<1us"]);
    expect(r.code).toBe(99);
    const doc = JSON.parse(r.stdout) as BenchReport;
    expect(validate(doc)).toBe(true);
    expect(doc.thresholds?.map((t) => [t.expr, t.scope, t.metric, t.limit, t.pass])).toEqual([
      ["echo:p99<30s", "echo", "p99", 30_000_000, true],
      ["p50<1us", null, "p50", 1, false],
    ]);
    expect(doc.thresholds?.[1]?.measured).toBeGreaterThan(1);
  });

  test("a streaming run: bars on its streams section (per-message round trip, streams/s)", async () => {
    const r = await bench([
      ...small(),
      "--service",
      "echo-stream",
      "--stream-messages",
      "5",
      "-n",
      "10",
      "--json",
      "--threshold",
      "p99<30s",
      "--threshold",
      "grpcperf.v1.Echo/EchoStream:error_rate<1%",
      "--threshold",
      "rps>1e9",
    ]);
    expect(r.code).toBe(99);
    const doc = JSON.parse(r.stdout) as BenchReport;
    expect(validate(doc)).toBe(true);
    expect(doc.thresholds?.map((t) => t.pass)).toEqual([true, true, false]);
    expect(doc.thresholds?.[0]?.measured).toBe(doc.streams?.round_trip_us?.p99 as number);
    expect(doc.thresholds?.[2]?.measured).toBe(doc.total.requests_per_second);
    const refused = await bench([...small(), "--service", "echo-stream", "--threshold", "echo:p99<1s"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      'grpcperf: --threshold "echo:p99<1s": this run has no "echo" (it has grpcperf.v1.Echo/EchoStream)\n',
    );
  });

  test("no --threshold: no thresholds key, exit 0", async () => {
    const r = await bench([...small(), "--json"]);
    expect(r.code).toBe(0);
    expect("thresholds" in JSON.parse(r.stdout)).toBe(false);
  });
});

describe("bench --threshold against a server that fails every call", () => {
  test("the run failing wins over a failed bar: exit 1, not 99", async () => {
    const refusing: ServiceDef = {
      name: "grpcperf.v1.Echo",
      methods: [unary(EchoMethod, () => fail(Status.UNAVAILABLE, "test: refused"))],
    };
    const server = await serveOnLoopback([refusing]);
    try {
      const r = await bench(["-s", server.target, "-n", "20", "-q", "--threshold", "error_rate<1%"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("threshold error_rate<1%: FAIL (error_rate 100%)");
    } finally {
      await server.stop();
    }
  });
});

describe("a bad --threshold", () => {
  test("exits 2 with one line, and the server sees no call", async () => {
    const counter = newCounter();
    const server = await serveOnLoopback([countingEcho(counter)]);
    try {
      for (const bar of ["p99<2", "p98<2ms", "crypto:p99<2ms", "error_rate<200%"]) {
        const r = await bench(["-s", server.target, "-n", "50", "-q", "--threshold", "p99<1s", "--threshold", bar]);
        expect(r.code).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr).toStartWith(`grpcperf: --threshold "${bar}": `);
        expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      }
      expect(counter.calls).toBe(0);
      expect(counter.peers.size).toBe(0);
    } finally {
      await server.stop();
    }
  });

  test("--service both with a bare latency bar asks for a label", async () => {
    const r = await bench(["-s", "127.0.0.1:1", "--service", "both", "--threshold", "p99<2ms"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'grpcperf: --threshold "p99<2ms": this run has echo and crypto: name one (e.g. echo:p99<2ms)\n',
    );
  });
});
