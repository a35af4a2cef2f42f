// The lean client speaking Connect or gRPC-Web instead of gRPC: the same connection, flow control,
// deadlines and retries (it is a LeanChannel), with the protocol's request fields and timeout header, and
// a call that reads the protocol's response. Unary calls of Connect and gRPC-Web take the lean
// connection's unary path, as gRPC's do (./connect-unary.ts, ./web-unary.ts: no promise with
// unaryOutcome, no view of a response nobody reads); the rest (Connect's GET, gRPC with JSON) go through
// a stream call (./stream-call.ts). All give the same Result as gRPC's for the same outcome.
import { encodeHeaderBlock } from "../../h2/hpack/encoder.ts";
import { encodeConnectTimeout, getPath } from "../../protocol/connect.ts";
import { envelope } from "../../protocol/envelope.ts";
import { contentTypeOf, protocolFields, type WireFormat } from "../../protocol/wire.ts";
import type { CallOptions, ChannelOptions, ClientStream, RpcChannel, StreamEvents } from "../channel.ts";
import { LeanChannel } from "../lean/channel.ts";
import type { ClientStreamCall } from "../lean/stream-call.ts";
import type { ClientUnaryCall } from "../lean/unary-call.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../message.ts";
import type { Result } from "../status.ts";
import { encodeGrpcTimeout } from "../timeout.ts";
import { ConnectUnaryCall } from "./connect-unary.ts";
import type { UnaryWire } from "./response-check.ts";
import { WebStreamCall } from "./stream-call.ts";
import { UnaryEvents } from "./unary-events.ts";
import { WebTextUnaryCall, WebUnaryCall } from "./web-unary.ts";

/** A GET call's ClientStream: the call starts with its one message, which the query carries. */
class GetCall implements ClientStream {
  private call: ClientStream | undefined;

  constructor(private readonly start: (message: Uint8Array) => ClientStream) {}

  send(message: Uint8Array): boolean {
    if (this.call !== undefined) return false;
    this.call = this.start(message);
    return true;
  }

  end(): void {
    if (this.call === undefined) this.send(new Uint8Array(0));
  }

  cancel(): void {
    this.call?.cancel();
  }
}

class WebChannel extends LeanChannel {
  private readonly fields: readonly (readonly [string, string])[];
  private readonly maxReceive: number;
  /** Text mode: the last request body sent, and its base64 envelope. */
  private lastText: { readonly request: Buffer; readonly body: Buffer } | undefined;
  /** The wire and the content-type a unary call's usual answer says, made once. */
  private readonly expect: UnaryWire;
  /** Paths called as unary (unary(), or CallOptions.unary): a Connect unary call's fields differ. */
  private readonly unaryPaths = new Set<string>();

  constructor(
    private readonly options: ChannelOptions,
    private readonly wire: WireFormat,
  ) {
    super(options);
    this.maxReceive = options.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.fields = protocolFields(wire.protocol);
    this.expect = { wire, contentType: contentTypeOf(wire, wire.protocol !== "connect") };
  }

  /** Whether a unary call takes the lean unary path (its own call class) rather than a stream call. */
  private unaryPath(call: CallOptions): boolean {
    const w = this.wire;
    return w.protocol === "grpc-web" || (w.protocol === "connect" && !call.httpGet);
  }

  override unary(path: string, request: Uint8Array, call: CallOptions = {}): Promise<Result<Buffer>> {
    this.unaryPaths.add(path);
    if (this.unaryPath(call)) return super.unary(path, request, call);
    return new Promise((resolve) => {
      const s = super.stream(path, new UnaryEvents(resolve), call);
      s.send(request);
      s.end();
    });
  }

  override unaryOutcome(
    path: string,
    request: Uint8Array,
    call: CallOptions,
    done: (r: Result<unknown>) => void,
  ): void {
    if (this.unaryPath(call)) {
      this.unaryPaths.add(path);
      super.unaryOutcome(path, request, call, done);
      return;
    }
    void this.unary(path, request, call).then(done);
  }

  override stream(path: string, events: StreamEvents, call: CallOptions = {}): ClientStream {
    if (call.httpGet && this.wire.protocol === "connect") return new GetCall((m) => this.get(path, m, events, call));
    if (call.unary) this.unaryPaths.add(path);
    return super.stream(path, events, call);
  }

  /** A Connect unary call: bare bodies, its own content-type. */
  private connectUnary(path: string): boolean {
    return this.wire.protocol === "connect" && this.unaryPaths.has(path);
  }

  /** A Connect GET: the message in the query, no body; the response read as a unary call's. */
  private get(path: string, message: Uint8Array, events: StreamEvents, call: CallOptions): ClientStream {
    const o = this.options;
    const fields: (readonly [string, string])[] = [
      [":method", "GET"],
      [":scheme", o.secure ? "https" : "http"],
      [":path", getPath(path, this.wire.codec, message)],
      [":authority", o.authority],
      ...this.fields,
      ["user-agent", o.userAgent ?? "grpcperf"],
    ];
    if (call.timeoutMs !== undefined) fields.push(this.timeoutField(call.timeoutMs));
    const block = encodeHeaderBlock(call.metadata ? [...fields, ...call.metadata] : fields);
    const deadline = call.timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + call.timeoutMs;
    const s = new WebStreamCall(
      this.wire,
      true,
      this.maxReceive,
      path,
      block,
      deadline,
      call,
      this.maxReceive,
      0,
      events,
    );
    s.end(); // nothing to send: END_STREAM right after the HEADERS
    this.dispatch(s);
    return s;
  }

  // Explicit parameters, not a rest array: this runs once per call.
  protected override newUnaryCall(
    path: string,
    block: Buffer,
    request: Uint8Array,
    deadline: number,
    call: CallOptions,
    maxReceive: number,
    resolve: (r: Result<Buffer>) => void,
    keep = true,
  ): ClientUnaryCall {
    const e = this.expect;
    if (this.wire.protocol === "connect") {
      return new ConnectUnaryCall(path, block, request, deadline, call, maxReceive, resolve, keep, e);
    }
    if (!this.wire.text) return new WebUnaryCall(path, block, request, deadline, call, maxReceive, resolve, keep, e);
    const body = this.textBody(request);
    return new WebTextUnaryCall(path, block, request, deadline, call, maxReceive, resolve, keep, e, body);
  }

  /**
   * gRPC-Web text mode's request body: the envelope in base64, made once for as long as the caller sends the
   * same bytes (bench sends one body over and over; comparing it costs far less than encoding it again).
   */
  private textBody(request: Uint8Array): Buffer {
    const last = this.lastText;
    if (last?.request.equals(request)) return last.body;
    const body = Buffer.from(envelope(0, request).toString("base64"), "latin1");
    this.lastText = { request: Buffer.from(request), body };
    return body;
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

export function createWebChannel(opts: ChannelOptions, wire: WireFormat): RpcChannel {
  return new WebChannel(opts, wire);
}
