// `grpcperf bench --calibrate`: the pacer's own precision on this machine, with no server. At a few rates it
// runs the open loop's pacer (pacer.ts) against a flat schedule for a short while, sends nothing, and records
// each wake-up's lag (woken − due) exactly as a run records send lag; so a user learns, on their own machine or
// VM guest, how much of a run's latency from the due time the loader itself may add.

import { sendLagSummary } from "../report/pacing.ts";
import type { SendLagSummary } from "../report/types.ts";
import { threadCpuSeconds, threadPreemptions } from "./cpu.ts";
import { Pacer, type PacerStats } from "./load/pacer.ts";
import { SendLag } from "./load/send-lag.ts";

export const CALIBRATE_RATES = [100, 1_000, 10_000, 50_000] as const;
export const CALIBRATE_SCHEMA_ID = "grpcperf-calibrate/1";

export interface CalibrateRow {
  readonly rate: number;
  readonly due: number;
  /** Wake-ups per second actually made (under the rate when the pacer could not keep up). */
  readonly achieved: number;
  readonly send_lag_us: SendLagSummary | null;
  readonly stalls: { readonly count: number; readonly total_ms: number; readonly longest_ms: number };
  /** CPU of the thread over the run, without the pacer's waiting (0..1); null where /proc cannot tell. */
  readonly busy: number | null;
  /** The pacer's waiting (polls with nothing else to do), share of the wall time. */
  readonly waiting: number;
  /** Times the OS scheduler took the core from the thread meanwhile (null where /proc cannot tell). */
  readonly preempted: number | null;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** One rate for `ms`: every due time in the window woken for, each lag recorded. */
export function calibrateRate(rate: number, ms: number): Promise<CalibrateRow> {
  const stats: PacerStats = { idleMs: 0 };
  const lag = new SendLag();
  const pacer = new Pacer(stats, (from, to) => lag.stall(from, to));
  const total = Math.floor((rate * ms) / 1000);
  // start a little ahead, so the first due time is not already past
  const startMs = performance.now() + 20;
  const cpu0 = threadCpuSeconds();
  const pre0 = threadPreemptions();
  let k = 0;
  return new Promise((resolve) => {
    const wake = () => {
      // every due call that is past goes now, as the open loop's pump sends them
      for (;;) {
        if (k >= total) return done();
        const due = startMs + (k * 1000) / rate;
        const now = performance.now();
        if (due > now) return pacer.at(due, wake);
        lag.send(due, now);
        k++;
      }
    };
    const done = () => {
      const wallMs = Math.max(1, performance.now() - startMs);
      const cpu1 = threadCpuSeconds();
      const pre1 = threadPreemptions();
      const s = lag.tally();
      resolve({
        rate,
        due: total,
        achieved: round((lag.sent * 1000) / Math.max(1, lag.lastSendMs - startMs + 1000 / rate), 1),
        send_lag_us: sendLagSummary(lag.h),
        stalls: { count: s.count, total_ms: round(s.totalMs, 3), longest_ms: round(s.longestMs, 3) },
        busy:
          cpu0 === undefined || cpu1 === undefined
            ? null
            : round(Math.max(0, cpu1 - cpu0 - stats.idleMs / 1000) / (wallMs / 1000), 3),
        waiting: round(stats.idleMs / wallMs, 3),
        preempted: pre0 === undefined || pre1 === undefined ? null : pre1 - pre0,
      });
    };
    wake();
  });
}

export async function calibrate(rates: readonly number[], msPerRate: number): Promise<CalibrateRow[]> {
  const rows: CalibrateRow[] = [];
  for (const rate of rates) rows.push(await calibrateRate(rate, msPerRate));
  return rows;
}

export function formatCalibration(rows: readonly CalibrateRow[], msPerRate: number): string {
  const head = [
    "rate/s",
    "achieved/s",
    "p50 μs",
    "p99 μs",
    "p99.9 μs",
    "max μs",
    "stalls",
    "busy",
    "waiting",
    "preempted",
  ];
  const body = rows.map((r) => [
    String(r.rate),
    String(r.achieved),
    String(r.send_lag_us?.p50 ?? "–"),
    String(r.send_lag_us?.p99 ?? "–"),
    String(r.send_lag_us?.p99_9 ?? "–"),
    String(r.send_lag_us?.max ?? "–"),
    r.stalls.count === 0 ? "0" : `${r.stalls.count} (longest ${r.stalls.longest_ms} ms)`,
    r.busy === null ? "?" : `${Math.round(r.busy * 100)}%`,
    `${Math.round(r.waiting * 100)}%`,
    r.preempted === null ? "?" : String(r.preempted),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((row) => (row[c] as string).length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => cell.padStart(widths[c] as number))
      .join("  ")
      .trimEnd();
  return [
    `=== Pacer calibration (no server; ${msPerRate / 1000} s per rate, this thread) ===`,
    line(head),
    ...body.map(line),
    "Send lag: how long after its due time the pacer woke (a run adds the send itself). Stalls: the thread blocked",
    "more than 1 ms. busy: CPU without the pacer's waiting; waiting: polling the clock for the next due time;",
    "preempted: times the OS gave the core to something else (stalls then come from the machine, not grpcperf).",
    "",
  ].join("\n");
}
