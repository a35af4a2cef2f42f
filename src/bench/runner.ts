// One load thread from start to finish: connect, warm up, run the measured phase, hand back the tallies.
// The same code runs inside a Worker (worker.ts) and, in tests, on the calling thread.

import type { LevelPlan } from "../load/levels.ts";
import type { Schedule } from "../load/schedule.ts";
import { type ClosedLoad, type LoadShape, type OpenLoad, warmupOf } from "../load/shape.ts";
import { encode, FAST, type Histogram, sum } from "../report/histogram.ts";
import { lastIntervalOf, type ThreadResult, type ThreadTimeline } from "../report/records.ts";
import { type LoadConnection, openLoadConnection } from "./connection.ts";
import { threadCpuSeconds, threadPreemptions } from "./cpu.ts";
import { closedLoop, type Tickets } from "./loops/closed.ts";
import { type SlotLevels, stopAwareSleep } from "./loops/gate.ts";
import { openLoop } from "./loops/open.ts";
import { type PacerStats, preparePacer } from "./loops/pacer.ts";
import { SendLag } from "./loops/send-lag.ts";
import type { LoadContext, Phase } from "./loops/types.ts";
import {
  type ProgressSnapshot,
  SHARED_BACK,
  SHARED_REQUEST_NUMBER,
  SHARED_STOP,
  SHARED_TICKETS,
  type ThreadConfig,
} from "./messages.ts";
import { OutageRecorder } from "./outages.ts";
import { closedStreamLoop, openStreamLoop, type StreamContext } from "./stream/loops.ts";
import { StreamRecorder } from "./stream/tally.ts";
import { streamBodies } from "./stream/workload.ts";
import { ServiceRecorder } from "./tally.ts";
import { IntervalRecorder } from "./timeline/recorder.ts";
import { bodiesOnTheWire } from "./wire-bodies.ts";
import { buildWorkloads } from "./workload.ts";

interface ThreadHooks {
  onLost(reason: string): void;
  onProgress?(snapshot: ProgressSnapshot): void;
}

export interface PreparedThread {
  /** Runs warm-up and measured phase, starting at startEpochMs (the same instant for every thread); the
   * warm-up's calls begin at warmupFromEpochMs when given (--start-at left too little time for all of it). */
  run(startEpochMs: number, warmupFromEpochMs?: number): Promise<ThreadResult>;
  close(): Promise<void>;
}

type Prepared = { ok: true; thread: PreparedThread } | { ok: false; error: string };

// Twice per tick of the coordinator's 1 s line, so the line never shows a thread one second stale.
const PROGRESS_EVERY_MS = 500;
/** How long before an open loop's start its pacer takes over from the coarse sleep. */
const PACER_LEAD_MS = 5;

/** A connected thread, ready to run its phases. */
interface ThreadState {
  readonly cfg: ThreadConfig;
  readonly hooks: ThreadHooks;
  readonly ctx: LoadContext;
  readonly streams: StreamContext | undefined;
  readonly lag: SendLag;
  /** The pacers' waiting, over both phases: CPU spent polling the clock is idle time, not work. */
  readonly pacing: PacerStats;
  readonly runPhase: (phase: Phase) => Promise<void>;
  readonly outages: OutageRecorder;
}

/** Opens every connection of the thread before any timing starts, so "unreachable" is not a latency. */
/**
 * The first histogram encode of a thread loads zlib and compiles the encoder: 12–19 ms on the 2-core VM,
 * which fell on the warm-up's end (its timeline closes there) and held back every call due meanwhile, the
 * worst send lag of many runs; the first close of an interval with send lag still took ~1 ms more. Both
 * are done once here, on a throwaway timeline, before the start, where they cost the schedule nothing.
 */
function warmEncoder(): void {
  const t = new IntervalRecorder(0, 1, 3, () => undefined, 0);
  for (const at of [0.5, 1.5, 2.5]) {
    t.sent(false, at, 0.002);
    t.record(0, 0.1, at);
  }
  t.finish(3);
}

