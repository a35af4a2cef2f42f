// The outages on the HTML page (issue 30): a shaded window with its length on the time-series charts, and a
// table of every window. Every figure is the JSON's, shown readably with the exact one in data-value. Pure.

import { counted, formatOutageMs, outagesSummary, recoveryText, timeOfDay } from "./outage-text.ts";
import type { NamedRendered } from "./rendered.ts";
import type { RunStyle } from "./stages-html.ts";
import { type ChartWindow, escapeXml as esc } from "./svg.ts";
import type { BenchReport } from "./types.ts";

const cell = (v: unknown, attrs = "") => `<td${attrs}>${esc(v === null || v === undefined ? "–" : String(v))}</td>`;
const lcell = (v: unknown) => cell(v, ' class="l"');
const msCell = (v: number | null, attrs: string) =>
  v === null ? cell(null, attrs) : `<td${attrs} data-value="${v}" title="${v} ms">${esc(formatOutageMs(v))}</td>`;

/**
 * Each run's outages on the charts' axis: `zero` is where a run's 0 lies on the wall clock (s since the epoch:
 * its measured start, as the charts align runs). A window still open at the end reads "≥ its length".
 */
export function outageWindows(
  runs: readonly (readonly [NamedRendered, number])[],
  style: RunStyle & { readonly zero: (n: NamedRendered) => number },
): ChartWindow[] {
  const several = runs.length > 1;
  return runs.flatMap(([n, i]) => {
    const o = n.report.outages;
    if (o === undefined) return [];
    const zero = style.zero(n);
    const unit = n.report.streams ? "streams" : "calls";
    return o.windows.map((w) => {
      const from = Date.parse(w.start) / 1000 - zero;
      const length = formatOutageMs(w.duration_ms);
      return {
        from,
        to: from + w.duration_ms / 1000,
        text: w.end === null ? `≥ ${length}` : length,
        title: `${several ? `${style.name(n)}: ` : ""}outage of ${length} from ${timeOfDay(w.start)} UTC, ${counted(w.failed, unit)} failed (${w.first_error}), ${recoveryText(w)}`,
        ...(several ? { color: style.color(i) } : {}),
      };
    });
  });
}

/** One row per window of every run that had outages; nothing when none had. */
export function outagesSection(runs: readonly NamedRendered[], style: RunStyle): string {
  const rows = runs.flatMap((n, i) =>
    (n.report.outages?.windows ?? []).map((w, k) => {
      const at = (metric: string) => ` data-run="${i}" data-outage="${k}" data-metric="${metric}"`;
      return `<tr><td class="l">${style.label(n, i)}</td>${cell(k + 1)}<td class="l" title="${esc(w.start)}">${esc(timeOfDay(w.start))}</td>${msCell(w.duration_ms, at("duration_ms"))}${cell(w.failed, at("failed"))}${lcell(w.first_error)}${msCell(w.reconnect_to_ok_ms, at("reconnect_to_ok_ms"))}${lcell(recoveryText(w))}</tr>`;
    }),
  );
  if (rows.length === 0) return "";
  return `<h2>Outages</h2><table data-table="outages"><tr><th class="l">run</th><th>#</th><th class="l">from (UTC)</th><th>length</th><th>failed</th><th class="l">first error</th><th>reconnect → first ok</th><th class="l">recovery</th></tr>${rows.join("")}</table><p class="note">An outage: calls failed for want of a server, or no connection was ready; every thread's and shard's windows as one union on the wall clock. A slow server is not down.</p>`;
}

/** The page's warning line for a run with outages (`name` already escaped); none without. */
export function outageWarning(r: BenchReport, name: string): string[] {
  const o = r.outages;
  if (o === undefined) return [];
  const summary = outagesSummary(o, r.streams ? "streams" : "calls");
  return [`<div class="warning" data-warning="outage">${name}: ${esc(summary)}</div>`];
}
