// The human report. Its first lines per service are the replaced system's, character for character
// (scripts grep them): "=== Echo Service Benchmark Results ===", "Total requests: N", … "Max latency: N μs".

import type { LatencySummary } from "./histogram.ts";
import { outageLines } from "./outage-text.ts";
import { sendLagLines, stageSendLagLines } from "./send-lag.ts";
import { stagesSection } from "./stages-text.ts";
import type { BenchReport, ServiceReport, StreamsReport } from "./types.ts";

const TITLES: Readonly<Record<string, string>> = { echo: "Echo Service", crypto: "Crypto Service" };

const us = (n: number) => `${n} μs`;

function percentileLines(label: string, l: LatencySummary): string[] {
  return [
    `${label}:`,
    `  p50:    ${us(l.p50)}`,
    `  p90:    ${us(l.p90)}`,
    ...(l.p95 === undefined ? [] : [`  p95:    ${us(l.p95)}`]),
    `  p99:    ${us(l.p99)}`,
    `  p99.9:  ${us(l.p999)}`,
    `  p99.99: ${us(l.p9999)}`,
    `  stddev: ${us(l.stddev)}`,
  ];
}

function serviceSection(s: ServiceReport, r: BenchReport): string[] {
  const lines = [
    `=== ${TITLES[s.service] ?? s.service} Benchmark Results ===`,
    `Total requests: ${s.total}`,
    `Successful requests: ${s.ok}`,
    `Failed requests: ${s.failed}`,
    `Success rate: ${s.success_rate.toFixed(2)}%`,
    `Duration: ${r.duration_s.toFixed(2)}s`,
    `Requests per second: ${s.requests_per_second.toFixed(2)}`,
  ];
  const l = s.latency_us;
  if (l) {
    lines.push(`Average latency: ${l.mean.toFixed(2)} μs`, `Min latency: ${us(l.min)}`, `Max latency: ${us(l.max)}`);
    const open = r.mode === "open-loop";
    lines.push(
      ...percentileLines(open ? "Latency percentiles (from the time each call was due)" : "Latency percentiles", l),
    );
  }
  if (s.service_time_us) {
    const t = s.service_time_us;
    lines.push(...percentileLines(`Service time (sent → answered; mean ${t.mean.toFixed(2)} μs, max ${us(t.max)})`, t));
  }
  if (s.errors.length > 0) {
    lines.push("Errors by status:");
    for (const e of s.errors) lines.push(`  ${e.status} (${e.code}): ${e.count}  e.g. "${e.example}"`);
  }
  return lines;
}

const STREAM_MEASURE_LINES: readonly [keyof StreamsReport, string][] = [
  ["round_trip_us", "Per-message round trip"],
  ["service_time_us", "Per-message service time (sent → reply)"],
  ["first_message_us", "Time to first message"],
  ["gap_us", "Gap between messages"],
  ["to_response_us", "Time to response (from half-close)"],
  ["from_first_send_us", "Time to response (from first send)"],
  ["duration_us", "Stream duration"],
];

function streamSection(s: StreamsReport, r: BenchReport): string[] {
  const pacing =
    s.kind === "server"
      ? "one request, then the server's messages"
      : s.message_rate !== null
        ? `${s.messages_per_stream} messages per stream, paced at ${s.message_rate}/s (latency from each message's due time)`
        : s.kind === "bidi"
          ? `${s.messages_per_stream} messages per stream, ping-pong (each waits for the previous reply)`
          : `${s.messages_per_stream} messages per stream, back to back`;
  const lines = [
    `=== Stream Benchmark Results: ${s.method} (${s.kind}) ===`,
    pacing + (s.match ? `; replies matched by ${s.match}` : ""),
    `Streams: ${s.total} (${s.ok} ok, ${s.failed} failed), ${s.cancelled} cancelled at the end of the run`,
    `Success rate: ${s.success_rate.toFixed(2)}%`,
    `Duration: ${r.duration_s.toFixed(2)}s`,
    `Streams per second: ${s.streams_per_second.toFixed(2)}`,
    `Messages sent: ${s.messages.sent} (${s.messages.sent_per_second.toFixed(2)}/s)`,
    `Messages received: ${s.messages.received} (${s.messages.received_per_second.toFixed(2)}/s)`,
  ];
  for (const [key, label] of STREAM_MEASURE_LINES) {
    const l = s[key] as LatencySummary | null;
    if (!l) continue;
    lines.push(
      `${label}: n=${l.count} min ${us(l.min)}, mean ${l.mean.toFixed(2)} μs, max ${us(l.max)}`,
      `  p50 ${us(l.p50)}  p90 ${us(l.p90)}${l.p95 === undefined ? "" : `  p95 ${us(l.p95)}`}  p99 ${us(l.p99)}  p99.9 ${us(l.p999)}`,
    );
  }
  if (s.errors.length > 0) {
    lines.push("Errors by status (streams):");
    for (const e of s.errors) lines.push(`  ${e.status} (${e.code}): ${e.count}  e.g. "${e.example}"`);
  }
  return lines;
}

