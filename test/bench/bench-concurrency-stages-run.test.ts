// Concurrency schedules over real loopback sockets, against the compiled `grpcperf serve` with
// --server-delay (every call takes at least that long, so k slots complete at most k/delay calls a second):
// each stage's calls stay within its level's bound, a level-0 stage sends nothing new, slots asleep wake for a
// later stage (and for Ctrl-C), ghz's spelling runs as its --concurrency-stages form, bad schedules are exit 2
// before any call, and open-loop stages add up their sends. Counts and bounds only, never speed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchFlags } from "../../src/bench/options.ts";
import type { BenchReport, StageReport } from "../../src/report/types.ts";
import { benchOptions, type Counter, countingEcho, newCounter, reportOf } from "../support/bench-helpers.ts";
import {
  runBinaryAsync,
  type ServedBinary,
  serveBinary,
  serveOnLoopback,
  type TestServer,
} from "../support/helpers.ts";
import { onTerminal } from "../support/terminal.ts";

const cwd = mkdtempSync(join(tmpdir(), "grpcperf-conc-"));
const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd };
const binary = (args: string[]) => runBinaryAsync(["bench", ...args], { cwd, env });

async function bench(flags: BenchFlags): Promise<BenchReport> {
  return (await reportOf(benchOptions(flags))).report;
}

const DELAY_S = 0.02;
/**
 * The most calls a stage can hold: every active slot completes at most one call per delay, plus the calls
 * already in flight when it started (the previous level) and, in the last stage, the tail.
 */
const bound = (s: StageReport, previous: number) =>
  Math.max(s.target_concurrency_from ?? 0, s.target_concurrency_to ?? 0) * ((s.end_s - s.start_s) / DELAY_S + 1) +
  previous;
const calls = (s: StageReport) => s.ok + s.failed;

