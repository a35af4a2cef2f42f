// bench --threshold, pure: every spelling parsed (and every bad one refused with its reason), and the bars
// judged on reports built from hand-made thread results, as the JSON report carries them.
import { describe, expect, test } from "bun:test";
import Ajv from "ajv";
import schema from "../../schema/bench-report.schema.json" with { type: "json" };
import { buildReport } from "../../src/bench/summary.ts";
import { encode, newHistogram } from "../../src/report/histogram.ts";
import type { ServiceTally, ThreadResult } from "../../src/report/records.ts";
import {
  checkScopes,
  evaluate,
  formatMicros,
  parseThreshold,
  parseThresholds,
  type Threshold,
  verdictLine,
} from "../../src/report/threshold.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { benchOptions } from "../support/bench-helpers.ts";

const validate = new Ajv({ allErrors: true }).compile(schema);

function parsed(text: string): Threshold {
  const p = parseThreshold(text);
  if (!p.ok) throw new Error(p.error);
  return p.value;
}

function refused(text: string): string {
  const p = parseThreshold(text);
  if (p.ok) throw new Error(`"${text}" was taken: ${JSON.stringify(p.value)}`);
  return p.error;
}

describe("parseThreshold", () => {
  test("latency bars: every metric, operator and unit, limits in µs", () => {
    expect(parsed("p99<2ms")).toEqual({ expr: "p99<2ms", scope: null, metric: "p99", op: "<", limit: 2000 });
    expect(parsed("p50<=500us")).toMatchObject({ metric: "p50", op: "<=", limit: 500 });
    expect(parsed("p90 > 500µs")).toMatchObject({ metric: "p90", op: ">", limit: 500 });
    expect(parsed("p95>=750μs")).toMatchObject({ metric: "p95", op: ">=", limit: 750 });
    expect(parsed("p99.9<1s")).toMatchObject({ metric: "p99.9", limit: 1_000_000 });
    expect(parsed("p99.99<1.5s")).toMatchObject({ metric: "p99.99", limit: 1_500_000 });
    expect(parsed("max<10ms").metric).toBe("max");
    expect(parsed("mean<1ms").metric).toBe("mean");
    expect(parsed("min<800ns")).toMatchObject({ metric: "min", limit: 0.8 });
    expect(parsed("p99<2MS").limit).toBe(2000);
  });

  test("k6's spellings mean the same", () => {
    expect(parsed("p(95)<500ms")).toMatchObject({ metric: "p95", limit: 500_000 });
    expect(parsed("p(99.9)<5ms").metric).toBe("p99.9");
    expect(parsed("avg<1ms").metric).toBe("mean");
    expect(parsed("med<1ms").metric).toBe("p50");
  });

  test("error_rate as a percent or a fraction; rps as calls/s", () => {
    expect(parsed("error_rate<0.1%").limit).toBeCloseTo(0.001, 12);
    expect(parsed("error_rate<0.001").limit).toBe(0.001);
    expect(parsed("error_rate<=1%").limit).toBe(0.01);
    expect(parsed("rps>=5000")).toMatchObject({ metric: "rps", op: ">=", limit: 5000 });
    expect(parsed("rps>1e9").limit).toBe(1e9);
  });

  test("a label before a colon: a service or a method", () => {
    expect(parsed("crypto:p99<5ms")).toMatchObject({ scope: "crypto", metric: "p99", limit: 5000 });
    expect(parsed("echo:error_rate<1%")).toMatchObject({ scope: "echo", metric: "error_rate", limit: 0.01 });
    expect(parsed("grpcperf.v1.Echo/Echo:p99<2ms")).toMatchObject({ scope: "grpcperf.v1.Echo/Echo", metric: "p99" });
  });

  test("bad bars are refused with the reason, naming the bar", () => {
    expect(refused("p99<2")).toBe('--threshold "p99<2": "2" needs a unit: 2ms, 500us, 1s');
    expect(refused("p99<fast")).toContain('"fast" is not a duration');
    expect(refused("p98<2ms")).toContain('unknown metric "p98" (one of p50, p90, p95');
    expect(refused("latency<2ms")).toContain('unknown metric "latency"');
    expect(refused("p99=2ms")).toContain('"=" is not a bar: use <, <=, > or >=');
    expect(refused("p99==2ms")).toContain('"==" is not a bar');
    expect(refused("p99")).toContain("expected METRIC<VALUE");
    expect(refused("")).toContain("expected METRIC<VALUE");
    expect(refused("p99<")).toContain("expected METRIC<VALUE");
    expect(refused(":p99<2ms")).toContain("nothing before the colon");
    expect(refused("error_rate<150%")).toContain('"150%" is more than 100%');
    expect(refused("error_rate<2")).toContain('"2" is more than 100%');
    expect(refused("error_rate<lots")).toContain("is not a rate");
    expect(refused("rps>fast")).toContain("is not a number of calls/s");
    expect(refused("p99<-2ms")).toContain("is not a duration");
  });

  test("parseThresholds: all of them, or the first bad one", () => {
    expect(parseThresholds([])).toEqual({ ok: true, value: [] });
    const all = parseThresholds(["p99<2ms", "rps>1"]);
    expect(all.ok && all.value.map((t) => t.metric)).toEqual(["p99", "rps"]);
    expect(parseThresholds(["p99<2ms", "p99<2", "x<1"])).toEqual({
      ok: false,
      error: '--threshold "p99<2": "2" needs a unit: 2ms, 500us, 1s',
    });
  });
});

