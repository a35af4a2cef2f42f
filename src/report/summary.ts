// Thread results → one BenchReport. Pure: merging histograms, adding counters, judging saturation.
import { createHash } from "node:crypto";
import type { BenchOptions, CallTarget } from "../bench/options.ts";
import { LATE_AFTER_MS } from "../bench/schedule.ts";
import type { StartPlan } from "../bench/start-at.ts";
import { streamWorkloadOf } from "../bench/stream/workload.ts";
import { servicesOf } from "../bench/workload.ts";
import { statusName } from "../rpc/status.ts";
import { formatAddress } from "../transport/address.ts";
import { distributedFields } from "./distributed.ts";
import { encode, type Histogram, merge, summarize } from "./histogram.ts";
import { SATURATED_AT } from "./marks.ts";
import { loaderPacing, PACING_WARN_SHARE, pacingOfThreads, pacingWarnings } from "./pacing.ts";
import type { ThreadResult } from "./records.ts";
import { stagesReport } from "./stages.ts";
import { streamsReport } from "./streams.ts";
import { timelineReport } from "./timeline.ts";
import type { WorkloadLabel } from "./types.ts";
import {
  type BenchReport,
  type ErrorRow,
  REPORT_SCHEMA_ID,
  type ServiceReport,
  type StageReport,
  type ThreadCpu,
  type TimelinePoint,
} from "./types.ts";

