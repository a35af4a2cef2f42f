// `grpcperf bench --calibrate`'s result: one row per rate (how late the pacer woke, its stalls, its CPU), as
// JSON (schema id below) and as the text table. bench/calibrate.ts measures the rows. Pure.
import type { SendLagSummary } from "./types.ts";

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

/** `pinned`: --pin-cpus' words for where the pacer's thread and the runtime ran, when given. */
export function formatCalibration(rows: readonly CalibrateRow[], msPerRate: number, pinned?: string): string {
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
    `=== Pacer calibration (no server; ${msPerRate / 1000} s per rate, this thread${pinned ? `, ${pinned}` : ""}) ===`,
    line(head),
    ...body.map(line),
    "Send lag: how long after its due time the pacer woke (a run adds the send itself). Stalls: the thread blocked",
    "more than 1 ms. busy: CPU without the pacer's waiting; waiting: spinning on the clock just before a due time;",
    "preempted: times the OS gave the core to something else (stalls then come from the machine, not grpcperf).",
    "",
  ].join("\n");
}
