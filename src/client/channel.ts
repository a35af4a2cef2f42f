// Address → transport → HTTP/2 channel: what `call` and `bench` use to reach a server.
import type { Duplex } from "node:stream";
import type { WireFormat } from "../protocol/wire.ts";
import type { ChannelOptions, ClientKind, RpcChannel } from "../rpc/channel.ts";
import { createChannel } from "../rpc/open.ts";
import { ReconnectingChannel } from "../rpc/reconnect.ts";
import { type Address, authorityOf } from "../transport/address.ts";
import { connect } from "../transport/index.ts";
import { type ClientTls, wrapTls } from "../transport/tls.ts";
import { VERSION } from "../version.ts";

interface ChannelConfig {
  readonly connectTimeoutMs?: number;
  readonly maxReceiveMessageBytes?: number;
  readonly maxSendMessageBytes?: number;
  /** TLS on top of the transport; plaintext when absent. */
  readonly tls?: ClientTls;
  /** HTTP/2 client implementation; node:http2 unless asked (`call` and `bench` ask for lean by default). */
  readonly client?: ClientKind;
  /** :authority of every call, instead of the address's (grpcurl's -authority). */
  readonly authority?: string;
  /** Put in front of grpcperf/VERSION in user-agent, as grpc-go does with grpcurl's -user-agent. */
  readonly userAgent?: string;
  /** gRPC's wait-for-ready: a server that is not up yet is waited for (reconnecting with backoff), not refused. */
  readonly waitForReady?: boolean;
  /** Connect, gRPC-Web or gRPC with JSON instead of gRPC with protobuf (lean client only). */
  readonly wire?: WireFormat;
  /** Connect or gRPC-Web over HTTP/1.1 (keep-alive) instead of HTTP/2. */
  readonly http1?: boolean;
  /**
   * Plaintext on Bun's own socket (transport/light-socket.ts: TCP, Unix, VSOCK), for the lean client: a
   * one-shot `call` starts ~10 ms sooner without node:net.
   */
  readonly lightTcp?: boolean;
}

/** Waiting for a server to come up: tried often at first, then at least every half second. */
const WAIT_FOR_READY_BACKOFF = { minMs: 10, maxMs: 500 } as const;

/**
 * The bound on setting a connection up (connect, TLS, the server's SETTINGS) that a per-call deadline implies
 * when --connect-timeout is not given: the deadline, but at least 1 s, since a deadline of a few ms is there
 * to measure the server's answers, not whether it can be reached.
 */
export const connectBoundOf = (timeoutMs: number): number => Math.max(timeoutMs, 1000);

/** Opens one connection to the address: the transport's socket, with TLS on top when asked for. */
export function dialer(
  address: Address,
  timeoutMs: number,
  tls?: ClientTls,
  light = false,
  http1 = false,
): () => Promise<Duplex> {
  return tls
    ? async () => wrapTls(await connect(address, { timeoutMs }), tls, timeoutMs, http1 ? "http/1.1" : "h2")
    : () => connect(address, { timeoutMs, light });
}

export function openChannel(address: Address, config: ChannelConfig = {}): RpcChannel {
  const kind = config.client ?? "http2";
  const opts = channelOptions(address, config);
  return config.waitForReady
    ? new ReconnectingChannel(kind, opts, { backoff: WAIT_FOR_READY_BACKOFF, waitForReady: true })
    : createChannel(kind, opts);
}

function channelOptions(address: Address, config: ChannelConfig): ChannelOptions {
  const tls = config.tls;
  return {
    authority: config.authority ?? authorityOf(address),
    connect: dialer(
      address,
      config.connectTimeoutMs ?? 10_000,
      tls,
      config.lightTcp === true && (config.client ?? "http2") === "lean",
      config.http1 === true,
    ),
    secure: tls !== undefined,
    maxReceiveMessageBytes: config.maxReceiveMessageBytes,
    maxSendMessageBytes: config.maxSendMessageBytes,
    userAgent: config.userAgent === undefined ? `grpcperf/${VERSION}` : `${config.userAgent} grpcperf/${VERSION}`,
    handshakeTimeoutMs: config.connectTimeoutMs,
    wire: config.wire,
    http1: config.http1,
  };
}