export async function prepareThread(cfg: ThreadConfig, hooks: ThreadHooks): Promise<Prepared> {
  const shared = new Int32Array(cfg.shared);
  let lostReported = false;
  const onLost = (reason: string) => {
    Atomics.store(shared, SHARED_STOP, 1);
    Atomics.notify(shared, SHARED_STOP);
    if (!lostReported) hooks.onLost(reason);
    lostReported = true;
  };
  const outages = new OutageRecorder();
  const link = {
    address: cfg.server,
    connectTimeoutMs: cfg.connectTimeoutMs ?? cfg.timeoutMs,
    client: cfg.client,
    wire: cfg.wire,
    http1: cfg.http1 === true,
    ...(cfg.tls ? { tls: cfg.tls } : {}),
    reconnect: cfg.reconnect,
  };
  // One connection back means the server is: the thread's others try at once rather than at their backoff's
  // end, and so do the other threads' (told through the shared counter), so the outage ends with the first.
  const retryAll = () => {
    for (const c of connections) c.channel.retryNow();
  };
  const back = () => {
    retryAll();
    Atomics.add(shared, SHARED_BACK, 1);
    Atomics.notify(shared, SHARED_BACK);
  };
  const stopWatching = watchBack(shared, retryAll);
  const connections: LoadConnection[] = cfg.connections.map((plan) =>
    openLoadConnection(link, plan, outages.linkEvents(back), cfg.stopOnLoss ? onLost : undefined),
  );
  const ready = await Promise.all(connections.map((c) => c.channel.ready()));
  const failed = ready.find((r) => !r.ok);
  if (failed && !failed.ok) {
    stopWatching();
    await Promise.all(connections.map((c) => c.channel.close()));
    return { ok: false, error: failed.error.details };
  }
  const state = threadState(cfg, hooks, connections, shared, outages);
  warmEncoder();
  await preparePacer(cfg.ownCore === true);
  return {
    ok: true,
    thread: {
      run: (startEpochMs, warmupFromEpochMs = startEpochMs) => runThread(state, startEpochMs, warmupFromEpochMs),
      async close() {
        stopWatching();
        await Promise.all(connections.map((c) => c.channel.close()));
      },
    },
  };
}

/** Calls `onBack` whenever another thread's connection came back; returns the function that stops watching. */
function watchBack(shared: Int32Array, onBack: () => void): () => void {
  let watching = true;
  void (async () => {
    let seen = Atomics.load(shared, SHARED_BACK);
    while (watching) {
      const w = Atomics.waitAsync(shared, SHARED_BACK, seen, 1000);
      if (w.async) await w.value;
      const now = Atomics.load(shared, SHARED_BACK);
      if (now !== seen && watching) onBack();
      seen = now;
    }
  })();
  return () => {
    watching = false;
    Atomics.notify(shared, SHARED_BACK);
  };
}

function threadState(
  cfg: ThreadConfig,
  hooks: ThreadHooks,
  connections: readonly LoadConnection[],
  shared: Int32Array,
  outages: OutageRecorder,
): ThreadState {
  const share = cfg.load.share;
  // This thread's number over every shard's threads: {{.WorkerID}}, and where it starts in --data-file.
  const lane = share.index * cfg.threads + cfg.thread;
  // {{.RequestNumber}} is unique over the whole run: a shard numbers its calls I, I + N, I + 2N, …
  const nextNumber = () => Atomics.add(shared, SHARED_REQUEST_NUMBER, 1) * share.count + share.index;
  const workloads = bodiesOnTheWire(buildWorkloads(cfg.workload, nextNumber, lane), cfg.wire);
  const recorders = workloads.map((w) => new ServiceRecorder(w.service, cfg.load.kind === "open"));
  // --data-file: thread i starts i/threads of the way through the lines, so line 1 is not everyone's first.
  // With shards, over every shard's threads: shard I's thread j starts (I + j/threads)/N of the way.
  const bodies = Math.max(...workloads.map((w) => w.bodies.length));
  const rotationStart = Math.floor((lane * bodies) / (cfg.threads * share.count)) * workloads.length;
  const ctx: LoadContext = {
    connections,
    workloads,
    recorders,
    call: { timeoutMs: cfg.timeoutMs, metadata: cfg.metadata, ...(cfg.httpGet ? { httpGet: true } : {}) },
    rotationStart,
    stopped: () => Atomics.load(shared, SHARED_STOP) !== 0,
  };
  const pacing: PacerStats = { idleMs: 0 };
  const lag = new SendLag();
  const streams = streamContext(cfg, ctx, pacing);
  const tickets: Tickets = { claim: (limit) => Atomics.add(shared, SHARED_TICKETS, 1) < limit };
  const sleep = stopAwareSleep(shared, SHARED_STOP);
  // --stages / --concurrency-stages: the measured phase follows them; the warm-up holds the first stage's target.
  const warmup = warmupOf(cfg.load, cfg.warmupMs);
  const runPhase = (phase: Phase) => {
    const load: LoadShape = phase.record ? cfg.load : warmup;
    if (load.kind === "open") {
      const schedule = scheduleOf(load, cfg, phase.startMs);
      return streams ? openStreamLoop(streams, phase, schedule, lag) : openLoop(ctx, phase, schedule, lag, pacing);
    }
    const gated = load.plan ? { ...phase, levels: slotLevels(load, load.plan, cfg, sleep) } : phase;
    return streams ? closedStreamLoop(streams, gated, tickets) : closedLoop(ctx, gated, tickets);
  };
  return { cfg, hooks, ctx, streams, lag, pacing, runPhase, outages };
}

