// Where signing runs. The server only sees this interface: a pool of workers in production, or inline on
// the event loop (--crypto-workers 0, for comparison measurements).
import type { Job, JobResult } from "./jobs.ts";
import type { PrivateKeyMaterial } from "./keys.ts";
import { buildSigners, runJobSafely } from "./signer.ts";

export interface CryptoExecutor {
  /** Never rejects: failures come back as { ok: false }. */
  run(job: Job): Promise<JobResult>;
  close(): Promise<void>;
  readonly description: string;
}

export function inlineExecutor(keys: readonly PrivateKeyMaterial[]): CryptoExecutor {
  const signers = buildSigners(keys);
  return {
    run: (job) => Promise.resolve(runJobSafely(signers, job)),
    close: () => Promise.resolve(),
    description: "inline on the event loop",
  };
}
