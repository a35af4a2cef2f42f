// Resource limits of the server, their defaults, and how they map onto grpc-js options. What grpc-js
// does not enforce itself (connection count, keepalive ping policy) is enforced here.
import type http2 from "node:http2";
import type * as grpc from "@grpc/grpc-js";
import { log } from "../log.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../rpc/message.ts";
import { DEFAULT_CONNECTION_REQUEST_BYTES, DEFAULT_PROCESS_REQUEST_BYTES } from "./request-bytes.ts";

export interface Limits {
  /** Largest request message accepted, bytes (grpc-go and tonic default to 4 MiB). */
  readonly maxReceiveMessageBytes: number;
  /** Largest response message sent, bytes. */
  readonly maxSendMessageBytes: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS advertised per connection. */
  readonly maxConcurrentStreams: number;
  /** Server pings an idle-looking connection after this long (ms); 0 = never. */
  readonly keepaliveTimeMs: number;
  /** A ping unanswered this long (ms) closes the connection. */
  readonly keepaliveTimeoutMs: number;
  /** Enforcement: clients pinging more often than this (ms) get strikes; 0 = any rate is fine. */
  readonly keepaliveMinTimeMs: number;
  /** Enforcement: whether pings are fine on a connection with no call open. */
  readonly keepalivePermitWithoutCalls: boolean;
  /** A connection with no call for this long (ms) is closed with GOAWAY; 0 = never. */
  readonly maxConnectionIdleMs: number;
  /** A connection older than this (ms) gets GOAWAY so clients rebalance; 0 = never. */
  readonly maxConnectionAgeMs: number;
  /** After max age, calls in flight get this long (ms) before the connection is cut; 0 = no limit. */
  readonly maxConnectionAgeGraceMs: number;
  /** Connections beyond this many open at once are closed as soon as they are accepted. */
  readonly maxConnections: number;
  /** A connection that has not sent the HTTP/2 preface this long (ms) after accept is closed; 0 = never. */
  readonly handshakeTimeoutMs: number;
  /**
   * Responses queued for a client that opens no flow-control window for this long (ms) close the
   * connection; 0 = never.
   */
  readonly sendTimeoutMs: number;
  /**
   * Request bytes held for unfinished messages on one connection before it withholds window and refuses
   * new streams (./request-bytes.ts).
   */
  readonly maxConnectionRequestBytes: number;
  /** The same over every connection of the process: past it, every connection does. */
  readonly maxRequestBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxReceiveMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxSendMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  // High enough not to throttle a load test on a few connections, low enough to bound one client.
  maxConcurrentStreams: 1000,
  // grpc-go's server defaults: ping after 2 h of silence, 20 s to answer, clients may ping every 5 min.
  keepaliveTimeMs: 2 * 3_600_000,
  keepaliveTimeoutMs: 20_000,
  keepaliveMinTimeMs: 5 * 60_000,
  keepalivePermitWithoutCalls: false,
  maxConnectionIdleMs: 0,
  maxConnectionAgeMs: 0,
  maxConnectionAgeGraceMs: 0,
  maxConnections: 10_000,
  // grpc-go's ConnectionTimeout: a socket that never speaks HTTP/2 must not hold a connection slot.
  handshakeTimeoutMs: 120_000,
  // nginx's send_timeout: a client that takes nothing of what we queued for a minute is gone or hostile.
  sendTimeoutMs: 60_000,
  maxConnectionRequestBytes: DEFAULT_CONNECTION_REQUEST_BYTES,
  maxRequestBytes: DEFAULT_PROCESS_REQUEST_BYTES,
};

/** Pings that break the policy before the connection is closed (grpc-go allows 2, closes on the 3rd). */
export const MAX_PING_STRIKES = 2;

/** The grpc-js server options for these limits; 0 ("off") is left out so grpc-js keeps it unlimited. */
export function grpcServerOptions(l: Limits): grpc.ServerOptions {
  const opts: Record<string, number> = {
    "grpc.max_receive_message_length": l.maxReceiveMessageBytes,
    "grpc.max_send_message_length": l.maxSendMessageBytes,
    "grpc.max_concurrent_streams": l.maxConcurrentStreams,
    "grpc.keepalive_timeout_ms": l.keepaliveTimeoutMs,
  };
  if (l.keepaliveTimeMs > 0) opts["grpc.keepalive_time_ms"] = l.keepaliveTimeMs;
  if (l.maxConnectionIdleMs > 0) opts["grpc.max_connection_idle_ms"] = l.maxConnectionIdleMs;
  if (l.maxConnectionAgeMs > 0) opts["grpc.max_connection_age_ms"] = l.maxConnectionAgeMs;
  if (l.maxConnectionAgeGraceMs > 0) opts["grpc.max_connection_age_grace_ms"] = l.maxConnectionAgeGraceMs;
  return opts;
}

