// The pieces of `grpcperf report`'s page without a browser: the percentile spectrum read off a real run's
// HDR histogram (a saved report) meets the report's own percentiles at its ticks, long lines are cut to the
// pixel columns keeping each column's extremes, and the loader checks the timeline points it hands on.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { withTimeline } from "../../scripts/lib/synthetic-timeline.ts";
import { formatHtml } from "../../src/report/html.ts";
import { parseRendered } from "../../src/report/rendered.ts";
import { percentileAt, spectrum } from "../../src/report/spectrum.ts";
import { decimate } from "../../src/report/svg.ts";
import { ROOT } from "../support/helpers.ts";

const V1 = readFileSync(join(ROOT, "test/support/fixtures/bench-report/v1-echo.json"), "utf8");
const synthetic = { intervals: 12, warmup: 2, rps: 100, target: null, p50Us: 100, histograms: false };
const V2 = JSON.stringify(withTimeline(JSON.parse(V1), synthetic));

describe("spectrum", () => {
  test("the ticks are p0, p90, p99, p99.9, p99.99", () => {
    expect([0, 1, 2, 3, 4].map(percentileAt)).toEqual([0, 90, 99, 99.9, 99.99]);
  });
  test("at p90 … p99.99 it meets the report's figures from the same histogram (a real run's)", () => {
    const doc = JSON.parse(V1);
    const s = doc.services[0];
    const pts = spectrum(s.histograms.latency, 4);
    expect(pts.map((p) => p.value)).toEqual([
      pts[0]?.value as number,
      s.latency_us.p90,
      s.latency_us.p99,
      s.latency_us.p999,
      s.latency_us.p9999,
    ]);
    expect(pts[0]?.value).toBeLessThanOrEqual(s.latency_us.p50);
  });
});

describe("decimate", () => {
  const line: [number, number][] = Array.from({ length: 10_000 }, (_, i) => [i, i === 4321 ? 1e6 : i % 10]);
  test("a short line is drawn as it is", () => {
    expect(decimate(line.slice(0, 100), 100)).toEqual(line.slice(0, 100));
  });
  test("a long one keeps each column's lowest and highest point, in x order, spikes included", () => {
    const cut = decimate(line, 500);
    expect(cut.length).toBeLessThanOrEqual(1000);
    expect(cut).toContainEqual([4321, 1e6]);
    expect(cut.map(([x]) => x)).toEqual([...cut.map(([x]) => x)].sort((a, b) => a - b));
    expect(Math.min(...cut.map(([, y]) => y))).toBe(0);
  });
});

describe("parseRendered", () => {
  test("a version 2 report comes with its timeline; version 1 with none", () => {
    const r = parseRendered(V2, "v2.json");
    expect(r.ok && r.named.version).toBe(2);
    expect(r.ok && r.named.timeline?.points.length).toBe(12);
    const r1 = parseRendered(V1, "v1.json");
    expect(r1.ok && r1.named.timeline).toBeNull();
  });
  test("a broken timeline point is refused naming the field", () => {
    const no = (doc: Record<string, unknown>) => {
      const r = parseRendered(JSON.stringify(doc), "x.json");
      return r.ok ? "taken" : r.error;
    };
    const doc = JSON.parse(V2);
    expect(no({ ...doc, timeline: undefined })).toBe(
      "x.json: not a complete bench report: timeline is missing or wrong",
    );
    doc.timeline.points[2].latency_us = { p50: 1 };
    expect(no(doc)).toBe("x.json: not a complete bench report: timeline.points[2].latency_us is missing or wrong");
  });
});

describe("formatHtml", () => {
  test("a saturated loader is a visible warning and a red bar; text from the file is escaped", () => {
    const doc = JSON.parse(V1);
    doc.loader.saturated = true;
    doc.loader.threads[0].saturated = true;
    doc.loader.warnings = ["loader thread 0 used 99% of a core: <the loader> may be the limit"];
    const r = parseRendered(JSON.stringify(doc), "runs/<odd>.json");
    if (!r.ok) throw new Error(r.error);
    const html = formatHtml([r.named]);
    expect(html).toContain('<div class="warning" data-warning="saturated">&lt;odd&gt;.json: loader thread 0 used 99%');
    expect(html).toContain("&lt;the loader&gt; may be the limit");
    expect(html).toContain("thread 0 SATURATED");
    expect(html).not.toContain("<odd>");
  });
});
