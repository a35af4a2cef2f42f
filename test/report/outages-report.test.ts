// Outages (issue 30) from hand-made thread results through the report: the union of the threads' windows on
// the wall clock (overlapping, touching, disjoint, still open at the end), the schema, every renderer (text,
// markdown, HTML, compare), report merge's union across shards, the thresholds outage and outage_max, a saved
// report read back, and find-max's step that an outage fails. Pure, no sockets, no clock; the last part runs the
// same saved reports through the binary (report, compare, report merge, --threshold).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv from "ajv";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import findMaxSchema from "../../schema/find-max.schema.json" with { type: "json" };
import { buildReport } from "../../src/bench/summary.ts";
import { sliceOf } from "../../src/load/shard.ts";
import { compareRuns, formatComparison } from "../../src/report/compare.ts";
import { findMaxReport } from "../../src/report/find-max/report.ts";
import { type FindMaxStep, judgeStep } from "../../src/report/find-max/step.ts";
import { answerLines, stepLine } from "../../src/report/find-max/text.ts";
import { encode, newHistogram } from "../../src/report/histogram.ts";
import { formatHtml } from "../../src/report/html.ts";
import { formatJson } from "../../src/report/json.ts";
import { formatMarkdown } from "../../src/report/markdown.ts";
import { mergeShards } from "../../src/report/merge.ts";
import { outageLines } from "../../src/report/outage-text.ts";
import type { OutageTally, ThreadResult } from "../../src/report/records.ts";
import { parseRendered, renderedOf } from "../../src/report/rendered.ts";
import { formatText } from "../../src/report/text.ts";
import { evaluate, parseThreshold, verdictLine } from "../../src/report/threshold.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { benchOptions } from "../support/bench-helpers.ts";
import { binaryRunner } from "../support/helpers.ts";

const validate = new Ajv({ allErrors: true }).compile(schema);
const validateFindMaxStep = new Ajv({ allErrors: true }).compile({
  definitions: findMaxSchema.definitions,
  $ref: "#/definitions/step",
});

function valid(r: unknown): void {
  if (!validate(JSON.parse(formatJson(r as BenchReport)))) throw new Error(JSON.stringify(validate.errors));
}

/** The run's start: 12:00:00.000 UTC; no warm-up, so the measured phase starts there too. */
const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

function hist(n: number): string {
  const h = newHistogram();
  for (let i = 0; i < n; i++) h.recordValue(100 + (i % 10));
  return encode(h);
}

const down = (from: number, to: number | null, failed: number, error: string, reconnected: number | null) =>
  ({
    startMs: T0 + from,
    endMs: to === null ? null : T0 + to,
    failed,
    firstError: error,
    reconnectedMs: reconnected === null ? null : T0 + reconnected,
  }) satisfies OutageTally;

/** One open-loop thread of 900 ok and `failed` failed calls over its 1 s measured phase, and its windows. */
function thread(n: number, outages: readonly OutageTally[] | undefined): ThreadResult {
  const failed = (outages ?? []).reduce((s, o) => s + o.failed, 0);
  const errors = failed > 0 ? [{ code: 14, count: failed, example: "connection refused" }] : [];
  const latency = hist(900);
  return {
    thread: n,
    services: [{ service: "echo", ok: 900, failed, errors, latency, serviceTime: latency }],
    connections: [{ index: n, thread: n, calls: 900 + failed, connects: 1 + (outages?.length ?? 0), goaways: 0 }],
    sent: 900 + failed,
    sendWindowSec: 1,
    lateSends: 0,
    maxSendLagUs: 10,
    slotWaits: 0,
    wallSec: 1,
    cpuSec: 0.2,
    timeline: {
      warmup: null,
      measured: {
        intervals: [
          {
            index: 0,
            ok: 900,
            failed,
            errors: errors.map((e) => ({ code: e.code, count: e.count })),
            histogram: latency,
          },
        ],
        endMs: 1000,
      },
    },
    ...(outages === undefined ? {} : { outages }),
  };
}

