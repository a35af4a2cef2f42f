// Per-interval counts and latency of one phase (warm-up or measured) of one load thread, for the report's
// timeline. Intervals are counted from the phase's start, an instant every thread shares, so the
// coordinator merges threads' intervals by index. Completions arrive in time order, so only the current
// interval is open: recording is one histogram record and a counter; an interval's counts are copied as it
// closes, and encoded once the phase is over (close()).
// Open loops also count their sends (and late sends) per interval, and as an interval closes the thread's CPU
// is read once, so the report can tell per stage whether the loader kept up.

import { encode, fromSparse, newHistogram, recordMs, sparseCounts } from "../../report/histogram.ts";
import type { IntervalTally, PhaseIntervals } from "../../report/records.ts";
import { threadCpuSeconds } from "../cpu.ts";
import type { OutcomeWatch } from "../outages.ts";

/** Closed intervals kept as copied counts, not yet encoded: 5 minutes of 1 s intervals. */
const MAX_UNENCODED = 300;

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
  /** Closed intervals, their histograms still to encode (at the phase's end: see close()). */
  private readonly closed: Array<IntervalTally | (() => IntervalTally)> = [];
  /** How many of `closed`, from the first, are encoded already. */
  private encoded = 0;
  private cpuAt: number | undefined;
  private wallAt: number;
  /** The thread's outage record, told every call's end (warm-up too, so a window can close in it). */
  watch: OutcomeWatch | undefined;

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
    this.watch?.outcome(code, latencyMs, nowMs);
  }

  /** A latency without an outcome (a bidi stream's message round trip). */
  latency(latencyMs: number, nowMs: number): void {
    if (nowMs >= this.closesAt) this.advance(nowMs);
    recordMs(this.h, latencyMs);
    this.watch?.outcome(0, latencyMs, nowMs);
  }

  /** An outcome without a latency (a bidi stream's end). */
  outcome(code: number, nowMs: number): void {
    if (nowMs >= this.closesAt) this.advance(nowMs);
    this.count(code);
    // A bidi stream's end: its failure counts; its success was already seen in its messages.
    if (code !== 0) this.watch?.outcome(code, 0, nowMs);
  }

  finish(nowMs: number): PhaseIntervals {
    return this.seal(nowMs)();
  }

  /**
   * Ends the phase at `nowMs` (its counts and CPU read now) and leaves encoding its last interval to the
   * function returned. The warm-up's end is the measured phase's start: encoding there (3–5 ms on a cold
   * thread of the 2-core VM) held back the measured phase's first calls, the worst send lag of a run.
   */
  seal(nowMs: number): () => PhaseIntervals {
    const last = this.capture(nowMs);
    if (last !== undefined) this.closed.push(last);
    const endMs = Math.max(0, nowMs - this.originMs);
    return () => ({ intervals: this.closed.map((i) => (typeof i === "function" ? i() : i)), endMs });
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

  /**
   * An interval ends: its figures are read and its histograms copied as counts (tens of µs), and encoding
   * them waits for the phase's end. Encoded here, each second cost the load thread 0.5–3 ms between two
   * sends (hdr's JS encoder and zlib; the first ones slowest), which held back the calls due then.
   */
  private close(nowMs: number): void {
    const interval = this.capture(nowMs);
    if (interval === undefined) return;
    this.closed.push(interval);
    // Copies are small (their non-empty buckets), but a long run of short intervals would keep many: past
    // MAX_UNENCODED, the oldest is encoded as each interval closes (the old cost, from then on only).
    if (this.closed.length - this.encoded > MAX_UNENCODED) {
      const oldest = this.closed[this.encoded] as () => IntervalTally;
      this.closed[this.encoded++] = oldest();
    }
    this.ok = 0;
    this.failed = 0;
    this.sends = 0;
    this.lateSends = 0;
    this.errors = new Map();
    this.h.reset();
    this.lag.reset();
  }

  /** The open interval's figures as of `nowMs`; its histograms are encoded when the function is called. */
  private capture(nowMs: number): (() => IntervalTally) | undefined {
    if (this.ok === 0 && this.failed === 0 && this.h.totalCount === 0 && this.sends === 0) return undefined;
    const cpu = this.cpu();
    const cpuSec = cpu === undefined || this.cpuAt === undefined ? null : Math.max(0, cpu - this.cpuAt);
    const wallSec = Math.max(0, nowMs - this.wallAt) / 1000;
    this.cpuAt = cpu;
    this.wallAt = nowMs;
    const { index, ok, failed, counting, sends, lateSends } = this;
    const errors = [...this.errors].map(([code, count]) => ({ code, count }));
    const h = sparseCounts(this.h);
    const lag = this.lag.totalCount > 0 ? sparseCounts(this.lag) : undefined;
    return () => ({
      index,
      ok,
      failed,
      errors,
      histogram: encode(fromSparse(h)),
      ...(counting ? { sent: sends, late: lateSends } : {}),
      ...(lag !== undefined ? { sendLag: encode(fromSparse(lag)) } : {}),
      cpuSec,
      wallSec,
    });
  }
}
