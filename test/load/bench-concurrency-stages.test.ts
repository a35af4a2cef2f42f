// The closed loop's concurrency schedules: the flags (concurrency-stages.ts via options.ts, ghz's spellings
// equal to their --concurrency-stages form), the level math and slot ranks (load/levels.ts), and the
// per-stage figures the report derives (src/report/stages.ts). Pure functions, no sockets.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv from "ajv";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import {
  type ConcurrencyStage,
  levelAt,
  levelLengthOf,
  levelPlanOf,
  nextActiveAt,
  rankOf,
} from "../../src/bench/load/levels.ts";
import { type BenchFlags, resolveOptions } from "../../src/bench/options.ts";
import { planThreads } from "../../src/bench/plan.ts";
import { buildReport } from "../../src/bench/summary.ts";
import { IntervalRecorder } from "../../src/bench/timeline/recorder.ts";
import { encode, newHistogram } from "../../src/report/histogram.ts";
import { formatHtml } from "../../src/report/html.ts";
import { formatJson } from "../../src/report/json.ts";
import { formatMarkdown } from "../../src/report/markdown.ts";
import { renderedOf } from "../../src/report/rendered.ts";
import { stagesReport } from "../../src/report/stages.ts";
import { formatText } from "../../src/report/text.ts";
import type { TimelinePoint } from "../../src/report/types.ts";

const validateReport = new Ajv({ allErrors: true }).compile(schema);
const resolve = (flags: BenchFlags) => {
  const r = resolveOptions(flags, {}, 8);
  if (!r.ok) throw new Error(r.error);
  return r.options;
};
const error = (flags: BenchFlags) => {
  const r = resolveOptions(flags, {}, 8);
  return r.ok ? "" : r.error;
};
const stagesOf = (text: string): readonly ConcurrencyStage[] =>
  resolve({ "concurrency-stages": text }).concurrencyStages ?? [];

describe("--concurrency-stages", () => {
  test("DUR:N ramps from the previous level (the first from 0), DUR:FROM-TO from FROM; the run is their length", () => {
    const o = resolve({ "concurrency-stages": "10s:10,30s:100,5s:20-20" });
    expect(o.concurrencyStages).toEqual([
      { durationMs: 10_000, from: 0, to: 10 },
      { durationMs: 30_000, from: 10, to: 100 },
      { durationMs: 5000, from: 20, to: 20 },
    ]);
    expect(o.durationMs).toBe(45_000);
    expect(o.requests).toBeUndefined();
    expect(o.rate).toBeUndefined(); // a closed loop
    expect(o.concurrency).toBe(100); // slots are planned for the peak
    expect(o.connections).toBe(10);
  });

  test("without --connections, a peak below the default takes one connection per slot", () => {
    expect(resolve({ "concurrency-stages": "1s:4" }).connections).toBe(4);
    expect(resolve({ "concurrency-stages": "1s:4", connections: "2" })).toMatchObject({
      connections: 2,
      concurrency: 4,
    });
  });

  test.each([
    [{ "concurrency-stages": "10s" }, '--concurrency-stages: "10s" is not DURATION:N'],
    [{ "concurrency-stages": "10s:abc" }, '--concurrency-stages: "10s:abc" has no whole number'],
    [{ "concurrency-stages": "10s:-5" }, '--concurrency-stages: "10s:-5" has no whole number'],
    [{ "concurrency-stages": "10s:2.5" }, '--concurrency-stages: "10s:2.5" has no whole number'],
    [{ "concurrency-stages": "ten:10" }, '--concurrency-stages: "ten:10" does not start with a duration'],
    [{ "concurrency-stages": "0s:10" }, '--concurrency-stages: "0s:10" lasts no time'],
    [{ "concurrency-stages": "1s:10," }, '--concurrency-stages: "" is not DURATION:N'],
    [{ "concurrency-stages": "5s:0,2s:0-0" }, "--concurrency-stages: the schedule sends no call"],
    [{ "concurrency-stages": "5s:1" }, "--concurrency-stages: the schedule sends no call"], // 0→1 reaches 1 as it ends
    [{ "concurrency-stages": "1s:4", rate: "5" }, "--concurrency-stages and --rate exclude each other"],
    [{ "concurrency-stages": "1s:4", stages: "1s:5" }, "--concurrency-stages and --stages exclude each other"],
    [{ "concurrency-stages": "1s:4", duration: "5s" }, "--concurrency-stages and -z/--duration exclude each other"],
    [{ "concurrency-stages": "1s:4", requests: "5" }, "--concurrency-stages and -n/--requests exclude each other"],
    [{ "concurrency-stages": "1s:4", concurrency: "5" }, "--concurrency-stages and --concurrency exclude each other"],
    [{ "concurrency-stages": "1s:4", connections: "10" }, "--concurrency-stages peaks at 4 calls in flight, below"],
    [
      { "concurrency-stages": "1s:4", "load-schedule": "step", duration: "5s" },
      "--concurrency-stages and --load-schedule, -z/--duration exclude each other",
    ],
  ] as [BenchFlags, string][])("%o → %s", (flags, message) => {
    expect(error(flags)).toStartWith(message);
  });
});

