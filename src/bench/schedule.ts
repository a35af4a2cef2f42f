// Open-loop schedule math. Calls are due at fixed times: call k (0-based, over all threads) is due at
// start + k / rate. Thread j of T sends the calls k ≡ j (mod T), so the threads together keep one even
// schedule without talking to each other. Pure.

export interface Schedule {
  /** Calls per second, all threads together. */
  readonly rate: number;
  readonly threads: number;
  readonly thread: number;
  /** Time the schedule starts, in the caller's clock (ms). */
  readonly startMs: number;
}

/** Due time (ms, caller's clock) of this thread's i-th call. */
export function dueAt(s: Schedule, i: number): number {
  return s.startMs + ((i * s.threads + s.thread) * 1000) / s.rate;
}

/** How many of the `total` calls belong to this thread (total calls split k mod threads). */
export function callsOfThread(total: number, threads: number, thread: number): number {
  return Math.floor(total / threads) + (thread < total % threads ? 1 : 0);
}

/** How many of this thread's calls are due before endMs (exclusive): its share of a timed run. */
export function callsBefore(s: Schedule, endMs: number): number {
  // global calls due in [start, end); the epsilon absorbs float noise in end - start (2000.0000000002 ms)
  const k = Math.ceil(((endMs - s.startMs) * s.rate) / 1000 - 1e-6);
  return callsOfThread(Math.max(0, k), s.threads, s.thread);
}

/** A send later than this after its due time counts as late: timers in JS fire up to ~1 ms late. */
export const LATE_AFTER_MS = 2;
