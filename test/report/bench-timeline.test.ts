// The report's timeline over real loopback runs, load threads included: points per interval whose counts
// add up to the run's, warm-up marked, failures where they happened, histograms that merge to the
// whole run's; and saved reports of schema /1 (no timeline) still read by compare and thresholds.
// Assertions are on counts and relations, never on speed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { EchoMethod } from "../../src/api/echo.ts";
import { type BenchFlags, resolveOptions } from "../../src/bench/options.ts";
import { compareRuns } from "../../src/report/compare.ts";
import { decode, merge } from "../../src/report/histogram.ts";
import { parseSavedReport } from "../../src/report/saved.ts";
import { evaluate, parseThresholds } from "../../src/report/threshold.ts";
import type { BenchReport, TimelinePoint } from "../../src/report/types.ts";
import { fail, Status } from "../../src/rpc/status.ts";
import { echo, echoService } from "../../src/server/echo.ts";
import { type ServiceDef, unary } from "../../src/server/handler.ts";
import { benchOptions, countingEcho, newCounter, reportOf } from "../support/bench-helpers.ts";
import { serveOnLoopback, type TestServer } from "../support/helpers.ts";

async function bench(flags: BenchFlags): Promise<BenchReport> {
  return (await reportOf(benchOptions(flags))).report;
}

function pointsOf(r: BenchReport): readonly TimelinePoint[] {
  if (!r.timeline) throw new Error("no timeline");
  return r.timeline.points;
}

const sum = (points: readonly TimelinePoint[], f: (p: TimelinePoint) => number) => points.reduce((n, p) => n + f(p), 0);

/** Each point starts where the one before ended, and none is empty of time. */
function expectContiguous(points: readonly TimelinePoint[]) {
  expect(points[0]?.start_s).toBe(0);
  for (let i = 1; i < points.length; i++) expect(points[i]?.start_s).toBe(points[i - 1]?.end_s as number);
  for (const p of points) expect(p.end_s).toBeGreaterThan(p.start_s);
}

/** Echo that answers RESOURCE_EXHAUSTED to every call from failAfterMs after its first call on. */
/** Echo that answers its first `okCalls` calls and fails every later one: it flips on a count, not a clock. */
function echoFailingAfter(okCalls: number): ServiceDef {
  let calls = 0;
  return {
    name: "grpcperf.v1.Echo",
    methods: [
      unary(EchoMethod, (req, ctx) => {
        if (++calls > okCalls) return fail(Status.RESOURCE_EXHAUSTED, "test: failing now");
        return { ok: true, value: echo(req, ctx.recvNanos) };
      }),
    ],
  };
}

describe("unary runs", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await serveOnLoopback([countingEcho(newCounter())]);
  });
  afterAll(() => srv.stop());

  test("closed loop, -z 3s --interval 500ms --warmup 1s: warm-up points marked, 6 measured adding up to the total", async () => {
    const r = await bench({
      server: srv.target,
      duration: "3s",
      interval: "500ms",
      warmup: "1s",
      connections: "2",
      threads: "2",
    });
    const points = pointsOf(r);
    expect(r.timeline?.interval_s).toBe(0.5);
    expectContiguous(points);
    const warm = points.filter((p) => p.warmup);
    const measured = points.filter((p) => !p.warmup);
    expect(warm.map((p) => [p.start_s, p.end_s])).toEqual([
      [0, 0.5],
      [0.5, 1],
    ]);
    expect(points.slice(0, 2).every((p) => p.warmup)).toBe(true);
    expect(measured).toHaveLength(6);
    expect(measured[0]?.start_s).toBe(1);
    // The last point holds the calls in flight at -z's end: it ends at the run's real end.
    expect(measured[5]?.end_s).toBeGreaterThanOrEqual(4);
    expect(sum(measured, (p) => p.ok)).toBe(r.total.ok);
    expect(sum(measured, (p) => p.failed)).toBe(r.total.failed);
    expect(sum(warm, (p) => p.ok)).toBeGreaterThan(0);
    for (const p of points) {
      expect(p.target_rps).toBeNull();
      expect(decode(p.histogram).totalCount).toBe(p.ok + p.failed);
      // start_s/end_s are rounded to the ms: the rate from them is within a percent of the one reported.
      const rate = (p.ok + p.failed) / (p.end_s - p.start_s);
      expect(Math.abs(p.achieved_rps - rate)).toBeLessThanOrEqual(rate / 100 + 1);
      if (p.ok > 0) expect(p.latency_us?.p50).toBeGreaterThan(0);
    }
    // The measured points' histograms merge to the whole run's.
    const whole = decode(r.services[0]?.histograms.latency as string);
    const merged = merge(measured.map((p) => p.histogram));
    expect(merged.totalCount).toBe(whole.totalCount);
    expect(merged.maxValue).toBe(whole.maxValue);
  });

  test("-n run: every point (no warm-up) merges to the whole-run histogram; the last point is shorter", async () => {
    const r = await bench({ server: srv.target, requests: "3000", interval: "100ms", connections: "2", threads: "2" });
    const points = pointsOf(r);
    expectContiguous(points);
    expect(points.every((p) => !p.warmup)).toBe(true);
    expect(sum(points, (p) => p.ok)).toBe(3000);
    expect(merge(points.map((p) => p.histogram)).totalCount).toBe(3000);
    const last = points[points.length - 1] as TimelinePoint;
    expect(last.end_s - last.start_s).toBeLessThanOrEqual(0.1 + 1e-9);
  });

  test("open loop: target_rps is the schedule's rate in every point", async () => {
    const r = await bench({ server: srv.target, duration: "2s", rate: "400", connections: "2", threads: "2" });
    const points = pointsOf(r);
    expect(points).toHaveLength(2);
    for (const p of points) expect(p.target_rps).toBe(400);
    // The schedule covers all of -z, even when its last call is answered before -z is up.
    expect(points[1]?.end_s).toBeGreaterThanOrEqual(2);
    expect(sum(points, (p) => p.ok)).toBe(r.total.ok);
    expect(merge(points.map((p) => p.histogram)).totalCount).toBe(r.total.requests);
  });
});

