// `grpcperf report merge`: the shard reports of one distributed run (bench --shard I/N) as one report.
// Exact where the data allows it: HDR histograms are added (so merged percentiles are those of one
// histogram fed every shard's calls), counts and errors are summed, time series are aligned on wall-clock
// intervals (each shard's started_at), and loader CPU stays per shard. Inputs of different runs are refused
// (another target, method, option, version); a missing or failed shard is named in the result, never left
// out silently. Pure: errors are values.

import { encode, type Histogram, merge as mergeHistograms, summarize } from "./histogram.ts";
import type { ShardFailure } from "./markers.ts";
import { mergeOutages } from "./outages.ts";
import { mergePacing, sendLagSummary } from "./pacing.ts";
import { STREAM_MEASURES, type StreamMeasure } from "./records.ts";
import type { ShardReport, ShardRow, ShardsReport } from "./shard-types.ts";
import { stagesReport } from "./stages.ts";
import { serviceEntry } from "./summary.ts";
import { pointOf } from "./timeline.ts";
import type { BenchReport, ErrorRow, ServiceReport, StageReport, StreamsReport, TimelinePoint } from "./types.ts";

/** One input: a shard's report, or the note a shard that made none left (--report-markers). */
export type MergeInput =
  | { readonly file: string; readonly report: BenchReport }
  | { readonly file: string; readonly failure: ShardFailure };

type Merged = { ok: true; report: BenchReport } | { ok: false; error: string };

/** The load of a whole distributed run, before slicing (as a shard report's `shard.whole` records it). */
interface WholeLoad {
  readonly connections: number;
  readonly concurrency: number;
  readonly requests: number | undefined;
  readonly rate: number | undefined;
  readonly stages?: readonly { readonly durationMs: number; readonly fromRps: number; readonly toRps: number }[];
}

/**
 * How a whole load is sliced among shards: the load's own rule (src/load's sliceOf), handed in by the command
 * so the report checks each shard against it without importing the load.
 */
export type Slicer = (
  whole: WholeLoad,
  id: { readonly index: number; readonly count: number },
) => { ok: true; value: WholeLoad } | { ok: false; error: string };

type Sharded = { readonly file: string; readonly report: BenchReport & { readonly shard: ShardReport } };

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Options that are a shard's slice of the whole, or its own (threads): not compared as they stand. */
const SLICED = new Set(["connections", "concurrency", "requests", "rate", "stages", "threads"]);

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const shown = (v: unknown) => (v === undefined ? "absent" : JSON.stringify(v));

/** The first way `r` is not a shard of the same run as `base`, as one line; undefined when it is. */
function mismatch(base: Sharded, r: Sharded): string | undefined {
  const diff = (what: string, a: unknown, b: unknown) =>
    `${r.file} is not a shard of the run of ${base.file}: ${what} is ${shown(b)} there, ${shown(a)} in ${base.file}`;
  const a = base.report;
  const b = r.report;
  if (a.tool.version !== b.tool.version) return diff("the grpcperf version", a.tool.version, b.tool.version);
  if (a.tool.commit !== b.tool.commit) return diff("the grpcperf commit", a.tool.commit, b.tool.commit);
  if (a.shard.count !== b.shard.count) return diff("the shard count", a.shard.count, b.shard.count);
  const keys = new Set([...Object.keys(a.options), ...Object.keys(b.options)]);
  for (const k of keys) {
    if (SLICED.has(k)) continue;
    const va = (a.options as Record<string, unknown>)[k];
    const vb = (b.options as Record<string, unknown>)[k];
    if (!same(va, vb)) return diff(`options.${k}`, va, vb);
  }
  if (!same(a.shard.whole, b.shard.whole))
    return diff("the whole run's load (shard.whole)", a.shard.whole, b.shard.whole);
  if (a.mode !== b.mode) return diff("the mode", a.mode, b.mode);
  if (!same(a.start_at?.requested, b.start_at?.requested))
    return diff("--start-at", a.start_at?.requested, b.start_at?.requested);
  if (a.timeline?.interval_s !== b.timeline?.interval_s)
    return diff("the timeline's interval", a.timeline?.interval_s, b.timeline?.interval_s);
  return undefined;
}

