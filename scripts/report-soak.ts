// How `grpcperf report` copes with a long time series: a saved real report (test/support/fixtures/bench-report/)
// given 10,000 synthetic one-second intervals, rendered in each format; prints render time and output size.
// Not a test (times vary by machine). Run: bun scripts/report-soak.ts [INTERVALS] [--histograms] [-o PAGE.html]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { formatCsv } from "../src/report/csv.ts";
import { formatHtml } from "../src/report/html.ts";
import { formatMarkdown } from "../src/report/markdown.ts";
import { parseRendered } from "../src/report/rendered.ts";
import { withTimeline } from "./lib/synthetic-timeline.ts";

const intervals = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 10_000);
const histograms = process.argv.includes("--histograms");
const page = process.argv[process.argv.indexOf("-o") + 1];
const fixture = join(import.meta.dir, "..", "test/support/fixtures/bench-report/v1-echo.json");
const base = JSON.parse(readFileSync(fixture, "utf8"));

const t0 = performance.now();
const doc = withTimeline(base, { intervals, warmup: 10, rps: 2000, target: 2000, p50Us: 700, histograms });
const text = JSON.stringify(doc);
const built = performance.now() - t0;

const t1 = performance.now();
const loaded = parseRendered(text, "soak.json");
if (!loaded.ok) throw new Error(loaded.error);
const parsed = performance.now() - t1;

const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
console.log(
  `${intervals} intervals${histograms ? " with a histogram each" : ""}: report ${kb(text.length)} (built in ${built.toFixed(0)} ms), loaded and checked in ${parsed.toFixed(1)} ms`,
);
for (const [name, render] of [
  ["html", formatHtml],
  ["csv", formatCsv],
  ["markdown", formatMarkdown],
] as const) {
  const start = performance.now();
  const out = render([loaded.named]);
  const ms = performance.now() - start;
  if (name === "html" && process.argv.includes("-o") && page !== undefined) writeFileSync(page, out);
  console.log(`${name.padEnd(8)} ${ms.toFixed(1).padStart(8)} ms  ${kb(Buffer.byteLength(out)).padStart(12)}`);
}
