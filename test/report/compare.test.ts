// `grpcperf compare`: saved reports read back (and non-reports refused), the table and its ratios, the
// set-up differences flagged; then the binary on two real runs of `bench` against `grpcperf serve`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildReport } from "../../src/bench/summary.ts";
import { type Comparison, compareRuns, formatComparison } from "../../src/report/compare.ts";
import { encode, newHistogram } from "../../src/report/histogram.ts";
import { formatJson } from "../../src/report/json.ts";
import type { ServiceTally, ThreadResult } from "../../src/report/records.ts";
import { parseSavedReport } from "../../src/report/saved.ts";
import type { BenchReport } from "../../src/report/types.ts";
import { benchOptions } from "../support/bench-helpers.ts";
import { requireBinary, type ServedBinary, serveBinary } from "../support/helpers.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-compare-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };

function hist(values: number[]): string {
  const h = newHistogram();
  for (const v of values) h.recordValue(v);
  return encode(h);
}

function report(services: ServiceTally[], flags: Record<string, string>, cpus = 2, processCpuSec = 1): BenchReport {
  const t: ThreadResult = {
    thread: 0,
    services,
    connections: [{ index: 0, thread: 0, calls: 1, connects: 1, goaways: 0 }],
    sent: 0,
    sendWindowSec: 0,
    lateSends: 0,
    maxSendLagUs: 0,
    slotWaits: 0,
    wallSec: 1,
    cpuSec: 0.5,
    timeline: { warmup: null, measured: { intervals: [], endMs: 0 } },
  };
  return buildReport({
    options: benchOptions({ server: "127.0.0.1:1", requests: "100", ...flags }),
    startedAt: new Date(0),
    threads: [t],
    processCpuSec,
    aborted: null,
    machine: { hostname: "h", os: "Linux", arch: "x64", cpus, cpu_model: "c", memory_bytes: 1, runtime: "bun" },
    tool: { name: "grpcperf", version: "0", commit: "x" },
  });
}

const echo = (ok: number, failed: number, us: number[]): ServiceTally => ({
  service: "echo",
  ok,
  failed,
  errors: [],
  latency: hist(us),
  serviceTime: null,
});

const rowOf = (c: Comparison, metric: string, section: string | null = "echo") =>
  c.rows.find((r) => r.metric === metric && r.section === section);

describe("parseSavedReport", () => {
  const good = formatJson(report([echo(10, 0, [100])], {}));
  test("a bench --json document is taken as it is", () => {
    const r = parseSavedReport(good, "a.json");
    expect(r.ok && r.report.total.requests).toBe(10);
  });
  test("anything else is refused with one line naming the file", () => {
    const no = (text: string) => {
      const r = parseSavedReport(text, "x.json");
      return r.ok ? "taken" : r.error;
    };
    expect(no("nope")).toStartWith("x.json: not JSON (");
    expect(no("[1,2]")).toBe('x.json: not a grpcperf bench report (no "schema": "grpcperf-bench-report/2")');
    expect(no('{"schema":"k6"}')).toContain("not a grpcperf bench report");
    expect(no('{"schema":"grpcperf-bench-report/7"}')).toBe(
      "x.json: report schema grpcperf-bench-report/7 is not one this grpcperf reads (grpcperf-bench-report/1, grpcperf-bench-report/2)",
    );
    const doc = JSON.parse(good);
    delete doc.loader;
    expect(no(JSON.stringify(doc))).toBe("x.json: not a complete bench report: loader is missing or wrong");
    const doc2 = JSON.parse(good);
    doc2.services[0].requests_per_second = "fast";
    expect(no(JSON.stringify(doc2))).toContain("services[0].requests_per_second is missing or wrong");
  });
});

