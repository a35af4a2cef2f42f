// Per-interval counts and latency of one phase (warm-up or measured) of one load thread, for the report's
// timeline. Intervals are counted from the phase's start, an instant every thread shares, so the
// coordinator merges threads' intervals by index. Completions arrive in time order, so only the current
// interval is open: recording is one histogram record and a counter; an interval is encoded as it closes.
import { encode, newHistogram, recordMs } from "../histogram.ts";

/** One closed interval of one thread; intervals in which nothing completed are left out. */
export interface IntervalTally {
  readonly index: number;
  readonly ok: number;
  readonly failed: number;
  readonly errors: readonly { readonly code: number; readonly count: number }[];
  /** Encoded HDR (µs) of the latencies completed in the interval. */
  readonly histogram: string;
}

export interface PhaseIntervals {
  readonly intervals: readonly IntervalTally[];
  /** When the phase's last call or stream ended, ms from the phase's start. */
  readonly endMs: number;
}

/** What a thread hands back: warm-up (null without one) and the measured phase. */
export interface ThreadTimeline {
  readonly warmup: PhaseIntervals | null;
  readonly measured: PhaseIntervals;
}

export class IntervalRecorder {
  private index = 0;
  private closesAt: number;
  private ok = 0;
  private failed = 0;
  private errors = new Map<number, number>();
  private readonly h = newHistogram();
  private readonly closed: IntervalTally[] = [];

  /**
   * `lastIndex`: the interval that takes every later completion (a timed phase's last one gets the
   * calls still in flight at its end, rather than a sliver of an interval of its own); Infinity: none.
   */
  constructor(
    private readonly originMs: number,
    private readonly intervalMs: number,
    private readonly lastIndex: number,
  ) {
    this.closesAt = lastIndex <= 0 ? Number.POSITIVE_INFINITY : originMs + intervalMs;
  }

  /** A call (or a stream measured by its duration) ended: status code (0 ok), its latency, now. */
  record(code: number, latencyMs: number, nowMs: number): void {
    if (nowMs >= this.closesAt) this.advance(nowMs);
    recordMs(this.h, latencyMs);
    this.count(code);
  }

  /** A latency without an outcome (a bidi stream's message round trip). */
  latency(latencyMs: number, nowMs: number): void {
    if (nowMs >= this.closesAt) this.advance(nowMs);
    recordMs(this.h, latencyMs);
  }

  /** An outcome without a latency (a bidi stream's end). */
  outcome(code: number, nowMs: number): void {
    if (nowMs >= this.closesAt) this.advance(nowMs);
    this.count(code);
  }

  finish(nowMs: number): PhaseIntervals {
    this.close();
    return { intervals: this.closed, endMs: Math.max(0, nowMs - this.originMs) };
  }

  private count(code: number): void {
    if (code === 0) {
      this.ok++;
      return;
    }
    this.failed++;
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  private advance(nowMs: number): void {
    this.close();
    const at = Math.floor((nowMs - this.originMs) / this.intervalMs);
    this.index = Math.min(this.lastIndex, Math.max(this.index + 1, at));
    this.closesAt =
      this.index >= this.lastIndex ? Number.POSITIVE_INFINITY : this.originMs + (this.index + 1) * this.intervalMs;
  }

  private close(): void {
    if (this.ok === 0 && this.failed === 0 && this.h.totalCount === 0) return;
    this.closed.push({
      index: this.index,
      ok: this.ok,
      failed: this.failed,
      errors: [...this.errors].map(([code, count]) => ({ code, count })),
      histogram: encode(this.h),
    });
    this.ok = 0;
    this.failed = 0;
    this.errors = new Map();
    this.h.reset();
  }
}

/** The interval a timed phase's tail falls into: the one holding its end; Infinity when untimed. */
export function lastIntervalOf(phaseMs: number | undefined, intervalMs: number): number {
  return phaseMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.ceil(phaseMs / intervalMs - 1e-9) - 1);
}
