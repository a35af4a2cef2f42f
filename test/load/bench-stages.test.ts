// Staged open-loop schedules: the math (schedule.ts) and the flags that build the stages (stages.ts via
// options.ts). Pure functions, no sockets.
import { describe, expect, test } from "bun:test";
import { type BenchFlags, resolveOptions } from "../../src/bench/options.ts";
import {
  callsBefore,
  callsDueBy,
  dueAt,
  dueOffset,
  lengthOf,
  meanRate,
  planOf,
  type Schedule,
  type Stage,
} from "../../src/bench/schedule.ts";
import { parseStages } from "../../src/bench/stages.ts";
import { encode, newHistogram } from "../../src/report/histogram.ts";
import { stagesReport } from "../../src/report/stages.ts";
import type { TimelinePoint } from "../../src/report/types.ts";

const resolve = (flags: BenchFlags) => {
  const r = resolveOptions(flags, {}, 8);
  if (!r.ok) throw new Error(r.error);
  return r.options;
};
const error = (flags: BenchFlags) => {
  const r = resolveOptions(flags, {}, 8);
  return r.ok ? "" : r.error;
};
const stagesOf = (text: string, start = 0): Stage[] => {
  const r = parseStages(text, start);
  if (!r.ok) throw new Error(r.error);
  return r.stages;
};
/** Every call's due offset (ms) in a whole staged schedule. */
const allDue = (stages: readonly Stage[]): number[] => {
  const plan = planOf(stages);
  const n = callsBefore({ rate: 0, threads: 1, thread: 0, startMs: 0, plan }, lengthOf(plan));
  return Array.from({ length: n }, (_, k) => dueOffset(plan, k));
};

