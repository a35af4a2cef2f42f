// The latency percentile spectrum of an HDR histogram on HdrHistogram's own x axis, log10(1/(1−p)): p0 at 0,
// p90 at 1, p99 at 2, p99.9 at 3, p99.99 at 4 — so the tail gets as much width as the median.
import { decode } from "./histogram.ts";

/** x: log10(1/(1−p)); value: µs at that percentile. */
interface SpectrumPoint {
  readonly x: number;
  readonly percentile: number;
  readonly value: number;
}

export const SPECTRUM_MAX_X = 4;

export const percentileAt = (x: number) => (1 - 10 ** -x) * 100;

/** `steps` + 1 points from p0 to p99.99; empty for an empty histogram. */
export function spectrum(encoded: string, steps = 160): SpectrumPoint[] {
  const h = decode(encoded);
  if (h.totalCount === 0) return [];
  const out: SpectrumPoint[] = [];
  for (let i = 0; i <= steps; i++) {
    const x = (SPECTRUM_MAX_X * i) / steps;
    const percentile = percentileAt(x);
    out.push({ x, percentile, value: h.getValueAtPercentile(percentile) });
  }
  return out;
}
