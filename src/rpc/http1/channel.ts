// Connect and gRPC-Web over HTTP/1.1 with keep-alive (`--http1`), on whatever Duplex the transport yields:
// one connection, one exchange at a time (no pipelining: a slow answer would hold every later one anyway),
// reopened when the server closes it. A request goes out whole once the application half-closes, so
// streams are half-duplex here (client streams, server streams, a bidi stream's requests then its
// responses), as HTTP/1.1 allows. The response is read by the same call the HTTP/2 client uses
// (../web/stream-call.ts), fed the parsed head and body, so status mapping is one and the same.
import type { Duplex } from "node:stream";
import { encodeConnectTimeout, getPath } from "../../protocol/connect.ts";
import { envelope } from "../../protocol/envelope.ts";
import { contentTypeOf, protocolFields, type WireFormat } from "../../protocol/wire.ts";
import {
  type CallOptions,
  type ChannelOptions,
  type ChannelStats,
  type ClientStream,
  openSocket,
  type RpcChannel,
  type StreamEvents,
} from "../channel.ts";
import { ResponseFields } from "../lean/unary-call.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, sentTooLarge } from "../message.ts";
import { isRpcError, type Result, type RpcError, rpcError, Status } from "../status.ts";
import { encodeGrpcTimeout } from "../timeout.ts";
import { WebStreamCall } from "../web/stream-call.ts";
import { UnaryEvents } from "../web/unary-events.ts";
import { ResponseParser } from "./response.ts";

const NO_BLOCK = Buffer.alloc(0);

/** One request and the call that reads its response. */
interface Exchange {
  readonly head: string;
  readonly body: Buffer[];
  readonly reader: WebStreamCall;
  timer: ReturnType<typeof setTimeout> | undefined;
}

class Http1Channel implements RpcChannel {
  readonly stats: ChannelStats = { connects: 0, goaways: 0 };
  private socket: Duplex | undefined;
  private opening: Promise<Duplex | RpcError> | undefined;
  private readonly queue: Exchange[] = [];
  private current: Exchange | undefined;
  private parser: ResponseParser | undefined;
  private closed = false;
  private readonly maxRecv: number;
  private readonly maxSend: number;

