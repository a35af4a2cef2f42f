// What the coordinating thread and the load threads say to each other. Everything here crosses
// postMessage, so only plain data: histograms travel in HDR's compressed encoding.

import type { ConnectionPlan } from "../load/plan.ts";
import type { LoadShape } from "../load/shape.ts";
import type { ClientKind, Metadata } from "../rpc/channel.ts";
import type { Address } from "../transport/address.ts";
import type { ClientTls } from "../transport/tls.ts";
import type { PacingTally } from "./loops/send-lag.ts";
import type { StreamTally } from "./stream/tally.ts";
import type { StreamSettings, StreamWorkload } from "./stream/workload.ts";
import type { ThreadTimeline } from "./timeline/recorder.ts";
import type { WorkloadLabel, WorkloadSpec } from "./workload.ts";

/** Indices into the Int32Array over ThreadConfig.shared. */
export const SHARED_TICKETS = 0;
export const SHARED_STOP = 1;
/** `--call -d` templates: the next {{.RequestNumber}}, over all threads. */
export const SHARED_REQUEST_NUMBER = 2;
export const SHARED_SLOTS = 3;

export interface ThreadConfig {
  readonly thread: number;
  readonly threads: number;
  readonly server: Address;
  readonly connections: readonly ConnectionPlan[];
  readonly workload: WorkloadSpec;
  readonly timeoutMs: number;
  /** Connection set-up bound: TCP/TLS connect and the server's SETTINGS (--connect-timeout, else --timeout). */
  readonly connectTimeoutMs?: number;
  readonly tls: ClientTls | undefined;
  /** The whole run's load, open or closed, with this process's share of it (load/shape.ts). */
  readonly load: LoadShape;
  /** This process's connections over all its threads, and the global index of its first (a shard's follow
   * the lower shards'): a closed-loop slot's rank under a concurrency plan is counted over them. */
  readonly processConnections: number;
  readonly firstConnection: number;
  readonly requests: number | undefined;
  readonly durationMs: number | undefined;
  readonly warmupMs: number;
  /** The timeline's interval (bench --interval). */
  readonly intervalMs: number;
  /** Post a progress snapshot about once a second. */
  readonly progress: boolean;
  /** Int32Array[SHARED_SLOTS]: a ticket counter (exactly N calls over all threads) and a stop flag. */
  readonly shared: SharedArrayBuffer;
  readonly client: ClientKind;
  /** -H / -m: sent with every call. */
  readonly metadata?: Metadata;
  /** Streaming run: streams of this method replace the unary workload. */
  readonly stream?: { readonly workload: StreamWorkload; readonly settings: StreamSettings };
}

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
  /** Measured phase, this thread's clock: wall time and CPU time of the thread (null if unknown). */
  readonly wallSec: number;
  readonly cpuSec: number | null;
  /** Streaming run only. */
  readonly streams?: StreamTally;
  /** Per-interval counts and latency, warm-up apart, for the report's timeline. */
  readonly timeline: ThreadTimeline;
  /** How long after its planned start the measured phase began on this thread (timers wake late), ms. */
  readonly startLagMs?: number;
}

export interface ProgressSnapshot {
  readonly thread: number;
  readonly completed: number;
  readonly failed: number;
  /** Latency so far, all services of the thread, encoded HDR. */
  readonly latency: string;
}

export type ToThread =
  | { readonly type: "start"; readonly config: ThreadConfig }
  | {
      readonly type: "go";
      readonly startEpochMs: number;
      /** --start-at: the warm-up's calls begin here (later than startEpochMs when it had to be cut short). */
      readonly warmupFromEpochMs?: number;
    };

export type FromThread =
  | { readonly type: "ready" }
  | { readonly type: "unreachable"; readonly error: string }
  | { readonly type: "progress"; readonly snapshot: ProgressSnapshot }
  | { readonly type: "lost"; readonly reason: string }
  | { readonly type: "done"; readonly result: ThreadResult }
  | { readonly type: "crashed"; readonly error: string };
