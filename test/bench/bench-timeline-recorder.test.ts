// The timeline's interval recorder and its merge, with made-up times: pure, no sockets.
import { expect, test } from "bun:test";
import fc from "fast-check";
import { IntervalRecorder } from "../../src/bench/timeline/recorder.ts";
import { decode, encode, fromSparse, newHistogram, sparseCounts } from "../../src/report/histogram.ts";
import { lastIntervalOf } from "../../src/report/records.ts";
import { timelineReport } from "../../src/report/timeline.ts";

test("completions go to the interval they end in; quiet intervals are left out, each histogram is its own", () => {
  const r = new IntervalRecorder(1000, 100, Number.POSITIVE_INFINITY);
  r.record(0, 1, 1010);
  r.record(14, 2, 1099);
  r.record(0, 3, 1350); // 200..300 empty
  const p = r.finish(1360);
  expect(p.endMs).toBe(360);
  expect(p.intervals.map((i) => [i.index, i.ok, i.failed, decode(i.histogram).totalCount])).toEqual([
    [0, 1, 1, 2],
    [3, 1, 0, 1],
  ]);
  expect(p.intervals[0]?.errors).toEqual([{ code: 14, count: 1 }]);
  expect(decode(p.intervals[1]?.histogram as string).minNonZeroValue).toBe(3000); // the first interval's 1 ms and 2 ms are gone
});

test("a timed phase's tail goes into its last interval", () => {
  expect(lastIntervalOf(3000, 500)).toBe(5);
  expect(lastIntervalOf(2900, 500)).toBe(5);
  expect(lastIntervalOf(undefined, 500)).toBe(Number.POSITIVE_INFINITY);
  const r = new IntervalRecorder(0, 500, lastIntervalOf(1000, 500));
  r.record(0, 1, 999);
  r.record(0, 1, 1004);
  expect(r.finish(1005).intervals.map((i) => [i.index, i.ok])).toEqual([[1, 2]]);
});

test("threads' intervals merge by index; an interval nothing ended in is a zero point with no latency", () => {
  const a = new IntervalRecorder(0, 1000, lastIntervalOf(3000, 1000));
  const b = new IntervalRecorder(0, 1000, lastIntervalOf(3000, 1000));
  a.record(0, 1, 10);
  b.record(8, 1, 20);
  a.record(0, 1, 2500);
  const measured = [a.finish(3001), b.finish(3000)];
  const thread = (i: number) => ({ timeline: { warmup: null, measured: measured[i] } });
  const t = timelineReport([thread(0), thread(1)] as never, {
    intervalMs: 1000,
    warmupMs: 0,
    durationMs: 3000,
    rate: undefined,
  });
  expect(t.interval_s).toBe(1);
  expect(t.points.map((p) => [p.start_s, p.end_s, p.ok, p.failed])).toEqual([
    [0, 1, 1, 1],
    [1, 2, 0, 0],
    [2, 3.001, 1, 0],
  ]);
  expect(t.points[0]?.errors).toEqual([{ code: 8, count: 1 }]);
  expect(t.points[1]?.latency_us).toBeNull();
  expect(t.points[1]?.achieved_rps).toBe(0);
  expect(t.points[0]?.achieved_rps).toBe(2);
});

test("seal ends the phase when called (its counts, wall time and CPU read then) and encodes later, as finish would", () => {
  let cpu = 1;
  const a = new IntervalRecorder(0, 1000, Number.POSITIVE_INFINITY, () => cpu, 0);
  const b = new IntervalRecorder(0, 1000, Number.POSITIVE_INFINITY, () => cpu, 0);
  for (const r of [a, b]) {
    r.sent(false, 100, 0.004);
    r.record(0, 2, 300);
  }
  cpu = 1.25;
  const sealed = a.seal(500);
  const finished = b.finish(500);
  // what happens between the seal and the encoding (the measured phase) is not in the sealed phase
  cpu = 9;
  const later = sealed();
  expect(later).toEqual(finished);
  expect(later.endMs).toBe(500);
  expect(later.intervals[0]?.cpuSec).toBe(0.25);
  expect(later.intervals[0]?.wallSec).toBe(0.5);
  expect(decode(later.intervals[0]?.sendLag as string).totalCount).toBe(1);
});

test("an interval's counts copied as it closes encode to the same histogram as the original would", () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 50_000_000 }), { minLength: 1, maxLength: 300 }), (values) => {
      const h = newHistogram();
      for (const v of values) h.recordValue(v);
      const copy = decode(encode(fromSparse(sparseCounts(h))));
      const original = decode(encode(h));
      expect(copy.totalCount).toBe(original.totalCount);
      expect(copy.maxValue).toBe(original.maxValue);
      expect(copy.minNonZeroValue).toBe(original.minNonZeroValue);
      for (const p of [0, 50, 90, 99, 99.9, 100])
        expect(copy.getValueAtPercentile(p)).toBe(original.getValueAtPercentile(p));
    }),
    { numRuns: 60 },
  );
});

test("a long phase: past the intervals kept unencoded the oldest are encoded on the way, and every one is reported, in order", () => {
  const r = new IntervalRecorder(0, 1, Number.POSITIVE_INFINITY, () => undefined, 0);
  for (let i = 0; i < 350; i++) r.record(0, 0.001 * (i + 1), i + 0.5);
  const p = r.finish(350);
  expect(p.intervals.map((i) => i.index)).toEqual(Array.from({ length: 350 }, (_, i) => i));
  expect(p.intervals.map((i) => decode(i.histogram).maxValue)).toEqual(
    Array.from({ length: 350 }, (_, i) => decode(encode(one(i + 1))).maxValue),
  );
});

function one(us: number) {
  const h = newHistogram();
  h.recordValue(us);
  return h;
}