const machine = { hostname: "h", os: "Linux", arch: "x64", cpus: 2, cpu_model: "c", memory_bytes: 1, runtime: "bun" };
const tool = { name: "grpcperf" as const, version: "0.1.0", commit: "abc" };
const flags = { server: "127.0.0.1:1", rate: "2000", duration: "1s", threads: "2", warmup: "0s" };
const report = (threads: ThreadResult[], startedAt = T0, extra: Record<string, string> = {}): BenchReport =>
  buildReport({
    options: benchOptions({ ...flags, ...extra }),
    startedAt: new Date(startedAt),
    threads,
    processCpuSec: 0.5,
    aborted: null,
    machine,
    tool,
  });

const REFUSED = "UNAVAILABLE: connection refused (127.0.0.1:1)";
const RESET = "UNAVAILABLE: connection reset";
/** Thread 0 and 1 down together (overlapping), then one after the other (touching), then apart, then one
 * still down at the end of the phase. Fractions of a ms are the loader's clock: the report keeps whole ms. */
const t0 = thread(0, [
  down(200.4, 500, 10, REFUSED, 490),
  down(700, 750, 3, REFUSED, 740),
  down(850, 860, 1, REFUSED, null),
]);
const t1 = thread(1, [down(300, 600, 5, RESET, 580), down(750, 800, 4, RESET, 790), down(900, null, 7, RESET, 950)]);
const r = report([t0, t1]);

describe("outages of a run: the threads' windows as one union on the wall clock", () => {
  test("overlapping and touching windows are one; disjoint ones stay apart; one still open runs to the end", () => {
    expect(r.outages).toEqual({
      count: 4,
      total_ms: 400 + 100 + 10 + 100,
      longest_ms: 400,
      failed: 30,
      windows: [
        // thread 0 from 200, thread 1 until 600: its first error is the earliest's, its recovery the last's
        {
          start: "2026-12-07T12:00:00.200Z",
          end: "2026-12-07T12:00:00.600Z",
          duration_ms: 400,
          failed: 15,
          first_error: REFUSED,
          reconnect_to_ok_ms: 20,
        },
        {
          start: "2026-12-07T12:00:00.700Z",
          end: "2026-12-07T12:00:00.800Z",
          duration_ms: 100,
          failed: 7,
          first_error: REFUSED,
          reconnect_to_ok_ms: 10,
        },
        {
          start: "2026-12-07T12:00:00.850Z",
          end: "2026-12-07T12:00:00.860Z",
          duration_ms: 10,
          failed: 1,
          first_error: REFUSED,
          reconnect_to_ok_ms: null,
        },
        // still down when thread 1's measured phase ended (1000 ms in): no end, no recovery
        {
          start: "2026-12-07T12:00:00.900Z",
          end: null,
          duration_ms: 100,
          failed: 7,
          first_error: RESET,
          reconnect_to_ok_ms: null,
        },
      ],
    });
    // every failed call of the windows is in the totals by status as well
    expect(r.total.failed).toBe(30);
    expect(r.services[0]?.errors[0]?.count).toBe(30);
  });

  test("a window open at one thread's end but closed later on another's is closed, and its end is the latest", () => {
    const early = { ...thread(0, [down(900, null, 2, REFUSED, null)]) };
    const shortPhase = {
      ...early,
      timeline: { ...early.timeline, measured: { ...early.timeline.measured, endMs: 950 } },
    };
    const o = report([shortPhase, thread(1, [down(920, 980, 1, RESET, 970)])]).outages;
    expect(o?.windows).toEqual([
      {
        start: "2026-12-07T12:00:00.900Z",
        end: "2026-12-07T12:00:00.980Z",
        duration_ms: 80,
        failed: 3,
        first_error: REFUSED,
        reconnect_to_ok_ms: 10,
      },
    ]);
  });

  test("the JSON validates against the schema, with and without outages", () => {
    valid(r);
    valid(report([thread(0, undefined)]));
  });

  test("a run without outages: no outages key, the JSON byte for byte what it was (an empty list is none)", () => {
    const without = formatJson(report([thread(0, undefined), thread(1, undefined)]));
    expect(without).not.toContain("outages");
    expect(formatJson(report([thread(0, []), thread(1, [])]))).toBe(without);
  });
});