describe("compareRuns", () => {
  const a = report([echo(100, 0, [100, 200, 300])], { connections: "2" });
  const b = report([echo(90, 10, [200, 400, 600])], { connections: "4" }, 8, 2);

  test("one row per figure, a value per run, ratios to the first", () => {
    const c = compareRuns([
      { file: "a.json", report: a },
      { file: "b.json", report: b },
    ]);
    expect(c.runs.map((r) => r.file)).toEqual(["a.json", "b.json"]);
    expect(c.rows.map((r) => r.metric)).toEqual([
      "calls/s",
      "error rate",
      "p50",
      "p90",
      "p95",
      "p99",
      "p99.9",
      "p99.99",
      "max",
      "loader CPU-s",
      "calls per CPU-s",
    ]);
    expect(rowOf(c, "calls/s")).toMatchObject({ values: [100, 100], ratios: [1, 1] });
    expect(rowOf(c, "p50")).toMatchObject({ unit: "us", values: [200, 400], ratios: [1, 2] });
    expect(rowOf(c, "max")?.values).toEqual([300, 600]);
    // The first run had no errors: no ratio to 0.
    expect(rowOf(c, "error rate")).toMatchObject({ values: [0, 0.1], ratios: [null, null] });
    expect(rowOf(c, "loader CPU-s", null)).toMatchObject({ values: [1, 2], ratios: [1, 2] });
    expect(rowOf(c, "calls per CPU-s", null)?.values).toEqual([100, 50]);
  });

  test("options and machine facts that differ are listed, and head the table as a warning", () => {
    const c = compareRuns([
      { file: "a.json", report: a },
      { file: "b.json", report: b },
    ]);
    expect(c.differences).toEqual([
      { key: "options.connections", values: [2, 4] },
      { key: "options.concurrency", values: [2, 4] },
      { key: "machine.cpus", values: [2, 8] },
    ]);
    const text = formatComparison(c);
    expect(text.split("\n")[0]).toBe(
      "WARNING: runs differ in: connections (2 vs 4), concurrency (2 vs 4), machine.cpus (2 vs 8)",
    );
    expect(text).toMatch(/^p50 +200 μs +400 μs +2\.00x$/m);
    expect(text).toMatch(/^service +echo +echo$/m);
    expect(text).toMatch(/^error rate +0% +10%$/m);
    const same = formatComparison(
      compareRuns([
        { file: "a.json", report: a },
        { file: "a2.json", report: a },
      ]),
    );
    expect(same).not.toContain("WARNING");
    expect(same.split("\n")[0]).toMatch(/^ +a\.json +a2\.json +vs 1st$/);
  });

  test("runs of several services get a block per service, '–' where a run has none", () => {
    const crypto: ServiceTally = { ...echo(5, 0, [1500]), service: "crypto" };
    const both = report([echo(5, 0, [100]), crypto], { service: "both" });
    const c = compareRuns([
      { file: "a.json", report: a },
      { file: "both.json", report: both },
    ]);
    expect(rowOf(c, "p50", "crypto")?.values).toEqual([null, 1500]);
    expect(rowOf(c, "calls/s", null)?.values).toEqual([100, 10]);
    const text = formatComparison(c);
    expect(text).toMatch(/^crypto$/m);
    expect(text).toMatch(/^ {2}p50 +– +1.5 ms$/m);
    expect(c.differences.map((d) => d.key)).toContain("options.service");
  });
});

describe("grpcperf compare (compiled binary) on two real runs", () => {
  let server: ServedBinary;
  beforeAll(async () => {
    server = await serveBinary([], { cwd, env });
    const target = server.target;
    for (const [file, c] of [
      ["one.json", "1"],
      ["two.json", "2"],
    ] as const) {
      const r = run(["bench", "-s", target, "-n", "200", "-c", c, "-t", "1", "-q", "--json", "-o", file]);
      if (r.code !== 0) throw new Error(`bench: ${r.stderr}`);
    }
  });
  afterAll(() => server.stop());
  const run = (args: string[]) => {
    const p = Bun.spawnSync([requireBinary(), ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
    return { code: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  };

  test("the table: a column per file, ratios, the differing options flagged", () => {
    const r = run(["compare", "one.json", "two.json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("WARNING: runs differ in: connections (1 vs 2), concurrency (1 vs 2)");
    expect(lines[2]).toMatch(/^ +one\.json +two\.json +vs 1st$/);
    for (const m of ["calls/s", "p50", "p90", "p99", "p99.9", "p99.99", "max", "loader CPU-s"]) {
      expect(r.stdout).toMatch(
        new RegExp(`^${m.replace(".", "\\.")} +\\S+( μs| ms| s)? +\\S+( μs| ms| s)? +\\d+\\.\\d\\dx$`, "m"),
      );
    }
    expect(r.stdout).toMatch(/^error rate +0% +0%$/m);
  });

  test("--json: the same figures as one document; the warning also on stderr", () => {
    const r = run(["compare", "--json", "one.json", "two.json"]);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.stdout) as Comparison;
    expect(c.schema).toBe("grpcperf-compare/1");
    expect(c.runs.map((x) => x.file)).toEqual(["one.json", "two.json"]);
    const saved = [
      JSON.parse(readFileSync(join(cwd, "one.json"), "utf8")),
      JSON.parse(readFileSync(join(cwd, "two.json"), "utf8")),
    ];
    expect(rowOf(c, "p99")?.values).toEqual(saved.map((s) => s.services[0].latency_us.p99));
    expect(rowOf(c, "calls/s")?.values).toEqual(saved.map((s) => s.services[0].requests_per_second));
    expect(c.differences).toEqual([
      { key: "options.connections", values: [1, 2] },
      { key: "options.concurrency", values: [1, 2] },
    ]);
    expect(r.stderr).toContain("runs differ in: connections (1 vs 2), concurrency (1 vs 2)");
  });

  test("a file that is not a report, a missing one, one file, --html with --json: exit 2, one line", () => {
    writeFileSync(join(cwd, "notes.json"), '{"hello": "world"}');
    writeFileSync(join(cwd, "junk.txt"), "not json");
    const cases: Array<[string[], string]> = [
      [
        ["one.json", "notes.json"],
        'grpcperf: notes.json: not a grpcperf bench report (no "schema": "grpcperf-bench-report/2")\n',
      ],
      [["one.json", "gone.json"], "grpcperf: gone.json: cannot read it (no such file)\n"],
      [["junk.txt", "one.json"], "grpcperf: junk.txt: not JSON ("],
      [["one.json"], "grpcperf: compare: give two or more bench reports (got 1)\n"],
      [["--html", "--json", "one.json", "two.json"], "grpcperf: compare: --html and --json exclude each other\n"],
    ];
    for (const [args, err] of cases) {
      const r = run(["compare", ...args]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toStartWith(err);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
  });
});
