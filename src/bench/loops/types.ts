import type { CallOptions } from "../../rpc/channel.ts";
import type { LoadConnection } from "../connection.ts";
import type { ServiceRecorder } from "../tally.ts";
import type { IntervalRecorder } from "../timeline/recorder.ts";
import type { Workload } from "../workload.ts";
import type { SlotLevels } from "./gate.ts";

/** One stretch of load: the warm-up, or the measured run. Times are in this thread's performance.now(). */
export interface Phase {
  readonly startMs: number;
  /** No call starts at or after this time. */
  readonly endMs: number | undefined;
  /** Calls to make in this phase over all threads (closed loop: shared tickets); undefined: no limit. */
  readonly requests: number | undefined;
  /** Whether calls are recorded (false while warming up). */
  readonly record: boolean;
  /** The phase's timeline: every call is counted there, warm-up included. */
  readonly timeline: IntervalRecorder;
  /** Closed loop with a concurrency schedule: which slots may send when; absent: all of them always. */
  readonly levels?: SlotLevels;
}

export interface LoadContext {
  readonly connections: readonly LoadConnection[];
  readonly workloads: readonly Workload[];
  /** One recorder per workload, same order. */
  readonly recorders: readonly ServiceRecorder[];
  readonly call: CallOptions;
  /** Where this thread starts in the rotation of workloads and bodies (see Rotation). */
  readonly rotationStart: number;
  /** Set when another thread, the coordinator or a lost connection ends the run early. */
  readonly stopped: () => boolean;
}

/**
 * Picks the workload and body of the next call: workloads in turn, and bodies in turn within one.
 * next() returns the workload's index and leaves its body in `body`, so the hot loop allocates nothing.
 */
export class Rotation {
  private n: number;
  body: Buffer = Buffer.alloc(0);
  readonly paths: readonly string[];
  /** `start`: where this thread begins in the rotation, so threads do not all send the first body first. */
  constructor(
    private readonly workloads: readonly Workload[],
    start = 0,
  ) {
    this.paths = workloads.map((w) => w.path);
    this.n = start;
  }
  next(): number {
    const k = this.n++;
    const w = k % this.workloads.length;
    const workload = this.workloads[w] as Workload;
    if (workload.make !== undefined) this.body = workload.make();
    else this.body = workload.bodies[Math.floor(k / this.workloads.length) % workload.bodies.length] as Buffer;
    return w;
  }
}
