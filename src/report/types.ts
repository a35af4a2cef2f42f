// The report as data: built once from the thread results (summary.ts), then printed as text or JSON.
// Keys are snake_case because the JSON form is this object as it stands (schema/bench-report.schema.json).

import type { LatencySummary } from "./histogram.ts";
import type { StreamMeasure, WorkloadLabel } from "./records.ts";
import type { ShardReport, ShardsReport, StartAtReport } from "./shard-types.ts";

export const REPORT_SCHEMA_ID = "grpcperf-bench-report/2";
/** Schemas saved reports may have and readers still load: /1 is /2 without `timeline`. */
export const READABLE_SCHEMA_IDS = ["grpcperf-bench-report/1", REPORT_SCHEMA_ID] as const;
type ReportSchemaId = (typeof READABLE_SCHEMA_IDS)[number];

/** Which side streams: the server (one request), the client (one response), or both. */
export type StreamKind = "server" | "client" | "bidi";

export interface ErrorRow {
  readonly code: number;
  readonly status: string;
  readonly count: number;
  readonly example: string;
}

export interface ServiceReport {
  /** echo, crypto, or --call's method (`pkg.Service/Method`). */
  readonly service: WorkloadLabel;
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  /** Percent, 0..100. */
  readonly success_rate: number;
  readonly requests_per_second: number;
  /** Open loop: from the due time; closed loop: the round trip. µs. */
  readonly latency_us: LatencySummary | null;
  /** Open loop only: from the send to the answer. µs. */
  readonly service_time_us: LatencySummary | null;
  readonly errors: readonly ErrorRow[];
  /** HDR histograms, compressed base64 (HdrHistogram's standard encoding), values in µs. */
  readonly histograms: { readonly latency: string; readonly service_time: string | null };
}

/** A streaming run: streams by outcome, messages both ways, one HDR summary per measure (µs, null if none). */
export interface StreamsReport {
  /** "package.Service/Method". */
  readonly method: string;
  readonly kind: StreamKind;
  /** Bidi: how replies are matched to requests. */
  readonly match: "sequence" | "order" | null;
  readonly messages_per_stream: number | null;
  /** Messages per second within a stream (paced); null: ping-pong / back to back. */
  readonly message_rate: number | null;
  /** ok + failed; streams cancelled because the run ended are apart. */
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  /** Still open at the end of the run (-z, interrupt): cancelled, neither ok nor failed; their messages count. */
  readonly cancelled: number;
  readonly success_rate: number;
  readonly streams_per_second: number;
  readonly messages: {
    readonly sent: number;
    readonly received: number;
    readonly sent_per_second: number;
    readonly received_per_second: number;
  };
  /** Bidi: each message's send (ping-pong) or due time (paced) → its reply. */
  readonly round_trip_us: LatencySummary | null;
  /** Bidi paced: each message's actual send → its reply. */
  readonly service_time_us: LatencySummary | null;
  /** Server streaming: stream start → first message. */
  readonly first_message_us: LatencySummary | null;
  /** Server streaming: between consecutive messages. */
  readonly gap_us: LatencySummary | null;
  /** Client streaming: half-close → response. */
  readonly to_response_us: LatencySummary | null;
  /** Client streaming: first send → response. */
  readonly from_first_send_us: LatencySummary | null;
  /** Every kind: stream start → end (streams cancelled at the run's end left out). */
  readonly duration_us: LatencySummary | null;
  readonly errors: readonly ErrorRow[];
  readonly histograms: Readonly<Record<StreamMeasure, string | null>>;
  /** --stream-rate: the paced messages' send lag (sent − due), µs, and its HDR histogram; absent when not paced. */
  readonly message_send_lag_us?: SendLagSummary | null;
  readonly message_send_lag_histogram?: string;
}