describe("checkScopes (before the run)", () => {
  const t = (s: string) => parsed(s);
  test("a bare latency bar on a run of two services needs a label; totals do not", () => {
    expect(checkScopes([t("p99<2ms")], ["echo", "crypto"])).toBe(
      '--threshold "p99<2ms": this run has echo and crypto: name one (e.g. echo:p99<2ms)',
    );
    expect(checkScopes([t("rps>1"), t("error_rate<1%"), t("crypto:p99<2ms")], ["echo", "crypto"])).toBeUndefined();
    expect(checkScopes([t("p99<2ms")], ["echo"])).toBeUndefined();
  });
  test("a label the run will not have is refused; --call's method in either spelling is taken", () => {
    expect(checkScopes([t("crypto:p99<2ms")], ["echo"])).toBe(
      '--threshold "crypto:p99<2ms": this run has no "crypto" (it has echo)',
    );
    expect(checkScopes([t("pkg.S/M:p99<2ms")], ["pkg.S.M"])).toBeUndefined();
    expect(checkScopes([t("pkg.S.M:p99<2ms")], ["pkg.S/M"])).toBeUndefined();
    expect(checkScopes([t("echo:p99<2ms")], ["pkg.S/M"])).toContain('no "echo"');
  });
});

function hist(values: number[]): string {
  const h = newHistogram();
  for (const v of values) h.recordValue(v);
  return encode(h);
}

function tally(service: string, ok: number, failed: number, latencies: number[]): ServiceTally {
  return { service, ok, failed, errors: [], latency: hist(latencies), serviceTime: null };
}

function report(services: ServiceTally[], service: "echo" | "both" = "echo"): BenchReport {
  const t: ThreadResult = {
    thread: 0,
    services,
    connections: [{ index: 0, thread: 0, calls: 1, connects: 1, goaways: 0 }],
    sent: 0,
    sendWindowSec: 0,
    lateSends: 0,
    maxSendLagUs: 0,
    slotWaits: 0,
    wallSec: 2,
    cpuSec: 0.5,
    timeline: { warmup: null, measured: { intervals: [], endMs: 0 } },
  };
  return buildReport({
    options: benchOptions({ server: "127.0.0.1:1", requests: "100", service }),
    startedAt: new Date(0),
    threads: [t],
    processCpuSec: 1,
    aborted: null,
    machine: { hostname: "h", os: "Linux", arch: "x64", cpus: 2, cpu_model: "c", memory_bytes: 1, runtime: "bun" },
    tool: { name: "grpcperf", version: "0", commit: "x" },
  });
}

const judge = (texts: string[], r: BenchReport) => {
  const p = parseThresholds(texts);
  if (!p.ok) throw new Error(p.error);
  return evaluate(p.value, r);
};

