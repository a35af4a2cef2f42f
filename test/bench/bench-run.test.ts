// Whole runs over real loopback sockets, load threads included (Workers from source). Assertions are on
// counts and relations, never on speed: the machine is small and shared.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import Ajv from "ajv";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import { type RunOutcome, startRun } from "../../src/bench/coordinator.ts";
import type { BenchFlags } from "../../src/bench/flags.ts";
import { formatJson } from "../../src/report/json.ts";
import { formatText } from "../../src/report/text.ts";
import type { BenchReport } from "../../src/report/types.ts";
import {
  benchOptions,
  type Counter,
  countingEcho,
  newCounter,
  reportOf,
  testCryptoService,
  untilCalls,
} from "../support/bench-helpers.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";

const validate = new Ajv({ allErrors: true }).compile(schema);

async function bench(flags: BenchFlags): Promise<{ report: BenchReport; outcome: RunOutcome }> {
  return reportOf(benchOptions(flags));
}

function expectValid(report: BenchReport) {
  const ok = validate(JSON.parse(formatJson(report)));
  if (!ok) throw new Error(JSON.stringify(validate.errors, null, 2));
}

describe("against a counting echo server", () => {
  let srv: TestServer;
  let counter: Counter;
  beforeAll(async () => {
    counter = newCounter();
    srv = await serveOnLoopback([countingEcho(counter), testCryptoService(counter)]);
  });
  afterAll(() => srv.stop());

  test.each(["lean", "http2"])(
    "--requests N sends exactly N calls, over several threads and connections (%s client)",
    async (client) => {
      counter.calls = 0;
      const { report } = await bench({
        server: srv.target,
        requests: "2345",
        connections: "5",
        concurrency: "17",
        threads: "3",
        client,
      });
      expect(report.options.client).toBe(client);
      expect(counter.calls).toBe(2345);
      expect(report.total).toMatchObject({ requests: 2345, ok: 2345, failed: 0 });
      expect(report.connections.reduce((n, c) => n + c.calls, 0)).toBe(2345);
      expect(report.loader.threads).toHaveLength(3);
      expectValid(report);
    },
  );

  test("open loop with --requests N also sends exactly N", async () => {
    counter.calls = 0;
    const { report } = await bench({
      server: srv.target,
      requests: "300",
      rate: "1000",
      connections: "3",
      threads: "2",
    });
    expect(counter.calls).toBe(300);
    expect(report.total.ok).toBe(300);
  });

  test("N connections are N distinct peers at the server", async () => {
    counter.peers.clear();
    const { report } = await bench({ server: srv.target, requests: "400", connections: "7", threads: "2" });
    expect(counter.peers.size).toBe(7);
    expect(report.connections).toHaveLength(7);
    expect(report.connections.every((c) => c.calls > 0 && c.connects === 1)).toBe(true);
  });

  test("--duration ends the run, and the run lasts at least that long", async () => {
    const { report } = await bench({ server: srv.target, duration: "1s", connections: "2", threads: "1" });
    expect(report.duration_s).toBeGreaterThanOrEqual(1);
    expect(report.total.ok).toBeGreaterThan(0);
    expect(report.total.failed).toBe(0);
    expect(report.options.requests).toBeNull();
  });

  // How close the achieved rate comes to --rate is a figure, measured by scripts/bench-schedule.ts.
  test("--rate 300 -z 2s: exactly 600 calls on the schedule, all of them at the server", async () => {
    counter.calls = 0;
    const { report } = await bench({
      server: srv.target,
      rate: "300",
      duration: "2s",
      connections: "4",
      concurrency: "32",
      threads: "2",
    });
    // 300/s for 2 s is 600 calls on the schedule; all of them reach the server
    expect(counter.calls).toBe(600);
    expect(report.rate.target).toBe(300);
    expect(report.total.requests).toBe(600);
    expect(report.rate.achieved).toBeGreaterThan(0);
    expect(report.mode).toBe("open-loop");
    expect(report.services[0]?.service_time_us).not.toBeNull();
    expectValid(report);
  });

  test("warm-up calls are not counted", async () => {
    counter.calls = 0;
    const { report } = await bench({
      server: srv.target,
      requests: "200",
      warmup: "1s",
      connections: "2",
      threads: "1",
    });
    expect(report.total.requests).toBe(200);
    expect(counter.calls).toBeGreaterThan(200);
  });

  test("--service both: a section per service, calls split evenly", async () => {
    const { report } = await bench({
      server: srv.target,
      requests: "200",
      service: "both",
      connections: "2",
      threads: "1",
    });
    expect(report.services.map((s) => [s.service, s.ok, s.failed])).toEqual([
      ["echo", 100, 0],
      ["crypto", 100, 0],
    ]);
    const text = formatText(report);
    expect(text).toContain("=== Echo Service Benchmark Results ===");
    expect(text).toContain("=== Crypto Service Benchmark Results ===");
    expectValid(report);
  });

  test("failures are counted by status, with an example message", async () => {
    const { report } = await bench({
      server: srv.target,
      requests: "50",
      service: "crypto",
      alg: "ecdsa-p384",
      connections: "1",
      threads: "1",
    });
    const crypto = report.services[0];
    expect(crypto?.failed).toBe(50);
    expect(crypto?.errors).toEqual([
      { code: 12, status: "UNIMPLEMENTED", count: 50, example: "test server: P-256 only" },
    ]);
    expectValid(report);
  });
});