/** One interval of the run: what completed in it, over all threads. */
export interface TimelinePoint {
  /** Seconds from the run's start (the warm-up's, when there is one), 3 decimals; the last may be shorter. */
  readonly start_s: number;
  readonly end_s: number;
  readonly warmup: boolean;
  /** Calls (streaming: streams) that ended in the interval. */
  readonly ok: number;
  readonly failed: number;
  readonly errors: readonly { readonly code: number; readonly count: number }[];
  /** Open loop: the schedule's rate; closed loop: null. */
  readonly target_rps: number | null;
  /** (ok + failed) / the interval's length. */
  readonly achieved_rps: number;
  /** Latency (µs) as the whole-run histogram records it; streaming: bidi round trip, else stream duration. */
  readonly latency_us: {
    readonly p50: number;
    readonly p90: number;
    /** Absent in reports saved before it was added. */
    readonly p95?: number;
    readonly p99: number;
    readonly p99_9: number;
    readonly max: number;
  } | null;
  /** The interval's HDR histogram, compressed base64, µs. */
  readonly histogram: string;
  /** Open loop: calls (streams) sent in the interval, and those sent more than late_after_ms after due. */
  readonly sent?: number;
  readonly late_sends?: number;
  /** The busiest load thread's CPU share (0..1) over the interval; null when the platform cannot tell. */
  readonly loader_utilization?: number | null;
  /** Open loop: send lag (sent − due) of the calls sent in the interval, µs, and its HDR histogram (encoded). */
  readonly send_lag_us?: SendLagSummary | null;
  readonly send_lag_histogram?: string;
}

/** Send lag (sent − due) of an open loop's calls (streams), µs: how closely the loader kept the schedule. */
export interface SendLagSummary {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly p99_9: number;
  readonly max: number;
}

/** The load threads' own stalls (blocked more than stall_ms, by GC, JIT, the scheduler or a long callback). */
export interface StallsReport {
  readonly stall_ms: number;
  readonly count: number;
  readonly total_ms: number;
  readonly longest_ms: number;
  /** Calls (streams) whose due time fell inside a stall. */
  readonly calls_due: number;
  /** Times the OS scheduler took a load thread's core while it could run (absent where /proc cannot tell):
   * stalls that come with these were other work on the loader's cores, not grpcperf's own. */
  readonly preempted?: number;
}

/**
 * --stages / --load-schedule (target_rps_*) or --concurrency-stages / --concurrency-schedule
 * (target_concurrency_*): one stage's figures, from the timeline points whose middle falls in it. Reports
 * written before the concurrency schedules have no errors, sent, late_sends or loader_* here.
 */
export interface StageReport {
  /** Seconds from the run's start, as the timeline's points. */
  readonly start_s: number;
  readonly end_s: number;
  /** Open loop: the target rate at the stage's start and end (calls/s). */
  readonly target_rps_from?: number;
  readonly target_rps_to?: number;
  /** Closed loop: the calls in flight allowed at the stage's start and end (a ramp is rounded down). */
  readonly target_concurrency_from?: number;
  readonly target_concurrency_to?: number;
  /** Calls (streaming: streams) that ended in the stage's points. */
  readonly ok: number;
  readonly failed: number;
  /** Failed calls by status, most first. */
  readonly errors?: readonly StageErrorRow[];
  readonly achieved_rps: number;
  readonly latency_us: TimelinePoint["latency_us"];
  /** Open loop: calls (streams) sent in the stage's points, and those sent late. */
  readonly sent?: number;
  readonly late_sends?: number;
  /** The busiest load thread's CPU share (0..1) over the stage (null: unknown), and whether that is at
   * or above the saturation mark (the run's WARNING, per stage). */
  readonly loader_utilization?: number | null;
  readonly loader_saturated?: boolean;
  /** Open loop: send lag of the calls sent in the stage's points, µs. */
  readonly send_lag_us?: SendLagSummary | null;
}

export interface StageErrorRow {
  readonly code: number;
  readonly status: string;
  readonly count: number;
}

export interface TimelineReport {
  readonly interval_s: number;
  readonly points: readonly TimelinePoint[];
}

export interface ThreadCpu {
  readonly thread: number;
  readonly wall_s: number;
  readonly cpu_s: number | null;
  /** Of cpu_s, the pacer's polling of the clock with nothing else to do: waiting, counted idle. */
  readonly pacer_wait_s?: number;
  /** (cpu_s − pacer_wait_s) / wall_s, 0..1 (null if the platform cannot tell). */
  readonly utilization: number | null;
  readonly saturated: boolean;
  /** A merged report: the shard the thread ran in. */
  readonly shard?: number;
  /** --pin-cpus: the CPUs the thread could run on once pinned. */
  readonly cpus?: readonly number[];
}

