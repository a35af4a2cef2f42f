// What the coordinating thread and the load threads say to each other. Everything here crosses
// postMessage, so only plain data: histograms travel in HDR's compressed encoding.

import type { ConnectionPlan } from "../load/plan.ts";
import type { LoadShape } from "../load/shape.ts";
import type { WireFormat } from "../protocol/wire.ts";
import type { ThreadResult } from "../report/records.ts";
import type { ClientKind, Metadata } from "../rpc/channel.ts";
import type { ReconnectSettings } from "../rpc/reconnect.ts";
import type { Address } from "../transport/address.ts";
import type { ClientTls } from "../transport/tls.ts";
import type { StreamSettings, StreamWorkload } from "./stream/workload.ts";
import type { WorkloadSpec } from "./workload.ts";

/** Indices into the Int32Array over ThreadConfig.shared. */
export const SHARED_TICKETS = 0;
export const SHARED_STOP = 1;
/** `--call -d` templates: the next {{.RequestNumber}}, over all threads. */
export const SHARED_REQUEST_NUMBER = 2;
/** Bumped (and notified) by a thread whose connection came back after an outage: the others try at once. */
export const SHARED_BACK = 3;
export const SHARED_SLOTS = 4;

export interface ThreadConfig {
  readonly thread: number;
  /** --pin-cpus: the CPU this thread runs on alone (pin-plan.ts). */
  readonly pinCpu?: number;
  /** That CPU is this thread's only (no more load threads than CPUs): its pacer spins rather than sleeps. */
  readonly ownCore?: boolean;
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
  readonly wire: WireFormat;
  /** --reconnect-backoff and --wait-for-ready: how connections come back after the server went away. */
  readonly reconnect: ReconnectSettings;
  /** --stop-on-loss: the first failed reconnect ends the run (partial results, exit 1). */
  readonly stopOnLoss: boolean;
  /** -H / -m: sent with every call. */
  readonly metadata?: Metadata;
  /** --http-get: Connect unary calls as GET. */
  readonly httpGet?: boolean;
  readonly http1?: boolean;
  /** Streaming run: streams of this method replace the unary workload. */
  readonly stream?: { readonly workload: StreamWorkload; readonly settings: StreamSettings };
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
  | { readonly type: "ready"; readonly tid?: number }
  | { readonly type: "unreachable"; readonly error: string }
  | { readonly type: "progress"; readonly snapshot: ProgressSnapshot }
  | { readonly type: "lost"; readonly reason: string }
  | { readonly type: "done"; readonly result: ThreadResult }
  | { readonly type: "crashed"; readonly error: string };
