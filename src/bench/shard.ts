// Shards: `bench --shard I/N` (or an Indexed Job's JOB_COMPLETION_INDEX with --shards N / GRPCPERF_SHARDS)
// runs slice I of a load meant for N processes. Each figure is split with split() (plan.ts): near-equal whole
// numbers, the remainder going to the lowest shards, so the slices add up exactly to the whole. The rate is
// not split into numbers at all: every shard keeps the whole schedule and sends its calls k ≡ I (mod N)
// (schedule.ts), so the union of the shards is exactly one run's schedule. Pure.
import type { BenchFlags } from "./flags.ts";
import type { BenchOptions } from "./options.ts";
import { split } from "./plan.ts";
import type { Stage } from "./schedule.ts";
import { parseStartAt } from "./start-at.ts";

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

type Env = Readonly<Record<string, string | undefined>>;

const whole = (text: string): number | undefined => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);

/**
 * Which shard this process is: `--shard I/N` wins; else JOB_COMPLETION_INDEX (set by a Kubernetes Indexed
 * Job) with the count from `--shards N` or GRPCPERF_SHARDS. JOB_COMPLETION_INDEX without a count is not a
 * shard (a Job may run other things); a count without an index is an error. undefined: not sharded.
 */
export function shardOf(flags: { shard?: string; shards?: string }, env: Env): ShardResult<ShardId | undefined> {
  const countText = flags.shards ?? env.GRPCPERF_SHARDS;
  const countSource = flags.shards !== undefined ? "--shards" : "GRPCPERF_SHARDS";
  const count = countText === undefined || countText.trim() === "" ? undefined : whole(countText);
  if (countText !== undefined && countText.trim() !== "" && (count === undefined || count < 1)) {
    return { ok: false, error: `${countSource}: "${countText}" is not a whole number ≥ 1` };
  }
  if (flags.shard !== undefined && flags.shard !== "") {
    const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(flags.shard);
    if (!m) return { ok: false, error: `--shard: "${flags.shard}" is not I/N (e.g. 0/4: the first of 4 shards)` };
    const id = { index: Number(m[1]), count: Number(m[2]) };
    if (id.count < 1 || id.index >= id.count)
      return { ok: false, error: `--shard ${flags.shard}: the index counts from 0 and must be below N` };
    if (count !== undefined && count !== id.count)
      return { ok: false, error: `--shard ${flags.shard} and ${countSource} ${count} disagree on the shard count` };
    return { ok: true, value: id };
  }
  const indexText = env.JOB_COMPLETION_INDEX;
  if (count === undefined) return { ok: true, value: undefined };
  if (indexText === undefined || indexText.trim() === "")
    return {
      ok: false,
      error: `${countSource} ${count} needs this shard's index: JOB_COMPLETION_INDEX (an Indexed Job sets it) or --shard I/${count}`,
    };
  const index = whole(indexText);
  if (index === undefined || index >= count)
    return { ok: false, error: `JOB_COMPLETION_INDEX: "${indexText}" is not a shard index below ${count}` };
  return { ok: true, value: { index, count } };
}

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

/** The options as shard `id` runs them: its slice of the load, the whole kept for the schedule and the report. */
export function shardOptions(o: BenchOptions, id: ShardId): ShardResult<BenchOptions> {
  const w: WholeLoad = {
    connections: o.connections,
    concurrency: o.concurrency,
    requests: o.requests,
    rate: o.rate,
    ...(o.stages ? { stages: o.stages } : {}),
  };
  const s = sliceOf(w, id);
  if (!s.ok) return s;
  return {
    ok: true,
    value: {
      ...o,
      connections: s.value.connections,
      concurrency: s.value.concurrency,
      // at most one thread per connection, as for a whole run
      threads: Math.min(o.threads, s.value.connections),
      requests: s.value.requests,
      rate: s.value.rate,
      ...(s.value.stages ? { stages: s.value.stages } : {}),
      shard: { ...id, whole: w, firstConnection: firstConnectionOf(o.connections, id) },
    },
  };
}

type DistributedFlags = Pick<BenchFlags, "shard" | "shards" | "start-at" | "report-markers">;

/**
 * --shard/--shards (or JOB_COMPLETION_INDEX), --start-at and --report-markers applied to options resolved
 * for the whole run. --report-markers prints the JSON report on stdout between marker lines, for kubectl logs.
 */
export function distributedOptions(o: BenchOptions, flags: DistributedFlags, env: Env): ShardResult<BenchOptions> {
  let out = o;
  const id = shardOf(flags, env);
  if (!id.ok) return id;
  // Each step of a search depends on the one before: shards would each search on their own.
  if (o.findMax !== undefined) {
    const used = [
      id.value !== undefined && "--shard",
      flags["start-at"] && "--start-at",
      flags["report-markers"] === true && "--report-markers",
    ].find((x): x is string => typeof x === "string");
    if (used) return { ok: false, error: `--find-max runs from one loader: it excludes ${used}` };
  }
  if (id.value !== undefined) {
    const sliced = shardOptions(out, id.value);
    if (!sliced.ok) return sliced;
    out = sliced.value;
  }
  if (flags["start-at"] !== undefined && flags["start-at"] !== "") {
    const at = parseStartAt(flags["start-at"]);
    if (!at.ok) return at;
    out = { ...out, startAtMs: at.ms };
  }
  if (flags["report-markers"] === true) {
    if (out.output !== undefined)
      return { ok: false, error: "--report-markers prints the report on stdout: it excludes -o/--output" };
    out = { ...out, json: true, reportMarkers: true };
  }
  return { ok: true, value: out };
}