export interface BenchReport {
  /** REPORT_SCHEMA_ID when built; a saved report read back may be an older readable one. */
  readonly schema: ReportSchemaId;
  readonly tool: { readonly name: "grpcperf"; readonly version: string; readonly commit: string };
  /** --name: the run's label in compare and on the page (ghz's --name). */
  readonly name?: string;
  /** --tags k=v: free labels of the run (ghz's --tags). */
  readonly tags?: Readonly<Record<string, string>>;
  readonly started_at: string;
  readonly options: {
    readonly server: string;
    readonly transport: string;
    /** echo, crypto, both, or "call" with `call` naming the method. */
    readonly service: string;
    readonly call?: string;
    readonly connections: number;
    readonly concurrency: number;
    readonly threads: number;
    readonly requests: number | null;
    readonly duration_s: number | null;
    readonly rate: number | null;
    /** --stages / --load-schedule: the target rate over the run. */
    readonly stages?: readonly { readonly duration_s: number; readonly from_rps: number; readonly to_rps: number }[];
    /** --concurrency-stages / --concurrency-schedule: the calls in flight over the run (concurrency: the peak). */
    readonly concurrency_stages?: readonly {
      readonly duration_s: number;
      readonly from: number;
      readonly to: number;
    }[];
    readonly warmup_s: number;
    /** Echo, crypto and echo-stream only: absent with --call, where it does not apply. */
    readonly payload_size?: number;
    /** --server-delay / --server-busy: what each echo request asked the server to take, µs; absent when not given. */
    readonly server_delay_us?: number;
    readonly server_busy_us?: number;
    /** Crypto only (--service crypto or both). */
    readonly algorithms?: readonly string[];
    /** -H / -m metadata sent with every call, secrets' values masked. */
    readonly metadata?: readonly (readonly [string, string])[];
    /** --call: what was sent and where its schema came from. */
    readonly request?: {
      /** -d as given (inline JSON up to 1 KiB), or `@file` / `@-`. */
      readonly data?: string;
      /** Inline -d longer than 1 KiB: its SHA-256 instead, hex. */
      readonly data_sha256?: string;
      readonly data_file?: string;
      /** "reflection", or the --proto files (with import paths) or the --protoset. */
      readonly schema: string;
    };
    readonly timeout_ms: number;
    readonly preset: string | null;
    /** HTTP/2 client implementation that sent the calls. */
    readonly client: string;
    /** The protocol and codec, when not gRPC with protobuf (bench --protocol, --codec). */
    readonly protocol?: string;
    readonly codec?: string;
    /** bench --http-get: Connect unary calls as GET. */
    readonly http_get?: boolean;
    /** bench --http1: HTTP/1.1 instead of HTTP/2. */
    readonly http1?: boolean;
    readonly tls: boolean;
    /** --pin-cpus: the load threads' CPUs, and where the runtime's other threads were kept. */
    readonly pin_cpus?: readonly number[];
    readonly runtime_cpus?: readonly number[];
  };
  readonly machine: {
    readonly hostname: string;
    readonly os: string;
    readonly arch: string;
    readonly cpus: number;
    readonly cpu_model: string;
    readonly memory_bytes: number;
    readonly runtime: string;
  };
  readonly mode: "closed-loop" | "open-loop";
  readonly duration_s: number;
  readonly total: {
    readonly requests: number;
    readonly ok: number;
    readonly failed: number;
    readonly requests_per_second: number;
  };
  readonly rate: {
    readonly target: number | null;
    /** Open loop: calls sent per second over the sending window; closed loop: completed calls per second. */
    readonly achieved: number;
    /** Open loop: calls sent more than late_after_ms after they were due. */
    readonly late_sends: number;
    readonly late_after_ms: number;
    readonly max_send_lag_us: number;
    /** Open loop: every send's lag (sent − due), µs, with its HDR histogram (encoded); absent in older reports. */
    readonly send_lag_us?: SendLagSummary | null;
    readonly send_lag_histogram?: string;
    /** Open loop: sends that left more than stalls.stall_ms after they were due (for any reason). */
    readonly lagging_sends?: number;
    /** Open loop: of the late sends, those due while every slot was busy (the server's doing). */
    readonly slot_waits?: number;
    readonly stalls?: StallsReport;
  };
  readonly services: readonly ServiceReport[];
  readonly connections: readonly {
    readonly index: number;
    readonly thread: number;
    readonly calls: number;
    readonly connects: number;
    readonly goaways: number;
    /** A merged report: the shard the connection belonged to. */
    readonly shard?: number;
  }[];
  readonly loader: {
    readonly threads: readonly ThreadCpu[];
    readonly process_cpu_s: number;
    readonly saturated: boolean;
    readonly warnings: readonly string[];
  };
  /** Why the run ended before its end, or null. */
  readonly aborted: string | null;
  /** Per interval, warm-up included; always in a built report, absent from schema /1 files. */
  readonly timeline?: TimelineReport;
  /** --stages / --load-schedule / --concurrency-stages / --concurrency-schedule runs only: each stage's figures. */
  readonly stages?: readonly StageReport[];
  /** Streaming runs only (then `total` counts streams and `services` is empty). */
  readonly streams?: StreamsReport;
  /** bench --threshold's verdicts, when any was given. */
  readonly thresholds?: readonly ThresholdResult[];
  /** The windows in which the server was not there (issue 30), all threads' and shards' as one union on the
   * wall clock; absent when there was none (and in reports saved before). */
  readonly outages?: OutagesReport;
  /** Distributed runs (shard-types.ts): --start-at, a shard's report, a merged report. */
  readonly start_at?: StartAtReport;
  readonly shard?: ShardReport;
  readonly shards?: ShardsReport;
}

