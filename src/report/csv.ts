// `grpcperf report --format csv`: the time series, one row per interval. One file is plain CSV (the header,
// then the rows) for any CSV reader; several files, one section each (a `# file` line, the header, the rows,
// a blank line). A report without a time series says so in a `#` line.
import { type NamedRendered, NO_TIMELINE, type TimelinePoint } from "./rendered.ts";

// sent, late_sends (open loop), loader_utilization and p95_us came later: last, and empty where a report lacks them
export const CSV_HEADER =
  "start_s,end_s,warmup,ok,failed,achieved_rps,target_rps,p50_us,p90_us,p99_us,p99_9_us,max_us,sent,late_sends,loader_utilization" +
  ",p95_us";

const field = (v: number | null | undefined) => (v === null || v === undefined ? "" : String(v));

function row(p: TimelinePoint): string {
  const l = p.latency_us;
  return [
    p.start_s,
    p.end_s,
    p.warmup,
    p.ok,
    p.failed,
    p.achieved_rps,
    field(p.target_rps),
    field(l?.p50),
    field(l?.p90),
    field(l?.p99),
    field(l?.p99_9),
    field(l?.max),
    field(p.sent),
    field(p.late_sends),
    field(p.loader_utilization),
    field(l?.p95),
  ].join(",");
}

export function formatCsv(runs: readonly NamedRendered[]): string {
  return runs
    .map((n) => {
      const lines = runs.length > 1 ? [`# ${n.file.replace(/[\r\n]/g, " ")}`] : [];
      if (n.timeline === null) lines.push(`# ${NO_TIMELINE}`);
      lines.push(CSV_HEADER, ...(n.timeline?.points ?? []).map(row));
      return `${lines.join("\n")}\n`;
    })
    .join("\n");
}
