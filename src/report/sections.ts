// A report's sections as one shape — each services[] entry, and a streaming run's streams section — for
// readers that judge or compare figures (threshold.ts, compare.ts) without caring which kind of run it was.
import type { LatencySummary } from "./histogram.ts";
import type { BenchReport, ServiceReport } from "./types.ts";

/** A services[] entry, or a streaming run's streams section (then per stream, latency per message if bidi). */
export interface Section {
  readonly label: string;
  readonly total: number;
  readonly ok: number;
  readonly failed: number;
  readonly perSecond: number;
  readonly latency: LatencySummary | null;
  readonly histogram: string | null;
}

/** The latency figures a summary shows, in order: the name people read, and the LatencySummary key. */
export const LATENCY_FIGURES = [
  ["p50", "p50"],
  ["p90", "p90"],
  ["p95", "p95"],
  ["p99", "p99"],
  ["p99.9", "p999"],
  ["p99.99", "p9999"],
  ["max", "max"],
] as const;

export function sectionsOf(r: BenchReport): Section[] {
  const out: Section[] = r.services.map((s: ServiceReport) => ({
    label: s.service,
    total: s.total,
    ok: s.ok,
    failed: s.failed,
    perSecond: s.requests_per_second,
    latency: s.latency_us,
    histogram: s.histograms.latency,
  }));
  const st = r.streams;
  if (st !== undefined) {
    // Per message where the kind has a round trip (bidi), else per stream (start → end).
    const roundTrip = st.round_trip_us !== null;
    out.push({
      label: st.method,
      total: st.total,
      ok: st.ok,
      failed: st.failed,
      perSecond: st.streams_per_second,
      latency: roundTrip ? st.round_trip_us : st.duration_us,
      histogram: roundTrip ? st.histograms.round_trip : st.histograms.duration,
    });
  }
  return out;
}