/** An open loop's schedule as this thread sends it: the whole run's plan, this thread's and shard's calls. */
function scheduleOf(load: OpenLoad, cfg: ThreadConfig, startMs: number): Schedule {
  return {
    rate: load.rate,
    threads: cfg.threads,
    thread: cfg.thread,
    startMs,
    ...(load.plan ? { plan: load.plan } : {}),
    shards: load.share.count,
    shard: load.share.index,
  };
}

/** A closed loop's concurrency plan as this process's slots follow it (ranks over its connections). */
function slotLevels(load: ClosedLoad, plan: LevelPlan, cfg: ThreadConfig, sleep: SlotLevels["sleep"]): SlotLevels {
  return {
    plan,
    connections: cfg.processConnections,
    firstConnection: cfg.firstConnection,
    sleep,
    shard: load.share,
  };
}

async function runThread(s: ThreadState, startEpochMs: number, warmupFromEpochMs: number): Promise<ThreadResult> {
  const { cfg, ctx } = s;
  const clockToPerf = performance.now() - Date.now();
  const startMs = startEpochMs + clockToPerf;
  const warmupFromMs = Math.max(startMs, warmupFromEpochMs + clockToPerf);
  const measureMs = startMs + cfg.warmupMs;
  // In steps, so a run stopped while it waits for --start-at (SIGTERM from a deleted Job) ends at once.
  // Bun's sleep is millisecond-coarse: an open loop's last stretch before its start is its pacer's, which
  // holds to the microsecond (a sleep to the start itself made the first calls up to a millisecond late).
  const lead = cfg.load.kind === "open" ? PACER_LEAD_MS : 0;
  const sleepUntil = async (ms: number) => {
    while (ms - lead > performance.now() && !ctx.stopped())
      await Bun.sleep(Math.min(250, ms - lead - performance.now()));
  };
  await sleepUntil(Math.min(warmupFromMs, measureMs));
  // Both phases' intervals start at instants every thread shares (start, start + warm-up); a warm-up cut
  // short by --start-at keeps the nominal start as its origin, so its points stay on the shared grid.
  let warmup: () => ThreadTimeline["warmup"] = () => null;
  if (cfg.warmupMs > 0) {
    const timeline = new IntervalRecorder(
      startMs,
      cfg.intervalMs,
      lastIntervalOf(cfg.warmupMs, cfg.intervalMs),
      busyCpu(s.pacing),
    );
    timeline.watch = s.outages;
    if (warmupFromMs < measureMs)
      await s.runPhase({ startMs: warmupFromMs, endMs: measureMs, requests: undefined, record: false, timeline });
    // encoded once the measured phase is over: its first calls are due now
    warmup = timeline.seal(performance.now());
  }
  return await measure(s, measureMs, warmup, sleepUntil);
}

/** The thread's CPU less the pacers' waiting so far: the interval recorder's measure of work. */
const busyCpu = (pacing: PacerStats) => () => {
  const cpu = threadCpuSeconds();
  return cpu === undefined ? undefined : cpu - pacing.idleMs / 1000;
};

