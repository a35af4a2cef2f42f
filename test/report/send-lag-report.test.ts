// Send lag and stalls from hand-made thread results through the report: the schema, every renderer (text,
// markdown, HTML, compare), per stage, report merge's exact histogram merge, and the verdicts built on them
// (the WARNINGs past 1% of calls, saturation, find-max's loader limit). Pure, no sockets, no clock.
import { describe, expect, test } from "bun:test";
import Ajv from "ajv";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import { buildReport } from "../../src/bench/summary.ts";
import { compareRuns } from "../../src/report/compare.ts";
import { judgeStep } from "../../src/report/find-max/step.ts";
import { decode, encode, newHistogram } from "../../src/report/histogram.ts";
import { formatHtml } from "../../src/report/html.ts";
import { formatJson } from "../../src/report/json.ts";
import { formatMarkdown } from "../../src/report/markdown.ts";
import { mergePacing } from "../../src/report/pacing.ts";
import type { PacingTally, ThreadResult } from "../../src/report/records.ts";
import { renderedOf } from "../../src/report/rendered.ts";
import { formatText } from "../../src/report/text.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { benchOptions } from "../support/bench-helpers.ts";

const validate = new Ajv({ allErrors: true }).compile(schema);

function hist(values: readonly number[]): string {
  const h = newHistogram();
  for (const v of values) h.recordValue(v);
  return encode(h);
}

const quiet: PacingTally = { lagging: 0, count: 0, totalMs: 0, longestMs: 0, dueDuring: 0 };

/** One open-loop thread of 1000 calls over 1 s, its send lags `lags` (µs), and its stalls. */
function thread(n: number, lags: readonly number[], pacing: PacingTally, cpuSec = 0.2, waitSec = 0.1): ThreadResult {
  const latency = hist(Array.from({ length: lags.length }, (_, i) => 50 + (i % 10)));
  return {
    thread: n,
    services: [{ service: "echo", ok: lags.length, failed: 0, errors: [], latency, serviceTime: latency }],
    connections: [{ index: n, thread: n, calls: lags.length, connects: 1, goaways: 0 }],
    sent: lags.length,
    sendWindowSec: 1,
    lateSends: 0,
    maxSendLagUs: Math.max(...lags),
    slotWaits: 0,
    sendLag: hist(lags),
    pacing,
    pacerWaitSec: waitSec,
    wallSec: 1,
    cpuSec,
    timeline: {
      warmup: null,
      measured: {
        intervals: [
          { index: 0, ok: lags.length, failed: 0, errors: [], histogram: latency, sent: lags.length, late: 0 },
        ].map((i) => ({ ...i, sendLag: hist(lags), cpuSec: cpuSec - waitSec, wallSec: 1 })),
        endMs: 1000,
      },
    },
  };
}

const machine = { hostname: "h", os: "Linux", arch: "x64", cpus: 2, cpu_model: "c", memory_bytes: 1, runtime: "bun" };
const tool = { name: "grpcperf" as const, version: "0.1.0", commit: "abc" };
const options = benchOptions({ server: "127.0.0.1:1", rate: "2000", duration: "1s", threads: "2", warmup: "0s" });
const report = (threads: ThreadResult[]): BenchReport =>
  buildReport({ options, startedAt: new Date(0), threads, processCpuSec: 0.5, aborted: null, machine, tool });

const steady = Array.from({ length: 1000 }, (_, i) => 2 + (i % 5));