const wholeOf = (s: ShardReport): WholeLoad => ({
  connections: s.whole.connections,
  concurrency: s.whole.concurrency,
  requests: s.whole.requests ?? undefined,
  rate: s.whole.rate ?? undefined,
  ...(s.whole.stages
    ? {
        stages: s.whole.stages.map((x) => ({ durationMs: x.duration_s * 1000, fromRps: x.from_rps, toRps: x.to_rps })),
      }
    : {}),
});

/** A shard whose options are not its slice of the whole was run with other flags (or edited). */
function sliceProblem(r: Sharded, sliceOf: Slicer): string | undefined {
  const s = sliceOf(wholeOf(r.report.shard), r.report.shard);
  if (!s.ok) return `${r.file}: ${s.error}`;
  const o = r.report.options;
  const want = {
    connections: s.value.connections,
    concurrency: s.value.concurrency,
    requests: s.value.requests ?? null,
    rate: s.value.rate ?? null,
  };
  for (const [k, v] of Object.entries(want)) {
    const got = (o as unknown as Record<string, unknown>)[k];
    if (got !== v)
      return `${r.file}: options.${k} is ${shown(got)}, not shard ${r.report.shard.index}/${r.report.shard.count}'s slice of the whole (${shown(v)})`;
  }
  return undefined;
}

function mergeErrors(rows: readonly ErrorRow[]): ErrorRow[] {
  const m = new Map<number, ErrorRow>();
  for (const e of rows) {
    const prev = m.get(e.code);
    m.set(e.code, { ...e, count: (prev?.count ?? 0) + e.count, example: prev?.example ?? e.example });
  }
  return [...m.values()].sort((a, b) => b.count - a.count);
}

const histogramOf = (parts: readonly (string | null)[]): Histogram | undefined => {
  const present = parts.filter((h): h is string => h !== null);
  return present.length > 0 ? mergeHistograms(present) : undefined;
};

function mergeService(parts: readonly ServiceReport[], durationS: number): ServiceReport {
  const counts = {
    ok: parts.reduce((n, s) => n + s.ok, 0),
    failed: parts.reduce((n, s) => n + s.failed, 0),
    errors: mergeErrors(parts.flatMap((s) => s.errors)),
  };
  const latency = mergeHistograms(parts.map((s) => s.histograms.latency));
  const serviceTime = histogramOf(parts.map((s) => s.histograms.service_time));
  return serviceEntry((parts[0] as ServiceReport).service, counts, latency, serviceTime, durationS);
}

const MEASURE_KEY: Readonly<Record<StreamMeasure, keyof StreamsReport>> = {
  round_trip: "round_trip_us",
  service_time: "service_time_us",
  first_message: "first_message_us",
  gap: "gap_us",
  to_response: "to_response_us",
  from_first_send: "from_first_send_us",
  duration: "duration_us",
};

/** --stream-rate: the shards' message send lag, merged exactly; nothing when no shard paced its messages. */
function messageLagOf(parts: readonly StreamsReport[]) {
  const lags = parts.flatMap((s) => (s.message_send_lag_histogram === undefined ? [] : [s.message_send_lag_histogram]));
  if (lags.length === 0) return {};
  const h = mergeHistograms(lags);
  return { message_send_lag_us: sendLagSummary(h), message_send_lag_histogram: encode(h) };
}

function mergeStreams(parts: readonly StreamsReport[], durationS: number): StreamsReport {
  const first = parts[0] as StreamsReport;
  const sum = (f: (s: StreamsReport) => number) => parts.reduce((n, s) => n + f(s), 0);
  const perSecond = (n: number) => (durationS > 0 ? round(n / durationS) : 0);
  const ok = sum((s) => s.ok);
  const failed = sum((s) => s.failed);
  const sent = sum((s) => s.messages.sent);
  const received = sum((s) => s.messages.received);
  const hs = Object.fromEntries(
    STREAM_MEASURES.map((m) => [m, histogramOf(parts.map((s) => s.histograms[m]))]),
  ) as Record<StreamMeasure, Histogram | undefined>;
  const summaries = Object.fromEntries(
    STREAM_MEASURES.map((m) => {
      const h = hs[m];
      return [MEASURE_KEY[m], h ? summarize(h) : null];
    }),
  );
  return {
    ...first,
    total: ok + failed,
    ok,
    failed,
    cancelled: sum((s) => s.cancelled),
    success_rate: ok + failed === 0 ? 0 : round((ok / (ok + failed)) * 100),
    streams_per_second: perSecond(ok + failed),
    messages: { sent, received, sent_per_second: perSecond(sent), received_per_second: perSecond(received) },
    ...summaries,
    errors: mergeErrors(parts.flatMap((s) => s.errors)),
    histograms: Object.fromEntries(
      STREAM_MEASURES.map((m) => {
        const h = hs[m];
        return [m, h ? encode(h) : null];
      }),
    ) as StreamsReport["histograms"],
    ...messageLagOf(parts),
  };
}

