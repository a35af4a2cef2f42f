// Picks the client implementation behind UnaryChannel.
import type { ChannelOptions, ClientKind, UnaryChannel } from "./channel.ts";
import { Channel } from "./client.ts";
import { LeanChannel } from "./h2/channel.ts";

export function createChannel(kind: ClientKind, opts: ChannelOptions): UnaryChannel {
  return kind === "lean" ? new LeanChannel(opts) : new Channel(opts);
}
