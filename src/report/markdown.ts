// `grpcperf report --format markdown`: per file, a summary table (a row per service, or the streams section),
// errors by status, loader CPU and the time series in one line — to paste into an issue or a pull request.
import type { LatencySummary } from "./histogram.ts";
import { formatOutageMs, outagesSummary, recoveryText, timeOfDay } from "./outage-text.ts";
import { type NamedRendered, NO_TIMELINE } from "./rendered.ts";
import { sendLagLines, stageSendLagLines } from "./send-lag.ts";
import { stageLoader, stageTarget } from "./stages-text.ts";

const cellText = (v: unknown) => (v === null || v === undefined ? "–" : String(v).replace(/\|/g, "\\|"));
const tableRow = (cells: readonly unknown[]) => `| ${cells.map(cellText).join(" | ")} |`;

export function timelineLine(n: NamedRendered): string {
  if (n.timeline === null) return NO_TIMELINE;
  const pts = n.timeline.points;
  return `time series: ${pts.length} intervals of ${n.timeline.interval_s} s (${pts.filter((p) => p.warmup).length} warm-up)`;
}

function section(n: NamedRendered): string {
  const r = n.report;
  const rows: [string, number, number, number, number, LatencySummary | null][] = r.services.map((s) => [
    s.service,
    s.total,
    s.ok,
    s.failed,
    s.requests_per_second,
    s.latency_us,
  ]);
  if (r.streams !== undefined) {
    const s = r.streams;
    rows.push([
      `${s.method} (streams)`,
      s.total,
      s.ok,
      s.failed,
      s.streams_per_second,
      s.round_trip_us ?? s.duration_us,
    ]);
  }
  const lines = [
    `## ${n.file}`,
    "",
    `grpcperf ${r.tool.version} (${r.tool.commit}), ${r.mode}, ${r.duration_s} s, started ${r.started_at}; ${r.options.connections} connections, concurrency ${r.options.concurrency}, ${r.machine.cpus} CPUs (${r.machine.cpu_model})`,
    "",
    tableRow([
      "section",
      "calls",
      "ok",
      "failed",
      "calls/s",
      "p50 µs",
      "p90 µs",
      "p95 µs",
      "p99 µs",
      "p99.9 µs",
      "p99.99 µs",
      "max µs",
    ]),
    tableRow(["---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:"]),
    ...rows.map(([label, total, ok, failed, rps, l]) =>
      tableRow([label, total, ok, failed, rps, l?.p50, l?.p90, l?.p95, l?.p99, l?.p999, l?.p9999, l?.max]),
    ),
    "",
    `Loader CPU: ${r.loader.process_cpu_s} CPU-s${r.loader.saturated ? " — **the loader was saturated**" : ""}`,
    // send lag: how closely the open loop kept its schedule
    ...[...sendLagLines(r), ...stageSendLagLines(r)].map((l) => `- ${l}`),
    ...r.loader.warnings.map((w) => `- **WARNING**: ${w}`),
    ...(r.aborted === null ? [] : [`- **ABORTED**: ${r.aborted}`]),
  ];
  const errors = [
    ...r.services.flatMap((s) => s.errors.map((e) => [s.service, e] as const)),
    ...(r.streams?.errors ?? []).map((e) => [r.streams?.method ?? "", e] as const),
  ];
  if (errors.length > 0)
    lines.push(
      "",
      tableRow(["section", "status", "code", "count", "example"]),
      tableRow(["---", "---", "---:", "---:", "---"]),
      ...errors.map(([s, e]) => tableRow([s, e.status, e.code, e.count, e.example])),
    );
  lines.push(...outageRows(n), ...stageRows(n), "", timelineLine(n));
  return `${lines.join("\n")}\n`;
}

/** A run with outages: the summary, then one row per window (issue 30). */
function outageRows(n: NamedRendered): string[] {
  const o = n.report.outages;
  if (o === undefined) return [];
  const unit = n.report.streams ? "streams" : "calls";
  return [
    "",
    `**${outagesSummary(o, unit)}**`,
    "",
    tableRow(["outage", "from (UTC)", "length", `${unit} failed`, "first error", "recovery"]),
    tableRow(["---:", "---", "---:", "---:", "---", "---"]),
    ...o.windows.map((w, i) =>
      tableRow([i + 1, timeOfDay(w.start), formatOutageMs(w.duration_ms), w.failed, w.first_error, recoveryText(w)]),
    ),
  ];
}

/** A run with stages: one row per stage (its target, what it got, failures, late sends, loader CPU). */
function stageRows(n: NamedRendered): string[] {
  const stages = n.report.stages ?? [];
  if (stages.length === 0) return [];
  return [
    "",
    tableRow([
      "stage",
      "time s",
      "target",
      "calls/s",
      "ok",
      "failed",
      "p50 µs",
      "p99 µs",
      "max µs",
      "sent",
      "late",
      "loader CPU",
      "failures",
    ]),
    tableRow(["---:", "---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---"]),
    ...stages.map((s, i) =>
      tableRow([
        i + 1,
        `${s.start_s}–${s.end_s}`,
        stageTarget(s),
        s.achieved_rps,
        s.ok,
        s.failed,
        s.latency_us?.p50,
        s.latency_us?.p99,
        s.latency_us?.max,
        s.sent,
        s.late_sends,
        stageLoader(s),
        s.errors === undefined ? undefined : s.errors.map((e) => `${e.status} ${e.count}`).join(", ") || "none",
      ]),
    ),
  ];
}

export function formatMarkdown(runs: readonly NamedRendered[]): string {
  return runs.map(section).join("\n");
}
