// A fixed pool of Bun Workers that sign and verify. Jobs wait on the main thread in a bounded queue and a
// worker gets at most `window` of them at a time: a job refused or dropped there never costs a worker
// anything, and nothing piles up out of reach in a worker's message port. A worker that dies fails its own
// jobs (INTERNAL upstream) and is replaced.
import { workerScriptUrl } from "../worker-url.ts";
import type { CryptoExecutor, ExecutorStats, Outcome, Refused } from "./executor.ts";
import type { Job, JobResult } from "./jobs.ts";
import type { PrivateKeyMaterial } from "./keys.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";
import { BoundedQueue, type Caller, type Drop, whyDrop } from "./queue.ts";

export function workerUrl(moduleUrl: string = import.meta.url): string {
  return workerScriptUrl(moduleUrl, "crypto/worker.ts");
}

const WORKER_START_TIMEOUT_MS = 15_000;

/** Jobs waiting per worker when not told otherwise: deep enough that the load generators people point at a
 * signing server (bench's throughput preset keeps 256 calls in flight) wait rather than fail on a
 * 2-core server, shallow enough that a waiting job is signed within a few hundred ms (an RSA-2048
 * signature takes about a millisecond) rather than long after its caller has given up. */
const DEFAULT_QUEUE_PER_WORKER = 256;

/** Jobs a worker holds at once. One keeps the promise that a dropped job never reaches a worker; the
 * round trip for the next job cost nothing above the noise of a shared 2-core machine, against 2 or all
 * jobs at once (scripts/bench-pool.ts). */
const DEFAULT_WINDOW = 1;

function defaultQueueSize(workers: number): number {
  return DEFAULT_QUEUE_PER_WORKER * Math.max(1, workers);
}

interface Slot {
  worker: Worker;
  /** Set once the worker holds its keys; only then does it get jobs. */
  started: boolean;
  readonly inflight: Map<number, (r: JobResult) => void>;
}

interface Pending {
  readonly job: Job;
  readonly caller: Caller | undefined;
  readonly done: (o: Outcome) => void;
}

/** The pool's counters: what the tests assert on, and what serve logs at shutdown. */
type PoolStats = ExecutorStats;

interface PoolOptions {
  /** A worker died; its jobs failed. Told to the caller to log, never with key material. */
  onWorkerError?: (message: string) => void;
  /** The worker script; tests point this at a worker that misbehaves on purpose. */
  scriptUrl?: string;
  /** Jobs that may wait for a worker; more are refused. Default: defaultQueueSize(size). */
  queue?: number;
  /** Jobs a worker holds at once (default DEFAULT_WINDOW); larger only for measurements. */
  window?: number;
}

function post(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}

function refused(refusal: Refused["refused"], error: string): Refused {
  return { ok: false, refused: refusal, error };
}

const DROP_TEXT: Record<Drop, string> = {
  deadline: "deadline exceeded while waiting for a signing worker",
  cancelled: "call cancelled while waiting for a signing worker",
};

export class WorkerPool implements CryptoExecutor {
  private readonly slots: Slot[] = [];
  private readonly queue: BoundedQueue<Pending>;
  private readonly window: number;
  private nextId = 1;
  private closed = false;
  readonly stats: PoolStats = { dispatched: 0, rejected: 0, dropped: { deadline: 0, cancelled: 0 } };

  private constructor(
    private readonly size: number,
    private readonly keys: readonly PrivateKeyMaterial[],
    private readonly events: PoolOptions,
  ) {
    this.queue = new BoundedQueue(events.queue ?? defaultQueueSize(size));
    this.window = Math.max(1, events.window ?? DEFAULT_WINDOW);
  }

  get description(): string {
    const n = this.slots.length;
    return `on ${n} worker${n === 1 ? "" : "s"}, at most ${this.queue.capacity} waiting`;
  }

  /** Jobs waiting for a worker now. */
  get queued(): number {
    return this.queue.length;
  }

