// The main thread's side of a run: one Worker per load thread, all started at the same instant, their
// progress merged for the live line and their results gathered at the end. It sends no calls itself.

import { connectBoundOf } from "../client/channel.ts";
import { planThreads } from "../load/plan.ts";
import { merge } from "../report/histogram.ts";
import type { ThreadResult } from "../report/records.ts";
import { workerScriptUrl } from "../worker-url.ts";
import { RuntimeSweeper } from "./affinity.ts";
import { processCpuSeconds } from "./cpu.ts";
import {
  type FromThread,
  type ProgressSnapshot,
  SHARED_SLOTS,
  SHARED_STOP,
  type ThreadConfig,
  type ToThread,
} from "./messages.ts";
import type { BenchOptions } from "./options.ts";
import { planStart, type StartPlan } from "./start-at.ts";
import { streamWorkloadOf } from "./stream/workload.ts";
import type { WorkloadSpec } from "./workload.ts";

export interface Progress {
  readonly elapsedSec: number;
  readonly completed: number;
  readonly failed: number;
  readonly p99Us: number | undefined;
}

export type RunOutcome =
  | { readonly kind: "unreachable"; readonly error: string }
  | {
      readonly kind: "finished";
      readonly startedAt: Date;
      readonly threads: readonly ThreadResult[];
      /** Process CPU (all threads, this one included) over the whole run, warm-up included. */
      readonly processCpuSec: number;
      /** Why the run ended early, if it did (server gone, interrupted). */
      readonly aborted: string | null;
      /** --start-at: how this process's start was planned once it was ready. */
      readonly start?: StartPlan;
    };

interface RunHandle {
  readonly outcome: Promise<RunOutcome>;
  /** Ends the run early (e.g. on SIGINT): calls in flight finish, results so far are reported. */
  stop(reason: string): void;
}

const START_MARGIN_MS = 20;