/**
 * The shards' time series on one wall-clock grid: the merged run starts at the earliest started_at, and a
 * shard's point goes to the merged interval its start is nearest to (shards that started within half an
 * interval of each other line up point for point). Warm-up and measured points are aligned apart.
 */
function mergeTimeline(runs: readonly Sharded[], originMs: number, warmupMs: number, intervalS: number) {
  const iv = intervalS * 1000;
  const groups = new Map<string, { warmup: boolean; idx: number; points: TimelinePoint[]; endMs: number }>();
  const last = { warm: -1, measured: -1 };
  for (const r of runs) {
    const delta = Date.parse(r.report.started_at) - originMs;
    for (const p of r.report.timeline?.points ?? []) {
      const phaseMs = p.warmup ? 0 : warmupMs;
      const idx = Math.max(0, Math.round((delta + p.start_s * 1000 - phaseMs) / iv));
      const key = `${p.warmup}:${idx}`;
      const g = groups.get(key) ?? { warmup: p.warmup, idx, points: [], endMs: 0 };
      g.points.push(p);
      g.endMs = Math.max(g.endMs, delta + p.end_s * 1000);
      groups.set(key, g);
      if (p.warmup) last.warm = Math.max(last.warm, idx);
      else last.measured = Math.max(last.measured, idx);
    }
  }
  const points: TimelinePoint[] = [];
  for (const [warmup, lastIdx, phaseMs] of [
    [true, last.warm, 0],
    [false, last.measured, warmupMs],
  ] as const) {
    for (let idx = 0; idx <= lastIdx; idx++) {
      const g = groups.get(`${warmup}:${idx}`);
      const startMs = phaseMs + idx * iv;
      const endMs = idx < lastIdx ? startMs + iv : Math.max(startMs, g?.endMs ?? startMs + iv);
      points.push(mergedPoint(g?.points ?? [], startMs, endMs, warmup));
    }
  }
  return { interval_s: intervalS, points };
}

function mergedPoint(parts: readonly TimelinePoint[], startMs: number, endMs: number, warmup: boolean): TimelinePoint {
  let target: number | null = null;
  let loader: number | null | undefined;
  for (const p of parts) {
    if (p.target_rps !== null) target = (target ?? 0) + p.target_rps;
    // the busiest load thread of any shard, as within one run
    if (p.loader_utilization !== undefined)
      loader = p.loader_utilization === null ? (loader ?? null) : Math.max(loader ?? 0, p.loader_utilization);
  }
  const counted = parts.map((p) => ({ ...p, late: p.late_sends, sendLag: p.send_lag_histogram }));
  return pointOf(counted, { startMs, endMs, warmup }, target === null ? null : round(target, 1), loader);
}

/** Why a shard's report says it did not run its load through; undefined when it did. */
function failureOf(r: BenchReport): string | undefined {
  if (r.aborted !== null) return r.aborted;
  const answered = r.total.ok > 0 || (r.streams !== undefined && r.streams.messages.received > 0);
  return answered ? undefined : "no call succeeded";
}

function rowOf(r: BenchReport & { shard: ShardReport }): ShardRow {
  return {
    index: r.shard.index,
    hostname: r.machine.hostname,
    started_at: r.started_at,
    start_offset_ms: r.start_at?.offset_ms ?? null,
    clock_offset_ms: r.start_at?.clock_offset_ms ?? null,
    threads: r.options.threads,
    requests: r.total.requests,
    ok: r.total.ok,
    failed: r.total.failed,
    process_cpu_s: r.loader.process_cpu_s,
    saturated: r.loader.saturated,
    aborted: r.aborted,
  };
}

