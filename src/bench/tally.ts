// Per-service counters and histograms of one thread. record() is on the hot path: no allocation on
// success, a Map lookup on failure.

import { encode, type Histogram, newHistogram, recordMs } from "../report/histogram.ts";
import type { ErrorCount, ServiceTally, WorkloadLabel } from "../report/records.ts";
import type { Result } from "../rpc/status.ts";

export class ServiceRecorder {
  ok = 0;
  failed = 0;
  readonly latency: Histogram = newHistogram();
  readonly serviceTime: Histogram = newHistogram();
  private readonly errors = new Map<number, { count: number; example: string }>();

  constructor(
    readonly service: WorkloadLabel,
    /** Whether service time is recorded apart from latency (open loop). */
    private readonly separateServiceTime: boolean,
  ) {}

  record(result: Result<unknown>, latencyMs: number, serviceMs: number): void {
    recordMs(this.latency, latencyMs);
    if (this.separateServiceTime) recordMs(this.serviceTime, serviceMs);
    if (result.ok) {
      this.ok++;
      return;
    }
    this.failed++;
    const e = this.errors.get(result.error.code);
    if (e) e.count++;
    else this.errors.set(result.error.code, { count: 1, example: result.error.details });
  }

  get completed(): number {
    return this.ok + this.failed;
  }

  tally(): ServiceTally {
    const errors: ErrorCount[] = [...this.errors].map(([code, e]) => ({ code, count: e.count, example: e.example }));
    return {
      service: this.service,
      ok: this.ok,
      failed: this.failed,
      errors,
      latency: encode(this.latency),
      serviceTime: this.separateServiceTime ? encode(this.serviceTime) : null,
    };
  }
}
