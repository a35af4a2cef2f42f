// The lean client: RpcChannel over our own HTTP/2 (connection.ts) instead of node:http2. Same options,
// same results; per call it builds no header objects and allocates little beyond the request frame.
// Unary and stream calls share the connection, its stream slots and its transparent retries.

import { encodeHeaderBlock } from "../../h2/hpack/encoder.ts";
import {
  type CallOptions,
  type ChannelOptions,
  type ChannelStats,
  type ClientStream,
  openSocket,
  type RpcChannel,
  type StreamEvents,
} from "../channel.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, sentTooLarge } from "../message.ts";
import { isRpcError, type Result, type RpcError, rpcError, Status } from "../status.ts";
import { encodeGrpcTimeout } from "../timeout.ts";
import type { Call } from "./call.ts";
import { CallPool } from "./call-pool.ts";
import { ClientConnection } from "./connection.ts";
import { ClientStreamCall } from "./stream-call.ts";
import { ClientUnaryCall } from "./unary-call.ts";

// How long a new connection may take to send its SETTINGS: a peer that accepts but never speaks HTTP/2
// must not hang ready() forever.
const SETTINGS_TIMEOUT_MS = 10_000;
const CLOSE_GRACE_MS = 1_000;
const GRPC_FIELDS: readonly (readonly [string, string])[] = [
  ["content-type", "application/grpc"],
  ["te", "trailers"],
];

/** The encoded header block for one path, and the last timeout's variant of it (bench uses one). */
interface PathBlock {
  readonly base: Buffer;
  lastTimeoutMs: number;
  lastBlock: Buffer;
}

export class LeanChannel implements RpcChannel {
  readonly stats: ChannelStats = { connects: 0, goaways: 0 };
  private conn: ClientConnection | undefined;
  private pending: Promise<ClientConnection | RpcError> | undefined;
  /** A connection still waiting for the server's SETTINGS: close() must not leave it behind. */
  private connecting: ClientConnection | undefined;
  private closed = false;
  private readonly maxRecv: number;
  private readonly maxSend: number;
  private readonly blocks = new Map<string, PathBlock>();
  /** Unary calls whose streams have ended, to be taken again (./call-pool.ts). */
  private readonly spareCalls = new CallPool<ClientUnaryCall>();
  private readonly events = {
    unusable: (c: ClientConnection) => {
      if (this.conn === c) this.conn = undefined;
    },
    goaway: () => {
      this.stats.goaways++;
    },
    requeue: (call: Call) => this.retry(call),
  };