describe("ghz's --concurrency-schedule", () => {
  const same = (ghz: BenchFlags, stages: string) => {
    const a = resolve(ghz);
    const b = resolve({ "concurrency-stages": stages });
    expect(a.concurrencyStages).toEqual(b.concurrencyStages as ConcurrencyStage[]);
    expect([a.concurrency, a.durationMs, a.connections, a.rate]).toEqual([
      b.concurrency,
      b.durationMs,
      b.connections,
      b.rate,
    ]);
  };

  test("step: start, +step every step-duration, holding at the first level at or past --concurrency-end", () => {
    const step = { "concurrency-schedule": "step", "concurrency-step-duration": "1s", duration: "5s" };
    same(
      { ...step, "concurrency-start": "10", "concurrency-step": "10", "concurrency-end": "30" },
      "1s:10-10,1s:20-20,3s:30-30",
    );
    // as ghz's ticker, not clamped: 5, 15, 25 (the first at or past 20) and held there
    same(
      { ...step, "concurrency-start": "5", "concurrency-step": "10", "concurrency-end": "20" },
      "1s:5-5,1s:15-15,3s:25-25",
    );
  });

  test("step without an end keeps stepping until -z, the last step cut at -z; the step defaults to 1", () => {
    same(
      { "concurrency-schedule": "step", "concurrency-start": "2", "concurrency-step-duration": "2s", duration: "5s" },
      "2s:2-2,2s:3-3,1s:4-4",
    );
  });

  test("line: the step every second (ghz's LineWorkerTicker)", () => {
    same(
      {
        "concurrency-schedule": "line",
        "concurrency-start": "1",
        "concurrency-step": "2",
        "concurrency-end": "5",
        duration: "4s",
      },
      "1s:1-1,1s:3-3,2s:5-5",
    );
  });

  test("a negative step goes down to --concurrency-end, or to 0", () => {
    const down = { "concurrency-schedule": "step", "concurrency-start": "30", "concurrency-step": "-10" };
    same({ ...down, "concurrency-step-duration": "1s", duration: "5s" }, "1s:30-30,1s:20-20,1s:10-10,2s:0-0");
    same(
      { ...down, "concurrency-step-duration": "1s", "concurrency-end": "15", duration: "4s" },
      "1s:30-30,1s:20-20,2s:10-10",
    );
  });

  test("--concurrency-max-duration: steps unclamped until the first step instant at or after it, then the end", () => {
    const up = {
      "concurrency-schedule": "step",
      "concurrency-start": "10",
      "concurrency-step": "10",
      "concurrency-step-duration": "1s",
      "concurrency-max-duration": "2500ms",
      duration: "6s",
    };
    same({ ...up, "concurrency-end": "100" }, "1s:10-10,1s:20-20,1s:30-30,3s:100-100");
    // an end the steps already passed is not gone back to (ghz: only an end above the level is set)
    same({ ...up, "concurrency-end": "25" }, "1s:10-10,1s:20-20,4s:30-30");
  });

  test("const (ghz's default) is no schedule", () => {
    expect(resolve({ "concurrency-schedule": "const" }).concurrencyStages).toBeUndefined();
  });

  test.each([
    [{ "concurrency-schedule": "ramp", duration: "5s" }, '--concurrency-schedule: "ramp" is not const, step or line'],
    [{ "concurrency-schedule": "line", "concurrency-start": "2" }, "--concurrency-schedule needs -z/--duration"],
    [
      { "concurrency-schedule": "step", duration: "5s" },
      "--concurrency-schedule step needs --concurrency-step-duration",
    ],
    [
      { "concurrency-schedule": "line", "concurrency-step": "0", duration: "5s" },
      "--concurrency-step: 0 never changes",
    ],
    [{ "concurrency-schedule": "line", "concurrency-step": "x", duration: "5s" }, '--concurrency-step: "x" is not'],
    [{ "concurrency-schedule": "line", "concurrency-start": "-1", duration: "5s" }, '--concurrency-start: "-1" is not'],
    [
      { "concurrency-schedule": "line", "concurrency-step": "-1", duration: "5s" },
      "--concurrency-schedule: the schedule sends no call",
    ],
    [
      { "concurrency-schedule": "line", "concurrency-stages": "1s:2", duration: "5s" },
      "--concurrency-stages and --concurrency-schedule",
    ],
    [{ "concurrency-schedule": "line", rate: "10", duration: "5s" }, "--concurrency-schedule and --rate exclude"],
    [{ "concurrency-step": "5" }, "--concurrency-step needs --concurrency-schedule step or line"],
  ] as [BenchFlags, string][])("%o → %s", (flags, message) => {
    expect(error(flags)).toStartWith(message);
  });
});

