// `serve` as one or several event loops. One thread (the default): the server runs right here, as it
// always has. N threads: the main thread binds every address once (shared.ts), loads the keys once, and
// starts N server threads (worker.ts) that each run the whole server on those sockets; it keeps no
// connection itself, only relays shutdown and watches the threads.

import { availableParallelism } from "node:os";
import { describeStats } from "../crypto/executor.ts";
import { log } from "../log.ts";
import type { Address } from "../transport/address.ts";
import { bindShared, type SharedAddress } from "../transport/shared.ts";
import { workerScriptUrl } from "../worker-url.ts";
import type { ServeConfig } from "./config.ts";
import { startConfigured } from "./configured.ts";
import { within } from "./drain.ts";
import { newConnectionCount } from "./limits.ts";
import { newRequestByteCount } from "./request-bytes.ts";
import type { FromServerThread, ServerThreadConfig, ToServerThread } from "./thread-protocol.ts";

interface ServeOptions extends ServeConfig {
  readonly addresses: readonly Address[];
  /** Server threads (event loops); 1 serves on the main thread. */
  readonly threads: number;
}

export interface Serving {
  /** As bound: port 0 resolved. */
  readonly addresses: readonly Address[];
  /** "on 2 workers" (the pool) or "inline on the event loop", per server thread. */
  readonly signing: string;
  /** Settles with a reason if a server thread ends without being asked to; never settles otherwise. */
  readonly died: Promise<string>;
  /** Health NOT_SERVING, no new connections or calls, calls in flight get graceMs; then everything is released. */
  shutdown(graceMs: number): Promise<ShutdownOutcome>;
}

interface ShutdownOutcome {
  /** Calls were cut: still in flight at the end of the grace period, or on a thread that was terminated. */
  readonly forced: boolean;
  /** Server threads (1-based) that had not finished by the hard deadline and were terminated. */
  readonly terminated: readonly number[];
}

/**
 * With server threads, --grace is a hard bound: a thread whose event loop is blocked (a handler in a long
 * synchronous loop) cannot run its own grace timer, so the main thread terminates any thread not done this
 * long after the grace period, the time its cut (RST, GOAWAY, sockets closing) may take.
 */
const CUT_MARGIN_MS = 1000;

/** `serve` without --workers / WORKER_THREADS: one event loop per CPU the process may use. */
export function defaultServerThreads(): number {
  return Math.max(1, availableParallelism());
}

/** A server thread may take a while to start (grpc-js, its own signing workers); it must not hang us. */
const THREAD_START_TIMEOUT_MS = 30_000;

/** Each server thread's share of the signing workers: at least one each unless signing is inline. */
function cryptoShare(total: number, threads: number): number {
  return total === 0 ? 0 : Math.max(1, Math.ceil(total / threads));
}

export function startServing(opts: ServeOptions): Promise<Serving> {
  return opts.threads <= 1 ? serveHere(opts) : serveOnThreads(opts);
}

async function serveHere(opts: ServeOptions): Promise<Serving> {
  const { server, crypto } = await startConfigured(opts, { addresses: opts.addresses });
  return {
    addresses: server.listeners.map((l) => l.address),
    signing: crypto.executor.description,
    died: new Promise<string>(() => {}),
    async shutdown(graceMs) {
      // On this one thread a blocked event loop blocks this shutdown too: no one is left to enforce it.
      const outcome = await server.shutdown(graceMs);
      // What the signers did, so a load test's refusals and drops show on the server side too.
      const signing = describeStats(crypto.executor.stats);
      if (signing) log.info(signing);
      await crypto.executor.close();
      return { forced: outcome.forced, terminated: [] };
    },
  };
}

/** Bun's message for an uncaught error in a worker may carry a source excerpt; keep the "error: …" line. */
function oneLine(message: string): string {
  const lines = message.split("\n").map((l) => l.trim());
  return lines.find((l) => /^\w*error:/i.test(l)) ?? lines.find((l) => l !== "") ?? "unknown error";
}

/** The main thread's handle on one server thread. */
class ServerThread {
  readonly worker: Worker;
  private stopping = false;
  private gone = false;
  private readonly waiters = new Set<(m: FromServerThread | { type: "ended"; reason: string }) => void>();

  constructor(
    readonly index: number,
    onDeath: (reason: string) => void,
  ) {
    this.worker = new Worker(workerScriptUrl(import.meta.url, "server/worker.ts"));
    this.worker.onmessage = (e: MessageEvent<FromServerThread>) => this.tell(e.data);
    const ended = (reason: string) => {
      this.gone = true;
      this.tell({ type: "ended", reason });
      if (!this.stopping) onDeath(`server worker ${index} ${reason}`);
      this.stopping = true;
    };
    this.worker.onerror = (e: ErrorEvent) => ended(`failed: ${oneLine(e.message)}`);
    // Bun fires "close" when the thread ends, whatever the cause.
    this.worker.addEventListener("close", () => ended("exited"));
  }

