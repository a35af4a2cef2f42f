// The report's timeline: the threads' intervals merged by index (counts added, histograms merged), the
// warm-up's points first, then the measured phase's, each with its times from the run's start. Pure.

import { encode, merge } from "./histogram.ts";
import { sendLagSummary } from "./pacing.ts";
import type { ThreadResult } from "./records.ts";
import { type IntervalTally, lastIntervalOf, type PhaseIntervals } from "./records.ts";
import type { TimelinePoint, TimelineReport } from "./types.ts";

export interface TimelineInput {
  readonly intervalMs: number;
  readonly warmupMs: number;
  readonly durationMs: number | undefined;
  readonly rate: number | undefined;
  /** --stages: a measured point's target is the schedule's mean rate over it; the warm-up is flat, at `warmupRps`. */
  readonly staged?: {
    readonly warmupRps: number | undefined;
    /** The schedule's mean target (calls/s) between two offsets from the measured phase's start, ms. */
    readonly meanRps: (fromMs: number, toMs: number) => number;
  };
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** A point's or a stage's latency figures, µs; null when nothing completed in it. */
export function intervalLatency(h: ReturnType<typeof merge>): TimelinePoint["latency_us"] {
  if (h.totalCount === 0) return null;
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    p99_9: h.getValueAtPercentile(99.9),
    max: h.maxValue,
  };
}

export function timelineReport(threads: readonly ThreadResult[], o: TimelineInput): TimelineReport {
  const iv = o.intervalMs;
  const points: TimelinePoint[] = [];
  if (o.warmupMs > 0) {
    const phases = threads.flatMap((t) => (t.timeline.warmup ? [t.timeline.warmup] : []));
    // Warm-up ends at a fixed instant; calls in flight then are in its last point.
    const count = lastIntervalOf(o.warmupMs, iv) + 1;
    points.push(...phasePoints(phases, count, 0, o.warmupMs, true, o));
  }
  const measured = threads.map((t) => t.timeline.measured);
  const endMs = Math.max(0, ...measured.map((p) => p.endMs));
  const seen = Math.max(-1, ...measured.flatMap((p) => p.intervals.map((i) => i.index)));
  // Up to the run's real end (a timed run's tail is folded into its last interval), and never fewer
  // than the intervals something completed in.
  const last = lastIntervalOf(o.durationMs, iv);
  const count = Math.max(seen + 1, Math.min(last + 1, Math.ceil(endMs / iv - 1e-9)));
  // An open loop's last call is due just before -z's end and may be answered before it: the schedule
  // still covered the whole of the last interval, so the point does too.
  const end = count === last + 1 && o.durationMs !== undefined ? Math.max(endMs, o.durationMs) : endMs;
  points.push(...phasePoints(measured, count, o.warmupMs, end, false, o));
  return { interval_s: iv / 1000, points };
}

/** `offsetMs`: where the phase starts in the run; `endMs`: the phase's end, from its start (the last point's end). */
function phasePoints(
  phases: readonly PhaseIntervals[],
  count: number,
  offsetMs: number,
  endMs: number,
  warmup: boolean,
  o: TimelineInput,
): TimelinePoint[] {
  const byIndex = new Map<number, IntervalTally[]>();
  for (const p of phases) {
    for (const i of p.intervals) {
      const list = byIndex.get(i.index);
      if (list) list.push(i);
      else byIndex.set(i.index, [i]);
    }
  }
  const points: TimelinePoint[] = [];
  const staged = warmup ? undefined : o.staged;
  const warmupRate = o.staged ? o.staged.warmupRps : o.rate;
  for (let index = 0; index < count; index++) {
    const startMs = index * o.intervalMs;
    const stopMs = index === count - 1 ? Math.max(endMs, startMs) : (index + 1) * o.intervalMs;
    const target = staged ? round(staged.meanRps(startMs, stopMs), 1) : warmup ? warmupRate : o.rate;
    points.push(point(byIndex.get(index) ?? [], offsetMs + startMs, offsetMs + stopMs, warmup, target));
  }
  return points;
}

function point(
  tallies: readonly IntervalTally[],
  startMs: number,
  endMs: number,
  warmup: boolean,
  rate: number | undefined,
): TimelinePoint {
  return pointOf(tallies, { startMs, endMs, warmup }, rate ?? null, busiestOf(tallies));
}

/** What a point adds up from its parts: one thread's interval, or one shard's point (report merge). */
type PointParts = Pick<IntervalTally, "ok" | "failed" | "errors" | "histogram" | "sent" | "late" | "sendLag">;

/** A timeline point from its parts: counts and errors added, histograms merged. */
export function pointOf(
  parts: readonly PointParts[],
  at: { readonly startMs: number; readonly endMs: number; readonly warmup: boolean },
  target: number | null,
  loader: number | null | undefined,
): TimelinePoint {
  let ok = 0;
  let failed = 0;
  let sent: number | undefined;
  let late = 0;
  const errors = new Map<number, number>();
  for (const t of parts) {
    ok += t.ok;
    failed += t.failed;
    for (const e of t.errors) errors.set(e.code, (errors.get(e.code) ?? 0) + e.count);
    if (t.sent !== undefined) sent = (sent ?? 0) + t.sent;
    late += t.late ?? 0;
  }
  const h = merge(parts.map((t) => t.histogram));
  const lags = parts.flatMap((t) => (t.sendLag === undefined ? [] : [t.sendLag]));
  const lag = lags.length > 0 ? merge(lags) : undefined;
  const lengthS = (at.endMs - at.startMs) / 1000;
  return {
    start_s: round(at.startMs / 1000, 3),
    end_s: round(at.endMs / 1000, 3),
    warmup: at.warmup,
    ok,
    failed,
    errors: [...errors].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code - b.code),
    target_rps: target,
    achieved_rps: lengthS > 0 ? round((ok + failed) / lengthS, 1) : 0,
    latency_us: intervalLatency(h),
    histogram: encode(h),
    ...(sent === undefined ? {} : { sent, late_sends: late }),
    ...(loader === undefined ? {} : { loader_utilization: loader }),
    ...(lag ? { send_lag_us: sendLagSummary(lag), send_lag_histogram: encode(lag) } : {}),
  };
}

/** CPU samples over less wall time than this say more about the 10 ms clock tick than about the thread. */
const MIN_SAMPLE_S = 0.05;

/** The busiest thread's CPU share over its samples in these tallies (one per thread); undefined: no sample. */
function busiestOf(tallies: readonly IntervalTally[]): number | null | undefined {
  let busiest: number | null | undefined;
  for (const t of tallies) {
    if (t.wallSec === undefined || t.cpuSec === undefined) continue;
    if (t.cpuSec === null || t.wallSec < MIN_SAMPLE_S) {
      busiest ??= null;
      continue;
    }
    busiest = Math.max(busiest ?? 0, Math.min(1, round(t.cpuSec / t.wallSec, 3)));
  }
  return busiest;
}
