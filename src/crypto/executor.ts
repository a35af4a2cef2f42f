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

export interface CryptoExecutor {
  /** Never rejects: failures come back as { ok: false }. `caller` lets a busy executor skip a job whose
   * caller has gone or whose deadline has passed. */
  run(job: Job, caller?: Caller): Promise<Outcome>;
  close(): Promise<void>;
  readonly description: string;
}

/** Runs each job at once, so nothing ever waits and nothing is refused: `caller` is not needed. */
export function inlineExecutor(keys: readonly PrivateKeyMaterial[]): CryptoExecutor {
  const signers = buildSigners(keys);
  return {
    run: (job) => Promise.resolve(runJobSafely(signers, job)),
    close: () => Promise.resolve(),
    description: "inline on the event loop",
  };
}