/** `call`: the --call workload (call-prepare.ts), made before the run; without it, echo/crypto as the options say. */
export function startRun(
  opts: BenchOptions,
  onProgress?: (p: Progress) => void,
  call?: WorkloadSpec["call"],
  /** Called once every thread is connected, with the --start-at plan (undefined without one). */
  onStart?: (start: StartPlan | undefined) => void,
): RunHandle {
  const shared = new SharedArrayBuffer(SHARED_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const flags = new Int32Array(shared);
  let aborted: string | null = null;
  const stop = (reason: string) => {
    aborted ??= reason;
    Atomics.store(flags, SHARED_STOP, 1);
    Atomics.notify(flags, SHARED_STOP); // slots asleep until a later concurrency stage wake up
  };
  // A shard's connections are numbered after the lower shards' ones, so merged reports keep one numbering.
  const first = opts.shard?.firstConnection ?? 0;
  const plans = planThreads(opts.connections, opts.concurrency, opts.threads).map((p) => ({
    ...p,
    connections: p.connections.map((c) => ({ ...c, index: c.index + first })),
  }));
  const workers = plans.map(() => new Worker(workerScriptUrl(import.meta.url, "bench/worker.ts")));
  const outcome = gather({ workers, opts, onProgress, onStart, stop, aborted: () => aborted });
  workers.forEach((w, i) => {
    const pinCpu = opts.pin?.load[i % opts.pin.load.length];
    const config: ThreadConfig = {
      thread: i,
      ...(pinCpu === undefined ? {} : { pinCpu, ownCore: workers.length <= (opts.pin?.load.length ?? 0) }),
      threads: workers.length,
      server: opts.server,
      connections: plans[i]?.connections ?? [],
      workload: {
        service: opts.service,
        payloadSize: opts.payloadSize,
        algorithms: opts.algorithms,
        call,
        serverDelayUs: opts.serverDelayUs,
        serverBusyUs: opts.serverBusyUs,
      },
      timeoutMs: opts.timeoutMs,
      connectTimeoutMs: opts.connectTimeoutMs ?? connectBoundOf(opts.timeoutMs),
      tls: opts.tls,
      // The whole run's plan, and this shard's share of it: no figure is divided here (load/shape.ts).
      load: opts.load,
      processConnections: opts.connections,
      firstConnection: first,
      requests: opts.requests,
      durationMs: opts.durationMs,
      warmupMs: opts.warmupMs,
      intervalMs: opts.intervalMs,
      progress: onProgress !== undefined,
      shared,
      client: opts.client,
      wire: opts.wire,
      httpGet: opts.httpGet,
      http1: opts.http1,
      reconnect: opts.reconnect,
      stopOnLoss: opts.stopOnLoss,
      metadata: opts.metadata,
      ...(opts.stream ? { stream: { workload: streamWorkloadOf(opts), settings: opts.stream } } : {}),
    };
    w.postMessage({ type: "start", config } satisfies ToThread);
  });
  return { outcome, stop };
}

interface Gathering {
  readonly workers: readonly Worker[];
  readonly opts: BenchOptions;
  readonly onProgress: ((p: Progress) => void) | undefined;
  readonly onStart: ((start: StartPlan | undefined) => void) | undefined;
  readonly stop: (reason: string) => void;
  /** Why the run was stopped early, if it was. */
  readonly aborted: () => string | null;
}

/** The threads' messages until every thread is done (or one could not connect, or crashed). */
function gather(g: Gathering): Promise<RunOutcome> {
  const { workers, stop } = g;
  return new Promise<RunOutcome>((resolve, reject) => {
    const cpu0 = processCpuSeconds();
    let startedAt = new Date();
    let start: StartPlan | undefined;
    let ready = 0;
    let settled = false;
    const results: ThreadResult[] = [];
    const snapshots = new Map<number, ProgressSnapshot>();
    let ticker: ReturnType<typeof setInterval> | undefined;
    // --pin-cpus: the load threads' ids, as they report them; the rest of the process is kept off their CPUs
    const loadTids = new Set<number>();
    const sweeper = g.opts.pin && new RuntimeSweeper(loadTids, g.opts.pin.runtime);

    const finish = (o: RunOutcome | Error) => {
      if (settled) return;
      settled = true;
      if (ticker) clearInterval(ticker);
      sweeper?.stop();
      for (const w of workers) w.terminate();
      if (o instanceof Error) reject(o);
      else resolve(o);
    };

    const onMessage = (m: FromThread) => {
      switch (m.type) {
        case "ready":
          if (m.tid !== undefined) loadTids.add(m.tid);
          if (++ready === workers.length) {
            sweeper?.start();
            const go = startOf(g.opts);
            start = go.start;
            startedAt = new Date(go.startEpochMs);
            g.onStart?.(start);
            const { startEpochMs, warmupFromEpochMs } = go;
            for (const w of workers) w.postMessage({ type: "go", startEpochMs, warmupFromEpochMs } satisfies ToThread);
            const onProgress = g.onProgress;
            if (onProgress) ticker = setInterval(() => onProgress(progressOf(snapshots, go.startEpochMs)), 1000);
          }
          return;
        case "unreachable":
          stop("unreachable");
          return finish({ kind: "unreachable", error: m.error });
        case "progress":
          snapshots.set(m.snapshot.thread, m.snapshot);
          return;
        case "lost":
          stop(`server went away: ${m.reason}`);
          return;
        case "crashed":
          stop("a load thread failed");
          return finish(new Error(`load thread failed: ${m.error}`));
        case "done":
          results.push(m.result);
          if (results.length < workers.length) return;
          results.sort((a, b) => a.thread - b.thread);
          finish({
            kind: "finished",
            startedAt,
            threads: results,
            processCpuSec: processCpuSeconds() - cpu0,
            aborted: g.aborted(),
            ...(start ? { start } : {}),
          });
          return;
      }
    };

    workers.forEach((w, i) => {
      w.onmessage = (e: MessageEvent<FromThread>) => onMessage(e.data);
      w.onerror = (e) => finish(new Error(`load thread ${i} failed: ${e.message}`));
    });
  });
}

/** Every thread is connected: all start at one instant, shortly from now or as --start-at planned it. */
function startOf(opts: BenchOptions): { start?: StartPlan; startEpochMs: number; warmupFromEpochMs: number } {
  // --start-at: every shard connects first, then its warm-up leads into the measured phase at that time.
  const start =
    opts.startAtMs === undefined ? undefined : planStart(opts.startAtMs, opts.warmupMs, Date.now(), START_MARGIN_MS);
  const startEpochMs = start?.startEpochMs ?? Date.now() + START_MARGIN_MS;
  const warmupFromEpochMs = start?.warmupFromEpochMs ?? startEpochMs;
  return { ...(start ? { start } : {}), startEpochMs, warmupFromEpochMs };
}

function progressOf(snapshots: Map<number, ProgressSnapshot>, startEpochMs: number): Progress {
  let completed = 0;
  let failed = 0;
  for (const s of snapshots.values()) {
    completed += s.completed;
    failed += s.failed;
  }
  const h = merge([...snapshots.values()].map((s) => s.latency));
  return {
    elapsedSec: Math.max(0, (Date.now() - startEpochMs) / 1000),
    completed,
    failed,
    p99Us: h.totalCount > 0 ? h.getValueAtPercentile(99) : undefined,
  };
}