const round2 = (x: number | null) => Math.round((x ?? 0) * 100) / 100;
/** --stages as given: 10s:0-1000, 30s:1000. */
const stagesText = (stages: NonNullable<BenchReport["options"]["stages"]>) =>
  stages.map((s) => `${s.duration_s}s:${s.from_rps === s.to_rps ? s.to_rps : `${s.from_rps}-${s.to_rps}`}`).join(",");

function runSection(r: BenchReport): string[] {
  const lines = ["=== Run ==="];
  if (r.mode === "open-loop") {
    lines.push(
      `Mode: open loop, target ${r.options.stages ? `stages ${stagesText(r.options.stages)} (mean ${round2(r.rate.target)}/s)` : `rate ${r.rate.target}/s`}, achieved ${r.rate.achieved.toFixed(2)}/s`,
      `Late sends: ${r.rate.late_sends} (more than ${r.rate.late_after_ms} ms after due; worst ${(r.rate.max_send_lag_us / 1000).toFixed(2)} ms)`,
    );
  } else {
    const levels = r.options.concurrency_stages;
    // FROM-TO always: in the grammar a lone N ramps from the previous level
    const schedule = levels
      ? `, concurrency stages ${levels.map((s) => `${s.duration_s}s:${s.from}-${s.to}`).join(",")} (peak ${r.options.concurrency})`
      : "";
    lines.push(`Mode: closed loop${schedule}, achieved ${r.rate.achieved.toFixed(2)}/s`);
  }
  const calls = r.connections.map((c) => c.calls);
  lines.push(
    `Connections: ${r.connections.length}, ${r.streams ? "streams open" : "calls in flight"} at most ${r.options.concurrency}` +
      (calls.length > 0
        ? ` (${r.streams ? "streams" : "calls"} per connection: min ${Math.min(...calls)}, max ${Math.max(...calls)})`
        : ""),
  );
  const cpu = r.loader.threads
    .map(
      (t) =>
        `${t.shard === undefined ? "" : `shard ${t.shard} `}#${t.thread} ${t.utilization === null ? "?" : `${Math.round(t.utilization * 100)}%`}`,
    )
    .join(", ");
  lines.push(`Loader CPU: ${cpu} of a core per thread; process ${r.loader.process_cpu_s.toFixed(2)} s CPU`);
  const pin = r.options.pin_cpus;
  if (pin !== undefined) {
    const rest = r.options.runtime_cpus ?? [];
    // more load threads than CPUs: they take turns on them, and none of their pacers may spin (pacer.ts)
    const shared =
      r.options.threads > pin.length
        ? `; ${r.options.threads} load threads share ${pin.length === 1 ? "it" : "them"}, so none has a core of its own (give one CPU per thread)`
        : "";
    lines.push(
      `Loader pinned: load threads on CPU ${pin.join(",")}; the runtime's own threads on ${rest.length > 0 ? `CPU ${rest.join(",")}` : "the same CPUs"}${shared}`,
    );
  }
  lines.push(...distributedLines(r));
  // send lag: how closely the open loop kept its schedule
  lines.push(...sendLagLines(r), ...stageSendLagLines(r));
  // issue 30: how long the server was not there, window by window
  lines.push(...outageLines(r));
  for (const w of r.loader.warnings) lines.push(`WARNING: ${w}`);
  if (r.aborted) lines.push(`ABORTED: ${r.aborted} (partial results)`);
  return lines;
}

/** A shard's or a merged run's line: which shards, and how far from --start-at each started. */
function distributedLines(r: BenchReport): string[] {
  const ms = (x: number | null) => (x === null ? "?" : `${x.toFixed(1)} ms`);
  if (r.shards) {
    const s = r.shards;
    const offsets = s.runs.map((x) => x.start_offset_ms).filter((x): x is number => x !== null);
    return [
      `Shards: ${s.present.length} of ${s.count} merged` +
        (s.missing.length > 0 ? `, missing ${s.missing.join(", ")}` : "") +
        (s.failed.length > 0 ? `, failed ${s.failed.map((f) => f.index).join(", ")}` : "") +
        (offsets.length > 0 ? `; start offsets ${ms(Math.min(...offsets))} to ${ms(Math.max(...offsets))}` : ""),
    ];
  }
  const lines: string[] = [];
  if (r.shard) lines.push(`Shard: ${r.shard.index}/${r.shard.count} of the whole run's load`);
  if (r.start_at)
    lines.push(
      `Start: --start-at ${r.start_at.requested}, measured from ${ms(r.start_at.offset_ms)} after it` +
        (r.start_at.clock_offset_ms === null ? "" : ` (server clock ${ms(r.start_at.clock_offset_ms)} from ours)`),
    );
  return lines;
}

export function formatText(r: BenchReport): string {
  const sections = [
    ...r.services.map((s) => serviceSection(s, r)),
    ...(r.streams ? [streamSection(r.streams, r)] : []),
    ...(r.stages && r.stages.length > 0 ? [stagesSection(r)] : []),
    runSection(r),
  ];
  return `${sections.map((s) => s.join("\n")).join("\n\n")}\n`;
}
