// `grpcperf report` with the binary on a real run of `bench` against `grpcperf serve` (version 2: warm-up, an
// open loop's target, the time series) and on a version 1 report saved before bench kept a time series
// (test/support/fixtures/bench-report/): each format, several files one section each, files that are not reports refused.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CSV_HEADER } from "../../src/report/csv.ts";
import { binaryRunner, ROOT } from "../support/helpers.ts";
import { benchRuns } from "../support/report-runs.ts";

const dir = mkdtempSync(join(tmpdir(), "grpcperf-report-"));
const run = binaryRunner(dir, { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir });
const v1 = join(ROOT, "test/support/fixtures/bench-report/v1-echo.json");
// biome-ignore lint/suspicious/noExplicitAny: JSON documents read back, their fields reached into freely
const v1doc: any = JSON.parse(readFileSync(v1, "utf8"));
let V2 = "";
// biome-ignore lint/suspicious/noExplicitAny: as above
let v2doc: any = {};

beforeAll(async () => {
  V2 = (await benchRuns(dir, [["open", ["--rate", "2000", "--warmup", "1s"]]])).open as string;
  v2doc = JSON.parse(readFileSync(V2, "utf8"));
}, 30_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("grpcperf report", () => {
  test("text: bench's own report from the saved file, and whether it has a time series", () => {
    const r = run(["report", v1]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("=== Echo Service Benchmark Results ===");
    expect(r.stdout).toContain(`Total requests: ${v1doc.services[0].total}`);
    expect(r.stdout).toContain(`  p99:    ${v1doc.services[0].latency_us.p99} μs`);
    expect(r.stdout).toContain("no time series in this report (version 1)");
    const points = v2doc.timeline.points;
    const warm = points.filter((p: { warmup: boolean }) => p.warmup).length;
    expect(warm).toBeGreaterThan(0);
    expect(run(["report", V2]).stdout).toContain(`time series: ${points.length} intervals of 1 s (${warm} warm-up)`);
  });

  test("json: the document as loaded; several files an array", () => {
    expect(JSON.parse(run(["report", "-f", "json", v1]).stdout)).toEqual(v1doc);
    expect(JSON.parse(run(["report", "--format", "json", v1, V2]).stdout)).toEqual([v1doc, v2doc]);
  });

  test("csv: one row per interval; a version 1 report has the header only and says why", () => {
    const lines = run(["report", "-f", "csv", V2]).stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(CSV_HEADER); // one file: plain CSV, no comment line
    const rows = lines.slice(1);
    expect(rows).toHaveLength(v2doc.timeline.points.length);
    const p = v2doc.timeline.points[1];
    const l = p.latency_us;
    expect(p.target_rps).toBe(2000);
    expect(rows[1]).toBe(
      [
        p.start_s,
        p.end_s,
        p.warmup,
        p.ok,
        p.failed,
        p.achieved_rps,
        p.target_rps,
        l.p50,
        l.p90,
        l.p99,
        l.p99_9,
        l.max,
        p.sent,
        p.late_sends,
        p.loader_utilization,
        l.p95,
      ].join(","),
    );
    const both = run(["report", "-f", "csv", v1, V2]).stdout;
    expect(both).toContain(
      `# ${v1}\n# no time series in this report (version 1)\n${CSV_HEADER}\n\n# ${V2}\n${CSV_HEADER}\n`,
    );
    expect(both.split("\n").filter((x) => /^\d/.test(x))).toHaveLength(v2doc.timeline.points.length);
  });

  test("markdown: a summary table per file with the JSON's figures", () => {
    const md = run(["report", "-f", "markdown", v1, V2]).stdout;
    expect(md).toContain(`## ${v1}\n`);
    expect(md).toContain(`## ${V2}\n`);
    for (const doc of [v1doc, v2doc]) {
      const s = doc.services[0];
      const l = s.latency_us;
      expect(md).toContain(
        `| echo | ${s.total} | ${s.ok} | ${s.failed} | ${s.requests_per_second} | ${l.p50} | ${l.p90} | ${l.p95 ?? "–"} | ${l.p99} | ${l.p999} | ${l.p9999} | ${l.max} |`,
      );
    }
    expect(md).toContain("no time series in this report (version 1)");
  });

  test("-o writes the file; --html is --format html", () => {
    const out = join(dir, "r.html");
    const r = run(["report", "--html", v1, "-o", out]);
    expect(r).toMatchObject({ code: 0, stdout: "" });
    expect(readFileSync(out, "utf8")).toStartWith("<!DOCTYPE html>");
  });

  test("files that are not reports, and bad flags, are exit 2 with one line", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, '{"schema":"k6"}');
    const notJson = join(dir, "nope.json");
    writeFileSync(notJson, "nope");
    const broken = join(dir, "broken.json");
    const doc = structuredClone(v2doc);
    doc.timeline.points[1].ok = "many";
    writeFileSync(broken, JSON.stringify(doc));
    const cases: [string[], string][] = [
      [["report", bad], "not a grpcperf bench report"],
      [["report", notJson], "not JSON"],
      [["report", join(dir, "missing.json")], "no such file"],
      [["report", broken], "timeline.points[1].ok is missing or wrong"],
      [["report"], "give one or more bench reports"],
      [["report", "-f", "pdf", v1], "--format pdf: not one of text, json, csv, markdown, html"],
    ];
    for (const [args, says] of cases) {
      const r = run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(says);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
  });
});
