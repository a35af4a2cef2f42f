// A channel that outlives its server: gRPC's connectivity states (IDLE → CONNECTING → READY, and
// TRANSIENT_FAILURE with backoff between attempts, grpc/doc/connectivity-semantics-and-api.md) around either
// client. A connection that ends without the server's GOAWAY is a loss: the channel reconnects at once, then
// after each failed attempt waits as connection-backoff.md says. Calls made while CONNECTING wait for the
// outcome; while in TRANSIENT_FAILURE they fail at once as UNAVAILABLE (gRPC's fail-fast), or, with
// wait-for-ready, wait for a connection up to their deadline. A graceful GOAWAY changes nothing here: the
// client below opens the next connection on demand and sends again what the server never processed.
// It only watches the Duplex the transport yields, so TCP, Unix sockets, VSOCK and hybrid vsock behave alike.
import type { Duplex } from "node:stream";
import { Backoff, type BackoffSettings } from "./backoff.ts";
import type {
  CallOptions,
  ChannelOptions,
  ChannelStats,
  ClientKind,
  ClientStream,
  RpcChannel,
  StreamEvents,
} from "./channel.ts";
import { createChannel } from "./open.ts";
import { type Result, type RpcError, rpcError, Status } from "./status.ts";

export interface ReconnectSettings {
  readonly backoff: BackoffSettings;
  /** Calls made while no connection is ready wait for one (up to their deadline) instead of failing. */
  readonly waitForReady: boolean;
}

/** What the channel tells its owner, with performance.now() times: the loader's outage record is made of these. */
export interface LinkEvents {
  /** The connection ended without a GOAWAY from the server: the server, or the path to it, is gone. */
  lost?(atMs: number, reason: string): void;
  /** An attempt to connect failed (refused, timed out, no HTTP/2 SETTINGS). */
  connectFailed?(atMs: number, reason: string): void;
  /** A connection is ready again after a loss or a failed attempt. */
  reconnected?(atMs: number): void;
}

type State = "idle" | "connecting" | "ready" | "failure";

interface Waiter {
  /** undefined: a connection is ready; else why the call may not wait longer. */
  readonly settle: (e: RpcError | undefined) => void;
  readonly waitForReady: boolean;
}

export class ReconnectingChannel implements RpcChannel {
  private state: State = "idle";
  private readonly inner: RpcChannel;
  private readonly backoff: Backoff;
  private waiters: Waiter[] = [];
  /** nextAttempt()'s: told when an attempt ends, either way. */
  private watchers: (() => void)[] = [];
  private lastError = "not connected yet";
  /** Lost or failed since the last ready connection: the next one is a reconnect. */
  private down = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private attempt: Promise<Result<void>> | undefined;
  /** Connects made by our own attempt (not on demand by the client below): their failure is the attempt's. */
  private attempting = false;
  private closed = false;

  constructor(
    kind: ClientKind,
    opts: ChannelOptions,
    private readonly settings: ReconnectSettings,
    private readonly events: LinkEvents = {},
  ) {
    const connect = opts.connect;
    this.inner = createChannel(kind, { ...opts, connect: () => this.dial(connect) });
    this.backoff = new Backoff(settings.backoff);
  }

  get stats(): ChannelStats {
    return this.inner.stats;
  }

  /** Whether a call made now goes straight to a connection (or one the client below opens on demand). */
  get connected(): boolean {
    return this.state === "ready";
  }

  /**
   * Resolves at the next attempt's outcome (at once when a connection is ready), or after `maxMs`. A closed
   * loop waits here after a call failed for want of a connection, so it sends one call per attempt rather
   * than spinning on calls that fail without a wire to go on.
   */
  nextAttempt(maxMs: number): Promise<void> {
    if (this.state === "ready" || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, maxMs));
      this.watchers.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** wait-for-ready before the first call (`call --wait-for-ready`): a connection by `deadline`, or why not. */
  async readyBy(deadline: number): Promise<Result<void>> {
    const e = await this.whenReady(deadline);
    return e ? { ok: false, error: e } : { ok: true, value: undefined };
  }

  /** One attempt now, whatever the state: its outcome. */
  ready(): Promise<Result<void>> {
    if (this.state === "ready") return this.inner.ready();
    return this.connect();
  }

  /** A sibling connection to the same server came back: try now rather than at the end of the backoff. */
  retryNow(): void {
    if (this.state !== "failure" || this.closed) return;
    clearTimeout(this.timer);
    void this.connect();
  }

  unary(path: string, request: Uint8Array, call: CallOptions = {}): Promise<Result<Buffer>> {
    if (this.state === "ready") return this.inner.unary(path, request, call);
    const deadline = deadlineOf(call);
    return this.whenReady(deadline).then((e) =>
      e ? { ok: false, error: e } : this.inner.unary(path, request, leftOf(call, deadline)),
    );
  }

  unaryOutcome(path: string, request: Uint8Array, call: CallOptions, done: (r: Result<unknown>) => void): void {
    if (this.state === "ready") this.inner.unaryOutcome(path, request, call, done);
    else void this.unary(path, request, call).then(done);
  }

  stream(path: string, events: StreamEvents, call: CallOptions = {}): ClientStream {
    if (this.state === "ready") return this.inner.stream(path, events, call);
    const deadline = deadlineOf(call);
    const pending = new PendingStream(events);
    void this.whenReady(deadline).then((e) => {
      if (e) pending.fail(e);
      else pending.start(this.inner.stream(path, events, leftOf(call, deadline)));
    });
    return pending;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.settleWaiters(() => rpcError(Status.UNAVAILABLE, "channel closed"));
    for (const w of this.watchers.splice(0)) w();
    await this.inner.close();
  }