describe("levels and ranks", () => {
  test("a flat stage is its level; a ramp is rounded down; 0 outside the schedule", () => {
    const p = levelPlanOf(stagesOf("1s:3-3,10s:10,1s:10-0"));
    expect(levelLengthOf(p)).toBe(12_000);
    expect([0, 999, 1000].map((t) => levelAt(p, t))).toEqual([3, 3, 3]);
    expect([1999, 2000, 5500, 10_999].map((t) => levelAt(p, t))).toEqual([3, 3, 6, 9]); // 3 + 7·τ/10 s, from 1 s
    expect([11_000, 11_500, 11_999].map((t) => levelAt(p, t))).toEqual([10, 5, 0]);
    expect([-1, 12_000, 99_000].map((t) => levelAt(p, t))).toEqual([0, 0, 0]);
  });

  test("nextActiveAt: now when the rank is within the level, else the instant it will be, else Infinity", () => {
    const p = levelPlanOf(stagesOf("10s:10,2s:2-2,1s:4-4"));
    expect(nextActiveAt(p, 3, 0)).toBeCloseTo(4000, 3); // the ramp reaches 4 at 4 s
    expect(nextActiveAt(p, 3, 5000)).toBe(5000);
    expect(nextActiveAt(p, 3, 10_500)).toBe(12_000); // the 2-slot stage skips it; the next one has it
    expect(nextActiveAt(p, 4, 10_500)).toBe(Number.POSITIVE_INFINITY);
    expect(nextActiveAt(p, 0, 0)).toBeCloseTo(1000, 3);
  });

  test("nextActiveAt agrees with levelAt on a grid: active there, inactive everywhere before it", () => {
    for (const text of ["3s:7,2s:7-1,1500ms:0-5,1s:2-2", "700ms:3-9,1s:9-0,1s:0,1s:4"]) {
      const p = levelPlanOf(stagesOf(text));
      for (let rank = 0; rank < 9; rank++) {
        for (let t = 0; t < levelLengthOf(p); t += 97) {
          const at = nextActiveAt(p, rank, t);
          if (Number.isFinite(at)) expect(levelAt(p, at)).toBeGreaterThan(rank);
          for (let u = t; u < Math.min(at, levelLengthOf(p)); u += 13) expect(levelAt(p, u)).toBeLessThanOrEqual(rank);
        }
      }
    }
  });

  test("the first k ranks are spread evenly over connections and threads, for every k", () => {
    const plans = planThreads(6, 20, 4);
    const slots = plans.flatMap((t) =>
      t.connections.flatMap((c) =>
        Array.from({ length: c.slots }, (_, s) => ({ thread: t.thread, conn: c.index, rank: rankOf(c.index, s, 6) })),
      ),
    );
    expect(slots.map((s) => s.rank).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    for (let k = 1; k <= 20; k++) {
      const active = slots.filter((s) => s.rank < k);
      const spread = (key: "thread" | "conn", n: number) => {
        const counts = Array.from({ length: n }, (_, i) => active.filter((s) => s[key] === i).length);
        return Math.max(...counts) - Math.min(...counts);
      };
      expect(spread("conn", 6)).toBeLessThanOrEqual(1);
      // connections are dealt to threads round-robin, so threads differ by at most one connection's share
      expect(spread("thread", 4)).toBeLessThanOrEqual(Math.ceil(k / 6));
    }
  });
});

describe("per-stage figures", () => {
  const point = (startS: number, endS: number, o: Partial<TimelinePoint> & { latencyUs?: number }): TimelinePoint => {
    const h = newHistogram();
    for (let i = 0; i < (o.ok ?? 0) + (o.failed ?? 0); i++) h.recordValue(o.latencyUs ?? 100);
    return {
      start_s: startS,
      end_s: endS,
      warmup: false,
      ok: 0,
      failed: 0,
      errors: [],
      target_rps: null,
      achieved_rps: 0,
      latency_us: null,
      histogram: encode(h),
      ...o,
    };
  };

  test("a concurrency stage: its target, failures by status, no sends; the busiest thread's CPU over the stage", () => {
    const points = [
      point(0, 1, {
        ok: 10,
        failed: 3,
        errors: [
          { code: 4, count: 2 },
          { code: 14, count: 1 },
        ],
      }),
      point(1, 2, { ok: 10, failed: 1, errors: [{ code: 14, count: 1 }] }),
      point(2, 3, { ok: 50 }),
    ];
    // thread 0 busy in the first stage, thread 1 in the second: each stage names its own busiest
    const tally = (index: number, cpuSec: number | null) => ({
      index,
      ok: 1,
      failed: 0,
      errors: [],
      histogram: "",
      cpuSec,
      wallSec: 1,
    });
    const measured = [
      { intervals: [tally(0, 0.95), tally(1, 0.93), tally(2, 0.1)], endMs: 3000 },
      { intervals: [tally(0, 0.2), tally(1, 0.2), tally(2, 0.5)], endMs: 3000 },
    ];
    const [a, b] = stagesReport(points, stagesOf("2s:2-2,1s:8-8"), 0, measured);
    expect(a).toMatchObject({
      start_s: 0,
      end_s: 2,
      target_concurrency_from: 2,
      target_concurrency_to: 2,
      ok: 20,
      failed: 4,
      errors: [
        { code: 4, status: "DEADLINE_EXCEEDED", count: 2 },
        { code: 14, status: "UNAVAILABLE", count: 2 },
      ],
      achieved_rps: 12,
      loader_utilization: 0.94,
      loader_saturated: true,
    });
    expect(a).not.toHaveProperty("target_rps_from");
    expect(a).not.toHaveProperty("sent");
    expect(b).toMatchObject({ ok: 50, errors: [], loader_utilization: 0.5, loader_saturated: false });
  });

  test("an open-loop stage adds up its points' sends and late sends; unknown CPU is null, never saturated", () => {
    const points = [point(0, 1, { ok: 5, sent: 6, late_sends: 1 }), point(1, 2, { ok: 7, sent: 7, late_sends: 4 })];
    const measured = [
      { intervals: [{ index: 0, ok: 5, failed: 0, errors: [], histogram: "", cpuSec: null, wallSec: 1 }], endMs: 2000 },
    ];
    const [s] = stagesReport(points, [{ durationMs: 2000, fromRps: 6, toRps: 7 }], 0, measured);
    expect(s).toMatchObject({
      target_rps_from: 6,
      target_rps_to: 7,
      sent: 13,
      late_sends: 5,
      loader_utilization: null,
      loader_saturated: false,
    });
  });
});

describe("the interval recorder's sends and CPU samples", () => {
  test("sends and late sends count in the interval they happen in; CPU is sampled as each interval closes", () => {
    let cpu = 0;
    const r = new IntervalRecorder(0, 100, Number.POSITIVE_INFINITY, () => cpu, 0);
    r.sent(false, 10);
    r.sent(true, 20);
    cpu = 0.05;
    r.record(0, 1, 50);
    r.sent(true, 150); // closes interval 0 at 150 ms: 50 ms of CPU over 150 ms of wall
    cpu = 0.06;
    r.record(0, 1, 180);
    cpu = 0.2;
    r.sent(false, 420); // interval 1 closes; 2 and 3 were quiet
    cpu = 0.3;
    const p = r.finish(500);
    expect(p.intervals.map((i) => [i.index, i.sent, i.late, i.ok])).toEqual([
      [0, 2, 1, 1],
      [1, 1, 1, 1],
      [4, 1, 0, 0],
    ]);
    expect(p.intervals.map((i) => [i.cpuSec, i.wallSec])).toEqual([
      [0.05, 0.15],
      [expect.closeTo(0.15, 9), 0.27],
      [expect.closeTo(0.1, 9), 0.08],
    ]);
  });

  test("a closed loop's intervals have no send counts", () => {
    const r = new IntervalRecorder(0, 100, Number.POSITIVE_INFINITY, () => undefined, 0);
    r.record(0, 1, 10);
    const [i] = r.finish(20).intervals;
    expect(i).not.toHaveProperty("sent");
    expect(i?.cpuSec).toBeNull();
  });
});

describe("a staged report built from thread results", () => {
  const hist = (n: number, us: number) => {
    const h = newHistogram();
    for (let i = 0; i < n; i++) h.recordValue(us);
    return encode(h);
  };
  // one thread, two 1 s stages of 2 and 4 slots; busy 95% of the second
  const interval = (index: number, ok: number, cpuSec: number) => ({
    index,
    ok,
    failed: index === 1 ? 1 : 0,
    errors: index === 1 ? [{ code: 4, count: 1 }] : [],
    histogram: hist(ok + (index === 1 ? 1 : 0), 1000 * (index + 1)),
    cpuSec,
    wallSec: 1,
  });
  const options = resolve({
    server: "127.0.0.1:1",
    "concurrency-stages": "1s:2-2,1s:4-4",
    connections: "2",
    threads: "1",
  });
  const report = buildReport({
    options,
    startedAt: new Date(0),
    threads: [
      {
        thread: 0,
        services: [
          {
            service: "echo",
            ok: 300,
            failed: 1,
            errors: [{ code: 4, count: 1, example: "deadline" }],
            latency: hist(301, 1500),
            serviceTime: null,
          },
        ],
        connections: [{ index: 0, thread: 0, calls: 301, connects: 1, goaways: 0 }],
        sent: 0,
        sendWindowSec: 0,
        lateSends: 0,
        maxSendLagUs: 0,
        slotWaits: 0,
        wallSec: 2,
        cpuSec: 1.1,
        timeline: {
          warmup: null,
          measured: { intervals: [interval(0, 100, 0.15), interval(1, 200, 0.95)], endMs: 2000 },
        },
      },
    ],
    processCpuSec: 1.2,
    aborted: null,
    machine: { hostname: "h", os: "Linux", arch: "x64", cpus: 2, cpu_model: "cpu", memory_bytes: 1, runtime: "bun" },
    tool: { name: "grpcperf", version: "0.0.0", commit: "test" },
  });

  test("JSON: the stages' targets, failures and loader; a saturated stage warns though the run does not", () => {
    expect(validateReport(JSON.parse(formatJson(report)))).toBe(true);
    expect(report.options.concurrency_stages).toEqual([
      { duration_s: 1, from: 2, to: 2 },
      { duration_s: 1, from: 4, to: 4 },
    ]);
    expect(report.mode).toBe("closed-loop");
    expect(
      report.stages?.map((s) => [s.target_concurrency_to, s.ok, s.failed, s.loader_utilization, s.loader_saturated]),
    ).toEqual([
      [2, 100, 0, 0.15, false],
      [4, 200, 1, 0.95, true],
    ]);
    expect(report.stages?.[1]?.errors).toEqual([{ code: 4, status: "DEADLINE_EXCEEDED", count: 1 }]);
    expect(report.loader.saturated).toBe(false); // 0.55 over the run
    expect(report.loader.warnings).toEqual([
      "stage 2 (1–2 s): a load thread was busy 95% of the time: that stage's figures may measure the loader, not the server",
    ]);
  });

  test("text: a Stages table of the same figures, and the failures of each stage", () => {
    const text = formatText(report);
    expect(text).toContain("Mode: closed loop, concurrency stages 1s:2-2,1s:4-4 (peak 4)");
    const table = text.slice(text.indexOf("=== Stages ==="), text.indexOf("=== Run ==="));
    const rows = table.split("\n").filter((l) => /^\d /.test(l));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^1\s+0–1\s+2 in flight\s+100\.0\s+100\s+0\s/);
    expect(rows[1]).toMatch(/^2\s+1–2\s+4 in flight\s+201\.0\s+200\s+1\s.*95% SATURATED$/);
    expect(table).not.toContain("sent"); // a closed loop
    expect(table).toContain("Stage 2 failures: DEADLINE_EXCEEDED (4) 1");
  });
});

