// The pacer and the open loop on an injected clock: a virtual event loop whose timers fire early or late by
// generated amounts, whose polls take a microsecond, and whose server answers after generated service times.
// As properties: no call leaves before its due time, a thread's calls leave in due order, and every due call
// is sent exactly once over all threads and shards, across stages and stops. No real time is asserted.
import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { LoadConnection } from "../../src/bench/connection.ts";
import { openLoop } from "../../src/bench/loops/open.ts";
import { MARGIN_MS, Pacer, type PacerClock, type PacerStats } from "../../src/bench/loops/pacer.ts";
import { SendLag } from "../../src/bench/loops/send-lag.ts";
import type { LoadContext, Phase } from "../../src/bench/loops/types.ts";
import { ServiceRecorder } from "../../src/bench/tally.ts";
import { IntervalRecorder } from "../../src/bench/timeline/recorder.ts";
import type { Workload } from "../../src/bench/workload.ts";
import { callsBefore, dueAt, planOf, type Schedule, type Stage } from "../../src/load/schedule.ts";
import { STALL_MS } from "../../src/report/marks.ts";

/** One turn of the virtual event loop with nothing else to do (under EMPTY_TURN_MS: counted as waiting). */
const POLL_MS = 0.015;

/** A virtual event loop: events in time order; `jitter` says how far from its time the k-th timer fires. */
class VirtualLoop implements PacerClock {
  t = 0;
  private seq = 0;
  private queue: { at: number; seq: number; fn: () => void; dead: boolean }[] = [];
  private timers = 0;
  constructor(
    private readonly jitter: (k: number) => number = () => 0,
    readonly marginMs = MARGIN_MS,
    readonly minSleepMs = 1,
  ) {}
  now = () => this.t;
  private push(at: number, fn: () => void) {
    const e = { at: Math.max(at, this.t), seq: this.seq++, fn, dead: false };
    this.queue.push(e);
    return e;
  }
  // a timer, however early, fires a turn of the loop later at the soonest
  sleep = (ms: number, wake: () => void) =>
    this.push(this.t + Math.max(POLL_MS, ms + this.jitter(this.timers++)), wake);
  poll = (wake: () => void) => this.push(this.t + POLL_MS, wake);
  cancelSleep = (h: unknown) => {
    (h as { dead: boolean }).dead = true;
  };
  cancelPoll = (h: unknown) => {
    (h as { dead: boolean }).dead = true;
  };
  /** Something else ran on the thread for `ms` right now (a GC pause, a long callback). */
  block(ms: number) {
    this.t += ms;
  }
  at(t: number, fn: () => void) {
    this.push(t, fn);
  }
  /** Runs events until none is left, letting promise callbacks settle after each. */
  async run(limit = 1_000_000) {
    for (let n = 0; n < limit; n++) {
      // let promise callbacks (a call's answer) run before the next event
      for (let i = 0; i < 4; i++) await Promise.resolve();
      this.queue = this.queue.filter((e) => !e.dead);
      if (this.queue.length === 0) return;
      this.queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const e = this.queue.shift() as (typeof this.queue)[number];
      this.t = Math.max(this.t, e.at);
      e.fn();
    }
    throw new Error("virtual loop did not settle");
  }
}

/** The timeline's sent() sees every send (warm-up too): when it left and how late. */
class SendLog extends IntervalRecorder {
  readonly log: { sentMs: number; dueMs: number }[] = [];
  constructor() {
    super(0, 1e9, Number.POSITIVE_INFINITY, () => undefined, 0);
  }
  override sent(late: boolean, nowMs: number, lagMs?: number): void {
    super.sent(late, nowMs, lagMs);
    this.log.push({ sentMs: nowMs, dueMs: nowMs - (lagMs ?? 0) });
  }
}

const workload: Workload = {
  service: "echo",
  path: "/grpcperf.v1.Echo/Echo",
  bodies: [Buffer.alloc(1)],
} as unknown as Workload;

/** A connection whose calls the virtual server answers after `serviceMs(k)`. */
function connection(loop: VirtualLoop, slots: number, serviceMs: (k: number) => number): LoadConnection {
  let k = 0;
  const channel = {
    unaryOutcome: (_path: string, _body: Buffer, _call: unknown, done: (r: unknown) => void) =>
      loop.at(loop.t + serviceMs(k++), () => done({ ok: true, value: undefined })),
  };
  return { index: 0, slots, calls: 0, channel } as unknown as LoadConnection;
}

interface Run {
  readonly stages: Stage[];
  readonly threads: number;
  readonly shards: number;
  readonly slots: number;
  readonly stopAtMs: number | undefined;
  readonly services: number[];
  readonly jitters: number[];
}

