// Distributed runs: which shard this process is (--shard, or a Kubernetes Indexed Job's JOB_COMPLETION_INDEX
// with --shards / GRPCPERF_SHARDS), its slice of the options, --start-at and --report-markers. Pure.

import type { LoadShape } from "../load/shape.ts";
import {
  firstConnectionOf,
  type ShardId,
  type ShardResult,
  type ShardRun,
  sliceOf,
  type WholeLoad,
} from "../load/shard.ts";
import { type BenchFlags, envNamesOf } from "./flags.ts";
import { parseStartAt } from "./start-at.ts";

type Env = Readonly<Record<string, string | undefined>>;

type DistributedFlags = Pick<BenchFlags, "shard" | "shards" | "start-at" | "report-markers">;

/** What of the options a distributed run changes (BenchOptions has these; kept structural to stay below it). */
interface Sliceable {
  readonly connections: number;
  readonly concurrency: number;
  readonly threads: number;
  readonly requests: number | undefined;
  readonly load: LoadShape;
  readonly findMax?: unknown;
  readonly output: string | undefined;
  readonly json: boolean;
  readonly shard?: ShardRun;
  readonly startAtMs?: number;
  readonly reportMarkers?: boolean;
}

const whole = (text: string): number | undefined => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : undefined);

const [SHARDS_VAR = "GRPCPERF_SHARDS"] = envNamesOf("shards");
const [INDEX_VAR = "JOB_COMPLETION_INDEX"] = envNamesOf("shard");

/**
 * Which shard this process is: `--shard I/N` wins; else JOB_COMPLETION_INDEX (set by a Kubernetes Indexed
 * Job) with the count from `--shards N` or GRPCPERF_SHARDS. JOB_COMPLETION_INDEX without a count is not a
 * shard (a Job may run other things); a count without an index is an error. undefined: not sharded.
 */
export function shardOf(flags: { shard?: string; shards?: string }, env: Env): ShardResult<ShardId | undefined> {
  const countText = flags.shards ?? env[SHARDS_VAR];
  const countSource = flags.shards !== undefined ? "--shards" : SHARDS_VAR;
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
  const indexText = env[INDEX_VAR];
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

/**
 * The options as shard `id` runs them: its slice of the connections, calls in flight and requests; the load
 * keeps the whole run's plan with this shard's share (shape.ts), and the whole is kept for the report.
 */
function shardOptions<O extends Sliceable>(o: O, id: ShardId): ShardResult<O> {
  const open = o.load.kind === "open" ? o.load : undefined;
  const w: WholeLoad = {
    connections: o.connections,
    concurrency: o.concurrency,
    requests: o.requests,
    rate: open?.rate,
    ...(open?.plan ? { stages: open.plan.stages } : {}),
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
      load: { ...o.load, share: { index: id.index, count: id.count } },
      shard: { ...id, whole: w, firstConnection: firstConnectionOf(o.connections, id) },
    },
  };
}

/**
 * --shard/--shards (or JOB_COMPLETION_INDEX), --start-at and --report-markers applied to options resolved
 * for the whole run. --report-markers prints the JSON report on stdout between marker lines, for kubectl logs.
 */
export function distributedOptions<O extends Sliceable>(o: O, flags: DistributedFlags, env: Env): ShardResult<O> {
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