describe("every renderer shows them", () => {
  const named = renderedOf(r, "a.json");
  if (!named.ok) throw new Error(named.error);

  test("text: the summary, then a line per window, after the run's other lines", () => {
    const text = formatText(r);
    expect(text).toContain(
      "Outages (server not there; times UTC): 4, 610 ms in all, longest 400 ms; 30 calls failed in them\n" +
        `  outage 1: 400 ms from 12:00:00.200, 15 calls failed (${REFUSED}), first ok 20 ms after reconnecting\n` +
        `  outage 2: 100 ms from 12:00:00.700, 7 calls failed (${REFUSED}), first ok 10 ms after reconnecting\n` +
        `  outage 3: 10 ms from 12:00:00.850, 1 call failed (${REFUSED}), first ok without a new connection\n` +
        `  outage 4: 100 ms from 12:00:00.900, 7 calls failed (${RESET}), still down when the run ended\n`,
    );
    expect(text.indexOf("Outages")).toBeGreaterThan(text.indexOf("=== Run ==="));
    // a second and more reads in seconds, to the ms
    const long = report([thread(0, [down(0, 1032, 517, REFUSED, 1020)])]);
    expect(formatText(long)).toContain(
      `outage 1: 1.032 s from 12:00:00.000, 517 calls failed (${REFUSED}), first ok 12 ms after reconnecting`,
    );
    expect(formatText(report([thread(0, undefined)]))).not.toContain("Outage");
  });

  test("a streaming run counts streams, and one failed is one stream", () => {
    // the lines text prints after the streams section's: only the unit differs
    const lines = outageLines({ ...r, streams: {} as NonNullable<BenchReport["streams"]> });
    expect(lines).toContain(
      "Outages (server not there; times UTC): 4, 610 ms in all, longest 400 ms; 30 streams failed in them",
    );
    expect(lines.some((l) => l.includes("10 ms from 12:00:00.850, 1 stream failed"))).toBe(true);
  });

  test("markdown: the summary and a table row per window", () => {
    const md = formatMarkdown([named.named]);
    expect(md).toContain("**Outages (server not there; times UTC): 4, 610 ms in all, longest 400 ms;");
    expect(md).toContain("| outage | from (UTC) | length | calls failed | first error | recovery |");
    expect(md).toContain(`| 1 | 12:00:00.200 | 400 ms | 15 | ${REFUSED} | first ok 20 ms after reconnecting |`);
    expect(md).toContain(`| 4 | 12:00:00.900 | 100 ms | 7 | ${RESET} | still down when the run ended |`);
  });

  test("HTML: a shaded window with its length on both time-series charts, a table, a warning line", () => {
    const html = formatHtml([named.named]);
    for (const chart of ["latency-over-time", "throughput-over-time"]) {
      const svg = new RegExp(`<svg data-chart="${chart}"[\\s\\S]*?</svg>`).exec(html)?.[0] ?? "";
      const marks = [...svg.matchAll(/<g class="outage" data-outage="(\d+)">[\s\S]*?<\/g>/g)].map((m) => m[0]);
      expect(marks).toHaveLength(4);
      expect(marks[0]).toContain('<rect class="outage"');
      expect(marks[0]).toMatch(/<text class="outage-label"[^>]*>400 ms<\/text>/);
      // still open: at least that long
      expect(marks[3]).toMatch(/>≥ 100 ms<\/text>/);
      expect(svg).toContain("outage (server not there)");
    }
    expect(html).toContain('data-table="outages"');
    expect(html).toContain('data-run="0" data-outage="0" data-metric="duration_ms" data-value="400"');
    expect(html).toContain('data-run="0" data-outage="0" data-metric="reconnect_to_ok_ms" data-value="20"');
    expect(html).toContain('data-warning="outage">a.json: Outages (server not there; times UTC): 4');
    const none = renderedOf(report([thread(0, undefined)]), "b.json");
    if (!none.ok) throw new Error(none.error);
    const plain = formatHtml([none.named]);
    expect(plain).not.toContain('class="outage"');
    expect(plain).not.toContain("Outages");
  });

  test("compare: count, total and longest side by side; a run without outages had none", () => {
    const c = compareRuns([
      { file: "a.json", report: r },
      { file: "b.json", report: report([thread(0, undefined)]) },
    ]);
    expect(c.rows.find((x) => x.metric === "outages")?.values).toEqual([4, 0]);
    expect(c.rows.find((x) => x.metric === "outage total")?.values).toEqual([610_000, 0]);
    expect(c.rows.find((x) => x.metric === "outage longest")?.values).toEqual([400_000, 0]);
    expect(formatComparison(c)).toMatch(/outage total\s+610 ms\s+0 μs/);
    const calm = compareRuns([
      { file: "a.json", report: report([thread(0, undefined)]) },
      { file: "b.json", report: report([thread(0, undefined)]) },
    ]);
    expect(calm.rows.some((x) => x.metric.startsWith("outage"))).toBe(false);
  });

  test("a saved report with outages reads back; a broken window is named", () => {
    const back = parseRendered(formatJson(r), "a.json");
    if (!back.ok) throw new Error(back.error);
    expect(back.named.report.outages).toEqual(r.outages as NonNullable<BenchReport["outages"]>);
    const doc = JSON.parse(formatJson(r));
    doc.outages.windows[1].start = "yesterday";
    const bad = parseRendered(JSON.stringify(doc), "a.json");
    expect(bad.ok ? "" : bad.error).toBe(
      "a.json: not a complete bench report: outages.windows[1].start is missing or wrong",
    );
  });
});

