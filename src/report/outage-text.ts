// The outages as every renderer words them (text, markdown, the HTML table, find-max): kept in one place so
// each says the same thing. Times of day are UTC, as the report's RFC 3339 times. Pure.

import type { BenchReport, OutagesReport, OutageWindow } from "./types.ts";

/** "12 ms" under a second, "1.032 s" from one: whole ms either way, as the windows are measured. */
export function formatOutageMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(3)} s`;
}

/** "12:00:02.101" (UTC) of an RFC 3339 time. */
export const timeOfDay = (iso: string) => new Date(iso).toISOString().slice(11, 23);

/** "first ok 12 ms after reconnecting", "still down when the run ended", "first ok without a new connection". */
export function recoveryText(w: OutageWindow): string {
  if (w.end === null) return "still down when the run ended";
  return w.reconnect_to_ok_ms === null
    ? "first ok without a new connection"
    : `first ok ${formatOutageMs(w.reconnect_to_ok_ms)} after reconnecting`;
}

/** "1 call", "517 calls" (`unit`: calls or streams). */
export const counted = (n: number, unit: string) => `${n} ${n === 1 ? unit.replace(/s$/, "") : unit}`;

/** `outage 1: 1.032 s from 12:00:02.101, 517 calls failed (UNAVAILABLE: …), first ok 12 ms after reconnecting`. */
function windowLine(w: OutageWindow, i: number, unit: string): string {
  return (
    `outage ${i + 1}: ${formatOutageMs(w.duration_ms)} from ${timeOfDay(w.start)}, ` +
    `${counted(w.failed, unit)} failed (${w.first_error}), ${recoveryText(w)}`
  );
}

/** `Outages (server not there; times UTC): 2, 1.532 s in all, longest 1.032 s; 700 calls failed in them`. */
export function outagesSummary(o: OutagesReport, unit: string): string {
  return (
    `Outages (server not there; times UTC): ${o.count}, ${formatOutageMs(o.total_ms)} in all, ` +
    `longest ${formatOutageMs(o.longest_ms)}; ${counted(o.failed, unit)} failed in them`
  );
}

/** The summary line and one line per window; none for a run without outages. */
export function outageLines(r: BenchReport): string[] {
  const o = r.outages;
  if (o === undefined) return [];
  const unit = r.streams ? "streams" : "calls";
  return [outagesSummary(o, unit), ...o.windows.map((w, i) => `  ${windowLine(w, i, unit)}`)];
}
