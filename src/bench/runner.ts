// One load thread from start to finish: connect, warm up, run the measured phase, hand back the tallies.
// The same code runs inside a Worker (worker.ts) and, in tests, on the calling thread.

import { encode, merge } from "../report/histogram.ts";
import { type LoadConnection, openLoadConnection } from "./connection.ts";
import { threadCpuSeconds, threadPreemptions } from "./cpu.ts";
import { closedLoop, type Tickets } from "./load/closed.ts";
import { type SlotLevels, stopAwareSleep } from "./load/gate.ts";
import { levelPlanOf } from "./load/levels.ts";
import { openLoop } from "./load/open.ts";
import type { PacerStats } from "./load/pacer.ts";
import { SendLag } from "./load/send-lag.ts";
import type { LoadContext, Phase } from "./load/types.ts";
import {
  type ProgressSnapshot,
  SHARED_REQUEST_NUMBER,
  SHARED_STOP,
  SHARED_TICKETS,
  type ThreadConfig,
  type ThreadResult,
} from "./messages.ts";
import { planOf } from "./schedule.ts";
import { closedStreamLoop, openStreamLoop, type StreamContext } from "./stream/loops.ts";
import { StreamRecorder } from "./stream/tally.ts";
import { streamBodies } from "./stream/workload.ts";
import { ServiceRecorder } from "./tally.ts";
import type { ThreadTimeline } from "./timeline/recorder.ts";
import { IntervalRecorder, lastIntervalOf } from "./timeline/recorder.ts";
import { buildWorkloads } from "./workload.ts";

export interface ThreadHooks {
  onLost(reason: string): void;
  onProgress?(snapshot: ProgressSnapshot): void;
}

export interface PreparedThread {
  /** Runs warm-up and measured phase, starting at startEpochMs (the same instant for every thread); the
   * warm-up's calls begin at warmupFromEpochMs when given (--start-at left too little time for all of it). */
  run(startEpochMs: number, warmupFromEpochMs?: number): Promise<ThreadResult>;
  close(): Promise<void>;
}

export type Prepared = { ok: true; thread: PreparedThread } | { ok: false; error: string };

// Twice per tick of the coordinator's 1 s line, so the line never shows a thread one second stale.
const PROGRESS_EVERY_MS = 500;