async function runAll(r: Run) {
  const loop = new VirtualLoop((k) => r.jitters[k % r.jitters.length] as number);
  const plan = planOf(r.stages);
  const endMs = 10 + (plan.startsAt.at(-1) as number);
  const out: { shard: number; thread: number; schedule: Schedule; log: SendLog; lag: SendLag }[] = [];
  const done: Promise<void>[] = [];
  for (let shard = 0; shard < r.shards; shard++) {
    for (let thread = 0; thread < r.threads; thread++) {
      const schedule: Schedule = {
        rate: 0,
        plan,
        threads: r.threads,
        thread,
        startMs: 10,
        shards: r.shards,
        shard,
      };
      const log = new SendLog();
      const lag = new SendLag();
      const ctx: LoadContext = {
        connections: [connection(loop, r.slots, (k) => r.services[k % r.services.length] as number)],
        workloads: [workload],
        recorders: [new ServiceRecorder("echo", true)],
        call: { timeoutMs: 1000 },
        rotationStart: 0,
        stopped: () => r.stopAtMs !== undefined && loop.t >= r.stopAtMs,
      };
      const phase: Phase = { startMs: 10, endMs, requests: undefined, record: true, timeline: log };
      done.push(openLoop(ctx, phase, schedule, lag, { idleMs: 0 }, loop));
      out.push({ shard, thread, schedule, log, lag });
    }
  }
  await loop.run();
  await Promise.all(done);
  return { out, endMs };
}

const stageArb = fc.record({
  durationMs: fc.integer({ min: 5, max: 120 }),
  fromRps: fc.integer({ min: 0, max: 2000 }),
  toRps: fc.integer({ min: 0, max: 2000 }),
});

const runArb = fc.record({
  stages: fc.array(stageArb, { minLength: 1, maxLength: 3 }),
  threads: fc.integer({ min: 1, max: 3 }),
  shards: fc.integer({ min: 1, max: 3 }),
  slots: fc.integer({ min: 1, max: 4 }),
  stopAtMs: fc.option(fc.integer({ min: 0, max: 400 }), { nil: undefined }),
  // service times up to 5 ms: slots run out at the higher rates, so calls also wait for a slot
  services: fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), { minLength: 1, maxLength: 8 }),
  // timers fire up to 1.4 ms early (never past the due time: the margin is 1.5 ms) or up to 3 ms late
  jitters: fc.array(fc.double({ min: -1.4, max: 3, noNaN: true }), { minLength: 1, maxLength: 8 }),
});

describe("open loop on the pacer (virtual clock, properties)", () => {
  test("no call before its due time; due order within a thread; each due call once over threads and shards", async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (r) => {
        const { out, endMs } = await runAll(r);
        const ks: number[] = [];
        for (const { shard, thread, schedule, log } of out) {
          const expected = callsBefore(schedule, endMs);
          // a stopped run sends a prefix of its schedule; an unstopped one all of it
          if (r.stopAtMs === undefined) expect(log.log.length).toBe(expected);
          else expect(log.log.length).toBeLessThanOrEqual(expected);
          log.log.forEach((s, i) => {
            expect(s.sentMs).toBeGreaterThanOrEqual(s.dueMs);
            expect(Math.abs(s.dueMs - dueAt(schedule, i))).toBeLessThan(1e-6);
            if (r.stopAtMs !== undefined) expect(s.sentMs).toBeLessThanOrEqual(Math.max(r.stopAtMs, s.dueMs));
            ks.push((i * r.threads + thread) * r.shards + shard);
          });
        }
        if (r.stopAtMs === undefined) {
          // the union of every thread's calls is the whole schedule, each call once
          ks.sort((a, b) => a - b);
          expect(ks).toEqual(ks.map((_, i) => i));
        } else expect(new Set(ks).size).toBe(ks.length);
      }),
      { numRuns: 50 },
    );
  }, 60_000);

  test("with a free slot and an idle thread, every call leaves within one turn of the loop after its due time", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stageArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.double({ min: -1.4, max: 1, noNaN: true }), { minLength: 1, maxLength: 8 }),
        async (stages, jitters) => {
          const { out } = await runAll({
            stages,
            threads: 1,
            shards: 1,
            slots: 1000,
            stopAtMs: undefined,
            services: [0.05],
            jitters,
          });
          const { log, lag } = out[0] as (typeof out)[number];
          // a timer late by up to 1 ms still wakes before the margin runs out: polls close the rest, so a
          // call leaves within one turn of the loop after its due time
          for (const s of log.log) expect(s.sentMs - s.dueMs).toBeLessThanOrEqual(POLL_MS + 1e-9);
          expect(lag.tally().count).toBe(0);
        },
      ),
      { numRuns: 30 },
    );
  }, 60_000);
});

