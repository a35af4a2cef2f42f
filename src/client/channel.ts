// Address → transport → HTTP/2 channel: what `call` and `bench` use to reach a server.
import type { ClientKind, UnaryChannel } from "../rpc/channel.ts";
import { createChannel } from "../rpc/open.ts";
import { type Address, authorityOf } from "../transport/address.ts";
import { connect } from "../transport/index.ts";
import { type ClientTls, wrapTls } from "../transport/tls.ts";
import { VERSION } from "../version.ts";

export interface ChannelConfig {
  readonly connectTimeoutMs?: number;
  readonly maxReceiveMessageBytes?: number;
  readonly maxSendMessageBytes?: number;
  /** TLS on top of the transport; plaintext when absent. */
  readonly tls?: ClientTls;
  /** HTTP/2 client implementation; `call` keeps node:http2. */
  readonly client?: ClientKind;
}

export function openChannel(address: Address, config: ChannelConfig = {}): UnaryChannel {
  const timeoutMs = config.connectTimeoutMs ?? 10_000;
  const tls = config.tls;
  return createChannel(config.client ?? "http2", {
    authority: authorityOf(address),
    connect: tls
      ? async () => wrapTls(await connect(address, { timeoutMs }), tls, timeoutMs)
      : () => connect(address, { timeoutMs }),
    secure: tls !== undefined,
    maxReceiveMessageBytes: config.maxReceiveMessageBytes,
    maxSendMessageBytes: config.maxSendMessageBytes,
    userAgent: `grpcperf/${VERSION}`,
  });
}
