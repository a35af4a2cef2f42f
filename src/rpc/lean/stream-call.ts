// One call of any kind (client, server or bidi streaming, or unary through stream()) on a stream of the
// lean connection: the ClientStream the application holds, and the state machine the connection feeds
// with response headers, DATA, trailers, a reset or its own end. Requests wait here, framed, until the
// stream is open and the flow-control windows let them out. The end status is ../unary-outcome.ts's
// streamOutcome, as in ../node-http2/stream-call.ts, so both clients end a stream the same way on the same frames.
import { StreamFlow } from "../../h2/flow.ts";
import { SendQueue } from "../../h2/send-queue.ts";
import type { CallOptions, ClientStream, Metadata, StreamEnd, StreamEvents } from "../channel.ts";
import { MESSAGE_HEADER_BYTES, MessageDecoder, prefixMessage, sentTooLarge } from "../message.ts";
import { type RpcError, rpcError, Status, statusOf } from "../status.ts";
import { responseHeadersError, streamOutcome } from "../unary-outcome.ts";
import type { ResponseFields } from "./unary-call.ts";

/** What a stream call asks of the connection it is open on. */
export interface StreamHost {
  /** Sends what the call has queued, as far as the windows allow (and END_STREAM once all is out). */
  pushStream(call: ClientStreamCall): void;
  /** Writes one message now if nothing waits before it and it goes out whole; false: queue it. */
  sendMessage(call: ClientStreamCall, message: Uint8Array): boolean;
  /** Ends the call from this side: RST_STREAM CANCEL to the server, `error` to the application. */
  cancelStream(call: ClientStreamCall, error: RpcError): void;
}

const NO_METADATA: Metadata = [];

export class ClientStreamCall implements ClientStream {
  /** Stream id once started; 0 while queued. */
  id = 0;
  /** The connection the stream is open on; undefined while queued or connecting. */
  host: StreamHost | undefined;
  /**
   * Bytes (gRPC prefixes included) handed to the wire so far, and accepted by send() so far:
   * sent < total while requests wait for window.
   */
  sent = 0;
  total = 0;
  readonly flow = new StreamFlow();
  done = false;
  /** The response's content-length (-1: none), and the DATA payload bytes (padding not counted) so far. */
  declaredBody = -1;
  bodyBytes = 0;
  /** Transparent retries so far (only while no request byte went out, see `replayable`). */
  retries = 0;
  /** Framed requests not yet (wholly) sent, oldest first. */
  readonly out = new SendQueue();
  /** end() was called: END_STREAM goes with the last queued request, or alone. */
  halfClosed = false;

  private gotHeaders = false;
  private status: RpcError | undefined;
  private httpError: RpcError | undefined;
  private localError: RpcError | undefined;
  private readonly decoder: MessageDecoder;
  private headers: Metadata = NO_METADATA;
  private trailers: Metadata = NO_METADATA;
  private readonly deliver = (m: Buffer): void => {
    if (this.done) return;
    try {
      this.events.onMessage(m);
    } catch (err) {
      this.threw(err);
    }
  };

  private readonly deliverAt = (buf: Buffer, start: number, end: number): undefined => {
    if (this.done) return;
    try {
      this.events.onMessageAt?.(buf, start, end);
    } catch (err) {
      this.threw(err);
    }
  };

  constructor(
    readonly path: string,
    /** HEADERS block: pre-encoded fields plus this call's grpc-timeout and metadata (redone on a retry). */
    public headerBlock: Buffer,
    /** performance.now() at which the call fails with DEADLINE_EXCEEDED; Infinity for none. */
    readonly deadline: number,
    readonly options: CallOptions,
    maxReceive: number,
    private readonly maxSend: number,
    private readonly events: StreamEvents,
  ) {
    this.decoder = new MessageDecoder(maxReceive);
  }

  get timeoutMs(): number | undefined {
    return this.options.timeoutMs;
  }

  /** Whether the server has answered with headers. */
  get responded(): boolean {
    return this.gotHeaders;
  }

  /**
   * Whether the call may be sent again on another stream when the server provably did not process it
   * (GOAWAY above its id, REFUSED_STREAM): only while no request byte was handed to the wire, since
   * sent requests are not kept for a replay.
   */
  get replayable(): boolean {
    return this.sent === 0;
  }

  // --- ClientStream: the application's side ---

