// The report fields of distributed runs: a shard's own report (`shard`, `start_at`) and a merged one
// (`shards`). Optional in schema /2, so reports of single runs, and files written before, are unchanged.

/** --start-at: the instant asked for and how this process met it. */
export interface StartAtReport {
  /** The --start-at instant, RFC 3339 (UTC, ms). */
  readonly requested: string;
  /** The measured phase's actual start minus the requested instant, ms (the latest thread; > 0 is late). */
  readonly offset_ms: number;
  /** Warm-up cut short because this process was ready too late for all of it, ms. */
  readonly warmup_cut_ms: number;
  /** The server's clock minus this machine's, estimated from Echo's timestamps (ms); null when not measured. */
  readonly clock_offset_ms: number | null;
}

/** bench --shard I/N: which slice of which whole this report is. */
export interface ShardReport {
  readonly index: number;
  readonly count: number;
  /** The whole run's load, as every shard was given it (the report's options hold this shard's slice). */
  readonly whole: {
    readonly connections: number;
    readonly concurrency: number;
    readonly requests: number | null;
    readonly rate: number | null;
    readonly stages?: readonly { readonly duration_s: number; readonly from_rps: number; readonly to_rps: number }[];
  };
  /** Global index of this shard's first connection. */
  readonly first_connection: number;
  /** Open loop: measured calls (streams) sent, and the time from the schedule's start to the last send (s). */
  readonly sent: number;
  readonly send_window_s: number;
}

/** One shard of a merged report, as it ran. */
export interface ShardRow {
  readonly index: number;
  readonly hostname: string;
  readonly started_at: string;
  /** From the shard's start_at block; null without --start-at. */
  readonly start_offset_ms: number | null;
  readonly clock_offset_ms: number | null;
  readonly threads: number;
  readonly requests: number;
  readonly ok: number;
  readonly failed: number;
  readonly process_cpu_s: number;
  readonly saturated: boolean;
  readonly aborted: string | null;
}

/** A merged report: the shards it holds and those it lacks, so none is left out silently. */
export interface ShardsReport {
  readonly count: number;
  readonly present: readonly number[];
  /** No report for these indices. */
  readonly missing: readonly number[];
  /** A report (or a failure note) that says the shard did not run its load through. */
  readonly failed: readonly { readonly index: number; readonly reason: string }[];
  readonly runs: readonly ShardRow[];
}