/**
 * One window in which calls failed for want of a server, or no connection was ready: the union of every load
 * thread's (and every shard's) windows that overlap or touch, on the wall clock (outages.ts).
 */
export interface OutageWindow {
  /** The first sign (a connection lost, a call failed UNAVAILABLE, a due call with no ready connection), RFC 3339. */
  readonly start: string;
  /** The first successful answer after it, RFC 3339; null: still down when the run ended. */
  readonly end: string | null;
  /** end − start, ms; a window still open at the end runs to the end of the measured phase. */
  readonly duration_ms: number;
  /** Calls (streams) failed inside it; they are counted by status in services[].errors as well. */
  readonly failed: number;
  /** The first error of the window (of its earliest part). */
  readonly first_error: string;
  /** From the first new connection ready in the window to its first successful answer, ms (of the part that
   * recovered last); null when it is still open, or the answer came on no new connection. */
  readonly reconnect_to_ok_ms: number | null;
}

export interface OutagesReport {
  readonly count: number;
  /** The windows' durations added up, and the longest, ms. */
  readonly total_ms: number;
  readonly longest_ms: number;
  /** Calls (streams) failed inside the windows. */
  readonly failed: number;
  /** In order of start. */
  readonly windows: readonly OutageWindow[];
}

/** A --threshold bar's metric and comparison (threshold.ts parses and judges them). */
export type LatencyMetric = "p50" | "p90" | "p95" | "p99" | "p99.9" | "p99.99" | "max" | "mean" | "min";
/** outage: the outages' total length; outage_max: the longest window (a run without outages has 0). */
export type OutageMetric = "outage" | "outage_max";
export type Metric = LatencyMetric | "error_rate" | "rps" | OutageMetric;
export type Op = "<" | "<=" | ">" | ">=";

/** One bar judged on a report: what bench --threshold, report --threshold and find-max's SLOs state. */
export interface ThresholdResult {
  readonly expr: string;
  readonly scope: string | null;
  readonly metric: Metric;
  readonly op: Op;
  readonly limit: number;
  /** null when the report has no such figure (no call completed, no such service): that fails. */
  readonly measured: number | null;
  readonly unit: "us" | "fraction" | "calls/s";
  readonly pass: boolean;
  /** Why measured is null. */
  readonly note?: string;
}