/** The shard reports (and failure notes) of one run as one report; an error line when they are not one run. */
export function mergeShards(inputs: readonly MergeInput[], sliceOf: Slicer): Merged {
  const runs: Sharded[] = [];
  const notes: { file: string; failure: ShardFailure }[] = [];
  for (const i of inputs) {
    if ("failure" in i) notes.push(i);
    else if (i.report.shard === undefined)
      return { ok: false, error: `${i.file}: not a shard report (bench --shard I/N or an Indexed Job writes one)` };
    else runs.push(i as Sharded);
  }
  if (runs.length === 0)
    return {
      ok: false,
      error:
        notes.length === 0
          ? "report merge: no report given"
          : `report merge: no shard made a report (${notes.map((n) => `${n.file}: ${n.failure.error}`).join("; ")})`,
    };
  const base = runs[0] as Sharded;
  const count = base.report.shard.count;
  for (const r of runs.slice(1)) {
    const m = mismatch(base, r);
    if (m !== undefined) return { ok: false, error: m };
  }
  for (const r of runs) {
    const p = sliceProblem(r, sliceOf);
    if (p !== undefined) return { ok: false, error: p };
  }
  const byIndex = new Map<number, string>();
  for (const r of runs) {
    const seen = byIndex.get(r.report.shard.index);
    if (seen !== undefined)
      return { ok: false, error: `${seen} and ${r.file} are both shard ${r.report.shard.index}/${count}` };
    byIndex.set(r.report.shard.index, r.file);
  }
  const failed: { index: number; reason: string }[] = [];
  for (const n of notes) {
    const s = n.failure.shard;
    if (s === null) return { ok: false, error: `${n.file}: a failure note without a shard index` };
    if (s.count !== count)
      return { ok: false, error: `${n.file} is shard ${s.index} of ${s.count}, not of ${count} as ${base.file}` };
    const seen = byIndex.get(s.index);
    if (seen !== undefined) return { ok: false, error: `${seen} and ${n.file} are both shard ${s.index}/${count}` };
    byIndex.set(s.index, n.file);
    failed.push({ index: s.index, reason: n.failure.error });
  }
  for (const r of runs) {
    const why = failureOf(r.report);
    if (why !== undefined) failed.push({ index: r.report.shard.index, reason: why });
  }
  failed.sort((a, b) => a.index - b.index);
  runs.sort((a, b) => a.report.shard.index - b.report.shard.index);
  const present = runs.map((r) => r.report.shard.index);
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  return {
    ok: true,
    report: mergedReport(runs, { count, present, missing, failed, runs: runs.map((r) => rowOf(r.report)) }),
  };
}