test("failures are counted by status in the points they happened in", async () => {
  // Open loop, 500/s for 2 s: exactly 1000 calls, of which the server answers the first 400. No call is
  // sent before its time, so the first 200 ms point holds at most its 100 and no failure.
  const srv = await serveOnLoopback([echoFailingAfter(400)]);
  try {
    const r = await bench({
      server: srv.target,
      rate: "500",
      duration: "2s",
      warmup: "0",
      interval: "200ms",
      connections: "2",
      threads: "2",
    });
    const points = pointsOf(r);
    expect([r.total.ok, r.total.failed]).toEqual([400, 600]);
    expect(sum(points, (p) => p.failed)).toBe(r.total.failed);
    expect(sum(points, (p) => p.ok)).toBe(r.total.ok);
    for (const p of points) {
      expect(sum([p], (q) => q.errors.reduce((n, e) => n + e.count, 0))).toBe(p.failed);
      for (const e of p.errors) expect(e.code).toBe(Status.RESOURCE_EXHAUSTED);
    }
    // The server fails from its 401st call on: before the first point with failures none failed (by
    // definition), and from the point after it on none succeeded.
    const first = points.findIndex((p) => p.failed > 0);
    expect(first).toBeGreaterThan(0);
    expect(points[0]?.failed).toBe(0);
    for (const p of points.slice(first + 1)) expect(p.ok).toBe(0);
  } finally {
    await srv.stop();
  }
});

test("streaming run: points count streams, their latency is each message's round trip", async () => {
  const srv = await serveOnLoopback([echoService()]);
  try {
    const r = await bench({
      server: srv.target,
      service: "echo-stream",
      requests: "60",
      "stream-messages": "20",
      interval: "100ms",
      connections: "2",
      threads: "2",
    });
    const points = pointsOf(r);
    expect(sum(points, (p) => p.ok)).toBe(60);
    expect(sum(points, (p) => p.ok)).toBe(r.streams?.ok as number);
    const roundTrips = decode(r.streams?.histograms.round_trip as string).totalCount;
    expect(roundTrips).toBe(60 * 20);
    expect(merge(points.map((p) => p.histogram)).totalCount).toBe(roundTrips);
  } finally {
    await srv.stop();
  }
});

describe("schema /1 reports (before the timeline) still load", () => {
  const v1 = readFileSync(new URL("../support/fixtures/bench-report/v1-echo.json", import.meta.url), "utf8");

  test("the fixture is a /1 report without a timeline", () => {
    const doc = JSON.parse(v1);
    expect(doc.schema).toBe("grpcperf-bench-report/1");
    expect(doc.timeline).toBeUndefined();
  });

  test("compare and thresholds read it, also beside a /2 report", () => {
    const loaded = parseSavedReport(v1, "v1.json");
    if (!loaded.ok) throw new Error(loaded.error);
    const bars = parseThresholds(["p99<10s", "error_rate<1%"]);
    if (!bars.ok) throw new Error(bars.error);
    expect(evaluate(bars.value, loaded.report).map((v) => v.pass)).toEqual([true, true]);
    const v2 = JSON.parse(v1);
    v2.schema = "grpcperf-bench-report/2";
    v2.timeline = { interval_s: 1, points: [] };
    const loaded2 = parseSavedReport(JSON.stringify(v2), "v2.json");
    if (!loaded2.ok) throw new Error(loaded2.error);
    const c = compareRuns([
      { file: "v1.json", report: loaded.report },
      { file: "v2.json", report: loaded2.report },
    ]);
    expect(c.rows.length).toBeGreaterThan(0);
  });

  test("a /2 report without its timeline is refused", () => {
    const doc = JSON.parse(v1);
    doc.schema = "grpcperf-bench-report/2";
    const r = parseSavedReport(JSON.stringify(doc), "x.json");
    expect(r.ok ? "taken" : r.error).toBe("x.json: not a complete bench report: timeline is missing or wrong");
  });
});

test("--interval: 1s by default, at least 100ms", () => {
  expect(benchOptions({}).intervalMs).toBe(1000);
  expect(benchOptions({ interval: "250ms" }).intervalMs).toBe(250);
  const r = resolveOptions({ interval: "50ms" }, {}, 2);
  expect(r.ok ? "taken" : r.error).toBe('--interval: "50ms" is below 100ms');
});
