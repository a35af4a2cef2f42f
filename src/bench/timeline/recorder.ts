// Per-interval counts and latency of one phase (warm-up or measured) of one load thread, for the report's
// timeline. Intervals are counted from the phase's start, an instant every thread shares, so the
// coordinator merges threads' intervals by index. Completions arrive in time order, so only the current
// interval is open: recording is one histogram record and a counter; an interval is encoded as it closes.
// Open loops also count their sends (and late sends) per interval, and as an interval closes the thread's CPU
// is read once, so the report can tell per stage whether the loader kept up.

import { encode, newHistogram, recordMs } from "../../report/histogram.ts";
import type { IntervalTally, PhaseIntervals } from "../../report/records.ts";
import { threadCpuSeconds } from "../cpu.ts";

export class IntervalRecorder {
  private index = 0;
  private closesAt: number;
  private ok = 0;
  private failed = 0;
  private errors = new Map<number, number>();
  private sends = 0;
  private lateSends = 0;
  private counting = false;
  private readonly h = newHistogram();
  private readonly lag = newHistogram();
  private readonly closed: IntervalTally[] = [];
  private cpuAt: number | undefined;
  private wallAt: number;

  /**
   * `lastIndex`: the interval that takes every later completion (a timed phase's last one gets the
   * calls still in flight at its end, rather than a sliver of an interval of its own); Infinity: none.
   */
  constructor(
    private readonly originMs: number,
    private readonly intervalMs: number,
    private readonly lastIndex: number,
    private readonly cpu: () => number | undefined = threadCpuSeconds,
    nowMs = performance.now(),
  ) {
    this.closesAt = lastIndex <= 0 ? Number.POSITIVE_INFINITY : originMs + intervalMs;
    this.cpuAt = cpu();
    this.wallAt = Math.max(nowMs, originMs);
  }

  /** An open loop sent a call (or opened a stream) now; `late`: more than LATE_AFTER_MS after it was due;
   * `lagMs`: sent − due. */
  sent(late: boolean, nowMs: number, lagMs?: number): void {
    if (nowMs >= this.closesAt) this.advance(nowMs);
    this.counting = true;
    this.sends++;
    if (late) this.lateSends++;
    if (lagMs !== undefined) this.lag.recordValue(Math.max(0, Math.round(lagMs * 1000)));
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
    this.close(nowMs);
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
    this.close(nowMs);
    const at = Math.floor((nowMs - this.originMs) / this.intervalMs);
    this.index = Math.min(this.lastIndex, Math.max(this.index + 1, at));
    this.closesAt =
      this.index >= this.lastIndex ? Number.POSITIVE_INFINITY : this.originMs + (this.index + 1) * this.intervalMs;
  }

  private close(nowMs: number): void {
    if (this.ok === 0 && this.failed === 0 && this.h.totalCount === 0 && this.sends === 0) return;
    const cpu = this.cpu();
    const cpuSec = cpu === undefined || this.cpuAt === undefined ? null : Math.max(0, cpu - this.cpuAt);
    const wallSec = Math.max(0, nowMs - this.wallAt) / 1000;
    this.cpuAt = cpu;
    this.wallAt = nowMs;
    this.closed.push({
      index: this.index,
      ok: this.ok,
      failed: this.failed,
      errors: [...this.errors].map(([code, count]) => ({ code, count })),
      histogram: encode(this.h),
      ...(this.counting ? { sent: this.sends, late: this.lateSends } : {}),
      ...(this.lag.totalCount > 0 ? { sendLag: encode(this.lag) } : {}),
      cpuSec,
      wallSec,
    });
    this.ok = 0;
    this.failed = 0;
    this.sends = 0;
    this.lateSends = 0;
    this.errors = new Map();
    this.h.reset();
    this.lag.reset();
  }
}