describe("report merge: the shards' windows as one union on the wall clock", () => {
  const shardFlags = { connections: "2", threads: "1" };
  const shard = (index: number, startedAt: number, outages: OutageTally[] | undefined) =>
    report([thread(0, outages)], startedAt, { ...shardFlags, shard: `${index}/2` });

  test("overlapping shards' windows are one, disjoint apart, one still open at a shard's end stays open", () => {
    // shard 1 started 5 ms later: its phase ends at 1005 ms, and its last window with it
    const s0 = shard(0, T0, [down(200, 500, 10, REFUSED, 480), down(800, 820, 2, REFUSED, 815)]);
    const s1 = shard(1, T0 + 5, [down(450, 700, 6, RESET, 650), down(950, null, 3, RESET, null)]);
    const m = mergeShards(
      [
        { file: "s1.json", report: s1 },
        { file: "s0.json", report: s0 },
      ],
      sliceOf,
    );
    if (!m.ok) throw new Error(m.error);
    valid(m.report);
    expect(m.report.outages).toEqual({
      count: 3,
      total_ms: 500 + 20 + 55,
      longest_ms: 500,
      failed: 21,
      windows: [
        {
          start: "2026-12-07T12:00:00.200Z",
          end: "2026-12-07T12:00:00.700Z",
          duration_ms: 500,
          failed: 16,
          first_error: REFUSED,
          reconnect_to_ok_ms: 50,
        },
        {
          start: "2026-12-07T12:00:00.800Z",
          end: "2026-12-07T12:00:00.820Z",
          duration_ms: 20,
          failed: 2,
          first_error: REFUSED,
          reconnect_to_ok_ms: 5,
        },
        {
          start: "2026-12-07T12:00:00.950Z",
          end: null,
          duration_ms: 55,
          failed: 3,
          first_error: RESET,
          reconnect_to_ok_ms: null,
        },
      ],
    });
  });

  test("touching windows of two shards are one; shards without outages merge to none", () => {
    const m = mergeShards(
      [
        { file: "s0.json", report: shard(0, T0, [down(100, 300, 1, REFUSED, 290)]) },
        { file: "s1.json", report: shard(1, T0, [down(300, 400, 1, RESET, 390)]) },
      ],
      sliceOf,
    );
    if (!m.ok) throw new Error(m.error);
    expect(m.report.outages?.windows.map((w) => [w.start, w.end, w.duration_ms])).toEqual([
      ["2026-12-07T12:00:00.100Z", "2026-12-07T12:00:00.400Z", 300],
    ]);
    const calm = mergeShards(
      [
        { file: "s0.json", report: shard(0, T0, undefined) },
        { file: "s1.json", report: shard(1, T0, undefined) },
      ],
      sliceOf,
    );
    if (!calm.ok) throw new Error(calm.error);
    expect(calm.report).not.toHaveProperty("outages");
  });
});

