// Synthetic time series for scripts/report-soak.ts (10,000 intervals) and the loader's unit tests: a
// deterministic timeline added to a real saved report. The page tests use real runs' timelines.
import { encode, newHistogram } from "../../src/report/histogram.ts";
import type { TimelinePoint } from "../../src/report/rendered.ts";

/** A small deterministic pseudo-random sequence (mulberry32), so fixtures are the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EMPTY = encode(newHistogram());

export interface SyntheticOptions {
  readonly intervals: number;
  readonly warmup: number;
  /** calls/s around which achieved_rps varies. */
  readonly rps: number;
  readonly target: number | null;
  /** Latency around which each interval's figures vary, µs. */
  readonly p50Us: number;
  /** A filled HDR histogram per interval (costly for 10,000 intervals); else each an empty one. */
  readonly histograms: boolean;
  readonly seed?: number;
}

export function syntheticTimeline(o: SyntheticOptions): { interval_s: number; points: TimelinePoint[] } {
  const rnd = random(o.seed ?? 15);
  const points: TimelinePoint[] = [];
  for (let i = 0; i < o.intervals; i++) {
    const warmup = i < o.warmup;
    const ok = Math.round(o.rps * (0.85 + 0.3 * rnd()) * (warmup ? 0.6 : 1));
    const failed = i % 7 === 3 ? 1 + Math.floor(rnd() * 5) : 0;
    const base = o.p50Us * (0.8 + 0.4 * rnd()) * (warmup ? 1.8 : 1);
    const latency = {
      p50: Math.round(base),
      p90: Math.round(base * 1.8),
      p99: Math.round(base * (4 + 3 * rnd())),
      p99_9: Math.round(base * (9 + 6 * rnd())),
      max: Math.round(base * (15 + 20 * rnd())),
    };
    let histogram = EMPTY;
    if (o.histograms) {
      const h = newHistogram();
      h.recordValueWithCount(latency.p50, Math.max(ok - 3, 1));
      h.recordValue(latency.p99);
      h.recordValue(latency.p99_9);
      h.recordValue(latency.max);
      histogram = encode(h);
    }
    points.push({
      start_s: i,
      end_s: i + 1,
      warmup,
      ok,
      failed,
      errors: failed > 0 ? [{ code: 14, count: failed }] : [],
      target_rps: o.target,
      achieved_rps: ok + failed,
      latency_us: ok > 0 ? latency : null,
      histogram,
    });
  }
  return { interval_s: 1, points };
}

/** A version 2 document: `v1` (a real bench report) with a synthetic timeline. */
export function withTimeline(v1: Record<string, unknown>, o: SyntheticOptions): Record<string, unknown> {
  return { ...v1, schema: "grpcperf-bench-report/2", timeline: syntheticTimeline(o) };
}
