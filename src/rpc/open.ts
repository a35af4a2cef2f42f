// Picks the client implementation behind RpcChannel.
import type { ChannelOptions, ClientKind, RpcChannel } from "./channel.ts";
import { LeanChannel } from "./lean/channel.ts";
import { NodeHttp2Channel } from "./node-http2/channel.ts";

export function createChannel(kind: ClientKind, opts: ChannelOptions): RpcChannel {
  return kind === "lean" ? new LeanChannel(opts) : new NodeHttp2Channel(opts);
}