describe("thresholds on outages", () => {
  test("parsed: outage (the total) and outage_max (the longest), durations with a unit, the run's only", () => {
    expect(parseThreshold("outage<500ms")).toEqual({
      ok: true,
      value: { expr: "outage<500ms", scope: null, metric: "outage", op: "<", limit: 500_000 },
    });
    expect(parseThreshold("outage_max<=1s")).toMatchObject({ ok: true, value: { metric: "outage_max", limit: 1e6 } });
    expect(parseThreshold("outage<500")).toEqual({
      ok: false,
      error: '--threshold "outage<500": "500" needs a unit: 2ms, 500us, 1s',
    });
    expect(parseThreshold("echo:outage<1s")).toEqual({
      ok: false,
      error: `--threshold "echo:outage<1s": outage is the whole run's, not one section's (drop "echo:", e.g. outage<500ms)`,
    });
    const unknown = parseThreshold("outages<1s");
    expect(unknown.ok ? "" : unknown.error).toContain(
      "one of p50, p90, p95, p99, p99.9, p99.99, max, mean, min, error_rate, rps, outage, outage_max",
    );
  });

  test("judged on the total and the longest; a run without outages has 0", () => {
    const bars = ["outage<500ms", "outage<700ms", "outage_max<400ms", "outage_max<=400ms"].map((t) => {
      const p = parseThreshold(t);
      if (!p.ok) throw new Error(p.error);
      return p.value;
    });
    const v = evaluate(bars, r);
    expect(v.map((x) => [x.measured, x.pass])).toEqual([
      [610_000, false],
      [610_000, true],
      [400_000, false],
      [400_000, true],
    ]);
    expect(v.every((x) => x.unit === "us")).toBe(true);
    expect(verdictLine(v[0] as (typeof v)[number])).toBe("threshold outage<500ms: FAIL (outage 610 ms)");
    const calm = evaluate(bars, report([thread(0, undefined)]));
    expect(calm.map((x) => [x.measured, x.pass])).toEqual([
      [0, true],
      [0, true],
      [0, true],
      [0, true],
    ]);
    // the verdicts go into the report's JSON, which the schema takes
    valid({ ...r, thresholds: v });
  });
});

/** A search of these steps (step n's report is reports[n - 1]), bracketed by 1000/s passing and 2000/s failing. */
function searchOfSteps(steps: FindMaxStep[], reports: BenchReport[]) {
  return findMaxReport({
    settings: {
      slos: [],
      precision: 0.05,
      stepMs: 1000,
      boundMs: 60_000,
      startRps: 1000,
      maxRps: undefined,
      growth: 2,
    },
    bracket: { pass: 1000, fail: 2000 },
    warmupMs: 0,
    startedAt: new Date(T0),
    steps,
    reports: new Map(reports.map((x, i) => [i + 1, x])),
    ended: "converged",
    aborted: null,
    durationS: steps.length,
  });
}

