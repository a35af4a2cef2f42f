// How connections and in-flight slots are spread over threads. Pure.

export interface ConnectionPlan {
  /** Global connection number, 0-based, stable across threads (for the per-connection report). */
  readonly index: number;
  /** Calls this connection may have in flight at once. */
  readonly slots: number;
}

interface ThreadPlan {
  readonly thread: number;
  readonly connections: readonly ConnectionPlan[];
}

/** Splits `total` into `parts` near-equal whole numbers, the larger ones first. */
export function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Every connection gets at least one slot and the slots differ by at most one between connections;
 * connections are dealt to threads round-robin so each thread carries a near-equal share of both.
 */
export function planThreads(connections: number, concurrency: number, threads: number): ThreadPlan[] {
  const t = Math.max(1, Math.min(threads, connections));
  const slots = split(Math.max(concurrency, connections), connections);
  const plans: { thread: number; connections: ConnectionPlan[] }[] = Array.from({ length: t }, (_, thread) => ({
    thread,
    connections: [],
  }));
  for (let i = 0; i < connections; i++) {
    plans[i % t]?.connections.push({ index: i, slots: slots[i] as number });
  }
  return plans;
}
