// `grpcperf report --html` opened in a real headless Chromium: the page of real runs of `bench` against
// `grpcperf serve` (closed and open loop with warm-up, streaming, calls failing on a 1 ms deadline) and of a
// saved version 1 report draws every chart, shows the JSON's numbers as they are, fetches nothing and logs no
// console error. Skipped (saying so) without chromium; a failure under GRPCPERF_REQUIRE_ALL=1, as in CI.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { withTimeline } from "../../scripts/lib/synthetic-timeline.ts";
import { readableBytes, readableMicros } from "../../src/report/readable.ts";
import { binaryRunner, ROOT } from "../support/helpers.ts";
import { benchRuns } from "../support/report-runs.ts";
import { available } from "../support/require-env.ts";

const CHROMIUM = Bun.which("chromium") ?? Bun.which("chromium-browser");
available("report-html: chromium", CHROMIUM !== null, "apt-get install chromium");

const dir = mkdtempSync(join(tmpdir(), "grpcperf-report-html-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir };
const run = binaryRunner(dir, env);
const V1 = join(ROOT, "test/support/fixtures/bench-report/v1-echo.json");
const HALF_LATE = join(dir, "half-late.jsonl");
writeFileSync(HALF_LATE, '{"serverDelayUs": 2000000}\n{}\n');
// biome-ignore lint/suspicious/noExplicitAny: JSON documents read back, their fields reached into freely
const docs: Record<string, any> = {};
const files: Record<string, string> = {};

interface Opened {
  readonly html: string;
  /** The DOM after Chromium loaded the page. */
  readonly dom: string;
  /** Chromium's log: console messages appear as CONSOLE lines. */
  readonly log: string;
}

let profile = 0;
function open(name: string, reports: readonly string[]): Opened {
  const out = join(dir, `${name}.html`);
  const r = run(["report", "--html", ...reports, "-o", out]);
  if (r.code !== 0) throw new Error(`report exited ${r.code}: ${r.stderr}`);
  return { html: readFileSync(out, "utf8"), ...load(out) };
}

/** Chromium's DOM and log of the page at `path`. */
function load(path: string): { dom: string; log: string } {
  const p = Bun.spawnSync(
    [
      CHROMIUM as string,
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      `--user-data-dir=${join(dir, `profile-${profile++}`)}`,
      "--enable-logging=stderr",
      "--v=0",
      "--dump-dom",
      `file://${path}`,
    ],
    { cwd: dir, env, stdout: "pipe", stderr: "pipe", timeout: 60_000 },
  );
  if (p.exitCode !== 0) throw new Error(`chromium exited ${p.exitCode}: ${p.stderr.toString()}`);
  return { dom: p.stdout.toString(), log: p.stderr.toString() };
}

/** Each chart's name and the data-points of every series or bar group it drew. */
function charts(dom: string): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const m of dom.matchAll(/<svg[^>]*data-chart="([^"]+)"[^>]*>([\s\S]*?)<\/svg>/g)) {
    const counts = [...(m[2] as string).matchAll(/data-points="(\d+)"/g)].map((p) => Number(p[1]));
    out.set(m[1] as string, counts);
  }
  return out;
}

/** The summary table's cells: `run/section/metric` → the exact figure (data-value; the text shown for "–"). */
function summary(dom: string): Map<string, string> {
  return new Map([...summaryCells(dom)].map(([k, c]) => [k, c.value ?? c.shown]));
}

/** The summary table's cells: `run/section/metric` → the exact figure (data-value) and the text shown. */
function summaryCells(dom: string): Map<string, { value: string | undefined; shown: string }> {
  const out = new Map<string, { value: string | undefined; shown: string }>();
  const re =
    /<td data-run="(\d+)" data-section="([^"]*)" data-metric="([^"]*)"(?: data-value="([^"]*)" title="[^"]*")?>([^<]*)<\/td>/g;
  for (const m of dom.matchAll(re)) out.set(`${m[1]}/${m[2]}/${m[3]}`, { value: m[4], shown: m[5] as string });
  return out;
}

