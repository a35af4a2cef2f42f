// Staged open-loop runs over real loopback sockets: the calls sent are exactly the schedule's (the count
// the pure math gives), the timeline's target follows the ramp, and ghz's form and bad schedules go through
// the compiled binary. Counts and relations only, never speed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchFlags } from "../../src/bench/options.ts";
import { callsBefore, lengthOf, planOf, type Stage } from "../../src/bench/schedule.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { echoService } from "../../src/server/echo.ts";
import { benchOptions, type Counter, countingEcho, newCounter, reportOf } from "../support/bench-helpers.ts";
import { runBinaryAsync, serveOnLoopback, type TestServer } from "../support/helpers.ts";

/** A run in process, its report checked against the schema (reportOf). */
async function bench(flags: BenchFlags): Promise<BenchReport> {
  return (await reportOf(benchOptions(flags))).report;
}

const points = (r: BenchReport) => r.timeline?.points ?? [];

/** The calls the schedule holds, split over the threads as the runner splits them. */
function expectedCalls(stages: readonly Stage[], threads: number): number {
  const plan = planOf(stages);
  let n = 0;
  for (let j = 0; j < threads; j++) n += callsBefore({ rate: 0, threads, thread: j, startMs: 0, plan }, lengthOf(plan));
  return n;
}

/** The binary, run without blocking: the in-process server must keep answering meanwhile. */
function binary(args: string[]) {
  const cwd = mkdtempSync(join(tmpdir(), "grpcperf-stages-"));
  return runBinaryAsync(["bench", ...args], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd } });
}

describe("staged open loop against a counting echo server", () => {
  let srv: TestServer;
  let counter: Counter;
  beforeAll(async () => {
    counter = newCounter();
    srv = await serveOnLoopback([countingEcho(counter)]);
  });
  afterAll(() => srv.stop());

  test("two stages (1s:200, 1s:400) send the schedule's calls, and the timeline shows the ramp", async () => {
    counter.calls = 0;
    const flags = { server: srv.target, stages: "1s:200,1s:400", connections: "4", threads: "2", interval: "500ms" };
    const expected = expectedCalls(benchOptions(flags).stages ?? [], 2);
    expect(expected).toBe(400); // 100 on the ramp to 200, then 300 on the ramp to 400
    const report = await bench(flags);
    expect(counter.calls).toBe(expected);
    expect(report.total).toMatchObject({ requests: expected, ok: expected, failed: 0 });
    expect(report.mode).toBe("open-loop");
    expect(report.options.duration_s).toBe(2);
    expect(report.options.stages).toEqual([
      { duration_s: 1, from_rps: 0, to_rps: 200 },
      { duration_s: 1, from_rps: 200, to_rps: 400 },
    ]);
    // each half second's mean target: the integral over it, over its length
    expect(points(report).map((p) => p.target_rps)).toEqual([50, 150, 250, 350]);
    const sent = points(report).reduce((n, p) => n + p.ok + p.failed, 0);
    expect(sent).toBe(expected);
    // per stage, from the points: every call in one of them, each stage with latencies
    const stages = report.stages ?? [];
    expect(stages.map((s) => [s.start_s, s.end_s, s.target_rps_from, s.target_rps_to])).toEqual([
      [0, 1, 0, 200],
      [1, 2, 200, 400],
    ]);
    expect(stages.reduce((n, s) => n + s.ok + s.failed, 0)).toBe(expected);
    for (const s of stages) expect(s.latency_us).not.toBeNull();
  });

  test("a ramp from 0 (with a warm-up, flat at the first target) sends the square-root schedule's calls", async () => {
    counter.calls = 0;
    const flags = { server: srv.target, stages: "1500ms:300", connections: "3", threads: "3", warmup: "300ms" };
    const expected = expectedCalls(benchOptions(flags).stages ?? [], 3);
    expect(expected).toBe(225);
    const report = await bench(flags);
    expect(report.total.ok).toBe(expected);
    // warm-up calls reach the server too: 300 ms at 300/s
    expect(counter.calls).toBe(expected + 90);
    const measured = points(report).filter((p) => !p.warmup);
    expect(measured.map((p) => p.target_rps)).toEqual([100, 250]); // 0→200 over 1 s, 200→300 over 0.5 s
    expect(
      points(report)
        .filter((p) => p.warmup)
        .map((p) => p.target_rps),
    ).toEqual([300]);
  });

  test("ghz's step form through the binary: the same calls as its --stages form", async () => {
    counter.calls = 0;
    const ghz = ["--load-schedule", "step", "--load-start", "100", "--load-step", "100"];
    ghz.push("--load-step-duration", "500ms", "--load-end", "300", "-z", "2s");
    const expected = expectedCalls(benchOptions({ stages: "500ms:100-100,500ms:200-200,1s:300-300" }).stages ?? [], 2);
    expect(expected).toBe(450);
    const r = await binary([
      "--server",
      srv.target,
      ...ghz,
      "-t",
      "2",
      "-c",
      "2",
      "--concurrency",
      "16",
      "--json",
      "-q",
    ]);
    expect(r.code).toBe(0); // stderr may warn of late sends on a busy machine: they are still sent
    const report = JSON.parse(r.stdout) as BenchReport;
    expect(counter.calls).toBe(expected);
    expect(report.total.ok).toBe(expected);
    expect(points(report).map((p) => p.target_rps)).toEqual([150, 300]);
  });

  test.each([
    [["--stages", "10s:-5"], '--stages: "10s:-5" has no rate'],
    [["--stages", "0s:100"], '--stages: "0s:100" lasts no time'],
    [["--stages", "banana"], '--stages: "banana" is not DURATION:RATE'],
    [["--stages", "1s:100", "-z", "5s"], "--stages and -z/--duration exclude each other"],
    [["--stages", "3s:0"], "--stages: the schedule sends no call"],
    [["--load-schedule", "step", "--load-step", "10"], "--load-schedule needs -z/--duration"],
    [["--stages", "1s:100,1s:5000", "--max-rate", "1000"], "the schedule peaks at 5000 calls/s, above --max-rate 1000"],
    [["--rate", "2000", "--max-rate", "1000"], "the schedule peaks at 2000 calls/s, above --max-rate 1000"],
    [["--max-rate", "1000"], "--max-rate needs --rate, --stages, --load-schedule or --find-max"],
  ])("bad schedule %p: one line, exit 2, no call", async (args, message) => {
    counter.calls = 0;
    const r = await binary(["--server", srv.target, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(counter.calls).toBe(0);
  });
});

describe("staged open loop over streams", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await serveOnLoopback([echoService()]);
  });
  afterAll(() => srv.stop());

  test("--stages opens the schedule's streams (the same schedule as calls)", async () => {
    const flags = {
      server: srv.target,
      service: "echo-stream",
      stages: "1s:80,500ms:80",
      "stream-messages": "3",
      connections: "2",
      concurrency: "8",
      threads: "2",
    };
    const expected = expectedCalls(benchOptions(flags).stages ?? [], 2);
    expect(expected).toBe(80);
    const report = await bench(flags);
    expect(report.mode).toBe("open-loop");
    // Every due stream is accounted once: ok, or cancelled by the run's end if a loaded machine delayed it past
    // the last stage (a timing this test must not depend on).
    const s = report.streams as { ok: number; failed: number; cancelled: number; messages: { received: number } };
    expect(s.failed).toBe(0);
    expect(s.ok + s.cancelled).toBe(expected);
    expect(s.ok).toBeGreaterThan(0);
    expect(s.messages.received).toBeGreaterThanOrEqual(s.ok * 3);
  });
});
