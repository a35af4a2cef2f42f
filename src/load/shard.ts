// Shards: `bench --shard I/N` runs slice I of a load meant for N processes. Each whole figure is split with
// split() (plan.ts): near-equal whole numbers, the remainder going to the lowest shards, so the slices add up
// exactly to the whole. The rate is not split to be sent: every shard keeps the whole plan and sends its
// calls k ≡ I (mod N) (schedule.ts, shape.ts); the sliced rate below is what a shard's report states as its
// target, and what `report merge` checks each shard's report against. Pure.
import { split } from "./plan.ts";
import type { Stage } from "./schedule.ts";

export interface ShardId {
  /** 0-based. */
  readonly index: number;
  readonly count: number;
}

/** The load of the whole run, before slicing: what every shard was given on its command line. */
export interface WholeLoad {
  readonly connections: number;
  readonly concurrency: number;
  readonly requests: number | undefined;
  /** Calls per second over all shards (with stages: their mean). */
  readonly rate: number | undefined;
  readonly stages?: readonly Stage[];
}

export interface ShardRun extends ShardId {
  readonly whole: WholeLoad;
  /** The global index of this shard's first connection (the ones before belong to lower shards). */
  readonly firstConnection: number;
}

export type ShardResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Slice `index` of `count` of each whole figure: split() gives the remainder to the lowest shards. */
export function sliceOf(w: WholeLoad, id: ShardId): ShardResult<WholeLoad> {
  const part = (total: number) => split(total, id.count)[id.index] as number;
  // Checked on the whole, so every shard refuses a load that leaves any shard without (not only the last).
  const connections = part(w.connections);
  if (w.connections < id.count)
    return {
      ok: false,
      error: `--connections ${w.connections} cannot be split over ${id.count} shards: each needs a connection`,
    };
  const requests = w.requests === undefined ? undefined : part(w.requests);
  if (w.requests !== undefined && w.requests < id.count)
    return {
      ok: false,
      error: `--requests ${w.requests} cannot be split over ${id.count} shards: each needs a call`,
    };
  return {
    ok: true,
    value: {
      connections,
      // split() is monotone in its total, so concurrency ≥ connections still holds in every slice
      concurrency: part(w.concurrency),
      requests,
      rate: w.rate === undefined ? undefined : w.rate / id.count,
      ...(w.stages
        ? {
            stages: w.stages.map((s) => ({
              durationMs: s.durationMs,
              fromRps: s.fromRps / id.count,
              toRps: s.toRps / id.count,
            })),
          }
        : {}),
    },
  };
}

/** Connections 0 … firstConnection-1 belong to the lower shards. */
export function firstConnectionOf(connections: number, id: ShardId): number {
  return split(connections, id.count)
    .slice(0, id.index)
    .reduce((n, c) => n + c, 0);
}
