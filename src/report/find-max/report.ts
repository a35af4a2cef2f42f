// The capacity search's result as data (`--json`, schema/find-max.schema.json): its settings, its steps, the
// answer and what limited it (text.ts prints it). Pure.

import type { LatencySummary } from "../histogram.ts";
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
interface SearchSettings {
  readonly slos: readonly { readonly expr: string }[];
  readonly precision: number;
  readonly stepMs: number;
  readonly boundMs: number;
  readonly startRps: number;
  readonly maxRps: number | undefined;
  readonly growth: number;
}

interface SearchState {
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
  // the last: a retried rate's verdict is its retry's (bench/find-max/search.ts)
  const failing = fail === undefined ? undefined : s.steps.findLast((x) => !x.pass && x.target_rps === fail);
  // an outage is the server's: the loader does not make a server go away
  const limit =
    s.aborted !== null || failing === undefined
      ? null
      : failing.loader_limited && failing.outage === undefined
        ? "loader"
        : "server";
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
