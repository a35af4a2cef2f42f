// The report's outages (issue 30): the load threads' windows, or a shard merge's, as ONE union on the wall
// clock. The question users ask is "how long was my service unavailable", so a window is a span of wall time
// in which some part of the load found no server, not a per-connection count: two threads down at once are
// one outage, and two shards' windows that overlap or touch are one too. Pure.

import type { OutageTally, ThreadResult } from "./records.ts";
import type { BenchReport, OutagesReport, OutageWindow } from "./types.ts";

/** One window of one thread (or one shard), in whole ms of the wall clock. */
interface Piece {
  readonly startMs: number;
  /** The first ok answer; for a window still open at the end, the end of that part's measured phase. */
  readonly endMs: number;
  /** Still down when that part's run ended. */
  readonly open: boolean;
  readonly failed: number;
  readonly firstError: string;
  readonly reconnectToOkMs: number | null;
}

/**
 * The union: pieces that overlap or touch become one window. Its failed calls are added, its first error is
 * that of its earliest piece, and it ends with the piece that ends last, which also gives it its "open" state
 * and its reconnect → first ok (the recovery of the last part to recover: until then the service was not
 * back for everyone). On a tie, open wins (that part never saw the server back) and then the slower recovery.
 */
function union(pieces: readonly Piece[]): Piece[] {
  const sorted = [...pieces].sort((a, b) => a.startMs - b.startMs);
  const out: Piece[] = [];
  for (const p of sorted) {
    const cur = out[out.length - 1];
    if (cur === undefined || p.startMs > cur.endMs) {
      out.push(p);
      continue;
    }
    const last = endsLater(p, cur) ? p : cur;
    out[out.length - 1] = {
      startMs: cur.startMs,
      endMs: last.endMs,
      open: last.open,
      failed: cur.failed + p.failed,
      firstError: cur.firstError,
      reconnectToOkMs: last.reconnectToOkMs,
    };
  }
  return out;
}

function endsLater(p: Piece, than: Piece): boolean {
  if (p.endMs !== than.endMs) return p.endMs > than.endMs;
  if (p.open !== than.open) return p.open;
  return (p.reconnectToOkMs ?? -1) > (than.reconnectToOkMs ?? -1);
}

const iso = (ms: number) => new Date(ms).toISOString();

function reportOfPieces(pieces: readonly Piece[]): OutagesReport | undefined {
  if (pieces.length === 0) return undefined;
  const windows: OutageWindow[] = union(pieces).map((p) => ({
    start: iso(p.startMs),
    end: p.open ? null : iso(p.endMs),
    duration_ms: p.endMs - p.startMs,
    failed: p.failed,
    first_error: p.firstError,
    reconnect_to_ok_ms: p.open ? null : p.reconnectToOkMs,
  }));
  return {
    count: windows.length,
    total_ms: windows.reduce((n, w) => n + w.duration_ms, 0),
    longest_ms: Math.max(0, ...windows.map((w) => w.duration_ms)),
    failed: windows.reduce((n, w) => n + w.failed, 0),
    windows,
  };
}

/** A thread's window in whole ms; `phaseEndMs` (wall clock) ends one still open when the phase ended. */
function pieceOfTally(o: OutageTally, phaseEndMs: number): Piece {
  const startMs = Math.round(o.startMs);
  if (o.endMs === null)
    return {
      startMs,
      endMs: Math.max(startMs, Math.round(phaseEndMs)),
      open: true,
      failed: o.failed,
      firstError: o.firstError,
      reconnectToOkMs: null,
    };
  const endMs = Math.max(startMs, Math.round(o.endMs));
  return {
    startMs,
    endMs,
    open: false,
    failed: o.failed,
    firstError: o.firstError,
    reconnectToOkMs: o.reconnectedMs === null ? null : Math.max(0, endMs - Math.round(o.reconnectedMs)),
  };
}

/**
 * The report's `outages` from the threads' windows; undefined when no thread had one. `measuredFromMs`: the
 * wall-clock instant every thread's measured phase started at (the run's start plus its warm-up), from which
 * each thread's phase end (timeline.measured.endMs) closes its windows still open.
 */
export function outagesOfThreads(threads: readonly ThreadResult[], measuredFromMs: number): OutagesReport | undefined {
  return reportOfPieces(
    threads.flatMap((t) => (t.outages ?? []).map((o) => pieceOfTally(o, measuredFromMs + t.timeline.measured.endMs))),
  );
}

/** A saved window as a piece: one still open ran for its duration, to its shard's end. */
function pieceOfWindow(w: OutageWindow): Piece {
  const startMs = Date.parse(w.start);
  return {
    startMs,
    endMs: w.end === null ? startMs + w.duration_ms : Date.parse(w.end),
    open: w.end === null,
    failed: w.failed,
    firstError: w.first_error,
    reconnectToOkMs: w.reconnect_to_ok_ms,
  };
}

/** `report merge`: the shards' windows as one union on the wall clock; undefined when no shard had one. */
export function mergeOutages(reports: readonly BenchReport[]): OutagesReport | undefined {
  return reportOfPieces(reports.flatMap((r) => (r.outages?.windows ?? []).map(pieceOfWindow)));
}

/** A threshold's figure, ms: the total or the longest window; a run without outages (or saved before) has 0. */
export function outageMs(r: BenchReport, which: "total" | "longest"): number {
  const o = r.outages;
  if (o === undefined) return 0;
  return which === "total" ? o.total_ms : o.longest_ms;
}