describe("stage math", () => {
  test("N(t) is the integral of the rate: linear inside a flat stage, quadratic on a ramp", () => {
    const plan = planOf(stagesOf("1s:200,1s:400"));
    // 0→200 over 1 s: 100 calls; 200→400 over 1 s: 300 calls
    expect(callsDueBy(plan, 1000)).toBeCloseTo(100, 9);
    expect(callsDueBy(plan, 2000)).toBeCloseTo(400, 9);
    expect(callsDueBy(plan, 500)).toBeCloseTo(25, 9); // ½·200·0.5²
    expect(callsDueBy(plan, 1500)).toBeCloseTo(100 + 200 * 0.5 + 0.5 * 200 * 0.25, 9);
    expect(callsDueBy(plan, 99_999)).toBeCloseTo(400, 9);
  });

  test("due times invert N: N(due(k)) = k, and they never go backwards", () => {
    for (const text of ["1s:200,1s:400", "2s:1000,3s:1000,1s:0", "500ms:37,1.5s:5-900,1s:3"]) {
      const stages = stagesOf(text);
      const plan = planOf(stages);
      const due = allDue(stages);
      for (let k = 0; k < due.length; k++) {
        expect(callsDueBy(plan, due[k] as number)).toBeCloseTo(k, 6);
        if (k > 0) expect(due[k] as number).toBeGreaterThanOrEqual(due[k - 1] as number);
      }
    }
  });

  test("each stage holds the calls its integral says (rounded), boundaries exactly at the stage start", () => {
    const stages = stagesOf("1s:200,1s:400,2s:400,1s:0");
    const due = allDue(stages);
    const inStage = (from: number, to: number) => due.filter((t) => t >= from && t < to).length;
    expect(inStage(0, 1000)).toBe(100);
    expect(inStage(1000, 2000)).toBe(300);
    expect(inStage(2000, 4000)).toBe(800);
    expect(inStage(4000, 5000)).toBe(200);
    expect(due.length).toBe(1400);
    // call 100 is the first of stage 2, due the instant it starts
    expect(due[100]).toBeCloseTo(1000, 9);
    expect(due[400]).toBeCloseTo(2000, 9);
  });

  test("a ramp from 0 follows the square root: call k at √(2k/slope)", () => {
    const plan = planOf(stagesOf("2s:1000")); // slope 500/s²
    for (const k of [0, 1, 2, 50, 999]) expect(dueOffset(plan, k)).toBeCloseTo(Math.sqrt((2 * k) / 500) * 1000, 9);
    expect(dueOffset(plan, 1000)).toBe(Number.POSITIVE_INFINITY); // past the end
  });

  test("a ramp down ends where the integral says", () => {
    const due = allDue(stagesOf("1s:100-0"));
    expect(due.length).toBe(50);
    expect(due[49] as number).toBeLessThan(1000);
  });

  test("a flat stage is the old formula exactly (call k at k/rate)", () => {
    const plan = planOf([{ durationMs: 10_000, fromRps: 300, toRps: 300 }]);
    for (let k = 0; k < 3000; k += 7) expect(dueOffset(plan, k)).toBe((k * 1000) / 300);
    const flat: Schedule = { rate: 300, threads: 3, thread: 1, startMs: 50 };
    const staged: Schedule = { ...flat, plan };
    for (let i = 0; i < 900; i += 13) expect(dueAt(staged, i)).toBe(dueAt(flat, i));
    expect(callsBefore(staged, 50 + 2000)).toBe(callsBefore(flat, 50 + 2000));
  });

  test("threads partition the calls: together exactly the schedule's, each k ≡ j (mod T) in order", () => {
    const plan = planOf(stagesOf("1s:200,1s:400,700ms:50"));
    const total = callsBefore({ rate: 0, threads: 1, thread: 0, startMs: 0, plan }, lengthOf(plan));
    const all = allDue(plan.stages);
    const seen: number[] = [];
    for (let j = 0; j < 3; j++) {
      const s: Schedule = { rate: 0, threads: 3, thread: j, startMs: 0, plan };
      const mine = callsBefore(s, lengthOf(plan));
      for (let i = 0; i < mine; i++) {
        expect(dueAt(s, i)).toBe(all[i * 3 + j] as number);
        seen.push(dueAt(s, i));
      }
    }
    expect(seen.length).toBe(total);
    expect(seen.sort((a, b) => a - b)).toEqual(all);
  });

  test("a stage of rate 0 is a pause: no call due in it", () => {
    const due = allDue(stagesOf("1s:100-100,1s:0-0,1s:100-100"));
    expect(due.length).toBe(200);
    expect(due.filter((t) => t >= 1000 && t < 2000)).toEqual([]);
    expect(due[100]).toBe(2000);
  });

  test("meanRate is the calls due over the span", () => {
    const plan = planOf(stagesOf("1s:200,1s:400"));
    expect(meanRate(plan, 0, 1000)).toBeCloseTo(100, 9);
    expect(meanRate(plan, 1000, 2000)).toBeCloseTo(300, 9);
    expect(meanRate(plan, 0, 2000)).toBeCloseTo(200, 9);
  });
});

