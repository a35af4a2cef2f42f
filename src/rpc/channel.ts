// What bench and call need from a gRPC client, so either implementation can serve them: node:http2's
// (client.ts) or our own HTTP/2 over the raw socket (h2/), which costs a fraction of the CPU per call.
import type { Duplex } from "node:stream";
import { type Result, type RpcError, rpcError, Status } from "./status.ts";

export const DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

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
}

export interface CallOptions {
  /** Deadline, relative, in ms: sent as grpc-timeout and enforced locally. */
  readonly timeoutMs?: number;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface ChannelStats {
  connects: number;
  goaways: number;
}

/** One HTTP/2 connection at a time, reopened on demand after it goes away. */
export interface UnaryChannel {
  readonly stats: ChannelStats;
  /** Connects now rather than on the first call, so connection errors surface before any timing starts. */
  ready(): Promise<Result<void>>;
  /** One unary call: request bytes in, response bytes (or an RpcError) out. Never throws. */
  unary(path: string, request: Uint8Array, call?: CallOptions): Promise<Result<Buffer>>;
  /** Closes the connection; calls in flight end with UNAVAILABLE or CANCELLED. */
  close(): Promise<void>;
}

/** Which implementation: `lean` (src/rpc/h2) or `http2` (node:http2, src/rpc/client.ts). */
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
