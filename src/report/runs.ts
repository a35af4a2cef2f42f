// Report files as runs: `report`, `compare` and `report merge` read bench reports and shard failure notes;
// the shard reports of one distributed run (same --start-at, shard count, target and version) are merged
// into one run (merge.ts), in the place of the first of them, and every other report stays as it is.
import { readFileSync } from "node:fs";
import { FAILURE_SCHEMA_ID, type ShardFailure } from "./markers.ts";
import { type MergeInput, mergeShards } from "./merge.ts";
import { type NamedRendered, readRendered, renderedOf } from "./rendered.ts";
import type { BenchReport } from "./types.ts";

type Loaded<T> = { ok: true; value: T } | { ok: false; error: string };

/** A `grpcperf-shard-failure/1` note (what a shard that made no report prints), or undefined if the file is not one. */
function failureNote(file: string): ShardFailure | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  const d = doc as Partial<ShardFailure> | null;
  return typeof d === "object" && d !== null && d.schema === FAILURE_SCHEMA_ID && typeof d.error === "string"
    ? (d as ShardFailure)
    : undefined;
}

/** Each file as a report or a failure note; the first that is neither is the error. */
export function readInputs(files: readonly string[]): Loaded<(MergeInput & { named?: NamedRendered })[]> {
  const out: (MergeInput & { named?: NamedRendered })[] = [];
  for (const file of files) {
    const failure = failureNote(file);
    if (failure) {
      out.push({ file, failure });
      continue;
    }
    const loaded = readRendered(file);
    if (!loaded.ok) return loaded;
    out.push({ file, report: loaded.named.report, named: loaded.named });
  }
  return { ok: true, value: out };
}

/** Shard reports of one run share this; reports of other runs (or of no shard) do not. */
function runKey(r: BenchReport): string | undefined {
  if (r.shard === undefined) return undefined;
  return JSON.stringify([
    r.start_at?.requested ?? null,
    r.shard.count,
    r.options.server,
    r.options.service,
    r.options.call ?? null,
    r.tool.version,
  ]);
}

/** The runs the files hold: shard reports of one run merged (with the failure notes of its shard count);
 * a run's only shard file is shown as it is. */
export function readRuns(files: readonly string[]): Loaded<NamedRendered[]> {
  const inputs = readInputs(files);
  if (!inputs.ok) return inputs;
  const groups = new Map<string, MergeInput[]>();
  const order: (NamedRendered | string)[] = [];
  const notes: { file: string; failure: ShardFailure }[] = [];
  for (const i of inputs.value) {
    if ("failure" in i) {
      notes.push(i);
      continue;
    }
    const key = runKey(i.report);
    if (key === undefined) {
      order.push(i.named as NamedRendered);
      continue;
    }
    const g = groups.get(key);
    if (g) g.push(i);
    else {
      groups.set(key, [i]);
      order.push(key);
    }
  }
  // A failure note carries only its shard count: it joins the one run of that count, or is ambiguous.
  for (const n of notes) {
    const count = n.failure.shard?.count;
    const fits = [...groups.entries()].filter(([k]) => JSON.parse(k)[1] === count).map(([, g]) => g);
    const group = fits.length === 1 ? fits[0] : undefined;
    if (group === undefined)
      return {
        ok: false,
        error: `${n.file}: a shard's failure note, and ${fits.length === 0 ? "no" : "more than one"} run of ${count ?? "?"} shards to put it in (use report merge)`,
      };
    group.push(n);
  }
  const runs: NamedRendered[] = [];
  for (const o of order) {
    if (typeof o !== "string") {
      runs.push(o);
      continue;
    }
    const group = groups.get(o) as MergeInput[];
    // One shard's file alone is shown as it is: merging needs several, and `report merge` names the missing.
    const only = group.length === 1 ? group[0] : undefined;
    if (only !== undefined && "report" in only) {
      const named = renderedOf(only.report, only.file);
      if (!named.ok) return named;
      runs.push(named.named);
      continue;
    }
    const merged = mergeShards(group);
    if (!merged.ok) return merged;
    const name = `${group[0]?.file} (${group.length} shard files merged)`;
    const named = renderedOf(merged.report, name);
    if (!named.ok) return named;
    runs.push(named.named);
  }
  return { ok: true, value: runs };
}