describe("evaluate", () => {
  // 1..1000 µs, one call each: p50 = 500, p95 = 950, p99 = 990, max = 1000; 10 of 1010 calls failed.
  const one = report([
    tally(
      "echo",
      1000,
      10,
      Array.from({ length: 1000 }, (_, i) => i + 1),
    ),
  ]);

  test("latency bars on the run's only service, in µs", () => {
    const r = judge(["p50<1ms", "p95<=950us", "p99<900us", "max>=1ms", "min<2us", "mean>400us"], one);
    expect(r.map((x) => [x.metric, x.measured, x.pass])).toEqual([
      ["p50", 500, true],
      ["p95", 950, true],
      ["p99", 990, false],
      ["max", 1000, true],
      ["min", 1, true],
      ["mean", 500.5, true],
    ]);
    expect(r[0]).toEqual({
      expr: "p50<1ms",
      scope: null,
      metric: "p50",
      op: "<",
      limit: 1000,
      measured: 500,
      unit: "us",
      pass: true,
    });
  });

  test("error_rate and rps from the totals, or from the named service", () => {
    const r = judge(["error_rate<1%", "error_rate<0.5%", "rps>=505", "rps>505", "echo:error_rate<=0.01"], one);
    expect(r.map((x) => [x.measured, x.pass])).toEqual([
      [10 / 1010, true],
      [10 / 1010, false],
      [505, true],
      [505, false],
      [10 / 1010, true],
    ]);
    expect(r[2]?.unit).toBe("calls/s");
    expect(r[0]?.unit).toBe("fraction");
  });

  const both = report([tally("echo", 100, 0, [100, 200]), tally("crypto", 50, 50, [1500, 1600])], "both");

  test("two services: a label picks one; a bare latency bar fails with the reason", () => {
    const r = judge(["echo:p99<1ms", "crypto:p99<1ms", "p99<1ms", "error_rate<10%", "crypto:error_rate<10%"], both);
    expect(r.map((x) => x.pass)).toEqual([true, false, false, false, false]);
    expect(r[1]?.measured).toBe(1600);
    expect(r[2]).toMatchObject({ measured: null, note: "the run has echo and crypto: name one" });
    expect(r[3]?.measured).toBeCloseTo(50 / 200, 12);
    expect(r[4]?.measured).toBe(0.5);
  });

  test("no such service, or no call completed: measured null and FAIL, never PASS", () => {
    const none = report([tally("echo", 0, 0, [])]);
    const r = judge(["p99<1s", "error_rate<100%", "crypto:p99<1s", "rps>=0"], none);
    expect(r.map((x) => [x.measured, x.pass, x.note])).toEqual([
      [null, false, "no echo call completed"],
      [null, false, "no call was made"],
      [null, false, 'no "crypto" in the report (it has echo)'],
      [0, true, undefined],
    ]);
  });

  test("the report with its verdicts validates against the schema", () => {
    const doc = JSON.parse(JSON.stringify({ ...one, thresholds: judge(["p99<1ms", "crypto:p99<1s"], one) }));
    expect(validate(doc)).toBe(true);
  });

  test("verdict lines name the figure in a readable unit", () => {
    const [a, b, c, d, e] = judge(["p99<2ms", "p50<1us", "error_rate<0.1%", "rps>1e9", "crypto:p99<1s"], one);
    expect(verdictLine(a as never)).toBe("threshold p99<2ms: PASS (p99 990 μs)");
    expect(verdictLine(b as never)).toBe("threshold p50<1us: FAIL (p50 500 μs)");
    expect(verdictLine(c as never)).toBe("threshold error_rate<0.1%: FAIL (error_rate 0.99%)");
    expect(verdictLine(d as never)).toBe("threshold rps>1e9: FAIL (rps 505.00/s)");
    expect(verdictLine(e as never)).toBe(`threshold crypto:p99<1s: FAIL (no "crypto" in the report (it has echo))`);
    expect(formatMicros(1234)).toBe("1.23 ms");
    expect(formatMicros(3_400_000)).toBe("3.4 s");
    expect(formatMicros(5.5)).toBe("5.5 μs");
  });
});
