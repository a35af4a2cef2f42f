// A fixed pool of Bun Workers that sign and verify. Each job goes to the worker with the fewest jobs in
// flight; a worker that dies fails its own jobs (INTERNAL upstream) and is replaced.

import { workerScriptUrl } from "../worker-url.ts";
import type { CryptoExecutor } from "./executor.ts";
import type { Job, JobResult } from "./jobs.ts";
import type { PrivateKeyMaterial } from "./keys.ts";
import type { FromWorker, ToWorker } from "./protocol.ts";

export function workerUrl(moduleUrl: string = import.meta.url): string {
  return workerScriptUrl(moduleUrl, "crypto/worker.ts");
}

export const WORKER_START_TIMEOUT_MS = 15_000;

interface Slot {
  worker: Worker;
  readonly inflight: Map<number, (r: JobResult) => void>;
}

export interface PoolOptions {
  /** A worker died; its jobs failed. Told to the caller to log, never with key material. */
  onWorkerError?: (message: string) => void;
  /** The worker script; tests point this at a worker that misbehaves on purpose. */
  scriptUrl?: string;
}

function post(worker: Worker, message: ToWorker): void {
  worker.postMessage(message);
}

export class WorkerPool implements CryptoExecutor {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly keys: readonly PrivateKeyMaterial[],
    private readonly events: PoolOptions,
  ) {}

  get description(): string {
    return `on ${this.slots.length} worker${this.slots.length === 1 ? "" : "s"}`;
  }

  /** Starts `size` workers and resolves once each holds its keys; rejects if one cannot start. */
  static async start(size: number, keys: readonly PrivateKeyMaterial[], events: PoolOptions = {}): Promise<WorkerPool> {
    const pool = new WorkerPool(keys, events);
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
    const slot: Slot = { worker, inflight: new Map() };
    this.slots.push(slot);
    return new Promise<void>((resolve, reject) => {
      let started = false;
      // A worker that never started takes no jobs: out of the pool before anyone can pick it.
      const failStart = (message: string) => {
        clearTimeout(timer);
        const i = this.slots.indexOf(slot);
        if (i >= 0) this.slots.splice(i, 1);
        worker.terminate();
        reject(new Error(message));
      };
      const timer = setTimeout(() => {
        if (!started) failStart(`crypto worker did not start within ${WORKER_START_TIMEOUT_MS} ms`);
      }, WORKER_START_TIMEOUT_MS);
      worker.onmessage = (event: MessageEvent<FromWorker>) => {
        const msg = event.data;
        if (msg.type === "result") {
          const done = slot.inflight.get(msg.id);
          slot.inflight.delete(msg.id);
          done?.(msg.result);
        } else if (msg.type === "ready") {
          started = true;
          clearTimeout(timer);
          resolve();
        } else {
          failStart(`crypto worker could not load its keys: ${msg.error}`);
        }
      };
      worker.onerror = (event: ErrorEvent) => {
        if (!started) failStart(`crypto worker failed to start: ${event.message}`);
        else this.replace(slot, event.message);
      };
      // Bun fires "close" when a worker's thread ends; unless we ended it, its jobs would wait forever.
      worker.addEventListener("close", () => {
        if (!started) failStart("crypto worker exited during start-up");
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
      this.spawn().catch((err) => this.events.onWorkerError?.(String(err instanceof Error ? err.message : err)));
    }
  }

  run(job: Job): Promise<JobResult> {
    if (this.closed) return Promise.resolve({ ok: false, error: "crypto pool closed" });
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.inflight.size < best.inflight.size) best = s;
    if (!best) return Promise.resolve({ ok: false, error: "no crypto worker running" });
    const slot = best;
    const id = this.nextId++;
    return new Promise<JobResult>((resolve) => {
      slot.inflight.set(id, resolve);
      post(slot.worker, { type: "job", id, job });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots.splice(0)) {
      for (const done of slot.inflight.values()) done({ ok: false, error: "crypto pool closed" });
      slot.inflight.clear();
      slot.worker.terminate();
    }
  }
}