  /** Starts `size` workers and resolves once each holds its keys; rejects if one cannot start. */
  static async start(size: number, keys: readonly PrivateKeyMaterial[], events: PoolOptions = {}): Promise<WorkerPool> {
    const pool = new WorkerPool(size, keys, events);
    try {
      await Promise.all(Array.from({ length: size }, () => pool.spawn()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private spawn(): Promise<void> {
    const worker = new Worker(this.events.scriptUrl ?? workerUrl());
    const slot: Slot = { worker, started: false, inflight: new Map() };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      // A worker that never started takes no jobs: out of the pool before anyone can pick it.
      const failStart = (message: string) => {
        clearTimeout(timer);
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        worker.terminate();
        reject(new Error(message));
      };
      const timer = setTimeout(() => {
        if (!slot.started) failStart(`crypto worker did not start within ${WORKER_START_TIMEOUT_MS} ms`);
      }, WORKER_START_TIMEOUT_MS);
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const msg = event.data;
        if (msg.type === "result") {
          const done = slot.inflight.get(msg.id);
          slot.inflight.delete(msg.id);
          this.pump(); // the worker's next job first: the answer can wait a moment, the worker should not
          done?.(msg.result);
        } else if (msg.type === "ready") {
          slot.started = true;
          clearTimeout(timer);
          resolve();
          this.pump();
        } else {
          failStart(`crypto worker could not load its keys: ${msg.error}`);
        }
      };
      worker.onerror = (event: ErrorEvent) => {
        if (!slot.started) failStart(`crypto worker failed to start: ${event.message}`);
        else this.replace(slot, event.message);
      };
      // Bun fires "close" when a worker's thread ends; unless we ended it, its jobs would wait forever.
      worker.addEventListener("close", () => {
        if (!slot.started) failStart("crypto worker exited during start-up");
        else this.replace(slot, "exited");
      });
      post(worker, { type: "init", keys: this.keys });
    });
  }

  private replace(slot: Slot, reason: string): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return; // already replaced, or the pool is closing
    this.slots.splice(i, 1);
    this.events.onWorkerError?.(`crypto worker failed (${reason}); ${slot.inflight.size} job(s) lost, restarting it`);
    for (const done of slot.inflight.values()) done({ ok: false, error: "worker failed" });
    slot.inflight.clear();
    slot.worker.terminate();
    if (!this.closed) {
      this.spawn().catch((err) => {
        this.events.onWorkerError?.(String(err instanceof Error ? err.message : err));
        // With no worker left, waiting jobs would wait forever.
        if (this.slots.length === 0) this.failQueued("no crypto worker running");
      });
    }
  }

  run(job: Job, caller?: Caller): Promise<Outcome> {
    if (this.closed) return Promise.resolve({ ok: false, error: "crypto pool closed" });
    if (this.slots.length === 0) return Promise.resolve({ ok: false, error: "no crypto worker running" });
    const why = whyDrop(caller, Date.now());
    if (why !== undefined) {
      this.stats.dropped[why]++;
      return Promise.resolve(refused(why, DROP_TEXT[why]));
    }
    return new Promise<Outcome>((done) => {
      const pending: Pending = { job, caller, done };
      // Straight to a free worker when nothing waits: with a queue of 0, a job still runs if a worker is idle.
      const idle = this.queue.length === 0 ? this.freeSlot() : undefined;
      if (idle) {
        this.dispatch(idle, pending);
        return;
      }
      // Full: jobs of callers that have gone still hold places; clear them out before refusing anyone.
      if (!this.queue.push(pending) && (this.sweep() === 0 || !this.queue.push(pending))) {
        this.stats.rejected++;
        done(
          refused(
            "full",
            `crypto queue full: ${this.queue.capacity} jobs already wait for ${this.size} signing worker${this.size === 1 ? "" : "s"}; retry later`,
          ),
        );
        return;
      }
      this.pump();
    });
  }

  /** Hands waiting jobs to workers with room, skipping (and answering) those nobody waits for any more. */
  private pump(): void {
    for (let slot = this.freeSlot(); slot !== undefined; slot = this.freeSlot()) {
      const next = this.nextLive();
      if (next === undefined) return;
      this.dispatch(slot, next);
    }
  }

  private nextLive(): Pending | undefined {
    const now = Date.now();
    for (let p = this.queue.shift(); p !== undefined; p = this.queue.shift()) {
      const why = whyDrop(p.caller, now);
      if (why === undefined) return p;
      this.drop(p, why);
    }
    return undefined;
  }

  /** Answers every waiting job whose caller has gone; returns how many places that freed. */
  private sweep(): number {
    const now = Date.now();
    const gone = this.queue.sweep((p) => whyDrop(p.caller, now) !== undefined);
    for (const p of gone) this.drop(p, whyDrop(p.caller, now) as Drop);
    return gone.length;
  }

  private drop(p: Pending, why: Drop): void {
    this.stats.dropped[why]++;
    p.done(refused(why, DROP_TEXT[why]));
  }

  /** The started worker with the fewest jobs, if it has room for another. */
  private freeSlot(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.started && (!best || s.inflight.size < best.inflight.size)) best = s;
    return best && best.inflight.size < this.window ? best : undefined;
  }

  private dispatch(slot: Slot, p: Pending): void {
    const id = this.nextId++;
    this.stats.dispatched++;
    slot.inflight.set(id, p.done);
    post(slot.worker, { type: "job", id, job: p.job });
  }

  private failQueued(error: string): void {
    for (const p of this.queue.drain()) p.done({ ok: false, error });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failQueued("crypto pool closed");
    for (const slot of this.slots.splice(0)) {
      for (const done of slot.inflight.values()) done({ ok: false, error: "crypto pool closed" });
      slot.inflight.clear();
      slot.worker.terminate();
    }
  }
}
