// A shard's own report fields (`shard`, `start_at`) and warnings, from its options and its threads. Pure.

import type { ThreadResult } from "./records.ts";
import type { ShardReport, StartAtReport } from "./shard-types.ts";

/** A clock further than this from the server's is worth a warning: shards would start that far apart. */
const CLOCK_WARN_MS = 50;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** bench --shard I/N as the runner resolved it: which slice of which whole load this process ran. */
export interface ShardRun {
  readonly index: number;
  readonly count: number;
  readonly firstConnection: number;
  readonly whole: {
    readonly connections: number;
    readonly concurrency: number;
    readonly requests: number | undefined;
    readonly rate: number | undefined;
    readonly stages?: readonly { readonly durationMs: number; readonly fromRps: number; readonly toRps: number }[];
  };
}

/** What a distributed run adds to the report's input: --start-at, the shard, and how the start went. */
export interface DistributedInput {
  /** --start-at, Unix ms. */
  readonly startAtMs?: number;
  readonly shard?: ShardRun;
  /** How late the measured phase started after --start-at, and how much warm-up that cut (ms). */
  readonly start?: { readonly lateMs: number; readonly warmupCutMs: number };
  /** The server's clock minus ours (ms), when measured. */
  readonly clockOffsetMs?: number | null;
}

export function distributedFields(
  d: DistributedInput,
  threads: readonly ThreadResult[],
): {
  fields: { start_at?: StartAtReport; shard?: ShardReport };
  warnings: string[];
} {
  const warnings: string[] = [];
  let start_at: StartAtReport | undefined;
  if (d.startAtMs !== undefined) {
    const lag = Math.max(0, ...threads.map((t) => t.startLagMs ?? 0));
    const late = d.start?.lateMs ?? 0;
    const cut = d.start?.warmupCutMs ?? 0;
    const clock = d.clockOffsetMs ?? null;
    start_at = {
      requested: new Date(d.startAtMs).toISOString(),
      offset_ms: round3(late + lag),
      warmup_cut_ms: round3(cut),
      clock_offset_ms: clock === null ? null : round3(clock),
    };
    if (late > 0)
      warnings.push(
        `--start-at ${start_at.requested} had passed when this process was ready: it started ${Math.round(late)} ms late, without the warm-up`,
      );
    else if (cut > 0)
      warnings.push(`--start-at: the warm-up was cut by ${Math.round(cut)} ms (ready too late for all of it)`);
    if (clock !== null && Math.abs(clock) > CLOCK_WARN_MS)
      warnings.push(
        `this machine's clock is ${Math.round(Math.abs(clock))} ms ${clock > 0 ? "behind" : "ahead of"} the server's: --start-at is read on it, so shards may start that far apart (check NTP)`,
      );
  }
  let shard: ShardReport | undefined;
  if (d.shard) {
    const w = d.shard.whole;
    const sent = threads.reduce((n, t) => n + t.sent, 0);
    shard = {
      index: d.shard.index,
      count: d.shard.count,
      whole: {
        connections: w.connections,
        concurrency: w.concurrency,
        requests: w.requests ?? null,
        rate: w.rate ?? null,
        ...(w.stages
          ? {
              stages: w.stages.map((s) => ({
                duration_s: s.durationMs / 1000,
                from_rps: s.fromRps,
                to_rps: s.toRps,
              })),
            }
          : {}),
      },
      first_connection: d.shard.firstConnection,
      sent,
      send_window_s: round3(Math.max(0, ...threads.map((t) => t.sendWindowSec))),
    };
  }
  return { fields: { ...(start_at ? { start_at } : {}), ...(shard ? { shard } : {}) }, warnings };
}