  send(message: Uint8Array): boolean {
    if (this.done || this.halfClosed) return false;
    if (message.length > this.maxSend) {
      this.fail(sentTooLarge(message.length, this.maxSend));
      return false;
    }
    this.total += message.length + MESSAGE_HEADER_BYTES;
    const host = this.host;
    if (host?.sendMessage(this, message)) return true;
    // Copied now (as node:http2's client does), so the caller may reuse its buffer at once.
    this.out.push(prefixMessage(message));
    host?.pushStream(this);
    return true;
  }

  end(): void {
    if (this.done || this.halfClosed) return;
    this.halfClosed = true;
    this.host?.pushStream(this);
  }

  cancel(): void {
    this.fail(rpcError(Status.CANCELLED, "cancelled by the client"));
  }

  /** Ends the call from this side with `error`; on an open stream the server gets RST_STREAM CANCEL. */
  private fail(error: RpcError): void {
    if (this.done) return;
    if (this.host !== undefined) this.host.cancelStream(this, error);
    else this.abort(error);
  }

  // --- the connection's side ---

  /** Back to "not yet sent", for a retry on another stream. Only valid while `replayable`. */
  rewind(): void {
    this.id = 0;
    this.host = undefined;
    this.flow.reset(0);
    // Nothing of the queue went out (that is what makes it replayable) but perhaps an END_STREAM alone.
    this.out.endSent = false;
  }

  /**
   * A complete header block: the response headers, or (the second time) the trailers. `fields` are its
   * pseudo-headers excluded. As in ../node-http2/stream-call.ts, a first block that ends the stream or carries
   * grpc-status is a trailers-only response: its fields are the trailers, and onHeaders is not called.
   */
  onHeaders(f: ResponseFields, endStream: boolean, fields: Metadata): void {
    if (!this.gotHeaders) {
      this.gotHeaders = true;
      this.declaredBody = f.contentLength;
      this.httpError = responseHeadersError(Number(f.status), f.contentType);
      if (!endStream && f.grpcStatus === undefined) {
        this.headers = fields;
        if (this.httpError || this.events.onHeaders === undefined) return;
        try {
          this.events.onHeaders(fields);
        } catch (err) {
          this.threw(err);
        }
        return;
      }
    }
    this.trailers = fields;
    const status = statusOf(f.grpcStatus, f.grpcMessage);
    if (status !== undefined) this.status = status;
  }

  /** DATA payload, buf[start, end): each message completed goes to the application as it arrives. */
  onData(buf: Buffer, start: number, end: number): RpcError | undefined {
    if (this.httpError || end === start) return undefined; // not gRPC: an error page, not frames
    if (this.events.onMessageAt !== undefined) return this.decoder.readRanges(buf, start, end, this.deliverAt);
    return this.decoder.read(buf, start, end, this.deliver);
  }

  /** The stream ended (END_STREAM, RST_STREAM or the connection): settles the call from what it saw. */
  streamEnded(rstCode: number | undefined, streamError: RpcError | undefined): void {
    if (this.done) return;
    const partial = this.decoder.buffered > 0;
    this.settle(this.localError ?? streamOutcome(this.status, this.httpError, partial, streamError, rstCode));
  }

  /** Settles the call now with this error, whatever the stream does next. */
  abort(error: RpcError): void {
    if (this.done) return;
    this.settle(error);
  }

  private settle(outcome: RpcError): void {
    this.done = true;
    this.host = undefined;
    this.out.clear();
    const end: StreamEnd = {
      code: outcome.code,
      details: outcome.details,
      headers: this.headers,
      trailers: this.trailers,
    };
    try {
      this.events.onEnd(end);
    } catch (err) {
      this.threw(err);
    }
  }

  /**
   * An application callback threw. Callbacks run inside the connection's frame handling, where a throw
   * would be taken for a protocol error and end every call on the connection; so it ends this call only,
   * with INTERNAL. Thrown by onEnd, when the call is over already, it is rethrown outside the connection.
   */
  private threw(err: unknown): void {
    if (this.done) {
      queueMicrotask(() => {
        throw err;
      });
      return;
    }
    this.localError = rpcError(
      Status.INTERNAL,
      `stream event handler threw: ${err instanceof Error ? err.message : err}`,
    );
    this.fail(this.localError);
  }
}
