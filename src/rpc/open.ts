// Picks the client implementation behind RpcChannel.
import type { ChannelOptions, ClientKind, RpcChannel } from "./channel.ts";
import { Channel } from "./client.ts";
import { LeanChannel } from "./h2/channel.ts";

export function createChannel(kind: ClientKind, opts: ChannelOptions): RpcChannel {
  return kind === "lean" ? new LeanChannel(opts) : new Channel(opts);
}
