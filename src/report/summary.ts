// Thread results → one BenchReport, given the run as the report states it (RunFacts, made by the runner's
// side in bench/summary.ts). Pure: merging histograms, adding counters, judging saturation and pacing.
import { statusName } from "../rpc/status.ts";
import { type DistributedInput, distributedFields } from "./distributed.ts";
import { encode, type Histogram, merge, summarize } from "./histogram.ts";
import { LATE_AFTER_MS, SATURATED_AT } from "./marks.ts";
import { outagesOfThreads } from "./outages.ts";
import { loaderPacing, PACING_WARN_SHARE, pacingOfThreads, pacingWarnings } from "./pacing.ts";
import type { ThreadResult, WorkloadLabel } from "./records.ts";
import { type StageTarget, stagesReport } from "./stages.ts";
import { type StreamRun, streamsReport } from "./streams.ts";
import { type TimelineInput, timelineReport } from "./timeline.ts";
import {
  type BenchReport,
  type ErrorRow,
  REPORT_SCHEMA_ID,
  type ServiceReport,
  type StageReport,
  type ThreadCpu,
} from "./types.ts";

/** The run as the report states it and needs it: what was asked for, not how the runner holds it. */
export interface RunFacts {
  /** The report's `options` block (the runner masks secrets and records --call's request there). */
  readonly options: BenchReport["options"];
  readonly name?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** The report's sections: echo/crypto as --service says (even with no calls), or --call's method; none
   * for a streaming run, which reports in its streams section. */
  readonly labels: readonly WorkloadLabel[];
  readonly stream?: StreamRun;
  /** Open loop: this process's target rate (with stages, their mean); undefined: a closed loop. */
  readonly rate: number | undefined;
  /** --stages / --load-schedule, or --concurrency-stages / --concurrency-schedule. */
  readonly stages?: readonly StageTarget[];
  readonly timeline: TimelineInput;
  /** What option resolution changed from what was asked: the first warnings. */
  readonly notes: readonly string[];
}

interface ReportInput {
  readonly run: RunFacts;
  readonly startedAt: Date;
  readonly threads: readonly ThreadResult[];
  readonly processCpuSec: number;
  readonly aborted: string | null;
  readonly machine: BenchReport["machine"];
  readonly tool: BenchReport["tool"];
  /** --start-at and --shard: what the run adds to the report as one of several (distributed.ts). */
  readonly distributed: DistributedInput;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

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
    ...(t.cpus === undefined ? {} : { cpus: t.cpus }),
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

/** The report's `stages`, when the run had a rate or a concurrency schedule. */
function stagesOf(run: RunFacts, points: BenchReport["timeline"], threads: readonly ThreadResult[]) {
  if (run.stages === undefined || points === undefined) return undefined;
  const measured = threads.map((t) => t.timeline.measured);
  return stagesReport(points.points, run.stages, run.timeline.warmupMs, measured);
}

/** A WARNING per load thread that was saturated. */
function cpuWarnings(cpu: readonly ThreadCpu[]): string[] {
  return cpu.flatMap((c) =>
    c.saturated
      ? [
          `load thread ${c.thread} was busy ${Math.round((c.utilization ?? 0) * 100)}% of the time: ` +
            "the figures may measure the loader, not the server (add --threads, or lower --concurrency)",
        ]
      : [],
  );
}

/** The report's `rate`: the target, what was achieved, and (open loop) how well the schedule was kept. */
function rateOf(run: RunFacts, threads: readonly ThreadResult[], rps: number): BenchReport["rate"] {
  return {
    target: run.rate ?? null,
    achieved: run.rate === undefined ? rps : achievedRate(threads, run.rate),
    late_sends: threads.reduce((n, t) => n + t.lateSends, 0),
    late_after_ms: LATE_AFTER_MS,
    max_send_lag_us: Math.max(0, ...threads.map((t) => t.maxSendLagUs)),
    ...(run.rate === undefined ? {} : pacingOfThreads(threads)),
  };
}

/** The report's `loader`: each thread's CPU, whether the loader saturated, and every WARNING of the run. */
function loaderOf(
  run: RunFacts,
  cpu: readonly ThreadCpu[],
  rate: BenchReport["rate"],
  processCpuSec: number,
  warnings: readonly string[],
): BenchReport["loader"] {
  const out = [...warnings];
  const busiest = Math.max(-1, ...cpu.map((c) => c.utilization ?? -1));
  out.push(...pacingWarnings(rate, run.stream ? "streams" : "calls", busiest < 0 ? null : busiest));
  // Saturated: a thread's CPU had no headroom, or the loader's own lag and stalls touched the schedule.
  const pacing = loaderPacing(rate);
  const saturated = cpu.some((c) => c.saturated) || (pacing !== undefined && pacing.share > PACING_WARN_SHARE);
  if (run.rate !== undefined && rate.late_sends > 0) {
    out.push(
      `${rate.late_sends} ${run.stream ? "streams were opened" : "calls were sent"} more than ${LATE_AFTER_MS} ms after they were due ` +
        "(no free slot, or the loader was busy); their latency counts from the due time",
    );
  }
  return { threads: cpu, process_cpu_s: round(processCpuSec, 3), saturated, warnings: out };
}

export function reportOf(input: ReportInput): BenchReport {
  const { run, threads } = input;
  const durationS = Math.max(0, ...threads.map((t) => t.wallSec));
  const services = run.labels.map((s) => serviceReport(s, threads, durationS));
  // A streaming run: streams take the place of calls in the totals.
  const streams = run.stream && streamsReport(run.stream, threads, durationS);
  const ok = streams ? streams.ok : services.reduce((n, s) => n + s.ok, 0);
  const failed = streams ? streams.failed : services.reduce((n, s) => n + s.failed, 0);
  const cpu = threads.map(threadCpu);
  const warnings: string[] = [...run.notes, ...cpuWarnings(cpu)];
  const timeline = timelineReport(threads, run.timeline);
  const distributed = distributedFields(input.distributed, threads);
  warnings.push(...distributed.warnings);
  const stages = stagesOf(run, timeline, threads);
  if (stages) warnings.push(...stageWarnings(stages));
  const rps = durationS > 0 ? round((ok + failed) / durationS) : 0;
  const rate = rateOf(run, threads, rps);
  const outages = outagesOfThreads(threads, input.startedAt.getTime() + run.timeline.warmupMs);
  return {
    schema: REPORT_SCHEMA_ID,
    tool: input.tool,
    ...(run.name === undefined ? {} : { name: run.name }),
    ...(run.tags === undefined ? {} : { tags: run.tags }),
    started_at: input.startedAt.toISOString(),
    options: run.options,
    machine: input.machine,
    mode: run.rate === undefined ? "closed-loop" : "open-loop",
    duration_s: round(durationS, 3),
    total: { requests: ok + failed, ok, failed, requests_per_second: rps },
    rate,
    services,
    connections: threads.flatMap((t) => t.connections).sort((a, b) => a.index - b.index),
    loader: loaderOf(run, cpu, rate, input.processCpuSec, warnings),
    aborted: input.aborted,
    timeline,
    ...(stages ? { stages } : {}),
    ...(streams ? { streams } : {}),
    ...(outages ? { outages } : {}),
    ...distributed.fields,
  };
}