/** Limits one-line summary for the startup log. */
export function describeLimits(l: Limits): string {
  const mib = (n: number) => (n % (1024 * 1024) === 0 ? `${n / 1024 / 1024}MiB` : `${n}B`);
  const dur = (ms: number) => (ms === 0 ? "off" : `${ms}ms`);
  return (
    `max message ${mib(l.maxReceiveMessageBytes)} in / ${mib(l.maxSendMessageBytes)} out, ` +
    `${l.maxConcurrentStreams} streams per connection, ${l.maxConnections} connections, ` +
    `request bytes held ${mib(l.maxConnectionRequestBytes)} per connection / ${mib(l.maxRequestBytes)} in all, ` +
    `keepalive ${dur(l.keepaliveTimeMs)}/${dur(l.keepaliveTimeoutMs)} (min ${dur(l.keepaliveMinTimeMs)}` +
    `${l.keepalivePermitWithoutCalls ? ", without calls" : ""}), idle ${dur(l.maxConnectionIdleMs)}, ` +
    `age ${dur(l.maxConnectionAgeMs)}`
  );
}

/**
 * Pure policy, as grpc-go's: a ping is a strike when it comes sooner than minTime after the previous
 * one; with no call open (and that not permitted) the minimum becomes 2 hours.
 */
export function pingStrike(
  state: { readonly lastPingMs: number; readonly strikes: number },
  nowMs: number,
  openCalls: number,
  l: Pick<Limits, "keepaliveMinTimeMs" | "keepalivePermitWithoutCalls">,
): number {
  const minMs = openCalls === 0 && !l.keepalivePermitWithoutCalls ? IDLE_PING_MIN_MS : l.keepaliveMinTimeMs;
  return nowMs - state.lastPingMs < minMs ? state.strikes + 1 : state.strikes;
}

const IDLE_PING_MIN_MS = 2 * 3_600_000;
const NGHTTP2_ENHANCE_YOUR_CALM = 0xb;
const TOO_MANY_PINGS = Buffer.from("too_many_pings");

/**
 * Enforces the keepalive policy on one HTTP/2 session, as grpc-go does: a client that keeps pinging
 * against it gets GOAWAY ENHANCE_YOUR_CALM "too_many_pings" and is disconnected. As in grpc-go, a ping
 * that follows response bytes from us is no strike: BDP estimators (grpc-go's client) ping as they
 * receive. node:http2 does not say what it sent, so "sent" is read off the socket's byte count, less
 * the PING ACK that answered the previous ping.
 */
export function enforceKeepalivePolicy(session: http2.ServerHttp2Session, l: Limits): void {
  const written = () => (session.socket as { bytesWritten?: number } | undefined)?.bytesWritten ?? 0;
  const state = { lastPingMs: Number.NEGATIVE_INFINITY, strikes: 0, openCalls: 0, writtenAtPing: written() };
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    state.openCalls++;
    stream.once("close", () => state.openCalls--);
  });
  session.on("ping", () => {
    const now = Date.now();
    const w = written();
    const sent = w - state.writtenAtPing > PING_ACK_BYTES;
    state.writtenAtPing = w;
    state.strikes = sent ? 0 : pingStrike(state, now, state.openCalls, l);
    state.lastPingMs = now;
    if (state.strikes > MAX_PING_STRIKES && !session.destroyed) {
      log.debug("client broke the keepalive policy: GOAWAY too_many_pings");
      session.goaway(NGHTTP2_ENHANCE_YOUR_CALM, 0, TOO_MANY_PINGS);
      session.destroy();
    }
  });
}

/** A PING frame: 9-byte header and 8 bytes of data. */
const PING_ACK_BYTES = 17;

/** One open connection's place under --max-connections: released once, when the connection closes. */
export interface ConnectionSlot {
  /** Gives the place back; idempotent, and a no-op once the slot was handed over. */
  release(): void;
  /** Moves this place to another connection (this one is being closed to make room); undefined if released. */
  handOver(): ConnectionSlot | undefined;
}

/** The count ConnectionGate keeps: one Int32 that server threads can share (see newConnectionCount). */
export type ConnectionCount = Int32Array;

/**
 * A count of open connections that any number of server threads may share: made once by the main thread
 * of `serve --workers N` and handed to each thread, so --max-connections bounds the process, not each
 * thread (a SharedArrayBuffer survives postMessage as the same memory).
 */
export function newConnectionCount(): ConnectionCount {
  return new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
}

class Slot implements ConnectionSlot {
  private held = true;

  constructor(private readonly count: ConnectionCount) {}

  release(): void {
    if (!this.held) return;
    this.held = false;
    Atomics.sub(this.count, 0, 1);
  }

  handOver(): ConnectionSlot | undefined {
    if (!this.held) return undefined;
    this.held = false;
    return new Slot(this.count);
  }
}

/** Admits connections while fewer than `max` are open, counted across every thread sharing `count`. */
export class ConnectionGate {
  /** Connections this thread refused. */
  refused = 0;

  constructor(
    private readonly max: number,
    private readonly count: ConnectionCount = newConnectionCount(),
  ) {}

  /** Open connections, on every thread sharing the count. */
  get open(): number {
    return Atomics.load(this.count, 0);
  }

  /** A slot, or undefined when `max` connections are open. Compare-and-swap, so threads racing for the
   * last slot never both get it, and never both lose it either (as add-then-undo could). */
  take(): ConnectionSlot | undefined {
    for (;;) {
      const n = Atomics.load(this.count, 0);
      if (n >= this.max) return undefined;
      if (Atomics.compareExchange(this.count, 0, n, n + 1) === n) return new Slot(this.count);
    }
  }
}
