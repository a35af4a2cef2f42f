// Address → transport → HTTP/2 channel: what `call` and `bench` use to reach a server.
import type { ClientKind, UnaryChannel } from "../rpc/channel.ts";
import { createChannel } from "../rpc/open.ts";
import { type Address, authorityOf } from "../transport/address.ts";
import { connect } from "../transport/index.ts";
import { VERSION } from "../version.ts";

export interface ChannelConfig {
  readonly connectTimeoutMs?: number;
  readonly maxReceiveMessageBytes?: number;
  readonly maxSendMessageBytes?: number;
  /** HTTP/2 client implementation; `call` keeps node:http2. */
  readonly client?: ClientKind;
}

export function openChannel(address: Address, config: ChannelConfig = {}): UnaryChannel {
  return createChannel(config.client ?? "http2", {
    authority: authorityOf(address),
    connect: () => connect(address, { timeoutMs: config.connectTimeoutMs ?? 10_000 }),
    maxReceiveMessageBytes: config.maxReceiveMessageBytes,
    maxSendMessageBytes: config.maxSendMessageBytes,
    userAgent: `grpcperf/${VERSION}`,
  });
}
