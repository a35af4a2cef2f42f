import type { CallOptions } from "../../rpc/client.ts";
import type { LoadConnection } from "../connection.ts";
import type { ServiceRecorder } from "../tally.ts";
import type { Workload } from "../workload.ts";

/** One stretch of load: the warm-up, or the measured run. Times are in this thread's performance.now(). */
export interface Phase {
  readonly startMs: number;
  /** No call starts at or after this time. */
  readonly endMs: number | undefined;
  /** Calls to make in this phase over all threads (closed loop: shared tickets); undefined: no limit. */
  readonly requests: number | undefined;
  /** Whether calls are recorded (false while warming up). */
  readonly record: boolean;
}

export interface LoadContext {
  readonly connections: readonly LoadConnection[];
  readonly workloads: readonly Workload[];
  /** One recorder per workload, same order. */
  readonly recorders: readonly ServiceRecorder[];
  readonly call: CallOptions;
  /** Set when another thread, the coordinator or a lost connection ends the run early. */
  readonly stopped: () => boolean;
}

/**
 * Picks the workload and body of the next call: workloads in turn, and bodies in turn within one.
 * next() returns the workload's index and leaves its body in `body`, so the hot loop allocates nothing.
 */
export class Rotation {
  private n = 0;
  body: Buffer = Buffer.alloc(0);
  readonly paths: readonly string[];
  constructor(private readonly workloads: readonly Workload[]) {
    this.paths = workloads.map((w) => w.path);
  }
  next(): number {
    const k = this.n++;
    const w = k % this.workloads.length;
    const bodies = (this.workloads[w] as Workload).bodies;
    this.body = bodies[Math.floor(k / this.workloads.length) % bodies.length] as Buffer;
    return w;
  }
}