describe("--stages", () => {
  test("ramps from the previous target, the first from 0 or --start-rate; the run is their length", () => {
    const o = resolve({ stages: "10s:1000,30s:1000,10s:5000" });
    expect(o.stages).toEqual([
      { durationMs: 10_000, fromRps: 0, toRps: 1000 },
      { durationMs: 30_000, fromRps: 1000, toRps: 1000 },
      { durationMs: 10_000, fromRps: 1000, toRps: 5000 },
    ]);
    expect(o.durationMs).toBe(50_000);
    expect(o.requests).toBeUndefined();
    expect(o.rate).toBeCloseTo((5000 + 30_000 + 30_000) / 50, 9); // the mean: an open loop
    expect(resolve({ stages: "1s:10", "start-rate": "30" }).stages).toEqual([
      { durationMs: 1000, fromRps: 30, toRps: 10 },
    ]);
    expect(resolve({ stages: "2s:5-50, 1m:50" }).stages).toEqual([
      { durationMs: 2000, fromRps: 5, toRps: 50 },
      { durationMs: 60_000, fromRps: 50, toRps: 50 },
    ]);
  });

  test.each([
    [{ stages: "10s" }, '--stages: "10s" is not DURATION:RATE'],
    [{ stages: "10s:abc" }, '--stages: "10s:abc" has no rate'],
    [{ stages: "10s:-5" }, '--stages: "10s:-5" has no rate'],
    [{ stages: "ten:100" }, '--stages: "ten:100" does not start with a duration'],
    [{ stages: "0s:100" }, '--stages: "0s:100" lasts no time'],
    [{ stages: "1s:100," }, '--stages: "" is not DURATION:RATE'],
    [{ stages: "5s:0" }, "--stages: the schedule sends no call"],
    [{ stages: "1s:100", rate: "5" }, "--stages and --rate exclude each other"],
    [{ stages: "1s:100", duration: "5s" }, "--stages and -z/--duration exclude each other"],
    [{ stages: "1s:100", requests: "5" }, "--stages and -n/--requests exclude each other"],
    [{ "start-rate": "5" }, "--start-rate needs --stages"],
    [{ stages: "1s:100", "start-rate": "-1" }, '--start-rate: "-1" is not a number ≥ 0'],
  ] as [BenchFlags, string][])("%o → %s", (flags, message) => {
    expect(error(flags)).toStartWith(message);
  });
});

describe("ghz's --load-schedule", () => {
  test("step: start, +step every step-duration, holds at --load-end, for -z", () => {
    const ghz = resolve({
      "load-schedule": "step",
      "load-start": "50",
      "load-step": "10",
      "load-step-duration": "5s",
      "load-end": "70",
      duration: "30s",
    });
    expect(ghz.stages).toEqual(resolve({ stages: "5s:50-50,5s:60-60,20s:70-70" }).stages);
    expect(ghz.durationMs).toBe(30_000);
    expect(ghz.rate).toBe(resolve({ stages: "5s:50-50,5s:60-60,20s:70-70" }).rate);
  });

  test("step without an end keeps stepping until -z; the last step is cut at -z", () => {
    const ghz = resolve({
      "load-schedule": "step",
      "load-start": "10",
      "load-step": "10",
      "load-step-duration": "2s",
      duration: "5s",
    });
    expect(ghz.stages).toEqual(resolve({ stages: "2s:10-10,2s:20-20,1s:30-30" }).stages);
  });

  test("step from 0 climbs (0 is only an end going down)", () => {
    const ghz = resolve({ "load-schedule": "step", "load-step": "100", "load-step-duration": "1s", duration: "3s" });
    expect(ghz.stages).toEqual(resolve({ stages: "1s:0-0,1s:100-100,1s:200-200" }).stages);
  });

  test("--load-max-duration ends the ramp: the step it falls in holds to the end", () => {
    const ghz = resolve({
      "load-schedule": "step",
      "load-start": "100",
      "load-step": "50",
      "load-step-duration": "2s",
      "load-max-duration": "3s",
      duration: "10s",
    });
    expect(ghz.stages).toEqual(resolve({ stages: "2s:100-100,1s:150-150,7s:150-150" }).stages);
  });

  test("--load-max-duration with --load-end: unclamped steps until then, the end rate after (as ghz)", () => {
    const ghz = resolve({
      "load-schedule": "step",
      "load-start": "100",
      "load-step": "50",
      "load-step-duration": "1s",
      "load-end": "120",
      "load-max-duration": "2s",
      duration: "4s",
    });
    expect(ghz.stages).toEqual(resolve({ stages: "1s:100-100,1s:150-150,2s:120-120" }).stages);
  });

  test("line: the step is the slope, one step a second (as ghz's linear pacer)", () => {
    const ghz = resolve({
      "load-schedule": "line",
      "load-start": "5",
      "load-step": "5",
      "load-end": "15",
      duration: "4s",
    });
    expect(ghz.stages).toEqual(resolve({ stages: "1s:5-5,1s:10-10,2s:15-15" }).stages);
  });

  test("a negative step goes down to --load-end, or to 0", () => {
    const down = { "load-schedule": "step", "load-start": "30", "load-step": "-10", "load-step-duration": "1s" };
    expect(resolve({ ...down, "load-end": "20", duration: "3s" }).stages).toEqual(
      resolve({ stages: "1s:30-30,2s:20-20" }).stages,
    );
    expect(resolve({ ...down, duration: "5s" }).stages).toEqual(
      resolve({ stages: "1s:30-30,1s:20-20,1s:10-10,2s:0-0" }).stages,
    );
  });

  test("const (ghz's default) is no schedule at all", () => {
    expect(resolve({ "load-schedule": "const", rate: "10" }).stages).toBeUndefined();
  });

  test.each([
    [{ "load-schedule": "ramp", duration: "5s" }, '--load-schedule: "ramp" is not step or line'],
    [{ "load-schedule": "step", "load-step": "1", "load-step-duration": "1s" }, "--load-schedule needs -z/--duration"],
    [{ "load-schedule": "step", "load-step-duration": "1s", duration: "5s" }, "--load-schedule step needs --load-step"],
    [{ "load-schedule": "step", "load-step": "1", duration: "5s" }, "--load-schedule step needs --load-step-duration"],
    [{ "load-schedule": "line", "load-step": "x", duration: "5s" }, '--load-step: "x" is not a number'],
    [{ "load-schedule": "line", "load-step": "-1", duration: "5s" }, "--load-schedule: the schedule sends no call"],
    [{ "load-schedule": "line", "load-step": "1", rate: "5", duration: "5s" }, "--load-schedule and --rate exclude"],
    [{ "load-schedule": "line", "load-step": "1", stages: "1s:5", duration: "5s" }, "--stages and --load-schedule"],
    [{ "load-start": "5" }, "--load-start needs --load-schedule step or line"],
  ] as [BenchFlags, string][])("%o → %s", (flags, message) => {
    expect(error(flags)).toStartWith(message);
  });
});