async function measure(
  s: ThreadState,
  measureMs: number,
  warmup: () => ThreadTimeline["warmup"],
  sleepUntil: (ms: number) => Promise<void>,
): Promise<ThreadResult> {
  const { cfg, ctx, lag, streams } = s;
  const measured = new IntervalRecorder(
    measureMs,
    cfg.intervalMs,
    lastIntervalOf(cfg.durationMs, cfg.intervalMs),
    busyCpu(s.pacing),
  );
  measured.watch = s.outages;
  s.outages.begin(measureMs);
  const progress =
    cfg.progress && s.hooks.onProgress
      ? startProgress(cfg.thread, ctx.recorders, s.hooks, streams?.recorder)
      : undefined;
  await sleepUntil(measureMs);
  const cpu0 = threadCpuSeconds();
  const idle0 = s.pacing.idleMs;
  const pre0 = threadPreemptions();
  const t0 = performance.now();
  // A closed loop runs for the duration from its first call: when this thread woke late, ending at
  // measureMs + duration would make the measured window shorter than asked (the open loop keeps its
  // schedule, which is fixed in advance).
  const endBase = cfg.load.kind === "closed" ? Math.max(t0, measureMs) : measureMs;
  await s.runPhase({
    startMs: measureMs,
    endMs: cfg.durationMs === undefined ? undefined : endBase + cfg.durationMs,
    requests: cfg.requests,
    record: true,
    timeline: measured,
  });
  const timeline = { warmup: warmup(), measured: measured.finish(performance.now()) };
  // The open loop's clock starts at its schedule; a closed loop's when its first call goes out.
  const wallSec = (performance.now() - Math.max(t0, measureMs)) / 1000;
  const cpu1 = threadCpuSeconds();
  const waitSec = (s.pacing.idleMs - idle0) / 1000;
  const pre1 = threadPreemptions();
  if (progress) clearInterval(progress);
  const outages = s.outages.tally();
  return {
    ...(outages.length > 0 ? { outages } : {}),
    thread: cfg.thread,
    services: ctx.recorders.map((r) => r.tally()),
    connections: ctx.connections.map((c) => ({
      index: c.index,
      thread: cfg.thread,
      calls: c.calls,
      connects: c.channel.stats.connects,
      goaways: c.channel.stats.goaways,
    })),
    sent: lag.sent,
    sendWindowSec: lag.sent > 0 ? (lag.lastSendMs - measureMs) / 1000 : 0,
    lateSends: lag.late,
    maxSendLagUs: Math.round(lag.maxLagMs * 1000),
    slotWaits: lag.starved,
    ...(cfg.load.kind === "open" ? { sendLag: lag.encoded(), pacing: lag.tally() } : {}),
    pacerWaitSec: waitSec,
    ...(pre0 === undefined || pre1 === undefined ? {} : { preempted: pre1 - pre0 }),
    wallSec,
    cpuSec: cpu0 === undefined || cpu1 === undefined ? null : cpu1 - cpu0,
    ...(streams ? { streams: streams.recorder.tally() } : {}),
    timeline,
    startLagMs: Math.max(0, t0 - measureMs),
  };
}

/** A streaming run's thread state: every stream of the thread shares one plan and one recorder. */
function streamContext(cfg: ThreadConfig, ctx: LoadContext, pacing: PacerStats): StreamContext | undefined {
  if (!cfg.stream) return undefined;
  const { workload: w, settings } = cfg.stream;
  return {
    connections: ctx.connections,
    plan: {
      path: w.path,
      kind: w.kind,
      bodies: streamBodies(w, settings.messages),
      matchSequence: w.matchSequence === true,
      rate: settings.rate,
      call: ctx.call,
    },
    recorder: new StreamRecorder(),
    stopped: ctx.stopped,
    pacing,
  };
}

function startProgress(
  thread: number,
  recorders: readonly ServiceRecorder[],
  hooks: ThreadHooks,
  streams?: StreamRecorder,
): ReturnType<typeof setInterval> {
  return setInterval(() => {
    let completed = streams?.completed ?? 0;
    let failed = streams?.failed ?? 0;
    for (const r of recorders) {
      completed += r.completed;
      failed += r.failed;
    }
    const histograms: Histogram[] = recorders.map((r) => r.latency);
    if (streams) histograms.push(streams.h.round_trip.totalCount > 0 ? streams.h.round_trip : streams.h.duration);
    // This runs on the load thread, between its sends: the snapshot is added up in place and compressed once,
    // at zlib's fastest level (0.4 ms instead of 2.6 ms for a 200,000-call histogram here; it lives one tick).
    const latency = encode(histograms.length === 1 ? (histograms[0] as Histogram) : sum(histograms), FAST);
    hooks.onProgress?.({ thread, completed, failed, latency });
  }, PROGRESS_EVERY_MS);
}
