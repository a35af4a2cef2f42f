// The capacity search as text: the header, a line per step as it finishes, then the answer and what limited
// it (bench --find-max's live output, and the notes heading its HTML page). Pure.
import type { LatencySummary } from "../histogram.ts";
import { formatOutageMs } from "../outage-text.ts";
import { formatMicros } from "../threshold.ts";
import type { Ended, FindMaxReport } from "./report.ts";
import type { FindMaxStep } from "./step.ts";

const pct = (x: number | null) => (x === null ? "-" : `${(x * 100).toFixed(2)}%`);
const lat = (l: LatencySummary | null, k: "p50" | "p99") => (l === null ? "-" : formatMicros(l[k]));
const pad = (s: string, n: number) => s.padStart(n);

export function headerLines(s: FindMaxReport["search"]): string[] {
  const bound = s.max_rps === null ? "" : `, at most ${s.max_rps}/s`;
  return [
    `find-max: highest rate with ${s.slo.join(" and ")}`,
    `  steps of ${s.step_duration_s}s (after ${s.warmup_s}s warm-up each), from ${s.start_rps}/s ×${s.growth} ` +
      `then bisection to ${Math.round(s.precision * 1000) / 10}%${bound}, within ${s.bound_s}s`,
    "",
    `${pad("step", 4)}  ${"phase".padEnd(6)}  ${pad("target/s", 9)}  ${pad("sent/s", 9)}  ${pad("p50", 9)}  ${pad("p99", 9)}  ${pad("errors", 7)}  ${pad("loader", 6)}  ${pad("late", 6)}  result`,
  ];
}

/** "outage 1.032 s (1 window)": a step the server was not there for, named as such. */
function outageText(x: FindMaxStep): string[] {
  const o = x.outage;
  if (o === undefined) return [];
  return [`outage ${formatOutageMs(o.total_ms)} (${o.count} window${o.count === 1 ? "" : "s"})`];
}

export function stepLine(x: FindMaxStep): string {
  const loader = x.loader_utilization === null ? "-" : `${Math.round(x.loader_utilization * 100)}%`;
  const failed = [...outageText(x), ...x.slo.filter((v) => !v.pass).map((v) => v.expr)];
  const result = x.aborted
    ? `ended: ${x.aborted}`
    : x.pass
      ? "pass"
      : `FAIL ${failed.join(", ")}${x.loader_limited ? " (loader-limited)" : ""}`;
  return [
    pad(String(x.step), 4),
    x.phase.padEnd(6),
    pad(String(x.target_rps), 9),
    pad(x.achieved_rps.toFixed(1), 9),
    pad(lat(x.latency_us, "p50"), 9),
    pad(lat(x.latency_us, "p99"), 9),
    pad(pct(x.error_rate), 7),
    pad(loader, 6),
    pad(String(x.late_sends), 6),
    result,
  ].join("  ");
}

const ENDED: Readonly<Record<Ended, string>> = {
  converged: "the bracket is within the precision",
  "max-rate": "--max-rate reached with every SLO still met",
  "none-passed": "the first step already broke the SLO",
  "time-bound": "the time bound (-z) left no room for another step",
  aborted: "the search ended early",
};

export function answerLines(r: FindMaxReport): string[] {
  const lines = ["", `search ended: ${ENDED[r.ended]}${r.aborted ? ` (${r.aborted})` : ""}`];
  const a = r.answer;
  if (a === null) {
    lines.push(
      r.ended === "aborted"
        ? "no answer: no step met every SLO before the search ended"
        : `no answer: not even ${r.search.start_rps}/s met ${r.search.slo.join(" and ")} (lower --start-rate)`,
    );
    return lines;
  }
  const l = a.latency_us;
  lines.push(`highest rate that met every SLO: ${a.rps}/s (step ${a.step}, sent ${a.achieved_rps.toFixed(1)}/s)`);
  if (l) {
    lines.push(
      `  latency from the due time: p50 ${formatMicros(l.p50)}, p90 ${formatMicros(l.p90)}, p99 ${formatMicros(l.p99)}, ` +
        `p99.9 ${formatMicros(l.p999)}, max ${formatMicros(l.max)}`,
    );
  }
  const failing = r.steps.find((x) => x.step === r.limit_step);
  if (r.limit === "server" && failing?.outage) {
    lines.push(
      `limit: the server — at ${failing.target_rps}/s (step ${failing.step}) it was not there for ` +
        `${formatOutageMs(failing.outage.total_ms)} (an outage${failing.outage.count === 1 ? "" : `, ${failing.outage.count} windows`})`,
    );
  } else if (r.limit === "server" && failing) {
    lines.push(
      `limit: the server — at ${failing.target_rps}/s (step ${failing.step}) an SLO broke with the loader not busy`,
    );
  } else if (r.limit === "loader" && failing) {
    const why =
      failing.loader_utilization !== null && failing.loader_utilization >= 0.9
        ? `a load thread at ${Math.round(failing.loader_utilization * 100)}% CPU`
        : failing.loader_late !== undefined
          ? `${failing.loader_late} calls sent over 1 ms late with slots free, or due while the loader stalled`
          : `${failing.late_sends - failing.slot_waits} calls sent late with slots free`;
    lines.push(
      `limit: the LOADER — at ${failing.target_rps}/s (step ${failing.step}) ${why}; ` +
        `${a.rps}/s is a lower bound of the server's capacity, not its capacity (add --threads, or run shards)`,
    );
  } else if (r.ended !== "aborted") {
    lines.push("limit: none reached — every rate tried met the SLO, so the capacity is higher");
  }
  return lines;
}