function mergedReport(runs: readonly Sharded[], shards: ShardsReport): BenchReport {
  const base = (runs[0] as Sharded).report;
  const whole = base.shard.whole;
  const warmupMs = base.options.warmup_s * 1000;
  const originMs = Math.min(...runs.map((r) => Date.parse(r.report.started_at)));
  // Measured phase of each shard on the wall clock: from its started_at + warm-up, for its duration.
  const measuredStart = (r: Sharded) => Date.parse(r.report.started_at) + warmupMs;
  const firstStart = Math.min(...runs.map(measuredStart));
  const durationS = (Math.max(...runs.map((r) => measuredStart(r) + r.report.duration_s * 1000)) - firstStart) / 1000;

  const labels = [...new Set(runs.flatMap((r) => r.report.services.map((s) => s.service)))];
  const services = labels.map((label) =>
    mergeService(
      runs.flatMap((r) => r.report.services.filter((s) => s.service === label)),
      durationS,
    ),
  );
  const streamParts = runs.flatMap((r) => (r.report.streams ? [r.report.streams] : []));
  const streams = streamParts.length > 0 ? mergeStreams(streamParts, durationS) : undefined;
  const ok = streams ? streams.ok : services.reduce((n, s) => n + s.ok, 0);
  const failedCalls = streams ? streams.failed : services.reduce((n, s) => n + s.failed, 0);
  const rps = durationS > 0 ? round((ok + failedCalls) / durationS) : 0;

  // Open loop: calls sent over the window from the first shard's schedule start to the last send anywhere.
  let achieved = rps;
  if (whole.rate !== null) {
    const sent = runs.reduce((n, r) => n + r.report.shard.sent, 0);
    const lastSend = Math.max(...runs.map((r) => measuredStart(r) + r.report.shard.send_window_s * 1000));
    achieved = sent === 0 ? 0 : round(sent / ((lastSend - firstStart) / 1000 + 1 / whole.rate));
  }

  const incomplete = [
    ...shards.missing.map((i) => `shard ${i} missing`),
    ...shards.failed.map((f) => `shard ${f.index} failed (${f.reason})`),
  ];

  const timeline = base.timeline ? mergeTimeline(runs, originMs, warmupMs, base.timeline.interval_s) : undefined;
  const levels = base.options.concurrency_stages;
  const stages =
    whole.stages?.map((s) => ({ durationMs: s.duration_s * 1000, fromRps: s.from_rps, toRps: s.to_rps })) ??
    levels?.map((s) => ({ durationMs: s.duration_s * 1000, from: s.from, to: s.to }));
  const outages = mergeOutages(runs.map((r) => r.report));
  const { shard: _shard, start_at: _startAt, thresholds: _thresholds, outages: _outages, ...rest } = base;
  return {
    ...rest,
    started_at: new Date(originMs).toISOString(),
    options: {
      ...base.options,
      connections: whole.connections,
      concurrency: whole.concurrency,
      threads: runs.reduce((n, r) => n + r.report.options.threads, 0),
      requests: whole.requests,
      rate: whole.rate,
      ...(whole.stages ? { stages: whole.stages } : {}),
    },
    duration_s: round(durationS, 3),
    total: { requests: ok + failedCalls, ok, failed: failedCalls, requests_per_second: rps },
    rate: {
      target: whole.rate,
      achieved,
      late_sends: runs.reduce((n, r) => n + r.report.rate.late_sends, 0),
      late_after_ms: base.rate.late_after_ms,
      max_send_lag_us: Math.max(0, ...runs.map((r) => r.report.rate.max_send_lag_us)),
      ...mergePacing(runs.map((r) => r.report.rate)),
    },
    services,
    connections: runs
      .flatMap((r) => r.report.connections.map((c) => ({ ...c, shard: r.report.shard.index })))
      .sort((a, b) => a.index - b.index),
    loader: mergedLoader(runs, shards),
    aborted: incomplete.length === 0 ? null : `incomplete run: ${incomplete.join("; ")}`,
    ...(timeline ? { timeline } : {}),
    ...(stages && timeline ? { stages: mergedStages(runs, stagesReport(timeline.points, stages, warmupMs)) } : {}),
    ...(streams ? { streams } : {}),
    ...(outages ? { outages } : {}),
    shards,
  };
}

/** The shards' loaders side by side: saturation stays per shard (each thread row names its shard), and the
 * merge's own warnings (missing or failed shards) come before each shard's. */
function mergedLoader(runs: readonly Sharded[], shards: ShardsReport): BenchReport["loader"] {
  const warnings: string[] = [];
  for (const i of shards.missing)
    warnings.push(`shard ${i}/${shards.count} is missing: its share of the load is not in these figures`);
  for (const f of shards.failed) warnings.push(`shard ${f.index}/${shards.count} failed: ${f.reason}`);
  for (const r of runs) for (const w of r.report.loader.warnings) warnings.push(`shard ${r.report.shard.index}: ${w}`);
  return {
    threads: runs.flatMap((r) => r.report.loader.threads.map((t) => ({ ...t, shard: r.report.shard.index }))),
    process_cpu_s: round(
      runs.reduce((n, r) => n + r.report.loader.process_cpu_s, 0),
      3,
    ),
    saturated: runs.some((r) => r.report.loader.saturated),
    warnings,
  };
}

/** The merged stages, with each stage's busiest load thread over every shard (the shards' stages align by index). */
function mergedStages(runs: readonly Sharded[], stages: readonly StageReport[]): StageReport[] {
  return stages.map((stage, i) => {
    const own = runs.flatMap((r) => {
      const u = r.report.stages?.[i]?.loader_utilization;
      return u === undefined ? [] : [u];
    });
    if (own.length === 0) return stage;
    const known = own.filter((u): u is number => u !== null);
    const busiest = known.length > 0 ? Math.max(...known) : null;
    return {
      ...stage,
      loader_utilization: busiest,
      loader_saturated: runs.some((r) => r.report.stages?.[i]?.loader_saturated === true),
    };
  });
}