  /** Resolves when a call may go to the client below, or with the error it ends with. */
  private whenReady(deadline: number): Promise<RpcError | undefined> {
    if (this.closed) return Promise.resolve(rpcError(Status.UNAVAILABLE, "channel closed"));
    if (this.state === "failure" && !this.settings.waitForReady) return Promise.resolve(this.unavailable());
    if (this.state === "idle") void this.connect();
    return new Promise((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        waitForReady: this.settings.waitForReady,
        settle: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      if (Number.isFinite(deadline)) {
        timer = setTimeout(
          () => {
            this.waiters = this.waiters.filter((w) => w !== waiter);
            resolve(
              rpcError(
                Status.DEADLINE_EXCEEDED,
                `deadline exceeded while waiting for a connection (${this.lastError})`,
              ),
            );
          },
          Math.max(0, deadline - performance.now()),
        );
      }
      this.waiters.push(waiter);
    });
  }

  private unavailable(): RpcError {
    return rpcError(Status.UNAVAILABLE, `no connection ready: ${this.lastError}`);
  }

  private connect(): Promise<Result<void>> {
    if (this.attempt) return this.attempt;
    clearTimeout(this.timer);
    this.state = "connecting";
    this.attempting = true;
    const attempt = this.inner.ready().then((r) => {
      this.attempting = false;
      this.attempt = undefined;
      for (const w of this.watchers.splice(0)) w();
      if (this.closed) return r;
      if (r.ok) {
        this.state = "ready";
        this.backoff.reset();
        if (this.down) this.events.reconnected?.(performance.now());
        this.down = false;
        this.settleWaiters(() => undefined);
      } else this.failed(r.error.details);
      return r;
    });
    this.attempt = attempt;
    return attempt;
  }

  private failed(reason: string): void {
    this.lastError = reason;
    this.down = true;
    this.events.connectFailed?.(performance.now(), reason);
    this.state = "failure";
    // Fail-fast calls waiting through CONNECTING end now; wait-for-ready ones keep waiting.
    const keep: Waiter[] = [];
    for (const w of this.waiters.splice(0)) {
      if (w.waitForReady) keep.push(w);
      else w.settle(this.unavailable());
    }
    this.waiters = keep;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), this.backoff.next());
  }

  private settleWaiters(e: () => RpcError | undefined): void {
    for (const w of this.waiters.splice(0)) w.settle(e());
  }

  /** The transport's connect, watched: a failure the client below met on its own, and the socket's end. */
  private async dial(connect: () => Promise<Duplex>): Promise<Duplex> {
    let socket: Duplex;
    try {
      socket = await connect();
    } catch (err) {
      if (!this.attempting && !this.closed && this.state === "ready") {
        this.failed(err instanceof Error ? err.message : String(err));
      }
      throw err;
    }
    const goaways = this.inner.stats.goaways;
    let lost = false;
    const onGone = (err?: Error) => {
      // Ours (close()) or after the server's GOAWAY: graceful, the client below reconnects on demand.
      if (lost || this.closed || this.inner.stats.goaways > goaways || this.state !== "ready") return;
      lost = true;
      const reason = err ? `connection lost: ${err.message}` : "connection closed by the server";
      this.lastError = reason;
      this.down = true;
      this.events.lost?.(performance.now(), reason);
      this.state = "connecting";
    };
    socket.once("error", onGone);
    socket.once("end", () => {
      onGone();
      // HTTP/2 has no half-closed connection: a server that sent FIN is gone, whether or not the Duplex
      // closes itself (a half-open one, as the Unix and VSOCK transports give, would leave calls hanging).
      socket.destroy();
    });
    socket.once("close", () => {
      onGone();
      // Once the client below has seen the close too (its listeners follow ours), so that it does not
      // hand back the dead connection as ready.
      if (lost)
        setTimeout(() => {
          if (!this.closed) void this.connect();
        }, 0);
    });
    return socket;
  }
}

/** A stream asked for while no connection was ready: its requests wait with it, or it ends as the wait did. */
class PendingStream implements ClientStream {
  private target: ClientStream | undefined;
  private queued: Uint8Array[] = [];
  private ended = false;
  private over = false;

  constructor(private readonly events: StreamEvents) {}

  start(s: ClientStream): void {
    if (this.over) {
      s.cancel();
      return;
    }
    this.target = s;
    for (const m of this.queued) s.send(m);
    this.queued = [];
    if (this.ended) s.end();
  }

  fail(e: RpcError): void {
    if (this.over) return;
    this.over = true;
    this.events.onEnd({ code: e.code, details: e.details, headers: [], trailers: [] });
  }

  send(message: Uint8Array): boolean {
    if (this.target) return this.target.send(message);
    if (this.over) return false;
    this.queued.push(message);
    return true;
  }

  end(): void {
    if (this.target) this.target.end();
    else this.ended = true;
  }

  cancel(): void {
    if (this.target) this.target.cancel();
    else this.fail(rpcError(Status.CANCELLED, "cancelled before a connection was ready"));
  }
}

function deadlineOf(call: CallOptions): number {
  return call.timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + Math.max(0, call.timeoutMs);
}

/** The call as sent after waiting: its deadline, not its timeout, is what holds. */
function leftOf(call: CallOptions, deadline: number): CallOptions {
  if (!Number.isFinite(deadline)) return call;
  return { ...call, timeoutMs: Math.max(1, Math.ceil(deadline - performance.now())) };
}