describe("reports written before the concurrency schedules", () => {
  test("open-loop stages without errors, sends or loader figures still render in text, markdown and HTML", () => {
    const point = {
      start_s: 0,
      end_s: 1,
      warmup: false,
      ok: 5,
      failed: 0,
      errors: [],
      target_rps: 5,
      achieved_rps: 5,
      latency_us: null,
      histogram: "",
    };
    const stage = {
      start_s: 0,
      end_s: 1,
      target_rps_from: 0,
      target_rps_to: 10,
      ok: 5,
      failed: 0,
      achieved_rps: 5,
      latency_us: null,
    };
    const v1 = JSON.parse(readFileSync(join(import.meta.dir, "../support/fixtures/bench-report/v1-echo.json"), "utf8"));
    const old = {
      ...v1,
      schema: "grpcperf-bench-report/2",
      timeline: { interval_s: 1, points: [point] },
      stages: [stage],
    };
    const loaded = renderedOf(old, "old.json");
    if (!loaded.ok) throw new Error(loaded.error);
    expect(formatText(old)).toMatch(/\n1\s+0–1\s+0→10\/s\s+5\.0\s+5\s+0\s+–\s+–\s+–\s+–\s+\?\n/);
    expect(formatMarkdown([loaded.named])).toContain("| 1 | 0–1 | 0→10/s | 5 | 5 | 0 | – | – | – | – | – | ? | – |");
    const html = formatHtml([loaded.named]);
    expect(html).toContain('data-stage="0" data-metric="target" style="white-space:nowrap">0→10/s</td>');
    // its one point has no latency: the knee says there is nothing to plot
    expect(html).toContain('data-knee="none"');
  });
});
