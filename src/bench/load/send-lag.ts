// One load thread's record of how well its open loop kept the schedule: each measured send's lag (sent − due)
// in an HDR histogram, the stalls the pacer saw, and the calls that were due during them. Late sends stay
// counted as they are (latency runs from the due time); this says how much of that was the loader's own doing.
import { encode, type Histogram, newHistogram } from "../../report/histogram.ts";
import { LATE_AFTER_MS, STALL_MS } from "../../report/marks.ts";
import type { PacingTally } from "../../report/records.ts";

export class SendLag {
  late = 0;
  maxLagMs = 0;
  /** Measured calls sent, and when the last of them went out (this thread's clock). */
  sent = 0;
  lastSendMs = 0;
  /** Measured calls that were due while every slot was busy: late because of the server (or --concurrency). */
  starved = 0;
  /** sent − due of every measured send, µs (0 when on time to the microsecond). */
  readonly h: Histogram = newHistogram();
  private lagging = 0;
  private stalls = 0;
  private stalledMs = 0;
  private longestMs = 0;
  private dueDuring = 0;
  /** The latest stall, for counting the calls due in it as they go out right after it. */
  private stallFrom = Number.POSITIVE_INFINITY;
  private stallTo = Number.NEGATIVE_INFINITY;

  /** A measured call (stream) due at `dueMs` went out at `nowMs`. */
  send(dueMs: number, nowMs: number): void {
    const behind = nowMs - dueMs;
    if (behind > LATE_AFTER_MS) this.late++;
    if (behind > this.maxLagMs) this.maxLagMs = behind;
    if (behind > STALL_MS) this.lagging++;
    this.h.recordValue(Math.max(0, Math.round(behind * 1000)));
    this.sent++;
    this.lastSendMs = nowMs;
    if (dueMs >= this.stallFrom && dueMs < this.stallTo) this.dueDuring++;
  }

  /** The thread was blocked from `fromMs` to `toMs` (measured phase only). */
  stall(fromMs: number, toMs: number): void {
    const ms = toMs - fromMs;
    this.stalls++;
    this.stalledMs += ms;
    if (ms > this.longestMs) this.longestMs = ms;
    this.stallFrom = fromMs;
    this.stallTo = toMs;
  }

  encoded(): string {
    return encode(this.h);
  }

  tally(): PacingTally {
    return {
      lagging: this.lagging,
      count: this.stalls,
      totalMs: this.stalledMs,
      longestMs: this.longestMs,
      dueDuring: this.dueDuring,
    };
  }
}