describe("send lag in the report", () => {
  const r = report([thread(0, steady, quiet), thread(1, [...steady.slice(0, 999), 900], quiet)]);

  test("rate: p50/p99/p99.9/max over both threads, merged exactly; stalls; the pacer's wait counted idle", () => {
    expect(r.rate.send_lag_us).toEqual({ count: 2000, p50: 4, p99: 6, p99_9: 6, max: 900 });
    expect(decode(r.rate.send_lag_histogram as string).totalCount).toBe(2000);
    expect(r.rate.stalls).toEqual({ stall_ms: 1, count: 0, total_ms: 0, longest_ms: 0, calls_due: 0 });
    // 0.2 CPU-s of which 0.1 s polling the clock: 10% busy, not 20%
    expect(r.loader.threads.map((t) => [t.utilization, t.pacer_wait_s])).toEqual([
      [0.1, 0.1],
      [0.1, 0.1],
    ]);
    expect(r.loader.saturated).toBe(false);
    expect(r.loader.warnings).toEqual([]);
  });

  test("the JSON validates against the schema", () => {
    const ok = validate(JSON.parse(formatJson(r)));
    if (!ok) throw new Error(JSON.stringify(validate.errors));
  });

  test("text, markdown, HTML and compare show it", () => {
    const text = formatText(r);
    expect(text).toContain("Send lag (sent − due): p50 4 μs, p99 6 μs, p99.9 6 μs, max 900 μs");
    expect(text).toContain("Loader stalls (blocked > 1 ms): 0");
    const named = renderedOf(r, "a.json");
    if (!named.ok) throw new Error(named.error);
    expect(formatMarkdown([named.named])).toContain("- Send lag (sent − due): p50 4 μs");
    const html = formatHtml([named.named]);
    expect(html).toContain('data-table="send-lag"');
    expect(html).toContain('data-run="0" data-part="run" data-metric="p99">6<');
    const c = compareRuns([
      { file: "a.json", report: r },
      { file: "b.json", report: r },
    ]);
    expect(c.rows.find((x) => x.metric === "send lag p99")?.values).toEqual([6, 6]);
    expect(c.rows.find((x) => x.metric === "calls due in loader stalls")?.values).toEqual([0, 0]);
  });

  test("a timeline point and a stage carry the send lag of the calls sent in them", () => {
    const point = r.timeline?.points[0];
    expect(point?.send_lag_us?.count).toBe(2000);
    const staged = buildReport({
      options: benchOptions({ server: "127.0.0.1:1", stages: "1s:2000", threads: "2", warmup: "0s" }),
      startedAt: new Date(0),
      threads: [thread(0, steady, quiet), thread(1, steady, quiet)],
      processCpuSec: 0.5,
      aborted: null,
      machine,
      tool,
    });
    expect(staged.stages?.[0]?.send_lag_us).toEqual({ count: 2000, p50: 4, p99: 6, p99_9: 6, max: 6 });
    expect(formatText(staged)).toContain("Stage 1 send lag: p50 4 μs");
    const ok = validate(JSON.parse(formatJson(staged)));
    if (!ok) throw new Error(JSON.stringify(validate.errors));
  });

  test("report merge: histograms merged exactly, stalls added, the longest kept", () => {
    const stalled = report([thread(0, steady, { lagging: 5, count: 2, totalMs: 7, longestMs: 5, dueDuring: 14 })]);
    const m = mergePacing([r.rate, stalled.rate]);
    expect(m?.send_lag_us?.count).toBe(3000);
    expect(m?.send_lag_us?.max).toBe(900);
    expect(m?.stalls).toEqual({ stall_ms: 1, count: 2, total_ms: 7, longest_ms: 5, calls_due: 14 });
    expect(m?.lagging_sends).toBe(5);
  });
});

describe("verdicts on send lag and stalls", () => {
  test("stalls over 1% of the calls: a WARNING naming them, and the loader counts as saturated", () => {
    const r = report([thread(0, steady, { lagging: 30, count: 3, totalMs: 40, longestMs: 20, dueDuring: 40 })]);
    expect(
      r.loader.warnings.some((w) => w.startsWith("the loader stalled 3 times (40 ms in all, longest 20 ms)")),
    ).toBe(true);
    expect(r.loader.saturated).toBe(true);
    expect(formatText(r)).toContain("Loader stalls (blocked > 1 ms): 3, 40 ms in all, longest 20 ms; 40 calls due");
  });

  test("the warning names the cause: the OS's preemptions, or the loader's own work when there were few", () => {
    const stalls = { lagging: 0, count: 4, totalMs: 30, longestMs: 10, dueDuring: 40 };
    const os = report([{ ...thread(0, steady, stalls), preempted: 12 }]);
    expect(os.rate.stalls?.preempted).toBe(12);
    expect(os.loader.warnings[0]).toContain("(the OS preempted the load threads 12 times");
    expect(formatText(os)).toContain("; the OS preempted the load threads 12 times");
    const own = report([{ ...thread(0, steady, stalls), preempted: 0 }]);
    expect(own.loader.warnings[0]).toContain("its own work: GC, JIT or long callbacks");
    const ok = validate(JSON.parse(formatJson(os)));
    if (!ok) throw new Error(JSON.stringify(validate.errors));
  });

  test("lag over 1 ms with slots free on over 1% of the calls names the busy thread", () => {
    const r = report([thread(0, steady, { ...quiet, lagging: 50 }, 0.99, 0)]);
    const w = r.loader.warnings.find((x) => x.includes("left more than 1 ms after they were due"));
    expect(w).toContain("a load thread was busy 99%");
  });

  test("under 1%: no warning", () => {
    const r = report([thread(0, steady, { lagging: 9, count: 1, totalMs: 2, longestMs: 2, dueDuring: 9 })]);
    expect(r.loader.warnings).toEqual([]);
    expect(r.loader.saturated).toBe(false);
  });

  test("find-max: a step whose calls were due in the loader's stalls is loader-limited", () => {
    const t = thread(0, steady, { lagging: 80, count: 4, totalMs: 90, longestMs: 30, dueDuring: 80 });
    const r = report([t]);
    const step = judgeStep({ step: 1, phase: "grow", rps: 1000 }, r, [t], []);
    expect(step.loader_late).toBe(80);
    expect(step.loader_limited).toBe(true);
    const calm = report([thread(0, steady, quiet)]);
    expect(judgeStep({ step: 1, phase: "grow", rps: 1000 }, calm, [thread(0, steady, quiet)], []).loader_limited).toBe(
      false,
    );
  });
});