// Chromium logs each console message as `INFO:CONSOLE:LINE] "text"`; the page has no script, so any is wrong.
const CONSOLE = /Uncaught|:CONSOLE[:(]/;

function expectCleanPage(page: Opened): void {
  // Nothing to fetch: no script, no external reference of any kind.
  expect(page.html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
  expect(page.html).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i);
  expect(page.html).not.toMatch(/https?:\/\//);
  expect(page.log).not.toMatch(CONSOLE);
  const drawn = charts(page.dom);
  expect(drawn.size).toBeGreaterThan(0);
  for (const [name, counts] of drawn) {
    expect({ name, any: counts.length > 0 }).toEqual({ name, any: true });
    for (const n of counts) expect({ name, n: n > 0 }).toEqual({ name, n: true });
  }
}

beforeAll(async () => {
  if (CHROMIUM === null) return;
  Object.assign(
    files,
    await benchRuns(dir, [
      // bench --html FILE: the run's own page, written beside its JSON
      ["unary", ["--html", join(dir, "unary-live.html")]],
      ["stream", ["--service", "echo-stream"]],
      ["open", ["--rate", "2000", "--warmup", "1s"]],
      // every other call asks the server to wait 2 s, past its 500 ms deadline: exactly half the calls end
      // DEADLINE_EXCEEDED, whatever the machine's speed, and the others succeed
      ["failing", ["-c", "50", "--timeout", "500ms", "--call", "grpcperf.v1.Echo/Echo", "--data-file", HALF_LATE]],
      // staged runs in ghz's spellings (benchRuns gives every run -z 2s): calls in flight 1, 4, 7, 10 …
      [
        "conc",
        [
          "--concurrency-schedule",
          "step",
          "--concurrency-start",
          "1",
          "--concurrency-step",
          "3",
          "--concurrency-step-duration",
          "500ms",
          "--server-delay",
          "5ms",
          "-c",
          "1",
          "--interval",
          "250ms",
        ],
      ],
      // … and an open loop of 200 then 400 calls/s
      [
        "staged",
        ["--load-schedule", "step", "--load-start", "200", "--load-step", "200", "--load-step-duration", "1s"],
      ],
    ]),
  );
  files.v1 = V1;
  for (const [k, f] of Object.entries(files)) docs[k] = JSON.parse(readFileSync(f, "utf8"));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(CHROMIUM === null)("report --html in headless Chromium", () => {
  test("the console check sees a page's errors (so its silence on ours means something)", () => {
    const bad = join(dir, "throws.html");
    writeFileSync(bad, '<!DOCTYPE html><body><script>throw new Error("seen")</script></body>');
    expect(load(bad).log).toMatch(CONSOLE);
  }, 90_000);

  test("a real closed-loop run: summary numbers are the JSON's, every chart drew, a point per interval", () => {
    const page = open("unary", [files.unary as string]);
    expectCleanPage(page);
    const d = docs.unary;
    const s = d.services[0];
    const cells = summary(page.dom);
    expect(cells.get("0/echo/calls")).toBe(String(s.total));
    expect(cells.get("0/echo/calls/s")).toBe(String(s.requests_per_second));
    expect(cells.get("0/echo/p99")).toBe(String(s.latency_us.p99));
    expect(cells.get("0/echo/p99.99")).toBe(String(s.latency_us.p9999));
    expect(cells.get("0/echo/max")).toBe(String(s.latency_us.max));
    expect(cells.get("0/echo/loader_cpu_s")).toBe(String(d.loader.process_cpu_s));
    // shown in units a reader takes in at a glance; the exact figure stays in data-value
    const shown = summaryCells(page.dom);
    expect(shown.get("0/echo/p99")?.shown).toBe(readableMicros(s.latency_us.p99));
    expect(shown.get("0/echo/max")?.shown).toMatch(/^\d+(\.\d+)? (µs|ms|s)$/);
    expect(page.dom).toContain(
      `data-value="${d.machine.memory_bytes}" title="${d.machine.memory_bytes}">${readableBytes(d.machine.memory_bytes)}<`,
    );
    expect(readableBytes(d.machine.memory_bytes)).toMatch(/ (MiB|GiB|TiB)$/);
    const drawn = charts(page.dom);
    expect([...drawn.keys()].sort()).toEqual([
      "connections",
      "knee",
      "latency-over-time",
      "loader-cpu",
      "spectrum",
      "throughput-over-time",
    ]);
    // no stages: the knee has only the intervals' marks (p50, p99), one per measured interval at most
    expect(drawn.get("knee")).toHaveLength(2);
    for (const m of drawn.get("knee") ?? []) expect(m).toBeLessThanOrEqual(d.timeline.points.length);
    expect(page.dom).not.toContain('data-table="stages"');
    expect(drawn.get("connections")).toEqual([d.connections.length]);
    expect(drawn.get("loader-cpu")).toEqual([d.loader.threads.length]);
    const n = d.timeline.points.length;
    expect(drawn.get("latency-over-time")).toEqual([n, n, n]);
    // closed loop: no target line; failed only if some call failed
    expect(drawn.get("throughput-over-time")).toHaveLength(d.total.failed > 0 ? 2 : 1);
    expect(page.dom).not.toContain("no time series in this report");
    expect(page.dom).toContain(d.tool.commit);
    expect(page.dom).toContain(d.machine.cpu_model);
  }, 90_000);

  test("a streaming run: the streams section's figures and a spectrum per measure", () => {
    const page = open("stream", [files.stream as string]);
    expectCleanPage(page);
    const st = docs.stream.streams;
    const cells = summary(page.dom);
    expect(cells.get(`0/${st.method}/calls`)).toBe(String(st.total));
    expect(cells.get(`0/${st.method}/calls/s`)).toBe(String(st.streams_per_second));
    expect(cells.get(`0/${st.method}/p99`)).toBe(String(st.round_trip_us.p99));
    const measures = Object.values(st.histograms).filter((h) => h !== null);
    expect(charts(page.dom).get("spectrum")).toHaveLength(measures.length);
    expect(page.dom).toContain(`<td>${st.messages.received}</td>`);
  }, 90_000);

  test("a real open loop with warm-up: target and achieved over time, the warm-up shaded", () => {
    const page = open("open", [files.open as string]);
    expectCleanPage(page);
    const pts = docs.open.timeline.points;
    const drawn = charts(page.dom);
    expect(drawn.get("latency-over-time")).toEqual([pts.length, pts.length, pts.length]);
    expect(drawn.get("throughput-over-time")?.slice(0, 2)).toEqual([pts.length, pts.length]);
    expect(pts.some((p: { warmup: boolean }) => p.warmup)).toBe(true);
    // one shaded band per chart (the warm-up is one stretch at the start), each titled; the legend's swatch is not
    expect(page.dom.match(/<rect class="band"[^>]*><title>warm-up/g)).toHaveLength(2);
  }, 90_000);

  test("staged runs: a stages table of the JSON's figures, and the knee drawn per interval and per stage", () => {
    for (const [name, unit] of [
      ["conc", "in flight"],
      ["staged", "/s"],
    ] as const) {
      const page = open(name, [files[name] as string]);
      expectCleanPage(page);
      const stages = docs[name].stages;
      expect(stages.length).toBeGreaterThan(1);
      const cells = new Map<string, string>();
      for (const m of page.dom.matchAll(/data-run="0" data-stage="(\d+)" data-metric="([^"]+)"[^>]*>([^<]*)</g))
        cells.set(`${m[1]}/${m[2]}`, m[3] as string);
      stages.forEach((s: { achieved_rps: number; ok: number; latency_us: { p99: number } | null }, k: number) => {
        expect(cells.get(`${k}/achieved_rps`)).toBe(String(s.achieved_rps));
        expect(cells.get(`${k}/ok`)).toBe(String(s.ok));
        expect(cells.get(`${k}/p99`)).toBe(s.latency_us === null ? "–" : String(s.latency_us.p99));
        expect(cells.get(`${k}/target`)).toEndWith(unit);
      });
      // p50 and p99 marks per interval, and a p50 and a p99 line through the stages
      const knee = charts(page.dom).get("knee") ?? [];
      expect(knee).toHaveLength(4);
      const withLatency = stages.filter(
        (s: { latency_us: unknown; achieved_rps: number }) => s.latency_us !== null && s.achieved_rps > 0,
      );
      expect(knee.slice(2)).toEqual([withLatency.length, withLatency.length]);
    }
    // the open loop's stages carry their sends; the closed loop's do not
    expect(docs.staged.stages[0].sent).toBeGreaterThan(0);
    expect(docs.conc.stages[0]).not.toHaveProperty("sent");
    expect(docs.conc.stages.map((s: { target_concurrency_to: number }) => s.target_concurrency_to)).toEqual([
      1, 4, 7, 10,
    ]);
  }, 120_000);

  test("a run whose calls failed: errors by status as the JSON counts them", () => {
    const page = open("failing", [files.failing as string]);
    expectCleanPage(page);
    const service = docs.failing.services[0];
    expect(service.failed).toBeGreaterThan(0);
    expect(service.ok).toBeGreaterThan(0);
    expect(service.errors.map((e: { status: string }) => e.status)).toEqual(["DEADLINE_EXCEEDED"]);
    const errors = service.errors;
    const failedCells = [...summary(page.dom)].filter(([k]) => k.startsWith("0/") && k.endsWith("/failed"));
    expect(failedCells.map(([, v]) => v)).toEqual([String(service.failed)]);
    expect(page.dom).not.toContain('data-errors="none"');
    expect(charts(page.dom).get("errors")).toEqual([errors.length]);
    for (const e of errors) expect(page.dom).toContain(`data-run="0" data-error="${e.code}">${e.count}</td>`);
    expect(charts(page.dom).get("throughput-over-time")).toHaveLength(2);
  }, 90_000);

  test("a run with outages: each a shaded window with its length on both time-series charts, and a table", () => {
    // a real open loop's report (1 s warm-up, 2 s measured) with the outages the loader would record
    const d = structuredClone(docs.open);
    const at = (s: number) => new Date(Date.parse(d.started_at) + s * 1000).toISOString();
    const windows = [
      {
        start: at(1.6),
        end: at(1.95),
        duration_ms: 350,
        failed: 175,
        first_error: "UNAVAILABLE: connection refused",
        reconnect_to_ok_ms: 12,
      },
      {
        start: at(2.8),
        end: null,
        duration_ms: 200,
        failed: 100,
        first_error: "UNAVAILABLE: connection reset",
        reconnect_to_ok_ms: null,
      },
    ];
    d.outages = { count: 2, total_ms: 550, longest_ms: 350, failed: 275, windows };
    const file = join(dir, "outages.json");
    writeFileSync(file, JSON.stringify(d));
    const page = open("outages", [file]);
    expectCleanPage(page);
    for (const chart of ["latency-over-time", "throughput-over-time"]) {
      const svg = new RegExp(`<svg data-chart="${chart}"[\\s\\S]*?</svg>`).exec(page.dom)?.[0] ?? "";
      const labels = [...svg.matchAll(/<text class="outage-label"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(labels).toEqual(["350 ms", "≥ 200 ms"]);
      // each window after the warm-up band (the measured phase), inside the plot, in order
      const band = /<rect class="band" x="([\d.]+)" y="\d+" width="([\d.]+)"/.exec(svg);
      const warmupEnd = Number(band?.[1]) + Number(band?.[2]);
      const x = [
        ...svg.matchAll(
          /<g class="outage" data-outage="\d"><title>[^<]*<\/title><rect class="outage" x="([\d.]+)" y="\d+" width="([\d.]+)"/g,
        ),
      ].map((m) => [Number(m[1]), Number(m[2])] as const);
      expect(x).toHaveLength(2);
      for (const [x0, w] of x) expect(x0 > warmupEnd && w > 0 && x0 + w <= 1080).toBe(true);
      expect((x[0] as readonly [number, number])[0]).toBeLessThan((x[1] as readonly [number, number])[0]);
    }
    expect(page.dom).toContain('data-run="0" data-outage="1" data-metric="duration_ms" data-value="200"');
    expect(page.dom).toContain('data-warning="outage">outages.json: Outages (server not there; times UTC): 2');
  }, 90_000);

  test("a version 1 report: everything but the time series, and it says so", () => {
    const page = open("v1", [V1]);
    expectCleanPage(page);
    expect([...charts(page.dom).keys()].sort()).toEqual(["connections", "loader-cpu", "spectrum"]);
    expect(page.dom).toContain("no time series in this report (version 1)");
    expect(summary(page.dom).get("0/echo/p99")).toBe(String(docs.v1.services[0].latency_us.p99));
  }, 90_000);

  test("several files overlay: one legend entry and colour per file, every run's lines in the charts", () => {
    const page = open("all", [files.unary as string, files.stream as string, files.open as string, V1]);
    expectCleanPage(page);
    for (const f of ["unary.json", "stream.json", "open.json", "v1-echo.json"]) expect(page.dom).toContain(f);
    const drawn = charts(page.dom);
    const streamMeasures = Object.values(docs.stream.streams.histograms).filter((h) => h !== null).length;
    expect(drawn.get("spectrum")).toHaveLength(1 + streamMeasures + 1 + 1);
    // p50, p99, max for each of the three runs with a time series
    expect(drawn.get("latency-over-time")).toHaveLength(9);
    const cells = summary(page.dom);
    expect(cells.get("2/echo/p99")).toBe(String(docs.open.services[0].latency_us.p99));
    expect(cells.get("3/echo/calls/s")).toBe(String(docs.v1.services[0].requests_per_second));
    expect(page.dom.match(/data-no-timeline=/g)).toHaveLength(1);
  }, 90_000);

  test("bench --html FILE writes the run's page itself, the same numbers as the JSON it printed", () => {
    const path = join(dir, "unary-live.html");
    const page = { html: readFileSync(path, "utf8"), ...load(path) };
    expectCleanPage(page);
    expect(summary(page.dom).get("0/echo/calls")).toBe(String(docs.unary.services[0].total));
  }, 90_000);

  test("compare --html overlays the runs and heads the page with the set-ups' differences", () => {
    const out = join(dir, "compare.html");
    const r = run(["compare", "--html", files.unary as string, files.failing as string, "-o", out]);
    expect(r.code).toBe(0);
    const page = { html: readFileSync(out, "utf8"), ...load(out) };
    expectCleanPage(page);
    expect(page.dom).toMatch(/data-warning="note">runs differ in: [^<]*concurrency/);
    expect(charts(page.dom).get("spectrum")?.length).toBeGreaterThanOrEqual(2);
  }, 90_000);

  test("a soak's 10,000 intervals still render: every chart drawn, the intervals in the CSV", () => {
    const soak = withTimeline(JSON.parse(readFileSync(V1, "utf8")), {
      intervals: 10_000,
      warmup: 10,
      rps: 5000,
      target: null,
      p50Us: 300,
      histograms: false,
    });
    const file = join(dir, "soak.json");
    writeFileSync(file, JSON.stringify(soak));
    const page = open("soak", [file]);
    expectCleanPage(page);
    const csv = join(dir, "soak.csv");
    expect(run(["report", "--format", "csv", file, "-o", csv]).code).toBe(0);
    expect(readFileSync(csv, "utf8").trim().split("\n")).toHaveLength(10_001);
  }, 120_000);
});

describe("report --threshold on saved runs", () => {
  test("PASS and FAIL lines per bar, exit 99 on a miss, 0 when all hold, 2 for a malformed bar", () => {
    const pass = run(["report", V1, "--threshold", "p99<100s", "--threshold", "error_rate<=100%"]);
    expect(pass.code).toBe(0);
    expect(pass.stderr).toContain("threshold p99<100s: PASS");
    const fail = run(["report", V1, "--threshold", "rps>1e12"]);
    expect(fail.code).toBe(99);
    expect(fail.stderr).toContain("threshold rps>1e12: FAIL");
    const bad = run(["report", V1, "--threshold", "p99<<2ms"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
  });
});
