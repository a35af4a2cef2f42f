// One finished step of a capacity search, judged: its figures, the SLO verdicts, and whether the loader
// rather than the server may have been what held it back. Pure.

import { type LatencySummary, merge, summarize } from "../histogram.ts";
import { SATURATED_AT } from "../marks.ts";
import { loaderPacing } from "../pacing.ts";
import type { ThreadResult } from "../records.ts";
import { sectionsOf } from "../sections.ts";
import { evaluate, type Threshold } from "../threshold.ts";
import type { BenchReport, ThresholdResult } from "../types.ts";

/**
 * Sends late for the loader's own reasons (a slot was free, yet the send went out late) beyond this share
 * of all sends make a step loader-limited, unless waits for a slot outnumber them: an overloaded server
 * fills every slot, and the sends it delays also delay the loader's timers a little.
 */
const LOADER_LATE_SHARE = 0.05;

/**
 * How the search chose a step's rate: growing geometrically, bisecting the bracket, or the same rate again
 * after a failure where the loader may have been the limit.
 */
export type Phase = "grow" | "bisect" | "retry";

export interface FindMaxStep {
  /** 1-based, in the order run. */
  readonly step: number;
  readonly phase: Phase;
  readonly started_at: string;
  readonly target_rps: number;
  /** Calls sent per second over the step's sending window. */
  readonly achieved_rps: number;
  readonly ok: number;
  readonly failed: number;
  /** failed / (ok + failed); null when nothing completed. */
  readonly error_rate: number | null;
  /** Every section's calls together, from each call's due time, µs. */
  readonly latency_us: LatencySummary | null;
  /** Calls sent in the measured step. */
  readonly sent: number;
  readonly late_sends: number;
  /** Of the late sends, those that were due while every slot was busy: the server's doing. */
  readonly slot_waits: number;
  /** The busiest load thread's CPU share of its wall time, 0..1 (null where the platform cannot tell). */
  readonly loader_utilization: number | null;
  /** The loader may have been the limit: a thread saturated, or calls sent late with slots free. */
  readonly loader_limited: boolean;
  /** The loader's own doing: calls sent more than 1 ms late with a slot free, or due during its stalls
   * (the larger); absent in steps from before send lag. */
  readonly loader_late?: number;
  readonly slo: readonly ThresholdResult[];
  /** The step's outages (issue 30): the server was not there for a while, which fails the step whatever the
   * SLOs say; absent when there was none. */
  readonly outage?: { readonly count: number; readonly total_ms: number; readonly longest_ms: number };
  /** Every SLO held, no outage, and the step ran to its end. */
  readonly pass: boolean;
  /** Why the step ended early, or null. */
  readonly aborted: string | null;
}

export function judgeStep(
  at: { step: number; phase: Phase; rps: number },
  report: BenchReport,
  threads: readonly ThreadResult[],
  slos: readonly Threshold[],
): FindMaxStep {
  const verdicts = evaluate(slos, report);
  const histograms = sectionsOf(report).flatMap((s) => (s.histogram === null ? [] : [s.histogram]));
  const total = report.total.ok + report.total.failed;
  const slotWaits = threads.reduce((n, t) => n + t.slotWaits, 0);
  const sent = threads.reduce((n, t) => n + t.sent, 0);
  const utils = report.loader.threads.map((t) => t.utilization).filter((u): u is number => u !== null);
  const utilization = utils.length > 0 ? Math.max(...utils) : null;
  // Late with a slot free: over 2 ms (late_sends), or over 1 ms by the send-lag count, or due while the
  // loader stalled (pacing.ts); reports from before send lag have only the first.
  const outage = report.outages;
  const pacing = loaderPacing(report.rate);
  const late2ms = Math.max(0, report.rate.late_sends - slotWaits);
  const loaderLate = pacing ? Math.max(late2ms, pacing.loaderLate, pacing.dueInStalls) : late2ms;
  const loaderLimited =
    (utilization !== null && utilization >= SATURATED_AT) ||
    (sent > 0 && loaderLate / sent > LOADER_LATE_SHARE && loaderLate > slotWaits);
  return {
    step: at.step,
    phase: at.phase,
    started_at: report.started_at,
    target_rps: at.rps,
    achieved_rps: report.rate.achieved,
    ok: report.total.ok,
    failed: report.total.failed,
    error_rate: total === 0 ? null : report.total.failed / total,
    latency_us: summarize(merge(histograms)),
    sent,
    late_sends: report.rate.late_sends,
    slot_waits: slotWaits,
    loader_utilization: utilization,
    loader_limited: loaderLimited,
    ...(pacing ? { loader_late: loaderLate } : {}),
    slo: verdicts,
    ...(outage ? { outage: { count: outage.count, total_ms: outage.total_ms, longest_ms: outage.longest_ms } } : {}),
    // a server that went away broke any SLO worth having, even if the calls around the gap were fast
    pass: report.aborted === null && outage === undefined && verdicts.every((v) => v.pass),
    aborted: report.aborted,
  };
}
