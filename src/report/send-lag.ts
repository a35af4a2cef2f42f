// The send-lag block every renderer shows for an open-loop run: how far after its due time each call left
// (p50/p99/p99.9/max of sent − due) and the loader's stalls, for the run and per stage. Kept in one place so
// text, markdown, HTML and compare say the same thing. Pure.

import { escapeXml as esc } from "./svg.ts";
import { formatMicros } from "./threshold.ts";
import type { BenchReport, SendLagSummary } from "./types.ts";

/** `p50 3 µs, p99 12 µs, p99.9 40 µs, max 1.20 ms`. */
const sendLagText = (l: SendLagSummary): string =>
  `p50 ${formatMicros(l.p50)}, p99 ${formatMicros(l.p99)}, p99.9 ${formatMicros(l.p99_9)}, max ${formatMicros(l.max)}`;

/** The run's send lag and stalls as lines; none for a closed loop or a report from before send lag. */
export function sendLagLines(r: BenchReport): string[] {
  const m = r.streams?.message_send_lag_us;
  const messages = m ? [`Message send lag (--stream-rate, sent − due): ${sendLagText(m)}`] : [];
  const l = r.rate.send_lag_us;
  if (l === undefined) return messages;
  const unit = r.streams ? "streams" : "calls";
  const lines = [
    l === null ? "Send lag (sent − due): nothing sent" : `Send lag (sent − due): ${sendLagText(l)}`,
    ...messages,
  ];
  const s = r.rate.stalls;
  if (s)
    lines.push(
      `Loader stalls (blocked > ${s.stall_ms} ms): ${s.count}` +
        (s.count > 0
          ? `, ${s.total_ms} ms in all, longest ${s.longest_ms} ms; ${s.calls_due} ${unit} due during them`
          : "") +
        (s.preempted === undefined ? "" : `; the OS preempted the load threads ${s.preempted} times`),
    );
  return lines;
}

/** Per stage: `Stage 1 send lag: p50 …`; none without send lag. */
export function stageSendLagLines(r: BenchReport): string[] {
  return (r.stages ?? []).flatMap((s, i) =>
    s.send_lag_us ? [`Stage ${i + 1} send lag: ${sendLagText(s.send_lag_us)}`] : [],
  );
}

/** The HTML page's table: one row per open-loop run (and its stages), nothing when no run has send lag. */
export function sendLagTable(runs: readonly { readonly report: BenchReport }[], label: (i: number) => string): string {
  const cell = (v: unknown, attrs = "") => `<td${attrs}>${esc(v === null || v === undefined ? "–" : String(v))}</td>`;
  const rows = runs.flatMap((n, i) => {
    const r = n.report;
    if (r.rate.send_lag_us === undefined) return [];
    const at = (what: string, metric: string) => ` data-run="${i}" data-part="${what}" data-metric="${metric}"`;
    const line = (what: string, l: SendLagSummary | null | undefined, stalls: string) =>
      `<tr><td class="l">${label(i)}</td><td class="l">${esc(what)}</td>${cell(l?.p50, at(what, "p50"))}${cell(l?.p99, at(what, "p99"))}${cell(l?.p99_9, at(what, "p99_9"))}${cell(l?.max, at(what, "max"))}<td class="l">${esc(stalls)}</td></tr>`;
    const s = r.rate.stalls;
    const stalls = s
      ? `${s.count} (${s.total_ms} ms in all, longest ${s.longest_ms} ms; ${s.calls_due} due during them)`
      : "–";
    return [
      line("run", r.rate.send_lag_us, stalls),
      ...(r.stages ?? []).flatMap((st, k) => (st.send_lag_us ? [line(`stage ${k + 1}`, st.send_lag_us, "")] : [])),
    ];
  });
  if (rows.length === 0) return "";
  return `<h2>Send lag</h2><table data-table="send-lag"><tr><th class="l">run</th><th class="l">part</th><th>p50 µs</th><th>p99 µs</th><th>p99.9 µs</th><th>max µs</th><th class="l">loader stalls</th></tr>${rows.join("")}</table><p class="note">Send lag: how long after its due time each call left (sent − due). Latency counts from the due time either way.</p>`;
}