describe("coordinated omission", () => {
  test("against a slowed server the due-time latency grows while service time does not", async () => {
    const counter = newCounter();
    // 10 ms per call, one call in flight: at most 100 calls/s get through; 200/s are due.
    const srv = await serveOnLoopback([countingEcho(counter, 10)]);
    try {
      const { report } = await bench({
        server: srv.target,
        rate: "200",
        requests: "100",
        connections: "1",
        concurrency: "1",
        threads: "1",
      });
      const s = report.services[0];
      const latency = s?.latency_us;
      const service = s?.service_time_us;
      if (!latency || !service) throw new Error("no latency recorded");
      expect(report.total.ok).toBe(100);
      // the 100th call is due at 0.5 s but cannot be answered before 1 s: ~500 ms behind schedule
      expect(latency.max).toBeGreaterThan(200_000);
      expect(latency.p50).toBeGreaterThan(5 * service.p50);
      expect(service.p90).toBeLessThan(latency.p50);
      expect(report.rate.late_sends).toBeGreaterThan(50);
      expect(report.loader.warnings.some((w) => w.includes("after they were due"))).toBe(true);
    } finally {
      await srv.stop();
    }
  });
});

describe("server trouble", () => {
  test("server gone mid-run: the run loads on for its duration and records the outage", async () => {
    const counter = newCounter();
    const srv = await serveOnLoopback([countingEcho(counter)]);
    const options = benchOptions({ server: srv.target, duration: "2s", connections: "2", threads: "2" });
    const run = startRun(options);
    await untilCalls(counter, 200);
    const goneAt = Date.now();
    await srv.server.shutdown(0);
    const outcome = await run.outcome;
    if (outcome.kind !== "finished") throw new Error("expected a finished run");
    expect(outcome.aborted).toBeNull();
    const outages = outcome.threads.flatMap((t) => t.outages ?? []);
    expect(outages.length).toBeGreaterThanOrEqual(1);
    for (const o of outages) {
      expect(o.startMs).toBeGreaterThanOrEqual(goneAt);
      expect(o.endMs).toBeNull(); // never back
      expect(o.firstError).toContain("UNAVAILABLE");
    }
    const failed = outcome.threads.flatMap((t) => t.services).reduce((n, s) => n + s.failed, 0);
    expect(failed).toBeGreaterThan(0);
  });

  test("--stop-on-loss: server gone mid-run ends the run early with partial results", async () => {
    const counter = newCounter();
    const srv = await serveOnLoopback([countingEcho(counter)]);
    const options = benchOptions({
      server: srv.target,
      duration: "20s",
      connections: "2",
      threads: "2",
      "stop-on-loss": true,
    });
    const run = startRun(options);
    await untilCalls(counter, 200);
    await srv.server.shutdown(0);
    const outcome = await run.outcome;
    if (outcome.kind !== "finished") throw new Error("expected a finished run");
    expect(outcome.aborted).toContain("server went away");
    const ok = outcome.threads.flatMap((t) => t.services).reduce((n, s) => n + s.ok, 0);
    expect(ok).toBeGreaterThanOrEqual(200);
    expect(outcome.threads.every((t) => t.wallSec < 20)).toBe(true);
  });

  test("nothing listening: unreachable before any call", async () => {
    const srv = await serveOnLoopback([countingEcho(newCounter())]);
    await srv.stop();
    const outcome = await startRun(benchOptions({ server: srv.target, requests: "10", connections: "2" })).outcome;
    expect(outcome.kind).toBe("unreachable");
    if (outcome.kind === "unreachable") expect(outcome.error).toContain("ECONNREFUSED");
  });

  test("stop() ends a run early, with what was measured so far", async () => {
    const counter = newCounter();
    const srv = await serveOnLoopback([countingEcho(counter)]);
    try {
      const run = startRun(benchOptions({ server: srv.target, duration: "20s", connections: "1", threads: "1" }));
      await untilCalls(counter, 50);
      run.stop("interrupted");
      const outcome = await run.outcome;
      if (outcome.kind !== "finished") throw new Error("expected a finished run");
      expect(outcome.aborted).toBe("interrupted");
      expect(outcome.threads[0]?.services[0]?.ok).toBeGreaterThan(0);
    } finally {
      await srv.stop();
    }
  });
});
