// What the load threads hand back, as plain data: the input the report is built from (summary.ts).
// Everything here crosses postMessage, so histograms travel in HDR's compressed encoding (histogram.ts).
// Defined here, not in the runner, so the report reads records without knowing who made them.

/** What a report section is about: echo, crypto, or the method of `--call` (`pkg.Service/Method`). */
export type WorkloadLabel = "echo" | "crypto" | (string & {});

export interface ErrorCount {
  readonly code: number;
  readonly count: number;
  /** The first message seen with this code, to tell e.g. a refused connection from a reset. */
  readonly example: string;
}

export interface ServiceTally {
  readonly service: WorkloadLabel;
  readonly ok: number;
  readonly failed: number;
  readonly errors: readonly ErrorCount[];
  /** From the due time (open loop) or the send (closed loop) to the answer, encoded HDR (µs). */
  readonly latency: string;
  /** From the send to the answer; open loop only (in a closed loop it equals latency). */
  readonly serviceTime: string | null;
}

interface ConnectionTally {
  readonly index: number;
  readonly thread: number;
  readonly calls: number;
  readonly connects: number;
  readonly goaways: number;
}

export interface ThreadResult {
  readonly thread: number;
  readonly services: readonly ServiceTally[];
  readonly connections: readonly ConnectionTally[];
  /** Open loop: measured calls sent, and the time from the schedule's start to the last send. */
  readonly sent: number;
  readonly sendWindowSec: number;
  /** Open loop: calls sent more than LATE_AFTER_MS after their due time, and the worst lag (µs). */
  readonly lateSends: number;
  readonly maxSendLagUs: number;
  /** Open loop: measured calls that were due while every slot was busy (the server's doing, not the loader's). */
  readonly slotWaits: number;
  /** Open loop: encoded HDR (µs) of every measured send's lag (sent − due), and the loader's stalls. */
  readonly sendLag?: string;
  readonly pacing?: PacingTally;
  /** Of cpuSec, the time the pacer spent polling the clock with nothing else to do: waiting, not work. */
  readonly pacerWaitSec?: number;
  /** Measured phase: times the OS scheduler took the core from the thread while it could run (absent: unknown). */
  readonly preempted?: number;
  /** --pin-cpus: the CPUs the thread could run on once pinned, read back from the kernel. */
  readonly cpus?: readonly number[];
  /** Measured phase, this thread's clock: wall time and CPU time of the thread (null if unknown). */
  readonly wallSec: number;
  readonly cpuSec: number | null;
  /** Streaming run only. */
  readonly streams?: StreamTally;
  /** Per-interval counts and latency, warm-up apart, for the report's timeline. */
  readonly timeline: ThreadTimeline;
  /** How long after its planned start the measured phase began on this thread (timers wake late), ms. */
  readonly startLagMs?: number;
  /** Measured phase only (warm-up excluded): the windows in which the server was not there (issue 30);
   * absent when there was none. */
  readonly outages?: readonly OutageTally[];
}

/**
 * One window in which this thread's calls failed for want of a server, or no connection was ready (issue 30).
 * Only "the server is not there" opens one: connection refused, reset or closed, a TLS or HTTP/2 handshake
 * failure, UNAVAILABLE from the transport, a due call with no ready connection. A slow server is not down:
 * DEADLINE_EXCEEDED on a live connection, RESOURCE_EXHAUSTED or any status the server sent opens none, nor
 * does a graceful GOAWAY whose calls go on over a new connection.
 */
export interface OutageTally {
  /** Wall clock, ms since the Unix epoch (Date.now() base + performance.now() offset, as the timeline does):
   * the first sign, i.e. a connection lost, a call failed UNAVAILABLE, or a due call found no ready connection. */
  readonly startMs: number;
  /** The first successful call's answer after it; null: still down when the phase ended. */
  readonly endMs: number | null;
  /** Calls (and streams) failed inside the window; counted by status as well in the service tallies. */
  readonly failed: number;
  /** The first error, e.g. "UNAVAILABLE: connection refused (127.0.0.1:50051)". */
  readonly firstError: string;
  /** The first new connection ready inside the window (null: none). */
  readonly reconnectedMs: number | null;
}

/** The measures a streaming run may record (which ones depends on the stream kind and pacing). */
export const STREAM_MEASURES = [
  "round_trip",
  "service_time",
  "first_message",
  "gap",
  "to_response",
  "from_first_send",
  "duration",
] as const;
export type StreamMeasure = (typeof STREAM_MEASURES)[number];

export interface StreamTally {
  readonly ok: number;
  readonly failed: number;
  /** Streams still open when the run ended (-z, or stopped): cancelled by the loader, neither ok nor failed. */
  readonly cancelled: number;
  readonly errors: readonly ErrorCount[];
  readonly messagesSent: number;
  readonly messagesReceived: number;
  /** Encoded HDR (µs) per measure; null when nothing was recorded for it. */
  readonly histograms: Readonly<Record<StreamMeasure, string | null>>;
  /** --stream-rate: encoded HDR (µs) of each paced message's send lag (sent − due); absent when not paced. */
  readonly messageSendLag?: string;
}

/** What a thread hands back about its pacing: its sends that left more than STALL_MS late, and its stalls (ms). */
export interface PacingTally {
  readonly lagging: number;
  readonly count: number;
  readonly totalMs: number;
  readonly longestMs: number;
  /** Measured calls (streams) whose due time fell inside a stall. */
  readonly dueDuring: number;
}

/** One closed interval of one thread; intervals in which nothing completed are left out. */
export interface IntervalTally {
  readonly index: number;
  readonly ok: number;
  readonly failed: number;
  readonly errors: readonly { readonly code: number; readonly count: number }[];
  /** Encoded HDR (µs) of the latencies completed in the interval. */
  readonly histogram: string;
  /** Open loop: calls (streams) sent in the interval, and those sent late (LATE_AFTER_MS); absent otherwise. */
  readonly sent?: number;
  readonly late?: number;
  /** Open loop: encoded HDR (µs) of the send lag (sent − due) of the calls sent in the interval. */
  readonly sendLag?: string;
  /** The thread's CPU seconds since the previous interval closed, over the wall seconds since then (the
   * span a sample covers: quiet intervals fold into the next); cpuSec null where /proc cannot tell. */
  readonly cpuSec?: number | null;
  readonly wallSec?: number;
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

/** The interval a timed phase's tail falls into: the one holding its end; Infinity when untimed. */
export function lastIntervalOf(phaseMs: number | undefined, intervalMs: number): number {
  return phaseMs === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.ceil(phaseMs / intervalMs - 1e-9) - 1);
}
