// A finished run handed to the report: its options as the report states them (secrets masked, --call's request
// recorded), its sections and streaming method, and its load's targets over time; src/report/summary.ts builds
// the figures from that and the thread results. Pure.

import { createHash } from "node:crypto";
import { lengthOf, meanRate, planOf } from "../load/schedule.ts";
import { rateOfShare, stagesOfShare } from "../load/shape.ts";
import { isGrpc, wireName } from "../protocol/wire.ts";
import type { ThreadResult, WorkloadLabel } from "../report/records.ts";
import { type RunFacts, reportOf } from "../report/summary.ts";
import type { BenchReport } from "../report/types.ts";
import { formatAddress } from "../transport/address.ts";
import type { BenchOptions, CallTarget } from "./options.ts";
import { cpuListText } from "./pin-plan.ts";
import type { StartPlan } from "./start-at.ts";
import { streamWorkloadOf } from "./stream/workload.ts";
import { servicesOf } from "./workload.ts";

interface SummaryInput {
  readonly options: BenchOptions;
  readonly startedAt: Date;
  readonly threads: readonly ThreadResult[];
  readonly processCpuSec: number;
  readonly aborted: string | null;
  readonly machine: BenchReport["machine"];
  readonly tool: BenchReport["tool"];
  /** --start-at's plan and the measured clock offset (report/distributed.ts). */
  readonly start?: StartPlan;
  readonly clockOffsetMs?: number | null;
}

export function buildReport(input: SummaryInput): BenchReport {
  const { options: o, threads } = input;
  return reportOf({
    run: factsOf(o, threads),
    startedAt: input.startedAt,
    threads,
    processCpuSec: input.processCpuSec,
    aborted: input.aborted,
    machine: input.machine,
    tool: input.tool,
    distributed: {
      ...(o.startAtMs === undefined ? {} : { startAtMs: o.startAtMs }),
      ...(o.shard ? { shard: o.shard } : {}),
      ...(input.start ? { start: input.start } : {}),
      ...(input.clockOffsetMs === undefined ? {} : { clockOffsetMs: input.clockOffsetMs }),
    },
  });
}

/** The report's sections: echo/crypto as --service says (even with no calls), or --call's method. */
function labelsOf(o: BenchOptions, threads: readonly ThreadResult[]): WorkloadLabel[] {
  if (o.stream) return []; // a streaming run reports in its streams section
  if (o.call === undefined) return servicesOf(o.service);
  const seen = [...new Set(threads.flatMap((t) => t.services.map((s) => s.service)))];
  return seen.length > 0 ? seen : [o.call.method];
}

/** The load as this process states it: its share of the whole run's rate and stages, or the levels it ran. */
function targetsOf(o: BenchOptions) {
  if (o.load.kind === "closed") return { rate: undefined, stages: undefined, levels: o.load.plan?.stages };
  return { rate: rateOfShare(o.load), stages: stagesOfShare(o.load), levels: undefined };
}

/** The timeline's targets: --rate throughout, or with --stages each measured point's mean of the schedule. */
function timelineOf(o: BenchOptions): RunFacts["timeline"] {
  const { rate, stages } = targetsOf(o);
  const plan = stages ? planOf(stages) : undefined;
  return {
    intervalMs: o.intervalMs,
    warmupMs: o.warmupMs,
    durationMs: o.durationMs,
    rate,
    ...(plan
      ? {
          staged: {
            warmupRps: stages?.[0]?.toRps ?? rate,
            meanRps: (fromMs: number, toMs: number) => meanRate(plan, fromMs, Math.min(toMs, lengthOf(plan))),
          },
        }
      : {}),
  };
}

function factsOf(o: BenchOptions, threads: readonly ThreadResult[]): RunFacts {
  const labels = labelsOf(o, threads);
  const target = targetsOf(o);
  const stages = target.stages ?? target.levels;
  return {
    options: optionsOf(o, labels, threads.length),
    ...(o.name === undefined ? {} : { name: o.name }),
    ...(o.tags === undefined ? {} : { tags: o.tags }),
    labels,
    ...(o.stream ? { stream: { workload: streamWorkloadOf(o), settings: o.stream } } : {}),
    rate: target.rate,
    ...(stages ? { stages } : {}),
    timeline: timelineOf(o),
    notes: [...(o.notes ?? []), ...pinNotes(o)],
  };
}

/** --pin-cpus with no CPU left over: the runtime's threads share the load threads' cores, which the user
 * should know when reading stalls. */
function pinNotes(o: BenchOptions): string[] {
  if (o.pin === undefined || o.pin.runtime.length > 0) return [];
  return [
    `--pin-cpus ${cpuListText(o.pin.load)}: this process may use no other CPU, so the runtime's JIT and GC threads shared the load threads' cores (start it without taskset, or allow more CPUs)`,
  ];
}

/** The report's `options`: the run as asked for, this process's share of it. */
function optionsOf(o: BenchOptions, labels: readonly WorkloadLabel[], threads: number): BenchReport["options"] {
  const { rate, stages, levels } = targetsOf(o);
  return {
    server: formatAddress(o.server),
    transport: o.server.kind,
    service: o.call || o.streamWorkload ? "call" : o.service,
    ...(o.call ? { call: labels[0] as string } : {}),
    ...(o.streamWorkload ? { call: o.streamWorkload.label } : {}),
    connections: o.connections,
    concurrency: o.concurrency,
    threads,
    requests: o.requests ?? null,
    duration_s: o.durationMs === undefined ? null : o.durationMs / 1000,
    rate: rate ?? null,
    ...(stages
      ? { stages: stages.map((s) => ({ duration_s: s.durationMs / 1000, from_rps: s.fromRps, to_rps: s.toRps })) }
      : {}),
    ...(levels
      ? {
          concurrency_stages: levels.map((s) => ({
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
    ...(isGrpc(o.wire) ? {} : { protocol: wireName(o.wire), codec: o.wire.codec }),
    ...(o.httpGet ? { http_get: true } : {}),
    ...(o.http1 ? { http1: true } : {}),
    tls: o.tls !== undefined,
    ...(o.pin ? { pin_cpus: o.pin.load, runtime_cpus: o.pin.runtime } : {}),
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
