// The lean client speaking Connect or gRPC-Web instead of gRPC: the same connection, flow control,
// deadlines and retries (it is a LeanChannel), with the protocol's request fields and timeout header, and
// a call that reads the protocol's response (./stream-call.ts). Unary calls go through a stream call and
// give the same Result as gRPC's for the same outcome.
import { encodeConnectTimeout } from "../../protocol/connect.ts";
import { contentTypeOf, protocolFields, type WireFormat } from "../../protocol/wire.ts";
import type { CallOptions, ChannelOptions, ClientStream, RpcChannel, StreamEnd, StreamEvents } from "../channel.ts";
import { LeanChannel } from "../lean/channel.ts";
import type { ClientStreamCall } from "../lean/stream-call.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../message.ts";
import { parseStatusCode, type Result, rpcError, Status } from "../status.ts";
import { encodeGrpcTimeout } from "../timeout.ts";
import { WebStreamCall } from "./stream-call.ts";

class WebChannel extends LeanChannel {
  private readonly fields: readonly (readonly [string, string])[];
  private readonly maxReceive: number;
  /** Paths called as unary (unary(), or CallOptions.unary): a Connect unary call's fields differ. */
  private readonly unaryPaths = new Set<string>();

  constructor(
    opts: ChannelOptions,
    private readonly wire: WireFormat,
  ) {
    super(opts);
    this.maxReceive = opts.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.fields = protocolFields(wire.protocol);
  }

  override unary(path: string, request: Uint8Array, call: CallOptions = {}): Promise<Result<Buffer>> {
    this.unaryPaths.add(path);
    return new Promise((resolve) => {
      let message: Buffer | undefined;
      let count = 0;
      const events: StreamEvents = {
        onMessage: (m) => {
          count++;
          message ??= m;
        },
        onEnd: (end) => resolve(unaryResult(end, count, message)),
      };
      const s = super.stream(path, events, call);
      s.send(request);
      s.end();
    });
  }

  override stream(path: string, events: StreamEvents, call: CallOptions = {}): ClientStream {
    if (call.unary) this.unaryPaths.add(path);
    return super.stream(path, events, call);
  }

  /** A Connect unary call: bare bodies, its own content-type. */
  private connectUnary(path: string): boolean {
    return this.wire.protocol === "connect" && this.unaryPaths.has(path);
  }

  protected override newStreamCall(...args: ConstructorParameters<typeof ClientStreamCall>): ClientStreamCall {
    if (this.wire.protocol === "grpc") return super.newStreamCall(...args);
    return new WebStreamCall(this.wire, this.connectUnary(args[0]), this.maxReceive, ...args);
  }

  protected override requestFields(path: string): readonly (readonly [string, string])[] {
    if (this.wire.protocol === "grpc") return [["content-type", contentTypeOf(this.wire, true)], ...this.fields];
    return [["content-type", contentTypeOf(this.wire, !this.connectUnary(path))], ...this.fields];
  }

  protected override timeoutField(timeoutMs: number): readonly [string, string] {
    return this.wire.protocol === "connect"
      ? ["connect-timeout-ms", encodeConnectTimeout(timeoutMs)]
      : ["grpc-timeout", encodeGrpcTimeout(timeoutMs)];
  }
}

function unaryResult(end: StreamEnd, count: number, message: Buffer | undefined): Result<Buffer> {
  if (end.code !== Status.OK)
    return { ok: false, error: rpcError(parseStatusCode(String(end.code)) ?? Status.UNKNOWN, end.details) };
  if (count !== 1) {
    const code = count === 0 ? Status.UNIMPLEMENTED : Status.INTERNAL;
    return { ok: false, error: rpcError(code, `expected one response message, got ${count}`) };
  }
  return { ok: true, value: message as Buffer };
}

export function createWebChannel(opts: ChannelOptions, wire: WireFormat): RpcChannel {
  return new WebChannel(opts, wire);
}
