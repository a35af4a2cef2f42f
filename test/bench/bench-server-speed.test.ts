// bench --server-delay / --server-busy: resolved into µs, refused where grpcperf's echo server does not
// answer, and carried by every request to a real echo server (its time then floors the measured latency).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type BenchFlags, resolveOptions } from "../../src/bench/options.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { echoService } from "../../src/server/echo.ts";
import { benchOptions, reportOf } from "../support/bench-helpers.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";

const resolve = (flags: BenchFlags) => resolveOptions(flags, {}, 2);

describe("options", () => {
  test.each([
    ["500us", 500],
    ["500µs", 500],
    ["1.5ms", 1500],
    ["20ms", 20_000],
    ["1s", 1_000_000],
    ["0", 0],
  ])("--server-busy %s → %d µs", (value, us) => {
    const r = resolve({ "server-busy": value });
    expect(r.ok && r.options.serverBusyUs).toBe(us);
  });

  test("--server-delay goes to serverDelayUs, for echo-stream too", () => {
    const r = resolve({ "server-delay": "5ms", service: "echo-stream" });
    expect(r.ok && r.options.serverDelayUs).toBe(5000);
    expect(r.ok && r.options.serverBusyUs).toBeUndefined();
  });

  test.each([
    [{ "server-delay": "5ms", service: "crypto" }, "--server-delay is for --service echo or echo-stream"],
    [{ "server-busy": "5ms", service: "both" }, "--server-busy is for --service echo or echo-stream"],
    [{ "server-busy": "5ms", call: "pkg.S/M" }, "--server-busy is for --service echo or echo-stream"],
    [{ "server-delay": "61s" }, '--server-delay: "61s" is above the server\'s cap of 60s'],
    [{ "server-busy": "1001ms" }, '--server-busy: "1001ms" is above the server\'s cap of 1s'],
    [{ "server-busy": "fast" }, '--server-busy: "fast" is not a duration'],
    [{ "server-delay": "-1ms" }, '--server-delay: "-1ms" is not a duration'],
  ])("%j is refused: %s", (flags, message) => {
    const r = resolve(flags as BenchFlags);
    expect(r.ok ? "" : r.error).toContain(message);
  });
});

async function run(flags: BenchFlags): Promise<BenchReport> {
  return (await reportOf(benchOptions(flags))).report;
}

describe("runs against grpcperf's echo server", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()]);
  });
  afterAll(() => srv.stop());

  test("--server-busy 5ms: every call takes at least the busy time, and the report says what was asked", async () => {
    const report = await run({
      server: srv.target,
      requests: "40",
      connections: "2",
      threads: "1",
      "server-busy": "5ms",
    });
    const echo = report.services.find((s) => s.service === "echo");
    expect(echo?.ok).toBe(40);
    expect(echo?.latency_us?.min ?? 0).toBeGreaterThanOrEqual(5000);
    expect(report.options.server_busy_us).toBe(5000);
    expect(report.options.server_delay_us).toBeUndefined();
  });

  test("--server-delay 10ms: every call takes at least the delay", async () => {
    const report = await run({
      server: srv.target,
      requests: "40",
      connections: "4",
      threads: "1",
      "server-delay": "10ms",
    });
    const echo = report.services.find((s) => s.service === "echo");
    expect(echo?.ok).toBe(40);
    expect(echo?.latency_us?.min ?? 0).toBeGreaterThanOrEqual(10_000);
    expect(report.options.server_delay_us).toBe(10_000);
  });

  test("echo-stream --server-delay 2ms --server-busy 1ms: every message's round trip takes at least 3 ms", async () => {
    const report = await run({
      server: srv.target,
      requests: "4",
      connections: "2",
      threads: "1",
      service: "echo-stream",
      "stream-messages": "5",
      "server-delay": "2ms",
      "server-busy": "1ms",
    });
    expect(report.streams?.ok).toBe(4);
    expect(report.streams?.messages.received).toBe(20);
    expect(report.streams?.round_trip_us?.min ?? 0).toBeGreaterThanOrEqual(3000);
  });
});
