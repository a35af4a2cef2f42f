// Report building and formatting from hand-made thread results: pure, no sockets.
import { describe, expect, test } from "bun:test";
import Ajv from "ajv";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import { progressLine } from "../../src/bench/progress.ts";
import { buildReport } from "../../src/bench/summary.ts";
import { encode, newHistogram } from "../../src/report/histogram.ts";
import { formatJson } from "../../src/report/json.ts";
import type { ServiceTally, ThreadResult } from "../../src/report/records.ts";
import { achievedRate } from "../../src/report/summary.ts";
import { formatText } from "../../src/report/text.ts";
import { benchOptions } from "../support/bench-helpers.ts";

const validate = new Ajv({ allErrors: true }).compile(schema);

function hist(values: number[]): string {
  const h = newHistogram();
  for (const v of values) h.recordValue(v);
  return encode(h);
}

function thread(n: number, services: ServiceTally[], cpuSec: number | null, wallSec = 2): ThreadResult {
  return {
    thread: n,
    services,
    connections: [
      { index: n, thread: n, calls: services.reduce((a, s) => a + s.ok + s.failed, 0), connects: 1, goaways: 0 },
    ],
    sent: 0,
    sendWindowSec: 0,
    lateSends: 0,
    maxSendLagUs: 0,
    slotWaits: 0,
    wallSec,
    cpuSec,
    // Everything completed in the first interval.
    timeline: {
      warmup: null,
      measured: {
        intervals: services.map((s) => ({
          index: 0,
          ok: s.ok,
          failed: s.failed,
          errors: s.errors.map(({ code, count }) => ({ code, count })),
          histogram: s.latency,
        })),
        endMs: wallSec * 1000,
      },
    },
  };
}

const machine = {
  hostname: "h",
  os: "Linux 6",
  arch: "x64",
  cpus: 2,
  cpu_model: "cpu",
  memory_bytes: 1,
  runtime: "bun",
};
const tool = { name: "grpcperf" as const, version: "0.1.0", commit: "abc" };

describe("buildReport", () => {
  const options = benchOptions({ server: "127.0.0.1:1", requests: "400", threads: "2", connections: "2" });
  const a: ServiceTally = {
    service: "echo",
    ok: 199,
    failed: 1,
    errors: [{ code: 14, count: 1, example: "connection reset" }],
    latency: hist(Array.from({ length: 200 }, (_, i) => 100 + i)),
    serviceTime: null,
  };
  const b: ServiceTally = {
    service: "echo",
    ok: 197,
    failed: 3,
    errors: [
      { code: 14, count: 2, example: "refused" },
      { code: 4, count: 1, example: "deadline" },
    ],
    latency: hist(Array.from({ length: 200 }, (_, i) => 300 + i)),
    serviceTime: null,
  };
  const report = buildReport({
    options,
    startedAt: new Date(0),
    threads: [thread(0, [a], 1.9), thread(1, [b], 0.4)],
    processCpuSec: 2.5,
    aborted: null,
    machine,
    tool,
  });

  test("counts and rates add up over threads", () => {
    expect(report.total).toEqual({ requests: 400, ok: 396, failed: 4, requests_per_second: 200 });
    const s = report.services[0];
    expect(s?.success_rate).toBe(99);
    expect(s?.latency_us?.count).toBe(400);
    expect(s?.latency_us?.min).toBe(100);
    expect(s?.latency_us?.max).toBe(499);
    expect(s?.latency_us?.p50).toBe(299);
  });

  test("errors merge by status, most frequent first, first example kept", () => {
    expect(report.services[0]?.errors).toEqual([
      { code: 14, status: "UNAVAILABLE", count: 3, example: "connection reset" },
      { code: 4, status: "DEADLINE_EXCEEDED", count: 1, example: "deadline" },
    ]);
  });

  test("a thread busy ≥ 90% of its wall time is flagged", () => {
    expect(report.loader.threads.map((t) => t.saturated)).toEqual([true, false]);
    expect(report.loader.saturated).toBe(true);
    expect(report.loader.warnings[0]).toContain("load thread 0 was busy 95%");
  });

  test("text: the replaced system's lines, percentiles, errors, warning", () => {
    const text = formatText(report);
    expect(text.split("\n").slice(0, 10)).toEqual([
      "=== Echo Service Benchmark Results ===",
      "Total requests: 400",
      "Successful requests: 396",
      "Failed requests: 4",
      "Success rate: 99.00%",
      "Duration: 2.00s",
      "Requests per second: 200.00",
      // 100…499 µs, each once (HDR holds values below 2048 exactly): their mean is 299.5
      "Average latency: 299.50 μs",
      "Min latency: 100 μs",
      "Max latency: 499 μs",
    ]);
    expect(text).toContain("p99.99:");
    expect(text).toContain('UNAVAILABLE (14): 3  e.g. "connection reset"');
    expect(text).toContain("WARNING: load thread 0 was busy");
  });

  test("JSON validates against the schema", () => {
    const ok = validate(JSON.parse(formatJson(report)));
    if (!ok) throw new Error(JSON.stringify(validate.errors));
  });

  test("an aborted run says so in both forms", () => {
    const aborted = buildReport({
      options,
      startedAt: new Date(0),
      threads: [thread(0, [a], null)],
      processCpuSec: 1,
      aborted: "server went away: refused",
      machine,
      tool,
    });
    expect(formatText(aborted)).toContain("ABORTED: server went away: refused (partial results)");
    expect(aborted.loader.threads[0]?.utilization).toBeNull();
    expect(validate(JSON.parse(formatJson(aborted)))).toBe(true);
  });
});

test("open loop: the achieved rate is sends over the sending window", () => {
  const t = (n: number, sent: number, sendWindowSec: number): ThreadResult => ({
    ...thread(n, [], null),
    sent,
    sendWindowSec,
  });
  // 100/s: call 0 at 0 s, call 199 at 1.99 s; the window is 2 s
  expect(achievedRate([t(0, 100, 1.99), t(1, 100, 1.98)], 100)).toBe(100);
  expect(achievedRate([t(0, 50, 1.99)], 100)).toBe(25);
  expect(achievedRate([], 100)).toBe(0);
});

test("progress line", () => {
  expect(progressLine({ elapsedSec: 2, completed: 1000, failed: 3, p99Us: 850 })).toBe(
    "2.0s  1000 calls  500/s  p99 850 μs  errors 3",
  );
  expect(progressLine({ elapsedSec: 0, completed: 0, failed: 0, p99Us: undefined })).toContain("p99 -");
});
