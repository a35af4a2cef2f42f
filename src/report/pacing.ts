// How well an open loop kept its schedule, as the report states it: the threads' send-lag histograms merged
// exactly, their stalls added up, and the verdicts built on them (the WARNING lines, the loader's saturation,
// find-max's "limited by the loader"). Pure.

import { encode, type Histogram, merge } from "./histogram.ts";
import { STALL_MS } from "./marks.ts";
import type { ThreadResult } from "./records.ts";
import type { BenchReport, SendLagSummary, StallsReport } from "./types.ts";

/** Stalls or lag touching more than this share of the calls get a WARNING. */
export const PACING_WARN_SHARE = 0.01;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export function sendLagSummary(h: Histogram): SendLagSummary | null {
  if (h.totalCount === 0) return null;
  return {
    count: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p99: h.getValueAtPercentile(99),
    p99_9: h.getValueAtPercentile(99.9),
    max: h.maxValue,
  };
}

/** The pacing fields of a report's `rate`, from its threads (an open loop's; undefined for a closed loop). */
type PacingFields = Pick<
  BenchReport["rate"],
  "send_lag_us" | "send_lag_histogram" | "lagging_sends" | "slot_waits" | "stalls"
>;

export function pacingOfThreads(threads: readonly ThreadResult[]): PacingFields | undefined {
  const lags = threads.flatMap((t) => (t.sendLag === undefined ? [] : [t.sendLag]));
  if (lags.length === 0) return undefined;
  const tallies = threads.flatMap((t) => (t.pacing === undefined ? [] : [t.pacing]));
  const preempted = threads.flatMap((t) => (t.preempted === undefined ? [] : [t.preempted]));
  return pacingFields(
    merge(lags),
    tallies.reduce((n, t) => n + t.lagging, 0),
    threads.reduce((n, t) => n + t.slotWaits, 0),
    {
      stall_ms: STALL_MS,
      count: tallies.reduce((n, t) => n + t.count, 0),
      total_ms: round(
        tallies.reduce((n, t) => n + t.totalMs, 0),
        3,
      ),
      longest_ms: round(Math.max(0, ...tallies.map((t) => t.longestMs)), 3),
      calls_due: tallies.reduce((n, t) => n + t.dueDuring, 0),
      ...(preempted.length > 0 ? { preempted: preempted.reduce((n, x) => n + x, 0) } : {}),
    },
  );
}

function pacingFields(h: Histogram, lagging: number, slotWaits: number, stalls: StallsReport): PacingFields {
  return {
    send_lag_us: sendLagSummary(h),
    send_lag_histogram: encode(h),
    lagging_sends: lagging,
    slot_waits: slotWaits,
    stalls,
  };
}

/** Shards' (or steps') pacing fields added up: histograms merged, stalls summed, the longest kept. */
export function mergePacing(parts: readonly BenchReport["rate"][]): PacingFields | undefined {
  const withLag = parts.filter((r) => r.send_lag_histogram !== undefined);
  if (withLag.length === 0) return undefined;
  const stalls = withLag.flatMap((r) => (r.stalls === undefined ? [] : [r.stalls]));
  const preempted = stalls.flatMap((s) => (s.preempted === undefined ? [] : [s.preempted]));
  return pacingFields(
    merge(withLag.map((r) => r.send_lag_histogram as string)),
    withLag.reduce((n, r) => n + (r.lagging_sends ?? 0), 0),
    withLag.reduce((n, r) => n + (r.slot_waits ?? 0), 0),
    {
      stall_ms: STALL_MS,
      count: stalls.reduce((n, s) => n + s.count, 0),
      total_ms: round(
        stalls.reduce((n, s) => n + s.total_ms, 0),
        3,
      ),
      longest_ms: Math.max(0, ...stalls.map((s) => s.longest_ms)),
      calls_due: stalls.reduce((n, s) => n + s.calls_due, 0),
      ...(preempted.length > 0 ? { preempted: preempted.reduce((n, x) => n + x, 0) } : {}),
    },
  );
}

/**
 * What the loader itself did to the schedule: sends that left more than STALL_MS late with a slot free
 * (lagging minus those that waited for a slot, which is the server's doing), and calls due during its stalls.
 */
interface LoaderPacing {
  readonly sent: number;
  readonly loaderLate: number;
  readonly dueInStalls: number;
  /** The larger of the two, over the calls sent; 0 with nothing sent. */
  readonly share: number;
}

export function loaderPacing(rate: BenchReport["rate"]): LoaderPacing | undefined {
  if (rate.send_lag_us === undefined) return undefined;
  const sent = rate.send_lag_us?.count ?? 0;
  const loaderLate = Math.max(0, (rate.lagging_sends ?? 0) - (rate.slot_waits ?? 0));
  const dueInStalls = rate.stalls?.calls_due ?? 0;
  return { sent, loaderLate, dueInStalls, share: sent === 0 ? 0 : Math.max(loaderLate, dueInStalls) / sent };
}

/** Preemptions about as many as the stalls: the OS ran something else on the loader's core; else the thread's own. */
function stallCause(s: StallsReport): string {
  if (s.preempted === undefined) return "GC, JIT, or other work on its core";
  if (s.preempted * 2 >= s.count)
    return `other work on its core (the OS preempted the load threads ${s.preempted} times: other processes, or the loader's own JIT and GC threads when it is pinned to one core: --pin-cpus keeps those off the load threads' cores)`;
  return "its own work: GC, JIT or long callbacks (few preemptions by the OS)";
}

const percent = (x: number) => `${x < 0.1 ? round(x * 100, 1) : Math.round(x * 100)}%`;

/** WARNING lines when the loader's stalls or lag touched more than PACING_WARN_SHARE of the calls. */
export function pacingWarnings(rate: BenchReport["rate"], unit: "calls" | "streams", busiest: number | null): string[] {
  const p = loaderPacing(rate);
  if (p === undefined || p.sent === 0) return [];
  const out: string[] = [];
  const s = rate.stalls;
  if (s && p.dueInStalls / p.sent > PACING_WARN_SHARE) {
    out.push(
      `the loader stalled ${s.count} times (${s.total_ms} ms in all, longest ${s.longest_ms} ms): ${p.dueInStalls} ${unit} ` +
        `(${percent(p.dueInStalls / p.sent)}) were due while it was blocked by ${stallCause(s)}; ` +
        "their latency counts from the due time",
    );
  }
  if (p.loaderLate / p.sent > PACING_WARN_SHARE) {
    const cause =
      busiest !== null && busiest >= 0.9
        ? `a load thread was busy ${Math.round(busiest * 100)}% of the time (add --threads)`
        : s && s.count > 0
          ? "the loader's stalls held them back"
          : "the loader's event loop ran late (other work on its core?)";
    out.push(
      `${p.loaderLate} ${unit} (${percent(p.loaderLate / p.sent)}) left more than ${STALL_MS} ms after they were due ` +
        `with a slot free: ${cause}; send lag p99 ${rate.send_lag_us?.p99 ?? 0} µs`,
    );
  }
  return out;
}
