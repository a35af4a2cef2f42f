// What bench and call need from a gRPC client, so either implementation can serve them: node:http2's
// (node-http2/) or our own lean HTTP/2 over the raw socket (lean/), which costs a fraction of the CPU per call.
import type { Duplex } from "node:stream";
import { type Result, type RpcError, rpcError, Status } from "./status.ts";

export interface ChannelOptions {
  /** :authority sent with every call. */
  readonly authority: string;
  /** Opens one connection; called again when the previous one is gone. */
  readonly connect: () => Promise<Duplex>;
  readonly maxReceiveMessageBytes?: number;
  readonly maxSendMessageBytes?: number;
  readonly userAgent?: string;
  /** The connection is TLS (connect() did the handshake): sent as :scheme https. */
  readonly secure?: boolean;
  /** How long a connected peer may take to send its SETTINGS (lean client); default 10 s. */
  readonly handshakeTimeoutMs?: number;
}

/** Custom metadata as name/value pairs, in order; a name may repeat. Names are lowercase; a `-bin` name's
 * value is base64 already, as it goes on the wire. */
export type Metadata = readonly (readonly [name: string, value: string])[];

export interface CallOptions {
  /** Deadline, relative, in ms: sent as grpc-timeout and enforced locally. */
  readonly timeoutMs?: number;
  readonly metadata?: Metadata;
}

/** How a stream call ended. Headers and trailers hold every field but the pseudo-headers, as received. */
export interface StreamEnd {
  readonly code: number;
  readonly details: string;
  /** Response headers; empty for a trailers-only response or when none came. */
  readonly headers: Metadata;
  /** Trailers, grpc-status and grpc-message included; for a trailers-only response, its one header block. */
  readonly trailers: Metadata;
}

/** What a stream call reports, in wire order. */
export interface StreamEvents {
  /** The response headers, before any message (not called for a trailers-only response). */
  onHeaders?(headers: Metadata): void;
  /** One response message, as it arrives. */
  onMessage(message: Buffer): void;
  /**
   * Optional, instead of onMessage where a client supports it (the lean one): the message as
   * buf[start, end), valid during the call only, so no Buffer view is made per message. A load
   * generator's hot path; an application that keeps messages wants onMessage.
   */
  onMessageAt?(buf: Buffer, start: number, end: number): void;
  /** The call is over, whatever the reason: called exactly once, last. */
  onEnd(end: StreamEnd): void;
}

/** The sending side of a call of any kind: unary and server streaming send one message, then end(). */
export interface ClientStream {
  /** Queues one request message. False when the call is already over (nothing is sent then). */
  send(message: Uint8Array): boolean;
  /** Half-close: no more requests. */
  end(): void;
  /** Ends the call now (RST_STREAM CANCEL); onEnd reports CANCELLED unless the call had already ended. */
  cancel(): void;
}

export interface ChannelStats {
  connects: number;
  goaways: number;
}

/** One HTTP/2 connection at a time, reopened on demand after it goes away. */
export interface RpcChannel {
  readonly stats: ChannelStats;
  /** Connects now rather than on the first call, so connection errors surface before any timing starts. */
  ready(): Promise<Result<void>>;
  /** One unary call: request bytes in, response bytes (or an RpcError) out. Never throws. */
  unary(path: string, request: Uint8Array, call?: CallOptions): Promise<Result<Buffer>>;
  /**
   * A unary call for a caller that wants its outcome only (a load generator's): the response is checked
   * as unary() checks it, but not handed over, and the outcome goes to `done` (never thrown, possibly
   * before this returns). The lean client then makes no promise and keeps no response bytes.
   */
  unaryOutcome(path: string, request: Uint8Array, call: CallOptions, done: (r: Result<unknown>) => void): void;
  /**
   * A call of any kind, message by message; the deadline covers the whole call. Never throws. A stream
   * the server provably did not process (GOAWAY above it, REFUSED_STREAM) may be sent again on another
   * connection only while none of its requests went out; after that it ends UNAVAILABLE.
   */
  stream(path: string, events: StreamEvents, call?: CallOptions): ClientStream;
  /** Closes the connection; calls in flight end with UNAVAILABLE or CANCELLED. */
  close(): Promise<void>;
}

/** Which implementation: `lean` (src/rpc/lean) or `http2` (node:http2, src/rpc/node-http2/channel.ts). */
export type ClientKind = "lean" | "http2";
export const CLIENT_KINDS: readonly ClientKind[] = ["lean", "http2"];

/** A channel's first step to a connection: the transport's socket, or UNAVAILABLE when it cannot be had
 * or the channel was closed while it was being opened. */
export async function openSocket(
  connect: ChannelOptions["connect"],
  isClosed: () => boolean,
): Promise<Duplex | RpcError> {
  let socket: Duplex;
  try {
    socket = await connect();
  } catch (err) {
    return rpcError(Status.UNAVAILABLE, err instanceof Error ? err.message : String(err));
  }
  if (isClosed()) {
    socket.destroy();
    return rpcError(Status.UNAVAILABLE, "channel closed");
  }
  return socket;
}
