// The report's per-stage figures (--stages / --load-schedule, --concurrency-stages / --concurrency-schedule),
// derived from the measured timeline points: each point goes to the stage its middle falls in (the last stage
// also takes a tail point past its end), so a stage's figures are as fine as --interval (a point straddling
// two stages counts in one). The loader's CPU per stage comes from the threads' own interval samples, so the
// busiest thread is the busiest over the stage, not a mix of each interval's busiest. Pure.

import { statusName } from "../rpc/status.ts";
import { merge } from "./histogram.ts";
import { SATURATED_AT } from "./marks.ts";
import { sendLagSummary } from "./pacing.ts";
import type { PhaseIntervals } from "./records.ts";
import { intervalLatency } from "./timeline.ts";
import type { StageErrorRow, StageReport, TimelinePoint } from "./types.ts";

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** An open loop's rate stage or a closed loop's concurrency stage, as the load's stages give them. */
export type StageTarget =
  | { readonly durationMs: number; readonly fromRps: number; readonly toRps: number }
  | { readonly durationMs: number; readonly from: number; readonly to: number };

/** What the stage asked for. */
function targetOf(s: StageTarget) {
  return "fromRps" in s
    ? { target_rps_from: s.fromRps, target_rps_to: s.toRps }
    : { target_concurrency_from: s.from, target_concurrency_to: s.to };
}

/**
 * `measured`: each thread's measured-phase intervals (ThreadResult.timeline.measured), for the loader's CPU
 * per stage; without them the stages carry no loader figures.
 */
export function stagesReport(
  points: readonly TimelinePoint[],
  stages: readonly StageTarget[],
  warmupMs: number,
  measured?: readonly PhaseIntervals[],
): StageReport[] {
  const measuredPoints = points.filter((p) => !p.warmup);
  const out: StageReport[] = [];
  let startMs = warmupMs;
  stages.forEach((s, i) => {
    const endMs = startMs + s.durationMs;
    const last = i === stages.length - 1;
    // a measured point's position is its interval's index
    const mine: number[] = [];
    measuredPoints.forEach((p, index) => {
      const mid = ((p.start_s + p.end_s) / 2) * 1000;
      if (mid >= startMs && (mid < endMs || last)) mine.push(index);
    });
    let ok = 0;
    let failed = 0;
    let lengthS = 0;
    let sent: number | undefined;
    let late = 0;
    const errors = new Map<number, number>();
    for (const index of mine) {
      const p = measuredPoints[index] as TimelinePoint;
      ok += p.ok;
      failed += p.failed;
      lengthS += p.end_s - p.start_s;
      for (const e of p.errors) errors.set(e.code, (errors.get(e.code) ?? 0) + e.count);
      if (p.sent !== undefined) sent = (sent ?? 0) + p.sent;
      late += p.late_sends ?? 0;
    }
    const h = merge(mine.map((index) => (measuredPoints[index] as TimelinePoint).histogram));
    const lags = mine.flatMap((index) => (measuredPoints[index] as TimelinePoint).send_lag_histogram ?? []);
    const loader = measured ? loaderOf(measured, new Set(mine)) : undefined;
    out.push({
      start_s: round(startMs / 1000, 3),
      end_s: round(endMs / 1000, 3),
      ...targetOf(s),
      ok,
      failed,
      errors: errorRows(errors),
      achieved_rps: lengthS > 0 ? round((ok + failed) / lengthS, 1) : 0,
      latency_us: intervalLatency(h),
      ...(sent === undefined ? {} : { sent, late_sends: late }),
      ...(lags.length > 0 ? { send_lag_us: sendLagSummary(merge(lags)) } : {}),
      ...(loader === undefined
        ? {}
        : { loader_utilization: loader, loader_saturated: loader !== null && loader >= SATURATED_AT }),
    });
    startMs = endMs;
  });
  return out;
}

function errorRows(errors: ReadonlyMap<number, number>): StageErrorRow[] {
  return [...errors]
    .map(([code, count]) => ({ code, status: statusName(code), count }))
    .sort((a, b) => b.count - a.count || a.code - b.code);
}

/** The busiest thread's CPU over its wall time, summed over its samples in these intervals; null: unknown. */
function loaderOf(measured: readonly PhaseIntervals[], indices: ReadonlySet<number>): number | null {
  let busiest: number | null = null;
  for (const phase of measured) {
    let cpu = 0;
    let wall = 0;
    let known = false;
    for (const t of phase.intervals) {
      if (!indices.has(t.index) || t.cpuSec === undefined || t.cpuSec === null || t.wallSec === undefined) continue;
      cpu += t.cpuSec;
      wall += t.wallSec;
      known = true;
    }
    if (known && wall > 0) busiest = Math.max(busiest ?? 0, round(cpu / wall, 3));
  }
  return busiest;
}
