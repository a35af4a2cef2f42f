// --report-markers: a report on stdout between marker lines, so it can be cut out of a log that also holds
// stderr (kubectl logs of a Job's pods). The JSON is one line, so an interleaved log line cannot split it.
// A shard that made no report writes a failure note between the markers instead, so a merge can name it.
import type { ShardReport } from "./shard-types.ts";
import type { BenchReport } from "./types.ts";

/** Which shard of how many (bench --shard I/N). */
type ShardId = Pick<ShardReport, "index" | "count">;

export const FAILURE_SCHEMA_ID = "grpcperf-shard-failure/1";

/** A shard's run that produced no report (could not reach the server, bad --call input). */
export interface ShardFailure {
  readonly schema: typeof FAILURE_SCHEMA_ID;
  readonly shard: ShardId | null;
  readonly error: string;
}

/** `--- grpcperf report shard 2/4 begin ---` (no shard part when the run is not sharded). */
function markerOf(id: ShardId | null | undefined, what: "begin" | "end" | "failed"): string {
  return `--- grpcperf report${id ? ` shard ${id.index}/${id.count}` : ""} ${what} ---`;
}

const idOf = (r: BenchReport) => (r.shard ? { index: r.shard.index, count: r.shard.count } : undefined);

export function markedReport(r: BenchReport): string {
  return `${markerOf(idOf(r), "begin")}\n${JSON.stringify(r)}\n${markerOf(idOf(r), "end")}\n`;
}

export function markedFailure(id: ShardId | undefined, error: string): string {
  const note: ShardFailure = {
    schema: FAILURE_SCHEMA_ID,
    shard: id ? { index: id.index, count: id.count } : null,
    error,
  };
  return `${markerOf(id, "failed")}\n${JSON.stringify(note)}\n${markerOf(id, "end")}\n`;
}
