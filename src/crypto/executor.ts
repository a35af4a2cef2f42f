// Where signing runs. The server only sees this interface: a pool of workers in production, or inline on
// the event loop (--crypto-workers 0, for comparison measurements).
import type { Job, JobResult } from "./jobs.ts";
import type { PrivateKeyMaterial } from "./keys.ts";
import type { Caller, Drop } from "./queue.ts";
import { buildSigners, runJobSafely } from "./signer.ts";

/** A job given back unsigned on purpose: the pool was full, or its caller stopped waiting. Not a failure
 * of the signer, so the service answers with the matching status instead of INTERNAL. */
export interface Refused {
  readonly ok: false;
  readonly refused: "full" | Drop;
  /** Says why, for the client: never anything about keys. */
  readonly error: string;
}

export type Outcome = JobResult | Refused;

export function isRefused(o: Outcome): o is Refused {
  return "refused" in o;
}

/** Counters since start, never reset. */
export interface ExecutorStats {
  /** Jobs handed to a signer (a worker, or run inline). */
  dispatched: number;
  /** Jobs refused because the queue was full. */
  rejected: number;
  /** Jobs taken out unsigned because their caller's deadline passed or the caller cancelled. */
  readonly dropped: Record<Drop, number>;
}

export interface CryptoExecutor {
  /** Never rejects: failures come back as { ok: false }. `caller` lets a busy executor skip a job whose
   * caller has gone or whose deadline has passed. */
  run(job: Job, caller?: Caller): Promise<Outcome>;
  close(): Promise<void>;
  readonly description: string;
  readonly stats: ExecutorStats;
}

/** One line for the log at shutdown, or undefined when no job ever came. */
export function describeStats(s: ExecutorStats): string | undefined {
  if (s.dispatched + s.rejected + s.dropped.deadline + s.dropped.cancelled === 0) return undefined;
  return (
    `signing jobs: ${s.dispatched} run, ${s.rejected} refused (queue full), ` +
    `${s.dropped.deadline} dropped (deadline passed), ${s.dropped.cancelled} dropped (caller cancelled)`
  );
}

/** Runs each job at once, so nothing ever waits and nothing is refused: `caller` is not needed. */
export function inlineExecutor(keys: readonly PrivateKeyMaterial[]): CryptoExecutor {
  const signers = buildSigners(keys);
  const stats: ExecutorStats = { dispatched: 0, rejected: 0, dropped: { deadline: 0, cancelled: 0 } };
  return {
    run: (job) => {
      stats.dispatched++;
      return Promise.resolve(runJobSafely(signers, job));
    },
    close: () => Promise.resolve(),
    description: "inline on the event loop",
    stats,
  };
}