/** Opens every connection of the thread before any timing starts, so "unreachable" is not a latency. */
export async function prepareThread(cfg: ThreadConfig, hooks: ThreadHooks): Promise<Prepared> {
  const shared = new Int32Array(cfg.shared);
  let lostReported = false;
  const onLost = (reason: string) => {
    Atomics.store(shared, SHARED_STOP, 1);
    Atomics.notify(shared, SHARED_STOP);
    if (!lostReported) hooks.onLost(reason);
    lostReported = true;
  };
  const connections: LoadConnection[] = cfg.connections.map((plan) =>
    openLoadConnection(cfg.server, plan, cfg.connectTimeoutMs ?? cfg.timeoutMs, onLost, cfg.client, cfg.tls),
  );
  const ready = await Promise.all(connections.map((c) => c.channel.ready()));
  const failed = ready.find((r) => !r.ok);
  if (failed && !failed.ok) {
    await Promise.all(connections.map((c) => c.channel.close()));
    return { ok: false, error: failed.error.details };
  }

  // {{.RequestNumber}} is unique over the whole run: a shard numbers its calls I, I + N, I + 2N, …
  const shardOf = cfg.shard ?? { index: 0, count: 1 };
  // This thread's number over every shard's threads: {{.WorkerID}}, and where it starts in --data-file.
  const lane = shardOf.index * cfg.threads + cfg.thread;
  const workloads = buildWorkloads(
    cfg.workload,
    () => Atomics.add(shared, SHARED_REQUEST_NUMBER, 1) * shardOf.count + shardOf.index,
    lane,
  );
  const open = cfg.rate !== undefined;
  const recorders = workloads.map((w) => new ServiceRecorder(w.service, open));
  // --data-file: thread i starts i/threads of the way through the lines, so line 1 is not everyone's first.
  const bodies = Math.max(...workloads.map((w) => w.bodies.length));
  // With shards, over every shard's threads: shard I's thread j starts (I + j/threads)/N of the way.
  const rotationStart = Math.floor((lane * bodies) / (cfg.threads * shardOf.count)) * workloads.length;
  const ctx: LoadContext = {
    connections,
    workloads,
    recorders,
    call: { timeoutMs: cfg.timeoutMs, metadata: cfg.metadata },
    rotationStart,
    stopped: () => Atomics.load(shared, SHARED_STOP) !== 0,
  };
  const tickets: Tickets = { claim: (limit) => Atomics.add(shared, SHARED_TICKETS, 1) < limit };
  const lag = new SendLag();
  // The pacers' waiting, over both phases: CPU spent polling the clock is idle time, not work.
  const pacing: PacerStats = { idleMs: 0 };
  const busyCpu = () => {
    const cpu = threadCpuSeconds();
    return cpu === undefined ? undefined : cpu - pacing.idleMs / 1000;
  };

  const streams = streamContext(cfg, ctx, pacing);
  // --stages: the measured phase follows them; the warm-up runs flat at the first stage's target.
  const plan = cfg.stages ? planOf(cfg.stages) : undefined;
  const levels = concurrencyLevels(cfg, shared);
  const runPhase = (given: Phase) => {
    const phase = levels ? { ...given, levels: given.record ? levels.measured : levels.warmup } : given;
    const staged = plan && phase.record ? { plan } : {};
    const rate = plan && !phase.record ? (cfg.stages?.[0]?.toRps ?? 0) : (cfg.rate ?? 0);
    const shard = cfg.shard ? { shards: cfg.shard.count, shard: cfg.shard.index } : {};
    const schedule = { rate, threads: cfg.threads, thread: cfg.thread, startMs: phase.startMs, ...staged, ...shard };
    if (streams) {
      return cfg.rate === undefined
        ? closedStreamLoop(streams, phase, tickets)
        : openStreamLoop(streams, phase, schedule, lag);
    }
    return cfg.rate === undefined ? closedLoop(ctx, phase, tickets) : openLoop(ctx, phase, schedule, lag, pacing);
  };

  return {
    ok: true,
    thread: {
      async run(startEpochMs, warmupFromEpochMs = startEpochMs) {
        const clockToPerf = performance.now() - Date.now();
        const startMs = startEpochMs + clockToPerf;
        const warmupFromMs = Math.max(startMs, warmupFromEpochMs + clockToPerf);
        const measureMs = startMs + cfg.warmupMs;
        // In steps, so a run stopped while it waits for --start-at (SIGTERM from a deleted Job) ends at once.
        const sleepUntil = async (ms: number) => {
          while (ms > performance.now() && !ctx.stopped()) await Bun.sleep(Math.min(250, ms - performance.now()));
        };
        await sleepUntil(Math.min(warmupFromMs, measureMs));
        // Both phases' intervals start at instants every thread shares (start, start + warm-up); a warm-up cut
        // short by --start-at keeps the nominal start as its origin, so its points stay on the shared grid.
        let warmup: ThreadTimeline["warmup"] = null;
        if (cfg.warmupMs > 0) {
          const timeline = new IntervalRecorder(
            startMs,
            cfg.intervalMs,
            lastIntervalOf(cfg.warmupMs, cfg.intervalMs),
            busyCpu,
          );
          if (warmupFromMs < measureMs)
            await runPhase({ startMs: warmupFromMs, endMs: measureMs, requests: undefined, record: false, timeline });
          warmup = timeline.finish(performance.now());
        }
        await sleepUntil(measureMs);
        const measured = new IntervalRecorder(
          measureMs,
          cfg.intervalMs,
          lastIntervalOf(cfg.durationMs, cfg.intervalMs),
          busyCpu,
        );
        const progress =
          cfg.progress && hooks.onProgress ? startProgress(cfg.thread, recorders, hooks, streams?.recorder) : undefined;
        const cpu0 = threadCpuSeconds();
        const idle0 = pacing.idleMs;
        const pre0 = threadPreemptions();
        const t0 = performance.now();
        // A closed loop runs for the duration from its first call: when this thread woke late, ending at
        // measureMs + duration would make the measured window shorter than asked (the open loop keeps its
        // schedule, which is fixed in advance).
        const endBase = cfg.rate === undefined ? Math.max(t0, measureMs) : measureMs;
        await runPhase({
          startMs: measureMs,
          endMs: cfg.durationMs === undefined ? undefined : endBase + cfg.durationMs,
          requests: cfg.requests,
          record: true,
          timeline: measured,
        });
        const timeline = { warmup, measured: measured.finish(performance.now()) };
        // The open loop's clock starts at its schedule; a closed loop's when its first call goes out.
        const wallSec = (performance.now() - Math.max(t0, measureMs)) / 1000;
        const cpu1 = threadCpuSeconds();
        const waitSec = (pacing.idleMs - idle0) / 1000;
        const pre1 = threadPreemptions();
        if (progress) clearInterval(progress);
        return {
          thread: cfg.thread,
          services: recorders.map((r) => r.tally()),
          connections: connections.map((c) => ({
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
          ...(open ? { sendLag: lag.encoded(), pacing: lag.tally() } : {}),
          pacerWaitSec: waitSec,
          ...(pre0 === undefined || pre1 === undefined ? {} : { preempted: pre1 - pre0 }),
          wallSec,
          cpuSec: cpu0 === undefined || cpu1 === undefined ? null : cpu1 - cpu0,
          ...(streams ? { streams: streams.recorder.tally() } : {}),
          timeline,
          startLagMs: Math.max(0, t0 - measureMs),
        };
      },
      async close() {
        await Promise.all(connections.map((c) => c.channel.close()));
      },
    },
  };
}

/**
 * --concurrency-stages as the phases run them: the measured phase follows the stages, the warm-up holds the
 * first stage's target level (as --stages warms up at the first stage's rate).
 */
function concurrencyLevels(cfg: ThreadConfig, shared: Int32Array) {
  if (!cfg.concurrency) return undefined;
  const { stages, connections, firstConnection } = cfg.concurrency;
  const sleep = stopAwareSleep(shared, SHARED_STOP);
  const first = stages[0]?.to ?? 0;
  const warm = [{ durationMs: Math.max(cfg.warmupMs, 1), from: first, to: first }];
  const common = { connections, firstConnection, sleep, ...(cfg.shard ? { shard: cfg.shard } : {}) };
  return {
    measured: { plan: levelPlanOf(stages), ...common } satisfies SlotLevels,
    warmup: { plan: levelPlanOf(warm), ...common } satisfies SlotLevels,
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
    const histograms = recorders.map((r) => encode(r.latency));
    if (streams)
      histograms.push(encode(streams.h.round_trip.totalCount > 0 ? streams.h.round_trip : streams.h.duration));
    const latency = encode(merge(histograms));
    hooks.onProgress?.({ thread, completed, failed, latency });
  }, PROGRESS_EVERY_MS);
}
