// Per-thread counters and histograms of a streaming run: streams by outcome, messages both ways, and one
// HDR histogram per per-message or per-stream measure. Histograms cross threads encoded, as tally.ts's do.
import { encode, type Histogram, newHistogram, recordMs } from "../../report/histogram.ts";
import { STREAM_MEASURES, type StreamMeasure, type StreamTally } from "../../report/records.ts";

export class StreamRecorder {
  ok = 0;
  failed = 0;
  cancelled = 0;
  sent = 0;
  received = 0;
  readonly h: Record<StreamMeasure, Histogram> = Object.fromEntries(
    STREAM_MEASURES.map((m) => [m, newHistogram()]),
  ) as Record<StreamMeasure, Histogram>;
  /** --stream-rate: each paced message's send lag (sent − due), µs, 0 allowed. */
  readonly messageLag: Histogram = newHistogram();
  private readonly errors = new Map<number, { count: number; example: string }>();

  messageSent(lagMs: number): void {
    this.messageLag.recordValue(Math.max(0, Math.round(lagMs * 1000)));
  }

  record(measure: StreamMeasure, ms: number): void {
    recordMs(this.h[measure], ms);
  }

  /** One stream is over: `byRun` when the loader cancelled it because the run ended. */
  end(code: number, details: string, durationMs: number, byRun: boolean): void {
    // A cancelled stream's duration is the run's end, not the stream's: left out.
    if (byRun) {
      this.cancelled++;
      return;
    }
    recordMs(this.h.duration, durationMs);
    if (code === 0) this.ok++;
    else {
      this.failed++;
      const e = this.errors.get(code);
      if (e) e.count++;
      else this.errors.set(code, { count: 1, example: details });
    }
  }

  get completed(): number {
    return this.ok + this.failed;
  }

  tally(): StreamTally {
    const histograms = Object.fromEntries(
      STREAM_MEASURES.map((m) => [m, this.h[m].totalCount > 0 ? encode(this.h[m]) : null]),
    ) as Record<StreamMeasure, string | null>;
    return {
      ok: this.ok,
      failed: this.failed,
      cancelled: this.cancelled,
      errors: [...this.errors].map(([code, e]) => ({ code, count: e.count, example: e.example })),
      messagesSent: this.sent,
      messagesReceived: this.received,
      histograms,
      ...(this.messageLag.totalCount > 0 ? { messageSendLag: encode(this.messageLag) } : {}),
    };
  }
}