export interface SummaryInput {
  readonly options: BenchOptions;
  readonly startedAt: Date;
  readonly threads: readonly ThreadResult[];
  readonly processCpuSec: number;
  readonly aborted: string | null;
  readonly machine: BenchReport["machine"];
  readonly tool: BenchReport["tool"];
  /** --start-at's plan and the measured clock offset (shard-report.ts). */
  readonly start?: StartPlan;
  readonly clockOffsetMs?: number | null;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The report's sections: echo/crypto as --service says (even with no calls), or --call's method. */
function labelsOf(o: BenchOptions, threads: readonly ThreadResult[]): WorkloadLabel[] {
  if (o.stream) return []; // a streaming run reports in its streams section
  if (o.call === undefined) return servicesOf(o.service);
  const seen = [...new Set(threads.flatMap((t) => t.services.map((s) => s.service)))];
  return seen.length > 0 ? seen : [o.call.method];
}

function serviceReport(service: ServiceReport["service"], threads: readonly ThreadResult[], durationS: number) {
  const tallies = threads.flatMap((t) => t.services.filter((s) => s.service === service));
  const ok = tallies.reduce((n, t) => n + t.ok, 0);
  const failed = tallies.reduce((n, t) => n + t.failed, 0);
  const errors = new Map<number, ErrorRow>();
  for (const t of tallies) {
    for (const e of t.errors) {
      const prev = errors.get(e.code);
      errors.set(e.code, {
        code: e.code,
        status: statusName(e.code),
        count: (prev?.count ?? 0) + e.count,
        example: prev?.example ?? e.example,
      });
    }
  }
  const latency = merge(tallies.map((t) => t.latency));
  const serviceTimes = tallies.map((t) => t.serviceTime).filter((s): s is string => s !== null);
  const serviceTime = serviceTimes.length > 0 ? merge(serviceTimes) : undefined;
  return serviceEntry(service, { ok, failed, errors: [...errors.values()] }, latency, serviceTime, durationS);
}

/** A services[] entry from its added-up counts and merged histograms (a run's threads, or a merge's shards). */
export function serviceEntry(
  service: ServiceReport["service"],
  counts: { readonly ok: number; readonly failed: number; readonly errors: readonly ErrorRow[] },
  latency: Histogram,
  serviceTime: Histogram | undefined,
  durationS: number,
): ServiceReport {
  const { ok, failed } = counts;
  const total = ok + failed;
  return {
    service,
    total,
    ok,
    failed,
    success_rate: total === 0 ? 0 : round((ok / total) * 100),
    requests_per_second: durationS > 0 ? round(total / durationS) : 0,
    latency_us: summarize(latency),
    service_time_us: serviceTime ? summarize(serviceTime) : null,
    errors: [...counts.errors].sort((a, b) => b.count - a.count),
    histograms: { latency: encode(latency), service_time: serviceTime ? encode(serviceTime) : null },
  };
}

function threadCpu(t: ThreadResult): ThreadCpu {
  // the pacer's polling while it waits for a due time is idle, not work
  const wait = t.pacerWaitSec ?? 0;
  const utilization = t.cpuSec === null || t.wallSec <= 0 ? null : round(Math.max(0, t.cpuSec - wait) / t.wallSec, 3);
  return {
    thread: t.thread,
    wall_s: round(t.wallSec, 3),
    cpu_s: t.cpuSec === null ? null : round(t.cpuSec, 3),
    ...(t.pacerWaitSec === undefined ? {} : { pacer_wait_s: round(wait, 3) }),
    utilization,
    saturated: utilization !== null && utilization >= SATURATED_AT,
  };
}

/**
 * The rate calls actually went out at: sends over the window from the schedule's start to the last send
 * plus one interval. Completions would mix in the tail latency of the last calls, which is not the rate.
 */
export function achievedRate(threads: readonly ThreadResult[], rate: number): number {
  const sent = threads.reduce((n, t) => n + t.sent, 0);
  const window = Math.max(0, ...threads.map((t) => t.sendWindowSec)) + 1 / rate;
  return sent === 0 ? 0 : round(sent / window);
}

/** The report's `stages`, when the run had a rate or a concurrency schedule. */
function stagesOf(o: BenchOptions, points: readonly TimelinePoint[], threads: readonly ThreadResult[]) {
  const stages = o.stages ?? o.concurrencyStages;
  if (stages === undefined) return undefined;
  const measured = threads.map((t) => t.timeline.measured);
  return stagesReport(points, stages, o.warmupMs, measured);
}

/** A stage whose busiest load thread was saturated, though the run as a whole may not have been. */
function stageWarnings(stages: readonly StageReport[]): string[] {
  return stages.flatMap((s, i) =>
    s.loader_saturated
      ? [
          `stage ${i + 1} (${s.start_s}–${s.end_s} s): a load thread was busy ${Math.round((s.loader_utilization ?? 0) * 100)}% of the time: ` +
            "that stage's figures may measure the loader, not the server",
        ]
      : [],
  );
}

export function buildReport(input: SummaryInput): BenchReport {
  const { options: o, threads } = input;
  const durationS = Math.max(0, ...threads.map((t) => t.wallSec));
  const labels = labelsOf(o, threads);
  const services = labels.map((s) => serviceReport(s, threads, durationS));
  // A streaming run: streams take the place of calls in the totals.
  const streams = o.stream && streamsReport(streamWorkloadOf(o), o.stream, threads, durationS);
  const ok = streams ? streams.ok : services.reduce((n, s) => n + s.ok, 0);
  const failed = streams ? streams.failed : services.reduce((n, s) => n + s.failed, 0);
  const cpu = threads.map(threadCpu);
  const warnings: string[] = [...(o.notes ?? [])];
  for (const c of cpu) {
    if (c.saturated) {
      warnings.push(
        `load thread ${c.thread} was busy ${Math.round((c.utilization ?? 0) * 100)}% of the time: ` +
          "the figures may measure the loader, not the server (add --threads, or lower --concurrency)",
      );
    }
  }
  const timeline = timelineReport(threads, {
    intervalMs: o.intervalMs,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    rate: o.rate,
    ...(o.stages ? { stages: o.stages } : {}),
  });
  const distributed = distributedFields(input);
  warnings.push(...distributed.warnings);
  const stages = stagesOf(o, timeline.points, threads);
  if (stages) warnings.push(...stageWarnings(stages));
  const late = threads.reduce((n, t) => n + t.lateSends, 0);
  const rps = durationS > 0 ? round((ok + failed) / durationS) : 0;
  const rate: BenchReport["rate"] = {
    target: o.rate ?? null,
    achieved: o.rate === undefined ? rps : achievedRate(threads, o.rate),
    late_sends: late,
    late_after_ms: LATE_AFTER_MS,
    max_send_lag_us: Math.max(0, ...threads.map((t) => t.maxSendLagUs)),
    ...(o.rate === undefined ? {} : pacingOfThreads(threads)),
  };
  const busiest = Math.max(-1, ...cpu.map((c) => c.utilization ?? -1));
  warnings.push(...pacingWarnings(rate, o.stream ? "streams" : "calls", busiest < 0 ? null : busiest));
  // Saturated: a thread's CPU had no headroom, or the loader's own lag and stalls touched the schedule.
  const pacing = loaderPacing(rate);
  const saturated = cpu.some((c) => c.saturated) || (pacing !== undefined && pacing.share > PACING_WARN_SHARE);
  if (o.rate !== undefined && late > 0) {
    warnings.push(
      `${late} ${o.stream ? "streams were opened" : "calls were sent"} more than ${LATE_AFTER_MS} ms after they were due ` +
        "(no free slot, or the loader was busy); their latency counts from the due time",
    );
  }
  return {
    schema: REPORT_SCHEMA_ID,
    tool: input.tool,
    ...(o.name === undefined ? {} : { name: o.name }),
    ...(o.tags === undefined ? {} : { tags: o.tags }),
    started_at: input.startedAt.toISOString(),
    options: {
      server: formatAddress(o.server),
      transport: o.server.kind,
      service: o.call || o.streamWorkload ? "call" : o.service,
      ...(o.call ? { call: labels[0] as string } : {}),
      ...(o.streamWorkload ? { call: o.streamWorkload.label } : {}),
      connections: o.connections,
      concurrency: o.concurrency,
      threads: threads.length,
      requests: o.requests ?? null,
      duration_s: o.durationMs === undefined ? null : o.durationMs / 1000,
      rate: o.rate ?? null,
      ...(o.stages
        ? { stages: o.stages.map((s) => ({ duration_s: s.durationMs / 1000, from_rps: s.fromRps, to_rps: s.toRps })) }
        : {}),
      ...(o.concurrencyStages
        ? {
            concurrency_stages: o.concurrencyStages.map((s) => ({
              duration_s: s.durationMs / 1000,
              from: s.from,
              to: s.to,
            })),
          }
        : {}),
      warmup_s: o.warmupMs / 1000,
      ...(o.call || o.streamWorkload ? {} : { payload_size: o.payloadSize }),
      ...(o.serverDelayUs === undefined ? {} : { server_delay_us: o.serverDelayUs }),
      ...(o.serverBusyUs === undefined ? {} : { server_busy_us: o.serverBusyUs }),
      ...(o.service === "crypto" || o.service === "both" ? { algorithms: o.algorithms } : {}),
      ...(o.metadata && o.metadata.length > 0 ? { metadata: maskedMetadata(o.metadata) } : {}),
      ...(o.call ? { request: requestRecord(o.call) } : {}),
      timeout_ms: o.timeoutMs,
      preset: o.preset ?? null,
      client: o.client,
      tls: o.tls !== undefined,
    },
    machine: input.machine,
    mode: o.rate === undefined ? "closed-loop" : "open-loop",
    duration_s: round(durationS, 3),
    total: {
      requests: ok + failed,
      ok,
      failed,
      requests_per_second: rps,
    },
    rate,
    services,
    connections: threads.flatMap((t) => t.connections).sort((a, b) => a.index - b.index),
    loader: {
      threads: cpu,
      process_cpu_s: round(input.processCpuSec, 3),
      saturated,
      warnings,
    },
    aborted: input.aborted,
    timeline,
    ...(stages ? { stages } : {}),
    ...(streams ? { streams } : {}),
    ...distributed.fields,
  };
}

/** Metadata names whose values are credentials: recorded as sent, but not their values. */
const SECRET = /authorization|cookie|token|secret|password|api-?key/i;

function maskedMetadata(m: NonNullable<BenchOptions["metadata"]>): [string, string][] {
  return m.map(([k, v]) => [k, SECRET.test(k) ? "<masked>" : v]);
}

const INLINE_MAX = 1024;

/** What --call sent: -d as given (or its digest when long), -D's file, and where the schema came from. */
function requestRecord(c: CallTarget): NonNullable<BenchReport["options"]["request"]> {
  const s = c.schema;
  const schema =
    s.protoset !== undefined
      ? `protoset ${s.protoset}`
      : s.protos.length > 0
        ? `proto ${s.protos.join(", ")}${s.importPaths.length > 0 ? ` (import paths ${s.importPaths.join(", ")})` : ""}`
        : "reflection";
  const data =
    c.data === undefined
      ? {}
      : c.data.startsWith("@") || c.data.length <= INLINE_MAX
        ? { data: c.data }
        : { data_sha256: createHash("sha256").update(c.data).digest("hex") };
  return { ...data, ...(c.dataFile === undefined ? {} : { data_file: c.dataFile }), schema };
}