describe("closed loop with --concurrency-stages against grpcperf serve --server-delay", () => {
  let server: ServedBinary;
  beforeAll(async () => {
    server = await serveBinary([], { cwd, env });
  });
  afterAll(() => server.stop());

  test("each stage keeps to its level: 1, then 4, then 0 (nothing new sent), then 2 (the sleepers wake)", async () => {
    const report = await bench({
      server: server.target,
      "concurrency-stages": "1s:1-1,1s:4-4,1s:0-0,1s:2-2",
      "server-delay": "20ms",
      connections: "2",
      threads: "2",
      interval: "250ms",
    });
    expect(report.mode).toBe("closed-loop");
    expect(report.options).toMatchObject({ concurrency: 4, connections: 2, duration_s: 4, rate: null });
    expect(report.options.concurrency_stages).toEqual([
      { duration_s: 1, from: 1, to: 1 },
      { duration_s: 1, from: 4, to: 4 },
      { duration_s: 1, from: 0, to: 0 },
      { duration_s: 1, from: 2, to: 2 },
    ]);
    const stages = report.stages ?? [];
    expect(stages.map((s) => [s.start_s, s.end_s, s.target_concurrency_from, s.target_concurrency_to])).toEqual([
      [0, 1, 1, 1],
      [1, 2, 4, 4],
      [2, 3, 0, 0],
      [3, 4, 2, 2],
    ]);
    for (const s of stages) {
      expect(s).not.toHaveProperty("target_rps_from");
      expect(s).not.toHaveProperty("sent"); // a closed loop has no schedule to be late for
      expect(s.errors).toEqual([]);
      expect(typeof s.loader_saturated).toBe("boolean");
    }
    // every call is in one stage
    expect(stages.reduce((n, s) => n + calls(s), 0)).toBe(report.total.requests);
    const [one, four, zero, two] = stages as [StageReport, StageReport, StageReport, StageReport];
    // one slot: at most one call per 20 ms (all four would have ~4× that)
    expect(calls(one)).toBeGreaterThan(0);
    expect(calls(one)).toBeLessThanOrEqual(bound(one, 0));
    expect(calls(four)).toBeLessThanOrEqual(bound(four, 1));
    expect(calls(four)).toBeGreaterThan(calls(one) / 4); // the bound's slack is not all it got
    // level 0: only the calls in flight as it began end in it
    expect(calls(zero)).toBeLessThanOrEqual(4);
    // after a whole second asleep, the slots of ranks 0 and 1 send again
    expect(calls(two)).toBeGreaterThan(0);
    expect(calls(two)).toBeLessThanOrEqual(bound(two, 0));
    // with level 1, rank 0 is connection 0's; from level 2 on both connections carry calls
    expect(report.connections.map((c) => c.calls > 0)).toEqual([true, true]);
  }, 30_000);

  test("a ramp: the level climbs a slot at a time, so the calls per interval grow within its bound", async () => {
    const report = await bench({
      server: server.target,
      "concurrency-stages": "2s:0-4",
      "server-delay": "20ms",
      connections: "2",
      threads: "1",
      interval: "500ms",
    });
    const points = report.timeline?.points ?? [];
    expect(points).toHaveLength(4);
    // the level is 0, 1, 2, 3 over the four half seconds (rounded down)
    points.forEach((p, i) => {
      expect(p.ok + p.failed).toBeLessThanOrEqual(i * (0.5 / DELAY_S + 1) + Math.max(0, i - 1));
    });
    expect(points[0]?.ok).toBe(0);
    expect(report.total.requests).toBeGreaterThan(0);
    expect(report.stages?.[0]).toMatchObject({ target_concurrency_from: 0, target_concurrency_to: 4 });
  }, 30_000);

  test("streams follow the schedule too (a slot opens streams while its rank is within the level)", async () => {
    const report = await bench({
      server: server.target,
      service: "echo-stream",
      "stream-messages": "2",
      "concurrency-stages": "1s:1-1,1s:3-3",
      "server-delay": "20ms",
      connections: "1",
      threads: "1",
      interval: "250ms",
    });
    const [one, three] = report.stages ?? [];
    // a stream of 2 ping-pong messages takes at least 40 ms
    expect(one?.ok).toBeGreaterThan(0);
    expect(one?.ok).toBeLessThanOrEqual(1 / 0.04 + 1);
    expect(three?.ok).toBeLessThanOrEqual(3 * (1 / 0.04 + 1) + 1);
    expect(three).toMatchObject({ target_concurrency_from: 3, target_concurrency_to: 3 });
    expect(report.streams?.ok).toBe((one?.ok ?? 0) + (three?.ok ?? 0));
  }, 30_000);

  test("ghz's --concurrency-schedule step through the binary: the stages and run of its --concurrency-stages form", async () => {
    const common = ["--server", server.target, "--server-delay", "10ms", "-c", "1", "--json", "-q"];
    const ghz = ["--concurrency-schedule", "step", "--concurrency-start", "1", "--concurrency-step", "2"];
    ghz.push("--concurrency-step-duration", "500ms", "--concurrency-end", "5", "-z", "2s");
    const [a, b] = await Promise.all([
      binary([...common, ...ghz]),
      binary([...common, "--concurrency-stages", "500ms:1-1,500ms:3-3,1s:5-5"]),
    ]);
    expect([a.code, b.code]).toEqual([0, 0]);
    const [ra, rb] = [JSON.parse(a.stdout) as BenchReport, JSON.parse(b.stdout) as BenchReport];
    expect(ra.options.concurrency_stages).toEqual([
      { duration_s: 0.5, from: 1, to: 1 },
      { duration_s: 0.5, from: 3, to: 3 },
      { duration_s: 1, from: 5, to: 5 },
    ]);
    expect(ra.options.concurrency_stages).toEqual(rb.options.concurrency_stages as never);
    for (const k of ["concurrency", "connections", "duration_s", "rate", "requests"] as const)
      expect(ra.options[k]).toEqual(rb.options[k]);
    expect(ra.stages?.map((s) => [s.start_s, s.end_s, s.target_concurrency_to])).toEqual(
      rb.stages?.map((s) => [s.start_s, s.end_s, s.target_concurrency_to]) as never,
    );
  }, 30_000);

  test("Ctrl-C wakes the slots asleep until a later stage: the run ends with a partial report", async () => {
    const out = join(cwd, "interrupted.json");
    const t = onTerminal(
      [
        "bench",
        "--server",
        server.target,
        "--concurrency-stages",
        "500ms:1-1,10m:0-0,1s:2-2",
        "-c",
        "1",
        "--json",
        "-o",
        out,
      ],
      { cwd, env },
    );
    // The loader's first progress line comes 1 s in by its own clock: past the 500 ms stage, every slot asleep.
    await t.waitFor(/(?<![\d.])\d+\.\ds {2}[1-9]\d* calls/);
    t.ctrlC();
    expect(await t.exited).toBe(1); // interrupted: partial report, as any interrupted run
    const report = JSON.parse(readFileSync(out, "utf8")) as BenchReport;
    expect(report.aborted).toBe("interrupted");
    expect(report.total.ok).toBeGreaterThan(0);
  }, 60_000);
});

