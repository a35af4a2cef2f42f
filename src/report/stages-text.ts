// The text report's "Stages" block (runs with --stages, --load-schedule, --concurrency-stages or
// --concurrency-schedule): one row per stage with what it asked for and what it got, then each stage's
// failures by status. Also the short target text the other renderers share. Pure.
import type { BenchReport, StageReport } from "./types.ts";

const range = (from: number, to: number) => (from === to ? `${to}` : `${from}→${to}`);

/** What the stage asked for: `200/s`, `0→200/s` (open loop) or `4 in flight`, `0→4 in flight` (closed). */
export function stageTarget(s: StageReport): string {
  if (s.target_concurrency_from !== undefined && s.target_concurrency_to !== undefined)
    return `${range(s.target_concurrency_from, s.target_concurrency_to)} in flight`;
  return `${range(s.target_rps_from ?? 0, s.target_rps_to ?? 0)}/s`;
}

/** The busiest load thread's CPU in the stage: `12%`, `95% SATURATED`, `?` when unknown (older reports too). */
export function stageLoader(s: StageReport): string {
  if (s.loader_utilization === undefined || s.loader_utilization === null) return "?";
  return `${Math.round(s.loader_utilization * 100)}%${s.loader_saturated ? " SATURATED" : ""}`;
}

const dash = (v: number | undefined) => (v === undefined ? "–" : String(v));

export function stagesSection(r: BenchReport): string[] {
  const stages = r.stages ?? [];
  if (stages.length === 0) return [];
  const open = stages.some((s) => s.sent !== undefined);
  const head = ["#", "time s", "target", "achieved/s", "ok", "failed", "p50 μs", "p90 μs", "p99 μs", "max μs"];
  if (open) head.push("sent", "late");
  head.push("loader");
  const rows = stages.map((s, i) => {
    const l = s.latency_us;
    const row = [
      String(i + 1),
      `${s.start_s}–${s.end_s}`,
      stageTarget(s),
      s.achieved_rps.toFixed(1),
      String(s.ok),
      String(s.failed),
      dash(l?.p50),
      dash(l?.p90),
      dash(l?.p99),
      dash(l?.max),
    ];
    if (open) row.push(dash(s.sent), dash(s.late_sends));
    row.push(stageLoader(s));
    return row;
  });
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] as string).length)));
  // text columns (time, target, loader) left, numbers right
  const left = new Set([1, 2, head.length - 1]);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (left.has(c) ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join("  ")
      .trimEnd();
  const lines = ["=== Stages ===", line(head), ...rows.map(line)];
  stages.forEach((s, i) => {
    if (s.errors === undefined || s.errors.length === 0) return;
    lines.push(`Stage ${i + 1} failures: ${s.errors.map((e) => `${e.status} (${e.code}) ${e.count}`).join(", ")}`);
  });
  lines.push("(a stage: the timeline's intervals whose middle falls in it; loader: its busiest load thread's CPU)");
  return lines;
}