  private tell(m: FromServerThread | { type: "ended"; reason: string }): void {
    for (const w of [...this.waiters]) w(m);
  }

  /** The next message that settles `want`, or the thread's end. */
  private next(
    want: FromServerThread["type"][],
    timeoutMs?: number,
  ): Promise<FromServerThread | { type: "ended"; reason: string }> {
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter = (m: FromServerThread | { type: "ended"; reason: string }) => {
        if (m.type !== "ended" && m.type !== "failed" && !want.includes(m.type)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(m);
      };
      this.waiters.add(waiter);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => waiter({ type: "ended", reason: `did not start within ${timeoutMs} ms` }), timeoutMs);
      }
    });
  }

  async start(config: ServerThreadConfig): Promise<void> {
    const answer = this.next(["ready"], THREAD_START_TIMEOUT_MS);
    this.post({ type: "start", config });
    const m = await answer;
    if (m.type === "failed") throw new Error(m.error);
    if (m.type === "ended") throw new Error(`server worker ${this.index} ${m.reason}`);
  }

  /** Closes the thread's listeners; resolves once it has (or has gone). */
  async stopAccepting(): Promise<void> {
    this.stopping = true;
    if (this.gone) return;
    const answer = this.next(["not-accepting"]);
    this.post({ type: "stop-accepting" });
    await answer;
  }

  /** Drains; a thread that is already gone counts as drained (its calls are lost either way). */
  async drain(graceMs: number): Promise<boolean> {
    this.stopping = true;
    if (this.gone) return true; // nothing will ever answer
    const answer = this.next(["stopped"]);
    this.post({ type: "drain", graceMs });
    const m = await answer;
    this.terminate();
    return m.type === "stopped" ? m.forced : true;
  }

  terminate(): void {
    this.stopping = true;
    this.worker.terminate();
  }

  private post(m: ToServerThread): void {
    this.worker.postMessage(m);
  }
}

async function serveOnThreads(opts: ServeOptions): Promise<Serving> {
  const shared: SharedAddress[] = [];
  const threads: ServerThread[] = [];
  let reportDeath: (reason: string) => void = () => {};
  const died = new Promise<string>((resolve) => {
    reportDeath = resolve;
  });
  const release = () => {
    for (const s of shared) s.release();
  };
  try {
    for (const addr of opts.addresses) shared.push(await bindShared(addr));
    const signing = { ...opts.signing, cryptoWorkers: cryptoShare(opts.signing.cryptoWorkers, opts.threads) };
    // One count for all threads: --max-connections is the process's limit, not each thread's.
    const connectionCount = newConnectionCount();
    const requestByteCount = newRequestByteCount();
    for (let i = 1; i <= opts.threads; i++) threads.push(new ServerThread(i, (reason) => reportDeath(reason)));
    await Promise.all(
      threads.map((t) =>
        t.start({
          server: opts.server,
          signing,
          logLevel: opts.logLevel,
          extraServicesModule: opts.extraServicesModule,
          index: t.index,
          specs: shared.map((s) => s.specForThread()),
          connectionCount,
          requestByteCount,
        }),
      ),
    );
    return {
      addresses: shared.map((s) => s.address),
      signing:
        signing.cryptoWorkers === 0
          ? "inline on each event loop"
          : `on ${signing.cryptoWorkers} worker${signing.cryptoWorkers === 1 ? "" : "s"} per server thread`,
      died,
      async shutdown(graceMs) {
        // The grace period runs from the signal; a thread not done by its end plus the margin is terminated.
        const deadline = Date.now() + graceMs;
        const until = (at: number) => Math.max(0, at - Date.now());
        // Every listener closes (the main thread's shared sockets too) before any thread says NOT_SERVING;
        // a thread that cannot even answer that within the grace period is stuck, and waits no longer.
        await within(Promise.all(threads.map((t) => t.stopAccepting())), graceMs, undefined);
        release();
        const left = until(deadline);
        const hardMs = until(deadline + CUT_MARGIN_MS);
        const ends = await Promise.all(
          threads.map(async (t) => {
            const end = await within(t.drain(left), hardMs, "late" as const);
            if (end !== "late") return end ? "cut" : "clean";
            log.warn(
              `server worker ${t.index} did not stop within the grace period (+${CUT_MARGIN_MS} ms): terminated`,
            );
            t.terminate();
            return "terminated";
          }),
        );
        return {
          forced: ends.some((e) => e !== "clean"),
          terminated: threads.filter((_, i) => ends[i] === "terminated").map((t) => t.index),
        };
      },
    };
  } catch (err) {
    for (const t of threads) t.terminate();
    release();
    throw err;
  }
}
