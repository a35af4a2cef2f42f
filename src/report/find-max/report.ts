// The capacity search's result as data (`--json`, schema/find-max.schema.json) and as text: the steps as
// they finish, then the answer and what limited it. Pure.

import type { LatencySummary } from "../histogram.ts";
import { formatMicros } from "../threshold.ts";
import type { BenchReport } from "../types.ts";
import type { FindMaxStep } from "./step.ts";

const FIND_MAX_SCHEMA_ID = "grpcperf-find-max/1";

export type Ended = "converged" | "max-rate" | "none-passed" | "time-bound" | "aborted";

export interface FindMaxReport {
  readonly schema: typeof FIND_MAX_SCHEMA_ID;
  readonly tool: BenchReport["tool"];
  readonly started_at: string;
  /** As a bench report's, from the first step; `rate` and `duration_s` are each step's own. */
  readonly options: BenchReport["options"] | null;
  readonly search: {
    readonly slo: readonly string[];
    readonly precision: number;
    readonly step_duration_s: number;
    readonly warmup_s: number;
    readonly bound_s: number;
    readonly start_rps: number;
    readonly max_rps: number | null;
    readonly growth: number;
  };
  readonly machine: BenchReport["machine"] | null;
  readonly steps: readonly FindMaxStep[];
  /** The highest rate at which every SLO held (below the lowest that broke one); null if none did. */
  readonly answer: {
    readonly step: number;
    readonly rps: number;
    readonly achieved_rps: number;
    readonly latency_us: LatencySummary | null;
    /** That step's whole bench report (grpcperf report and compare read it). */
    readonly report: BenchReport;
  } | null;
  /**
   * What the lowest failing step ran into: the server, or the loader (then the answer is only a lower
   * bound of the server's capacity). null when no step failed, or the search ended early.
   */
  readonly limit: "server" | "loader" | null;
  readonly limit_step: number | null;
  readonly ended: Ended;
  readonly aborted: string | null;
  readonly duration_s: number;
}

/** The search's settings, as --find-max and its flags resolved them (bench/find-max/options.ts). */
export interface SearchSettings {
  readonly slos: readonly { readonly expr: string }[];
  readonly precision: number;
  readonly stepMs: number;
  readonly boundMs: number;
  readonly startRps: number;
  readonly maxRps: number | undefined;
  readonly growth: number;
}

export interface SearchState {
  readonly settings: SearchSettings;
  /** The search's bracket over the steps: the highest passing rate below the lowest failing one. */
  readonly bracket: { readonly pass?: number; readonly fail?: number };
  readonly warmupMs: number;
  readonly startedAt: Date;
  readonly steps: readonly FindMaxStep[];
  /** Each step's bench report, by step number. */
  readonly reports: ReadonlyMap<number, BenchReport>;
  readonly ended: Ended;
  readonly aborted: string | null;
  readonly durationS: number;
}

/** The search's settings as the report states them. */
export function searchOf(s: SearchSettings, warmupMs: number): FindMaxReport["search"] {
  return {
    slo: s.slos.map((t) => t.expr),
    precision: s.precision,
    step_duration_s: s.stepMs / 1000,
    warmup_s: warmupMs / 1000,
    bound_s: s.boundMs / 1000,
    start_rps: s.startRps,
    max_rps: s.maxRps ?? null,
    growth: s.growth,
  };
}

export function findMaxReport(s: SearchState): FindMaxReport {
  const first = s.reports.get(1);
  const { pass, fail } = s.bracket;
  const best = pass === undefined ? undefined : s.steps.find((x) => x.pass && x.target_rps === pass);
  const bestReport = best && s.reports.get(best.step);
  const failing = fail === undefined ? undefined : s.steps.find((x) => !x.pass && x.target_rps === fail);
  const limit = s.aborted !== null || failing === undefined ? null : failing.loader_limited ? "loader" : "server";
  return {
    schema: FIND_MAX_SCHEMA_ID,
    tool: first?.tool ?? { name: "grpcperf", version: "", commit: "" },
    started_at: s.startedAt.toISOString(),
    options: first ? { ...first.options, rate: null } : null,
    search: searchOf(s.settings, s.warmupMs),
    machine: first?.machine ?? null,
    steps: s.steps,
    answer:
      best && bestReport
        ? {
            step: best.step,
            rps: best.target_rps,
            achieved_rps: best.achieved_rps,
            latency_us: best.latency_us,
            report: bestReport,
          }
        : null,
    limit,
    limit_step: limit === null ? null : (failing?.step ?? null),
    ended: s.ended,
    aborted: s.aborted,
    duration_s: Math.round(s.durationS * 1000) / 1000,
  };
}

// ---- text

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

export function stepLine(x: FindMaxStep): string {
  const loader = x.loader_utilization === null ? "-" : `${Math.round(x.loader_utilization * 100)}%`;
  const failed = x.slo.filter((v) => !v.pass).map((v) => v.expr);
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
  if (r.limit === "server" && failing) {
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