  constructor(
    private readonly opts: ChannelOptions,
    private readonly wire: WireFormat,
  ) {
    this.maxRecv = opts.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxSend = opts.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  async ready(): Promise<Result<void>> {
    const s = await this.connection();
    return isRpcError(s) ? { ok: false, error: s } : { ok: true, value: undefined };
  }

  unary(path: string, request: Uint8Array, call: CallOptions = {}): Promise<Result<Buffer>> {
    return new Promise((resolve) => {
      const s = this.stream(path, new UnaryEvents(resolve), { ...call, unary: true });
      s.send(request);
      s.end();
    });
  }

  unaryOutcome(path: string, request: Uint8Array, call: CallOptions, done: (r: Result<unknown>) => void): void {
    void this.unary(path, request, call).then(done);
  }

  stream(path: string, events: StreamEvents, call: CallOptions = {}): ClientStream {
    const unary = call.unary === true;
    const deadline = call.timeoutMs === undefined ? Number.POSITIVE_INFINITY : performance.now() + call.timeoutMs;
    const reader = new WebStreamCall(
      this.wire,
      unary,
      this.maxRecv,
      path,
      NO_BLOCK,
      deadline,
      call,
      this.maxRecv,
      0,
      events,
    );
    const bare = unary && this.wire.protocol === "connect";
    const body: Buffer[] = [];
    let ended = false;
    const start = (message: Uint8Array | undefined) => {
      ended = true;
      const get = call.httpGet === true && bare;
      const ex: Exchange = {
        head: this.requestHead(path, call, bare, get, message),
        body: get ? [] : body,
        reader,
        timer: undefined,
      };
      if (call.timeoutMs !== undefined) {
        ex.timer = setTimeout(
          () => this.fail(ex, rpcError(Status.DEADLINE_EXCEEDED, `deadline of ${call.timeoutMs} ms exceeded`)),
          Math.max(0, call.timeoutMs),
        );
      }
      this.queue.push(ex);
      void this.pump();
    };
    return {
      send: (message: Uint8Array) => {
        if (ended || reader.done) return false;
        if (message.length > this.maxSend) {
          reader.abort(sentTooLarge(message.length, this.maxSend));
          return false;
        }
        if (call.httpGet === true && bare) {
          start(message);
          return true;
        }
        const framed = bare ? Buffer.from(message) : envelope(0, message);
        body.push(this.wire.text ? Buffer.from(framed.toString("base64"), "latin1") : framed);
        return true;
      },
      end: () => {
        if (!ended && !reader.done) start(undefined);
      },
      cancel: () => {
        const ex = this.current?.reader === reader ? this.current : this.queue.find((e) => e.reader === reader);
        if (ex !== undefined) this.fail(ex, rpcError(Status.CANCELLED, "cancelled by the client"));
        else reader.abort(rpcError(Status.CANCELLED, "cancelled by the client"));
      },
    };
  }

  /** The request line and fields: the protocol's, the timeout, metadata; Content-Length for the body. */
  private requestHead(
    path: string,
    call: CallOptions,
    bare: boolean,
    get: boolean,
    message: Uint8Array | undefined,
  ): string {
    const o = this.opts;
    const target = get ? getPath(path, this.wire.codec, message ?? new Uint8Array(0)) : path;
    let head = `${get ? "GET" : "POST"} ${target} HTTP/1.1\r\nhost: ${o.authority}\r\n`;
    if (!get) head += `content-type: ${contentTypeOf(this.wire, !bare)}\r\n`;
    for (const [k, v] of protocolFields(this.wire.protocol)) head += `${k}: ${v}\r\n`;
    if (call.timeoutMs !== undefined) {
      head +=
        this.wire.protocol === "connect"
          ? `connect-timeout-ms: ${encodeConnectTimeout(call.timeoutMs)}\r\n`
          : `grpc-timeout: ${encodeGrpcTimeout(call.timeoutMs)}\r\n`;
    }
    for (const [k, v] of call.metadata ?? []) head += `${k}: ${v}\r\n`;
    return `${head}user-agent: ${o.userAgent ?? "grpcperf"}\r\n`;
  }

  /** Sends the next request once the connection is free. */
  private async pump(): Promise<void> {
    if (this.current !== undefined) return;
    const ex = this.queue.shift();
    if (ex === undefined) return;
    if (ex.reader.done) {
      void this.pump();
      return;
    }
    this.current = ex;
    const socket = await this.connection();
    if (this.current !== ex) return; // failed (deadline, cancel) while connecting
    if (isRpcError(socket)) {
      this.fail(ex, socket);
      return;
    }
    const length = ex.body.reduce((n, b) => n + b.length, 0);
    const head = ex.head.startsWith("GET") ? `${ex.head}\r\n` : `${ex.head}content-length: ${length}\r\n\r\n`;
    this.parser = this.newParser(ex);
    socket.write(Buffer.concat([Buffer.from(head, "latin1"), ...ex.body]));
  }

  private newParser(ex: Exchange): ResponseParser {
    const reader = ex.reader;
    return new ResponseParser({
      head: (status, fields) => {
        const f = new ResponseFields();
        f.status = String(status);
        for (const [k, v] of fields) {
          if (k === "content-type") f.contentType = v;
          else if (k === "grpc-status") f.grpcStatus = v;
          else if (k === "grpc-message") f.grpcMessage = v;
        }
        reader.onHeaders(f, false, fields);
      },
      body: (buf, start, end) => {
        const err = reader.onData(buf, start, end);
        if (err) this.fail(ex, err);
      },
      end: (close) => {
        this.settled(ex);
        reader.streamEnded(undefined, undefined);
        if (close) this.drop();
        void this.pump();
      },
    });
  }

  private onBytes(socket: Duplex, chunk: Buffer): void {
    const parser = this.parser;
    if (socket !== this.socket) return;
    if (parser === undefined || parser.done) {
      this.drop();
      return;
    }
    parser.push(chunk);
    if (parser.problem === undefined) return;
    const ex = this.current;
    const error = rpcError(Status.INTERNAL, `malformed HTTP/1.1 response: ${parser.problem}`);
    if (ex !== undefined && parser === this.parser) this.fail(ex, error);
    else this.drop();
  }

  private onClose(socket: Duplex): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    const ex = this.current;
    const cut = this.parser?.closed();
    if (ex === undefined) return;
    if (this.parser?.done) return; // a body read to the close: settled already
    this.fail(ex, rpcError(Status.UNAVAILABLE, cut ?? "connection closed before the response"));
  }

  /** Ends an exchange from here; an exchange on the wire takes the connection with it (no other way out). */
  private fail(ex: Exchange, error: RpcError): void {
    this.settled(ex);
    const i = this.queue.indexOf(ex);
    if (i >= 0) this.queue.splice(i, 1);
    ex.reader.abort(error);
    if (this.current === ex) this.drop();
    void this.pump();
  }

  private settled(ex: Exchange): void {
    clearTimeout(ex.timer);
    if (this.current === ex) this.current = undefined;
  }

  private drop(): void {
    const s = this.socket;
    this.socket = undefined;
    this.parser = undefined;
    s?.destroy();
  }

  private connection(): Promise<Duplex | RpcError> {
    if (this.socket !== undefined) return Promise.resolve(this.socket);
    if (this.closed) return Promise.resolve(rpcError(Status.UNAVAILABLE, "channel closed"));
    this.opening ??= openSocket(this.opts.connect, () => this.closed).then((s) => {
      this.opening = undefined;
      if (isRpcError(s)) return s;
      this.stats.connects++;
      this.socket = s;
      s.on("data", (chunk: Buffer) => this.onBytes(s, chunk));
      s.on("error", () => {});
      s.on("close", () => this.onClose(s));
      s.resume();
      return s;
    });
    return this.opening;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const ex of [...this.queue]) this.fail(ex, rpcError(Status.UNAVAILABLE, "channel closed"));
    if (this.current !== undefined) this.fail(this.current, rpcError(Status.UNAVAILABLE, "channel closed"));
    this.drop();
  }
}

export function createHttp1Channel(opts: ChannelOptions, wire: WireFormat): RpcChannel {
  return new Http1Channel(opts, wire);
}
