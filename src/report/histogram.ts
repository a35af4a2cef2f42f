// Latency histograms: HDR, microseconds, 3 significant digits, no sample cap. Each thread records into
// its own; they cross the thread boundary in HDR's compressed encoding and are merged by adding.
import * as hdr from "hdr-histogram-js";

export type Histogram = hdr.Histogram;

export function newHistogram(): Histogram {
  // Pure JS, not the WebAssembly build: nothing to load at run time in the compiled binary.
  return hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Records a duration given in ms (performance.now() differences) as whole microseconds, at least 1. */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(Math.max(us, 1));
}

/** zlib's fastest level: for snapshots that live one progress tick, where compressing costs the loader time. */
export const FAST = 1;

/** HDR's compressed base64 at zlib's default level, or `level` (1 fastest … 9 smallest). */
export function encode(h: Histogram, level?: number): string {
  return hdr.encodeIntoCompressedBase64(h, level);
}

/** A histogram's counts as (bucket index, count) pairs: a copy that costs its non-empty buckets only. */
interface SparseCounts {
  readonly index: Uint32Array;
  readonly count: Float64Array;
}

/** hdr's JS histogram, as far as the sparse copy reads it (public in its JsHistogram class). */
interface Buckets {
  readonly countsArrayLength: number;
  getCountAtIndex(i: number): number;
  valueFromIndex(i: number): number;
}

/**
 * The counts of `h` without encoding them: a loop over its buckets, tens of µs, where an encode is 0.5–1 ms
 * in a load thread (hdr's JS encoder and zlib), too long between two calls due 1 ms apart.
 */
export function sparseCounts(h: Histogram): SparseCounts {
  const b = h as unknown as Buckets;
  let n = 0;
  for (let i = 0; i < b.countsArrayLength; i++) if (b.getCountAtIndex(i) > 0) n++;
  const index = new Uint32Array(n);
  const count = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < b.countsArrayLength && k < n; i++) {
    const c = b.getCountAtIndex(i);
    if (c > 0) {
      index[k] = i;
      count[k++] = c;
    }
  }
  return { index, count };
}

/** The histogram whose counts these are (its buckets' lowest values recorded with their counts). */
export function fromSparse(s: SparseCounts): Histogram {
  const h = newHistogram();
  const b = h as unknown as Buckets;
  for (let k = 0; k < s.index.length; k++) {
    h.recordValueWithCount(b.valueFromIndex(s.index[k] as number), s.count[k] as number);
  }
  return h;
}

/** Histograms added into a new one, none of them changed. */
export function sum(histograms: readonly Histogram[]): Histogram {
  const total = newHistogram();
  for (const h of histograms) total.add(h);
  return total;
}

export function decode(encoded: string): Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}

export function merge(encoded: readonly string[]): Histogram {
  const total = newHistogram();
  for (const e of encoded) total.add(decode(e)); // one decoded at a time: a long timeline has thousands
  return total;
}

export interface LatencySummary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly stddev: number;
  readonly p50: number;
  readonly p90: number;
  /** k6's and ghz's headline figure; absent in reports saved before it was added. */
  readonly p95?: number;
  readonly p99: number;
  readonly p999: number;
  readonly p9999: number;
  readonly max: number;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** All in µs. min/max are HDR's, so equal to the recorded values within 3 significant digits. */
export function summarize(h: Histogram): LatencySummary | null {
  if (h.totalCount === 0) return null;
  return {
    count: h.totalCount,
    min: h.minNonZeroValue,
    mean: round1(h.mean),
    stddev: round1(h.stdDeviation),
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p95: h.getValueAtPercentile(95),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    p9999: h.getValueAtPercentile(99.99),
    max: h.maxValue,
  };
}
