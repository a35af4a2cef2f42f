// Shards as pure functions: which shard a process is (flags, an Indexed Job's environment), the slices of
// the load (property tests: they add up exactly, remainders to the lowest shards), the open-loop schedule
// over shards × threads (the union is exactly one run's schedule), and --start-at's parsing and plan.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { resolveOptions } from "../../src/bench/options.ts";
import { callsBefore, dueAt, planOf, type Schedule, type Stage } from "../../src/bench/schedule.ts";
import { firstConnectionOf, shardOf, sliceOf } from "../../src/bench/shard.ts";
import { parseStartAt, planStart } from "../../src/bench/start-at.ts";

describe("shardOf", () => {
  test("--shard I/N", () => {
    expect(shardOf({ shard: "2/4" }, {})).toEqual({ ok: true, value: { index: 2, count: 4 } });
    expect(shardOf({ shard: "0/1" }, {})).toEqual({ ok: true, value: { index: 0, count: 1 } });
  });
  test("an Indexed Job: JOB_COMPLETION_INDEX with --shards or GRPCPERF_SHARDS", () => {
    expect(shardOf({ shards: "3" }, { JOB_COMPLETION_INDEX: "1" })).toEqual({
      ok: true,
      value: { index: 1, count: 3 },
    });
    expect(shardOf({}, { JOB_COMPLETION_INDEX: "2", GRPCPERF_SHARDS: "3" })).toEqual({
      ok: true,
      value: { index: 2, count: 3 },
    });
    // the flag wins over the Job's index
    expect(shardOf({ shard: "0/3" }, { JOB_COMPLETION_INDEX: "2", GRPCPERF_SHARDS: "3" })).toEqual({
      ok: true,
      value: { index: 0, count: 3 },
    });
  });
  test("JOB_COMPLETION_INDEX alone is not a shard (a Job may run other things)", () => {
    expect(shardOf({}, { JOB_COMPLETION_INDEX: "2" })).toEqual({ ok: true, value: undefined });
  });
  test("errors name the flag or variable", () => {
    const err = (r: ReturnType<typeof shardOf>) => (r.ok ? "" : r.error);
    expect(err(shardOf({ shard: "4/4" }, {}))).toContain("below N");
    expect(err(shardOf({ shard: "1-4" }, {}))).toContain("is not I/N");
    expect(err(shardOf({ shard: "1/4", shards: "3" }, {}))).toContain("disagree");
    expect(err(shardOf({ shards: "4" }, {}))).toContain("JOB_COMPLETION_INDEX");
    expect(err(shardOf({}, { GRPCPERF_SHARDS: "x" }))).toContain("GRPCPERF_SHARDS");
    expect(err(shardOf({}, { GRPCPERF_SHARDS: "3", JOB_COMPLETION_INDEX: "3" }))).toContain("below 3");
  });
});

describe("sliceOf", () => {
  const load = fc.record({
    connections: fc.integer({ min: 1, max: 500 }),
    extra: fc.integer({ min: 0, max: 2000 }),
    requests: fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: undefined }),
    count: fc.integer({ min: 1, max: 40 }),
  });

  test("the slices add up exactly to the whole, the remainder on the lowest shards", () => {
    fc.assert(
      fc.property(load, ({ connections, extra, requests, count }) => {
        const whole = { connections, concurrency: connections + extra, requests, rate: 1000 };
        const slices = Array.from({ length: count }, (_, index) => sliceOf(whole, { index, count }));
        if (connections < count || (requests !== undefined && requests < count)) {
          // too little to give every shard some: refused, not silently zero
          expect(slices.some((s) => !s.ok)).toBe(true);
          return;
        }
        const ok = slices.map((s) => (s.ok ? s.value : expect.unreachable()));
        const sum = (f: (s: (typeof ok)[number]) => number) => ok.reduce((n, s) => n + f(s), 0);
        expect(sum((s) => s.connections)).toBe(connections);
        expect(sum((s) => s.concurrency)).toBe(connections + extra);
        if (requests !== undefined) expect(sum((s) => s.requests as number)).toBe(requests);
        expect(sum((s) => s.rate as number)).toBeCloseTo(1000, 9);
        for (let i = 0; i < count; i++) {
          const s = ok[i] as (typeof ok)[number];
          expect(s.concurrency).toBeGreaterThanOrEqual(s.connections);
          // remainder to the lowest: never more than the shard before, at most one apart
          if (i > 0) expect(s.connections).toBeLessThanOrEqual((ok[i - 1] as typeof s).connections);
          expect((ok[0] as typeof s).connections - s.connections).toBeLessThanOrEqual(1);
        }
        // connection numbering: shard i's start at the connections of the shards before it
        for (let i = 0; i < count; i++)
          expect(firstConnectionOf(connections, { index: i, count })).toBe(
            ok.slice(0, i).reduce((n, s) => n + s.connections, 0),
          );
      }),
    );
  });

  test("10 connections over 4 shards: 3, 3, 2, 2", () => {
    const c = [0, 1, 2, 3].map((index) => {
      const s = sliceOf({ connections: 10, concurrency: 10, requests: 1001, rate: 100 }, { index, count: 4 });
      return s.ok ? [s.value.connections, s.value.requests] : [];
    });
    expect(c).toEqual([
      [3, 251],
      [3, 250],
      [2, 250],
      [2, 250],
    ]);
  });

  test("stages are the whole's, each rate divided by the count", () => {
    const s = sliceOf(
      {
        connections: 4,
        concurrency: 4,
        requests: undefined,
        rate: 150,
        stages: [{ durationMs: 1000, fromRps: 0, toRps: 300 }],
      },
      { index: 1, count: 3 },
    );
    expect(s.ok && s.value.stages).toEqual([{ durationMs: 1000, fromRps: 0, toRps: 100 }]);
  });
});

