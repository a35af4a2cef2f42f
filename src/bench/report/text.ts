// The human report. Its first lines per service are the replaced system's, character for character
// (scripts grep them): "=== Echo Service Benchmark Results ===", "Total requests: N", … "Max latency: N μs".
import type { LatencySummary } from "../histogram.ts";
import type { BenchReport, ServiceReport } from "./types.ts";

const TITLES: Readonly<Record<string, string>> = { echo: "Echo Service", crypto: "Crypto Service" };

const us = (n: number) => `${n} μs`;

function percentileLines(label: string, l: LatencySummary): string[] {
  return [
    `${label}:`,
    `  p50:    ${us(l.p50)}`,
    `  p90:    ${us(l.p90)}`,
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

function runSection(r: BenchReport): string[] {
  const lines = ["=== Run ==="];
  if (r.mode === "open-loop") {
    lines.push(
      `Mode: open loop, target rate ${r.rate.target}/s, achieved ${r.rate.achieved.toFixed(2)}/s`,
      `Late sends: ${r.rate.late_sends} (more than ${r.rate.late_after_ms} ms after due; worst ${(r.rate.max_send_lag_us / 1000).toFixed(2)} ms)`,
    );
  } else {
    lines.push(`Mode: closed loop, achieved ${r.rate.achieved.toFixed(2)}/s`);
  }
  const calls = r.connections.map((c) => c.calls);
  lines.push(
    `Connections: ${r.connections.length}, calls in flight at most ${r.options.concurrency}` +
      (calls.length > 0 ? ` (calls per connection: min ${Math.min(...calls)}, max ${Math.max(...calls)})` : ""),
  );
  const cpu = r.loader.threads
    .map((t) => `#${t.thread} ${t.utilization === null ? "?" : `${Math.round(t.utilization * 100)}%`}`)
    .join(", ");
  lines.push(`Loader CPU: ${cpu} of a core per thread; process ${r.loader.process_cpu_s.toFixed(2)} s CPU`);
  for (const w of r.loader.warnings) lines.push(`WARNING: ${w}`);
  if (r.aborted) lines.push(`ABORTED: ${r.aborted} (partial results)`);
  return lines;
}

export function formatText(r: BenchReport): string {
  const sections = [...r.services.map((s) => serviceSection(s, r)), runSection(r)];
  return `${sections.map((s) => s.join("\n")).join("\n\n")}\n`;
}
