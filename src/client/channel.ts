// Address → transport → HTTP/2 channel: what `call` and `bench` use to reach a server.
import { Channel } from "../rpc/client.ts";
import { type Address, authorityOf } from "../transport/address.ts";
import { connect } from "../transport/index.ts";
import { VERSION } from "../version.ts";

export interface ChannelConfig {
  readonly connectTimeoutMs?: number;
  readonly maxReceiveMessageBytes?: number;
  readonly maxSendMessageBytes?: number;
}

export function openChannel(address: Address, config: ChannelConfig = {}): Channel {
  return new Channel({
    authority: authorityOf(address),
    connect: () => connect(address, { timeoutMs: config.connectTimeoutMs ?? 10_000 }),
    maxReceiveMessageBytes: config.maxReceiveMessageBytes,
    maxSendMessageBytes: config.maxSendMessageBytes,
    userAgent: `grpcperf/${VERSION}`,
  });
}
