// The report page's stages and knee curve: a table of each run's stages (what each asked for and got:
// rate, latency, failures by status, late sends, the loader's CPU) and latency against achieved throughput,
// each measured interval a mark (p50 dot, p99 ring) and, for a run with stages, each stage a point of a line,
// so where latency turns up as throughput stops growing (the knee) can be read off. Numbers as in the JSON.
import type { NamedRendered, TimelinePoint } from "./rendered.ts";
import { stageLoader, stageTarget } from "./stages-text.ts";
import { escapeXml as esc, linearTicks, lineChart, logTicks, type Series } from "./svg.ts";
import type { StageReport } from "./types.ts";

export interface RunStyle {
  readonly color: (run: number) => string;
  readonly name: (run: NamedRendered) => string;
  readonly label: (n: NamedRendered, run: number) => string;
  readonly micros: (us: number) => string;
}

const cell = (v: unknown, attrs = "") => `<td${attrs}>${esc(v === null || v === undefined ? "–" : String(v))}</td>`;
const lcell = (v: unknown, attrs = "") => cell(v, ` class="l"${attrs}`);
const failures = (s: StageReport) =>
  s.errors === undefined ? "–" : s.errors.map((e) => `${e.status} ${e.count}`).join(", ") || "none";

/** Every run's stages, one row each; empty when no run has stages. */
export function stagesTable(runs: readonly NamedRendered[], style: RunStyle): string {
  const rows = runs.flatMap((n, i) =>
    (n.report.stages ?? []).map((s, k) => {
      const at = (metric: string) => ` data-run="${i}" data-stage="${k}" data-metric="${metric}"`;
      const l = s.latency_us;
      return `<tr><td class="l" style="white-space:nowrap">${style.label(n, i)}</td>${cell(k + 1)}${cell(`${s.start_s}–${s.end_s}`)}${lcell(stageTarget(s), `${at("target")} style="white-space:nowrap"`)}${cell(s.achieved_rps, at("achieved_rps"))}${cell(s.ok, at("ok"))}${cell(s.failed, at("failed"))}${cell(l?.p50, at("p50"))}${cell(l?.p90, at("p90"))}${cell(l?.p99, at("p99"))}${cell(l?.p99_9, at("p99_9"))}${cell(l?.max, at("max"))}${cell(s.sent, at("sent"))}${cell(s.late_sends, at("late_sends"))}${lcell(stageLoader(s), at("loader"))}${lcell(failures(s), at("errors"))}</tr>`;
    }),
  );
  if (rows.length === 0) return "";
  const head = `<tr><th class="l">run</th><th>#</th><th>time s</th><th class="l">target</th><th>achieved/s</th><th>ok</th><th>failed</th><th>p50 µs</th><th>p90 µs</th><th>p99 µs</th><th>p99.9 µs</th><th>max µs</th><th>sent</th><th>late</th><th class="l">loader CPU</th><th class="l">failures by status</th></tr>`;
  return `<table data-table="stages">${head}${rows.join("")}</table><p class="note">A stage's figures come from the timeline's intervals whose middle falls in it; sent and late only in an open loop; loader CPU is the busiest load thread's share of a core over the stage.</p>`;
}

const usable = (p: TimelinePoint) => !p.warmup && p.latency_us !== null && p.achieved_rps > 0;

/** Latency (log) against achieved calls/s: the knee curve; a note when no run has a measured interval. */
export function kneeChart(runs: readonly NamedRendered[], style: RunStyle): string {
  const series: Series[] = [];
  let xHi = 1;
  let xLo = Number.POSITIVE_INFINITY;
  let yLo = Number.POSITIVE_INFINITY;
  let yHi = 1;
  const see = (x: number, ys: readonly number[]) => {
    xHi = Math.max(xHi, x);
    xLo = Math.min(xLo, x);
    for (const y of ys) {
      yLo = Math.min(yLo, y);
      yHi = Math.max(yHi, y);
    }
  };
  const log = (v: number) => Math.log10(Math.max(v, 1));
  runs.forEach((n, i) => {
    const pts = (n.timeline?.points ?? []).filter(usable);
    const name = style.name(n);
    for (const p of pts) see(p.achieved_rps, [p.latency_us?.p50 ?? 1, p.latency_us?.p99 ?? 1]);
    if (pts.length > 0)
      for (const [key, marker] of [
        ["p50", "dot"],
        ["p99", "ring"],
      ] as const)
        series.push({
          label: `${name} ${key} per interval`,
          color: style.color(i),
          marker,
          points: pts.map((p) => [p.achieved_rps, log(p.latency_us?.[key] ?? 1)]),
        });
    const stages = (n.report.stages ?? []).filter((s) => s.latency_us !== null && s.achieved_rps > 0);
    for (const s of stages) see(s.achieved_rps, [s.latency_us?.p50 ?? 1, s.latency_us?.p99 ?? 1]);
    if (stages.length > 0)
      for (const [key, dash] of [
        ["p50", undefined],
        ["p99", "6 3"],
      ] as const)
        series.push({
          label: `${name} ${key} by stage`,
          color: style.color(i),
          dash,
          vertices: true,
          points: stages.map((s) => [s.achieved_rps, log(s.latency_us?.[key] ?? 1)]),
        });
  });
  if (series.length === 0) return `<p class="note" data-knee="none">no measured interval to plot</p>`;
  const y0 = Math.floor(Math.log10(Math.max(Math.min(yLo, yHi), 1)));
  const y1 = Math.max(Math.ceil(Math.log10(yHi)), y0 + 1);
  const xTop = xHi * 1.05;
  // runs that never went below most of their peak would be a sliver at the right of an axis from 0
  const xBottom = xLo > xHi * 0.4 ? xLo - (xTop - xLo) * 0.1 : 0;
  return lineChart({
    chart: "knee",
    title: "Latency against achieved throughput (the knee): p50 and p99 per interval, and per stage in order",
    x: { min: xBottom, max: xTop, title: "achieved calls/s", ticks: linearTicks(xBottom, xTop, (v) => `${v}`) },
    y: { min: y0, max: y1, title: "latency (log)", ticks: logTicks(10 ** y0, 10 ** y1, style.micros) },
    series,
  });
}