describe("pacer", () => {
  test("sleeps on a timer while far, polls the clock for the last stretch, fires once at the due time", async () => {
    const loop = new VirtualLoop();
    const stats: PacerStats = { idleMs: 0 };
    const pacer = new Pacer(stats, undefined, loop);
    const fired: number[] = [];
    pacer.at(100, () => fired.push(loop.t));
    expect(pacer.waiting).toBe(true);
    await loop.run();
    expect(fired).toHaveLength(1);
    expect(fired[0]).toBeGreaterThanOrEqual(100);
    expect(fired[0]).toBeLessThan(100 + POLL_MS);
    expect(pacer.waiting).toBe(false);
    // the polls (turns with nothing else to do) are waiting: the margin's length
    expect(stats.idleMs).toBeGreaterThan(MARGIN_MS - 2 * POLL_MS);
    expect(stats.idleMs).toBeLessThanOrEqual(MARGIN_MS + POLL_MS);
  });

  test("cancel: the pending wake-up never fires; a new at() replaces the old", async () => {
    const loop = new VirtualLoop();
    const pacer = new Pacer({ idleMs: 0 }, undefined, loop);
    const fired: string[] = [];
    pacer.at(50, () => fired.push("a"));
    pacer.at(60, () => fired.push("b"));
    await loop.run();
    pacer.at(200, () => fired.push("c"));
    pacer.cancel();
    await loop.run();
    expect(fired).toEqual(["b"]);
  });

  test("a gap in the loop while polling, and a timer far past its time, are stalls from when to when", async () => {
    const loop = new VirtualLoop((k) => (k === 1 ? 7 : 0));
    const stalls: [number, number][] = [];
    const pacer = new Pacer({ idleMs: 0 }, (from, to) => stalls.push([from, to]), loop);
    // polling towards 10 ms: something else holds the thread for 4 ms at 9 ms
    loop.at(9, () => loop.block(4));
    pacer.at(10, () => {});
    await loop.run();
    expect(stalls).toHaveLength(1);
    const [from, to] = stalls[0] as [number, number];
    expect(to - from).toBeGreaterThanOrEqual(4);
    expect(to - from).toBeGreaterThan(STALL_MS);
    // the second timer fires 7 ms late
    pacer.at(loop.t + 50, () => {});
    await loop.run();
    expect(stalls).toHaveLength(2);
    expect((stalls[1] as [number, number])[1] - (stalls[1] as [number, number])[0]).toBeCloseTo(7, 6);
  });
});

describe("send lag", () => {
  test("counts lag, late sends, sends over the stall mark, and the calls due during the latest stall", () => {
    const lag = new SendLag();
    lag.send(0, 0.002);
    lag.stall(10, 15);
    lag.send(11, 15.001); // due inside the stall
    lag.send(14, 15.002); // due inside the stall, sent late
    lag.send(16, 16.5);
    expect(lag.sent).toBe(4);
    expect(lag.late).toBe(1); // over LATE_AFTER_MS (2 ms)
    expect(lag.h.totalCount).toBe(4);
    expect(lag.h.maxValue).toBeGreaterThanOrEqual(4000);
    expect(lag.tally()).toEqual({ lagging: 2, count: 1, totalMs: 5, longestMs: 5, dueDuring: 2 });
  });
});

describe("stall detection on a real thread", () => {
  test("a thread that blocks itself for 20 ms: the pacer names the stall and the calls due in it", async () => {
    const stats: PacerStats = { idleMs: 0 };
    const lag = new SendLag();
    const pacer = new Pacer(stats, (from, to) => lag.stall(from, to));
    const start = performance.now() + 5;
    const every = 0.5;
    let k = 0;
    // another callback on the same thread blocks it (as a GC pause or a long response handler would)
    setTimeout(() => {
      const until = performance.now() + 20;
      while (performance.now() < until) {}
    }, 15);
    await new Promise<void>((resolve) => {
      const wake = () => {
        for (;;) {
          if (k >= 120) return resolve();
          const due = start + k * every;
          const now = performance.now();
          if (due > now) return pacer.at(due, wake);
          lag.send(due, now);
          k++;
        }
      };
      wake();
    });
    const t = lag.tally();
    expect(t.count).toBeGreaterThanOrEqual(1);
    // A stall runs from when the pacer was to wake: on a sleep (the timerfd) that instant may fall up to one
    // call interval after the block began, so the pacer sees at least the block less that interval.
    expect(t.longestMs).toBeGreaterThanOrEqual(20 - every);
    // 20 ms at one call per 0.5 ms: about 40 calls were due while the thread was blocked
    expect(t.dueDuring).toBeGreaterThanOrEqual(30);
    expect(lag.sent).toBe(120);
  });
});