describe("per-stage figures from the timeline", () => {
  const point = (startS: number, endS: number, ok: number, latencyUs: number, warmup = false): TimelinePoint => {
    const h = newHistogram();
    for (let i = 0; i < ok; i++) h.recordValue(latencyUs);
    return {
      start_s: startS,
      end_s: endS,
      warmup,
      ok,
      failed: 0,
      errors: [],
      target_rps: null,
      achieved_rps: ok / (endS - startS),
      latency_us: null,
      histogram: encode(h),
    };
  };

  test("each point goes to the stage its middle is in; the warm-up is left out; the last takes the tail", () => {
    const points = [
      point(0, 0.5, 999, 1, true),
      point(0.5, 1, 50, 100),
      point(1, 1.5, 150, 200),
      point(1.5, 2, 250, 300),
      point(2, 2.6, 420, 400),
    ];
    const stages = stagesReport(points, stagesOf("1s:200,1s:400"), 500);
    expect(stages.map((s) => [s.start_s, s.end_s, s.target_rps_from, s.target_rps_to, s.ok])).toEqual([
      [0.5, 1.5, 0, 200, 200],
      [1.5, 2.5, 200, 400, 670],
    ]);
    expect(stages[0]?.achieved_rps).toBe(200);
    expect(stages[1]?.achieved_rps).toBe(609.1); // 670 calls over 1.1 s of points
    expect(stages[0]?.latency_us?.max).toBeCloseTo(200, -1);
    expect(stages[1]?.latency_us?.p50).toBeCloseTo(400, -1);
  });

  test("a stage no point fell in has no latency and no rate", () => {
    const [a, b] = stagesReport([point(0, 1, 10, 5)], stagesOf("1s:20,100ms:20"), 0);
    expect(a?.ok).toBe(10);
    expect(b).toMatchObject({ ok: 0, failed: 0, achieved_rps: 0, latency_us: null });
  });
});