  constructor(private readonly opts: ChannelOptions) {
    this.maxRecv = opts.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxSend = opts.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  async ready(): Promise<Result<void>> {
    const c = await this.connection();
    return isRpcError(c) ? { ok: false, error: c } : { ok: true, value: undefined };
  }

  unary(path: string, request: Uint8Array, call: CallOptions = {}): Promise<Result<Buffer>> {
    if (request.length > this.maxSend) {
      return Promise.resolve({ ok: false, error: sentTooLarge(request.length, this.maxSend) });
    }
    const block = this.headerBlock(path, call);
    return new Promise((resolve) => {
      this.dispatch(this.unaryCall(path, block, request, deadlineOf(call), call, resolve, true));
    });
  }

  unaryOutcome(path: string, request: Uint8Array, call: CallOptions, done: (r: Result<unknown>) => void): void {
    if (request.length > this.maxSend) {
      done({ ok: false, error: sentTooLarge(request.length, this.maxSend) });
      return;
    }
    const block = this.headerBlock(path, call);
    this.dispatch(this.unaryCall(path, block, request, deadlineOf(call), call, done, false));
  }

  /** A spare call from the pool, made into this one, or a new call (which goes to the pool when it ends). */
  private unaryCall(
    path: string,
    block: Buffer,
    request: Uint8Array,
    deadline: number,
    call: CallOptions,
    done: (r: Result<Buffer>) => void,
    keep: boolean,
  ): ClientUnaryCall {
    const spare = this.spareCalls.take();
    if (spare !== undefined) {
      spare.reuse(path, block, request, deadline, call, done, keep);
      return spare;
    }
    const c = this.newUnaryCall(path, block, request, deadline, call, this.maxRecv, done, keep);
    // Only the base class: a subclass's own state (src/rpc/web) is not reset by reuse().
    if (Object.getPrototypeOf(c) === ClientUnaryCall.prototype) c.pool = this.spareCalls;
    return c;
  }

  /**
   * A call of any kind on the same connection as unary calls. Requests sent before the stream is open
   * wait for it; the call is sent again elsewhere (GOAWAY, REFUSED_STREAM) only while none went out.
   */
  stream(path: string, events: StreamEvents, call: CallOptions = {}): ClientStream {
    const block = this.headerBlock(path, call);
    const s = this.newStreamCall(path, block, deadlineOf(call), call, this.maxRecv, this.maxSend, events);
    this.dispatch(s);
    return s;
  }

  /**
   * Hooks for the gRPC family's other protocols (src/rpc/web/channel.ts): the call that reads the
   * response, the request's own fields, and its timeout field. gRPC's are these.
   */
  protected newStreamCall(...args: ConstructorParameters<typeof ClientStreamCall>): ClientStreamCall {
    return new ClientStreamCall(...args);
  }

  protected newUnaryCall(...args: ConstructorParameters<typeof ClientUnaryCall>): ClientUnaryCall {
    return new ClientUnaryCall(...args);
  }

  protected requestFields(_path: string): readonly (readonly [string, string])[] {
    return GRPC_FIELDS;
  }

  protected timeoutField(timeoutMs: number): readonly [string, string] {
    return ["grpc-timeout", encodeGrpcTimeout(timeoutMs)];
  }

  /** Sends a call again that the server never processed, with the time it has left as grpc-timeout. */
  private retry(call: Call): void {
    const timeoutMs = call.timeoutMs;
    if (timeoutMs !== undefined) {
      const left = Math.ceil(call.deadline - performance.now());
      if (left <= 0) {
        call.abort(rpcError(Status.DEADLINE_EXCEEDED, `deadline of ${timeoutMs} ms exceeded`));
        return;
      }
      call.headerBlock = this.headerBlock(call.path, { ...call.options, timeoutMs: left });
    }
    this.dispatch(call);
  }

  /** Starts a call on the current connection, opening one first if needed. */
  protected dispatch(call: Call): void {
    const c = this.conn;
    if (c?.usable) c.start(call);
    else this.dispatchLater(call);
  }

  /**
   * Starts a call once a connection is there. Apart from dispatch(): a function whose arrows capture its
   * variables gets a scope object on every call, even when it returns before making them (issue 27).
   */
  private dispatchLater(call: Call): void {
    // The deadline runs while the connection is being opened too (TLS handshake, waiting for SETTINGS).
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (call.deadline !== Number.POSITIVE_INFINITY) {
      timer = setTimeout(
        () => call.abort(rpcError(Status.DEADLINE_EXCEEDED, `deadline of ${call.timeoutMs} ms exceeded`)),
        Math.max(0, call.deadline - performance.now()),
      );
    }
    void this.connection().then((r) => {
      clearTimeout(timer);
      if (call.done) return;
      if (isRpcError(r)) call.abort(r);
      else r.start(call);
    });
  }

  private connection(): Promise<ClientConnection | RpcError> {
    if (this.conn?.usable) return Promise.resolve(this.conn);
    if (this.closed) return Promise.resolve(rpcError(Status.UNAVAILABLE, "channel closed"));
    this.pending ??= this.open().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async open(): Promise<ClientConnection | RpcError> {
    const socket = await openSocket(this.opts.connect, () => this.closed);
    if (isRpcError(socket)) return socket;
    const conn = new ClientConnection(socket, this.events);
    this.stats.connects++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waitMs = this.opts.handshakeTimeoutMs ?? SETTINGS_TIMEOUT_MS;
    const timedOut = new Promise<RpcError>((resolve) => {
      timer = setTimeout(
        () => resolve(rpcError(Status.UNAVAILABLE, `no HTTP/2 SETTINGS from the server within ${waitMs} ms`)),
        waitMs,
      );
    });
    this.connecting = conn;
    const err = await Promise.race([conn.established, timedOut]);
    this.connecting = undefined;
    clearTimeout(timer);
    if (err) {
      socket.destroy();
      return err;
    }
    if (this.closed) {
      void conn.close(0);
      return rpcError(Status.UNAVAILABLE, "channel closed");
    }
    this.conn = conn;
    return conn;
  }

  private headerBlock(path: string, call: CallOptions): Buffer {
    let p = this.blocks.get(path);
    if (p === undefined) {
      const base = encodeHeaderBlock([
        [":method", "POST"],
        [":scheme", this.opts.secure ? "https" : "http"],
        [":path", path],
        [":authority", this.opts.authority],
        ...this.requestFields(path),
        ["user-agent", this.opts.userAgent ?? "grpcperf"],
      ]);
      p = { base, lastTimeoutMs: Number.NaN, lastBlock: base };
      this.blocks.set(path, p);
    }
    let block = p.base;
    if (call.timeoutMs !== undefined) {
      if (call.timeoutMs !== p.lastTimeoutMs) {
        p.lastBlock = Buffer.concat([p.base, encodeHeaderBlock([this.timeoutField(call.timeoutMs)])]);
        p.lastTimeoutMs = call.timeoutMs;
      }
      block = p.lastBlock;
    }
    if (call.metadata) {
      block = Buffer.concat([block, encodeHeaderBlock(call.metadata)]);
    }
    return block;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.connecting?.close(0);
    const c = this.conn;
    this.conn = undefined;
    if (c) await c.close(CLOSE_GRACE_MS);
  }
}

function deadlineOf(call: CallOptions): number {
  return call.timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + Math.max(0, call.timeoutMs);
}