describe("the schedule over shards × threads", () => {
  const flat: Stage[] = [{ durationMs: 2000, fromRps: 500, toRps: 500 }];
  const staged: Stage[] = [
    { durationMs: 700, fromRps: 0, toRps: 900 },
    { durationMs: 500, fromRps: 900, toRps: 900 },
    { durationMs: 300, fromRps: 900, toRps: 100 },
  ];

  /** Every due time of every shard's every thread, before endMs. */
  function union(shardThreads: readonly number[], rate: number, stages: Stage[] | undefined, endMs: number) {
    const all: number[] = [];
    shardThreads.forEach((threads, shard) => {
      for (let thread = 0; thread < threads; thread++) {
        const s: Schedule = {
          rate,
          threads,
          thread,
          startMs: 0,
          ...(stages ? { plan: planOf(stages) } : {}),
          shards: shardThreads.length,
          shard,
        };
        const n = callsBefore(s, endMs);
        for (let i = 0; i < n; i++) all.push(dueAt(s, i));
      }
    });
    return all.sort((a, b) => a - b);
  }

  test("is exactly one process's schedule, whatever each shard's thread count", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (shardThreads, useStages) => {
          const stages = useStages ? staged : undefined;
          const endMs = useStages ? 1500 : 2000;
          const one = union([1], 500, stages, endMs);
          const sharded = union(shardThreads, 500, stages, endMs);
          expect(sharded.length).toBe(one.length);
          // the same instants, to the bit: each call k is computed from k alone
          expect(sharded).toEqual(one);
        },
      ),
    );
  });

  test("flat: 1000 calls over 2 s at 500/s; shard 1 of 3 sends k = 1, 4, 7, …", () => {
    expect(union([2, 1, 3], 500, undefined, 2000).length).toBe(1000);
    const s: Schedule = { rate: 500, threads: 1, thread: 0, startMs: 0, shards: 3, shard: 1 };
    expect([0, 1, 2].map((i) => dueAt(s, i))).toEqual([2, 8, 14]);
    void flat;
  });
});

describe("resolveOptions with a shard", () => {
  const resolve = (flags: Record<string, string | boolean>, env: Record<string, string> = {}) =>
    resolveOptions(flags, env, 8);

  test("the slice is this process's load; the whole is kept", () => {
    const r = resolve({
      shard: "1/3",
      connections: "10",
      concurrency: "25",
      rate: "900",
      duration: "5s",
      threads: "4",
    });
    if (!r.ok) throw new Error(r.error);
    const o = r.options;
    expect([o.connections, o.concurrency, o.threads, o.rate]).toEqual([3, 8, 3, 300]);
    expect(o.shard).toEqual({
      index: 1,
      count: 3,
      firstConnection: 4,
      whole: { connections: 10, concurrency: 25, requests: undefined, rate: 900 },
    });
  });

  test("from the Job's environment, with --start-at and --report-markers", () => {
    const r = resolve(
      { requests: "1000", "start-at": "2026-12-04T15:00:00.5Z", "report-markers": true },
      { JOB_COMPLETION_INDEX: "0", GRPCPERF_SHARDS: "3" },
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.options.requests).toBe(334);
    expect(r.options.startAtMs).toBe(Date.parse("2026-12-04T15:00:00.500Z"));
    expect(r.options.json).toBe(true);
    expect(r.options.reportMarkers).toBe(true);
  });

  test("refused: fewer connections than shards, markers with -o", () => {
    const a = resolve({ shard: "0/4", connections: "3" });
    expect(a.ok ? "" : a.error).toContain("cannot be split over 4 shards");
    const b = resolve({ "report-markers": true, output: "x.json" });
    expect(b.ok ? "" : b.error).toContain("excludes -o");
  });
});

describe("--start-at", () => {
  test("RFC 3339 and Unix seconds", () => {
    expect(parseStartAt("2026-12-04T15:00:00Z")).toEqual({ ok: true, ms: Date.parse("2026-12-04T15:00:00Z") });
    expect(parseStartAt("2026-12-04T16:00:00.25+01:00")).toEqual({
      ok: true,
      ms: Date.parse("2026-12-04T15:00:00.25Z"),
    });
    expect(parseStartAt("1796396400.5")).toEqual({ ok: true, ms: 1796396400500 });
    const err = (t: string) => {
      const r = parseStartAt(t);
      return r.ok ? "" : r.error;
    };
    expect(err("1796396400000")).toContain("milliseconds");
    expect(err("tomorrow")).toContain("RFC 3339");
    expect(err("2026-12-04 15:00")).toContain("RFC 3339");
  });

  test("the plan: warm-up leads into --start-at; cut when ready late for it; late without it", () => {
    // ready well before: warm-up [T-2000, T), measured at T
    expect(planStart(10_000, 2000, 5000, 20)).toEqual({
      startEpochMs: 8000,
      warmupFromEpochMs: 8000,
      measureEpochMs: 10_000,
      lateMs: 0,
      warmupCutMs: 0,
    });
    // ready inside the warm-up window: what is left of it
    expect(planStart(10_000, 2000, 8480, 20)).toMatchObject({
      warmupFromEpochMs: 8500,
      measureEpochMs: 10_000,
      warmupCutMs: 500,
    });
    // ready after T: at once, late, no warm-up
    expect(planStart(10_000, 2000, 10_480, 20)).toMatchObject({
      measureEpochMs: 10_500,
      startEpochMs: 8500,
      warmupFromEpochMs: 10_500,
      lateMs: 500,
      warmupCutMs: 2000,
    });
  });
});
