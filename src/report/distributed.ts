// A shard's own report fields (`shard`, `start_at`) and warnings, from its options and its threads. Pure.

import type { BenchOptions } from "../bench/options.ts";
import type { StartPlan } from "../bench/start-at.ts";
import type { ThreadResult } from "./records.ts";
import type { ShardReport, StartAtReport } from "./shard-types.ts";

/** A clock further than this from the server's is worth a warning: shards would start that far apart. */
export const CLOCK_WARN_MS = 50;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export interface DistributedInput {
  readonly options: BenchOptions;
  readonly threads: readonly ThreadResult[];
  readonly start?: StartPlan;
  /** The server's clock minus ours (ms), when measured. */
  readonly clockOffsetMs?: number | null;
}

export function distributedFields(d: DistributedInput): {
  fields: { start_at?: StartAtReport; shard?: ShardReport };
  warnings: string[];
} {
  const o = d.options;
  const warnings: string[] = [];
  let start_at: StartAtReport | undefined;
  if (o.startAtMs !== undefined) {
    const lag = Math.max(0, ...d.threads.map((t) => t.startLagMs ?? 0));
    const late = d.start?.lateMs ?? 0;
    const cut = d.start?.warmupCutMs ?? 0;
    const clock = d.clockOffsetMs ?? null;
    start_at = {
      requested: new Date(o.startAtMs).toISOString(),
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
  if (o.shard) {
    const w = o.shard.whole;
    const sent = d.threads.reduce((n, t) => n + t.sent, 0);
    shard = {
      index: o.shard.index,
      count: o.shard.count,
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
      first_connection: o.shard.firstConnection,
      sent,
      send_window_s: round3(Math.max(0, ...d.threads.map((t) => t.sendWindowSec))),
    };
  }
  return { fields: { ...(start_at ? { start_at } : {}), ...(shard ? { shard } : {}) }, warnings };
}