describe("find-max: an outage fails the step and is named as such", () => {
  test("a step whose report carries outages fails whatever its SLOs say, and its line says outage", () => {
    const step = judgeStep({ step: 3, phase: "grow", rps: 2000 }, r, [t0, t1], []);
    expect(step.pass).toBe(false);
    expect(step.outage).toEqual({ count: 4, total_ms: 610, longest_ms: 400 });
    expect(stepLine(step)).toContain("FAIL outage 610 ms (4 windows)");
    if (!validateFindMaxStep(step)) throw new Error(JSON.stringify(validateFindMaxStep.errors));
    const calm = report([thread(0, undefined)]);
    const ok = judgeStep({ step: 1, phase: "grow", rps: 2000 }, calm, [thread(0, undefined)], []);
    expect(ok.pass).toBe(true);
    expect(ok).not.toHaveProperty("outage");
  });

  test("the limit it sets is the server's, named as an outage, even when the loader was busy too", () => {
    const calm = report([thread(0, undefined)]);
    const passed = judgeStep({ step: 1, phase: "grow", rps: 1000 }, calm, [thread(0, undefined)], []);
    const failed = { ...judgeStep({ step: 2, phase: "grow", rps: 2000 }, r, [t0, t1], []), loader_limited: true };
    const search = searchOfSteps([passed, failed], [calm, r]);
    expect(search.limit).toBe("server");
    expect(answerLines(search)).toContain(
      "limit: the server — at 2000/s (step 2) it was not there for 610 ms (an outage, 4 windows)",
    );
  });
});

describe("find-max: a retried rate's limit is its retry's", () => {
  test("a loader-limited first attempt, then a retry that failed without the loader: the server", () => {
    const calm = report([thread(0, undefined)]);
    const passed = judgeStep({ step: 1, phase: "grow", rps: 1000 }, calm, [thread(0, undefined)], []);
    const { outage: _gone, ...failed } = judgeStep({ step: 2, phase: "grow", rps: 2000 }, r, [t0, t1], []);
    const stalled = { ...failed, loader_limited: true };
    const retried = { ...failed, step: 3, phase: "retry" as const, loader_limited: false };
    if (!validateFindMaxStep(retried)) throw new Error(JSON.stringify(validateFindMaxStep.errors));
    const search = searchOfSteps([passed, stalled, retried], [calm, r, r]);
    expect(search.limit).toBe("server");
    expect(search.limit_step).toBe(3);
    expect(stepLine(retried)).toContain("retry");
  });
});

describe("through the binary: saved reports with outages", () => {
  const dir = mkdtempSync(join(tmpdir(), "grpcperf-outages-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = binaryRunner(dir, { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir });
  const save = (name: string, report: BenchReport) => {
    const file = join(dir, name);
    writeFileSync(file, formatJson(report));
    return file;
  };

  test("report prints them and judges --threshold on them (exit 99 on a miss); compare puts them side by side", () => {
    const a = save("a.json", r);
    const text = run(["report", a]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("  outage 1: 400 ms from 12:00:00.200, 15 calls failed");
    const judged = run(["report", a, "--threshold", "outage<500ms", "--threshold", "outage_max<1s"]);
    expect(judged.code).toBe(99);
    expect(judged.stderr).toContain("threshold outage<500ms: FAIL (outage 610 ms)");
    expect(judged.stderr).toContain("threshold outage_max<1s: PASS (outage_max 400 ms)");
    const calm = save("calm.json", report([thread(0, undefined)]));
    expect(run(["report", calm, "--threshold", "outage<1ms"]).code).toBe(0);
    const c = run(["compare", calm, a]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/\noutages\s+0\s+4\s*\n/);
  });

  test("report merge writes the shards' union", () => {
    const flags = { connections: "2", threads: "1" };
    const s0 = save("s0.json", report([thread(0, [down(200, 500, 10, REFUSED, 480)])], T0, { ...flags, shard: "0/2" }));
    const s1 = save("s1.json", report([thread(0, [down(400, 650, 6, RESET, 640)])], T0, { ...flags, shard: "1/2" }));
    const out = join(dir, "merged.json");
    const m = run(["report", "merge", s0, s1, "-o", out, "--threshold", "outage_max<300ms"]);
    expect(m.code).toBe(99);
    const merged = JSON.parse(readFileSync(out, "utf8"));
    valid(merged);
    expect(merged.outages).toMatchObject({ count: 1, total_ms: 450, longest_ms: 450, failed: 16 });
  });
});
