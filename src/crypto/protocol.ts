// Messages between the pool (main thread) and a signing worker.
import type { Job, JobResult } from "./jobs.ts";
import type { PrivateKeyMaterial } from "./keys.ts";

export type ToWorker =
  | { readonly type: "init"; readonly keys: readonly PrivateKeyMaterial[] }
  | { readonly type: "job"; readonly id: number; readonly job: Job };

export type FromWorker =
  | { readonly type: "ready" }
  | { readonly type: "init-failed"; readonly error: string }
  | { readonly type: "result"; readonly id: number; readonly result: JobResult };
