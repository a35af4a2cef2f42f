// Picks the client implementation behind RpcChannel.
import type { ChannelOptions, ClientKind, RpcChannel } from "./channel.ts";
import { createHttp1Channel } from "./http1/channel.ts";
import { LeanChannel } from "./lean/channel.ts";
import { NodeHttp2Channel } from "./node-http2/channel.ts";
import { createWebChannel } from "./web/channel.ts";

export function createChannel(kind: ClientKind, opts: ChannelOptions): RpcChannel {
  const wire = opts.wire;
  if (opts.http1 && wire !== undefined) return createHttp1Channel(opts, wire);
  // Connect, gRPC-Web and gRPC with JSON are the lean client's; the callers refuse them with --client http2.
  if (wire !== undefined && (wire.protocol !== "grpc" || wire.codec !== "proto")) return createWebChannel(opts, wire);
  return kind === "lean" ? new LeanChannel(opts) : new NodeHttp2Channel(opts);
}