describe("bad concurrency schedules: one line, exit 2, no call", () => {
  let srv: TestServer;
  let counter: Counter;
  beforeAll(async () => {
    counter = newCounter();
    srv = await serveOnLoopback([countingEcho(counter)]);
  });
  afterAll(() => srv.stop());

  test.each([
    [["--concurrency-stages", "10s:-5"], '--concurrency-stages: "10s:-5" has no whole number'],
    [["--concurrency-stages", "0s:10"], '--concurrency-stages: "0s:10" lasts no time'],
    [["--concurrency-stages", "banana"], '--concurrency-stages: "banana" is not DURATION:N'],
    [["--concurrency-stages", "3s:0"], "--concurrency-stages: the schedule sends no call"],
    [["--concurrency-stages", "1s:4", "-z", "5s"], "--concurrency-stages and -z/--duration exclude each other"],
    [["--concurrency-stages", "1s:4", "--rate", "9"], "--concurrency-stages and --rate exclude each other"],
    [["--concurrency-stages", "1s:4", "--stages", "1s:9"], "--concurrency-stages and --stages exclude each other"],
    [["--concurrency-schedule", "line", "--concurrency-end", "9"], "--concurrency-schedule needs -z/--duration"],
    [["--concurrency-schedule", "step", "-z", "2s"], "--concurrency-schedule step needs --concurrency-step-duration"],
  ])("%p", async (args, message) => {
    counter.calls = 0;
    const r = await binary(["--server", srv.target, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain(message);
    expect(counter.calls).toBe(0);
  });
});

describe("open-loop stages: sends and late sends per stage", () => {
  let server: ServedBinary;
  beforeAll(async () => {
    server = await serveBinary([], { cwd, env });
  });
  afterAll(() => server.stop());

  test("the stages' sends add up to the calls, their late sends to the run's; every point counts its sends", async () => {
    const report = await bench({
      server: server.target,
      stages: "1s:100-100,1s:200-200",
      "server-delay": "1ms",
      connections: "2",
      threads: "2",
      interval: "250ms",
    });
    const stages = report.stages ?? [];
    expect(stages).toHaveLength(2);
    const points = report.timeline?.points ?? [];
    for (const p of points) expect(typeof p.sent).toBe("number");
    expect(points.reduce((n, p) => n + (p.sent ?? 0), 0)).toBe(report.total.requests);
    expect(stages.reduce((n, s) => n + (s.sent ?? 0), 0)).toBe(report.total.requests);
    expect(stages.reduce((n, s) => n + (s.late_sends ?? 0), 0)).toBe(report.rate.late_sends);
    expect(report.total.requests).toBe(300); // the schedule's calls: 100 then 200
    for (const s of stages) {
      expect(s.target_rps_from).toBe(s.target_rps_to as number);
      expect(s.loader_utilization === null || typeof s.loader_utilization === "number").toBe(true);
      expect(s.loader_saturated).toBe(s.loader_utilization !== null && (s.loader_utilization ?? 0) >= 0.9);
    }
  }, 30_000);
});
