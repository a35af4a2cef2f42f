// One unary call's life on a stream, as a state machine fed by the connection: response headers, DATA,
// trailers, a reset or the end of the connection. Its outcome is ../unary-outcome.ts's, as is
// src/rpc/node-http2/channel.ts's, so the two clients give the same status for the same wire events.
import { PREFIX_BYTES, trySendWhole } from "../../h2/data.ts";
import { type OutFlow, StreamFlow } from "../../h2/flow.ts";
import { Flag } from "../../h2/frame.ts";
import { SendQueue } from "../../h2/send-queue.ts";
import type { Writer } from "../../h2/writer.ts";
import type { CallOptions } from "../channel.ts";
import { MESSAGE_HEADER_BYTES, MessageDecoder } from "../message.ts";
import { type Result, type RpcError, statusOf } from "../status.ts";
import { responseHeadersError, unaryOutcome } from "../unary-outcome.ts";
import type { CallPool } from "./call-pool.ts";
import { MessageCount } from "./message-count.ts";

/** The message of a call whose caller asked for the outcome only. */
const EMPTY = Buffer.alloc(0);

/** What a call in the pool resolves with: nothing, it was settled before it went back. */
const settledAlready = (): void => {};

/** ResponseFields.contentLength when the field is there but no number (RFC 9110 §8.6). */
export const INVALID_CONTENT_LENGTH = -2;

/** The fields of one header block that a gRPC client looks at; the connection fills it while decoding. */
export class ResponseFields {
  status: string | undefined;
  contentType: string | undefined;
  grpcStatus: string | undefined;
  grpcMessage: string | undefined;
  /** content-length: -1 when absent, INVALID_CONTENT_LENGTH when not a number. */
  contentLength = -1;
  /** content-encoding: what compresses a Connect unary body (gRPC's messages say so in their own flag). */
  contentEncoding: string | undefined;

  reset(): void {
    this.contentEncoding = undefined;
    this.status = undefined;
    this.contentType = undefined;
    this.grpcStatus = undefined;
    this.grpcMessage = undefined;
    this.contentLength = -1;
  }
}

export class ClientUnaryCall {
  /** Stream id once started; 0 while queued. */
  id = 0;
  /** Bytes of the gRPC-framed request sent so far; flow control may hold the rest back. */
  sent = 0;
  readonly flow = new StreamFlow();
  /** The request in pieces (prefix, message), when it did not go out in one frame at once. */
  out: SendQueue | undefined;
  done = false;
  /** The response's content-length (-1: none), and the DATA payload bytes (padding not counted) so far. */
  declaredBody = -1;
  bodyBytes = 0;

  protected gotHeaders = false;
  private status: RpcError | undefined;
  private httpError: RpcError | undefined;
  private decoder: MessageDecoder | undefined;
  /** With keep false: the messages are counted and checked, never gathered. */
  private counter: MessageCount | undefined;
  // Messages received: the first one, and how many (a unary call wants exactly one; no array per call).
  // A message whole in one DATA frame is kept as a range of the read buffer and made a view only when the
  // outcome is built for a caller who wants it (a view costs more than the rest of the call's reading).
  private message: Buffer | undefined;
  private messageStart = 0;
  private messageEnd = 0;
  private count = 0;
  /** Where the call goes once its stream has ended (./call-pool.ts); undefined: it is left to the GC. */
  pool: CallPool<ClientUnaryCall> | undefined;
  private pooled = false;

  // Not readonly: a pooled call is taken again for another call (reuse()).
  constructor(
    public path: string,
    /** HEADERS block: pre-encoded fields plus this call's grpc-timeout and metadata (redone on a retry). */
    public headerBlock: Buffer,
    /** The request message, without the 5-byte gRPC prefix (written straight into the output buffer). */
    public request: Uint8Array,
    /** performance.now() at which the call fails with DEADLINE_EXCEEDED; Infinity for none. */
    public deadline: number,
    public options: CallOptions,
    protected readonly maxReceive: number,
    protected resolve: (r: Result<Buffer>) => void,
    /** Whether the caller wants the response message; false: only the outcome (checked all the same). */
    protected keep = true,
  ) {}

  /** A call taken from the pool becomes a new one, as if just constructed (same channel, same limits). */
  reuse(
    path: string,
    headerBlock: Buffer,
    request: Uint8Array,
    deadline: number,
    options: CallOptions,
    resolve: (r: Result<Buffer>) => void,
    keep: boolean,
  ): void {
    this.path = path;
    this.headerBlock = headerBlock;
    this.request = request;
    this.deadline = deadline;
    this.options = options;
    this.resolve = resolve;
    this.keep = keep;
    this.id = 0;
    this.sent = 0;
    this.flow.reset(0);
    this.declaredBody = -1;
    this.bodyBytes = 0;
    this.gotHeaders = false;
    this.retries = 0;
    this.pooled = false;
    this.done = false;
  }

  /**
   * Back to the pool, if the call has one: only once it is settled and its stream is gone from the
   * connection (./call-pool.ts says when that is). What it held of the last call is let go.
   */
  release(): void {
    const pool = this.pool;
    if (pool === undefined || !this.done || this.pooled) return;
    this.pooled = true;
    this.out = undefined;
    this.status = undefined;
    this.httpError = undefined;
    this.decoder = undefined;
    this.counter = undefined;
    this.message = undefined;
    this.messageStart = 0;
    this.messageEnd = 0;
    this.count = 0;
    this.request = EMPTY;
    this.resolve = settledAlready;
    pool.give(this);
  }

  /** Transparent retries so far: sends of a call the server provably never processed. */
  retries = 0;

  get timeoutMs(): number | undefined {
    return this.options.timeoutMs;
  }

  /** Whether the server has answered with headers: after that a call is never sent again. */
  get responded(): boolean {
    return this.gotHeaders;
  }

  /** Back to "not yet sent", for a retry on another stream. Only valid while nothing was received. */
  rewind(): void {
    this.id = 0;
    this.sent = 0;
    this.flow.reset(0);
    this.out = undefined;
  }

  /** Length of the request with its gRPC prefix. */
  get total(): number {
    return this.request.length + MESSAGE_HEADER_BYTES;
  }

  /** The request message as a Buffer view (the writer queues Buffers), for sending it in pieces. */
  private requestBuffer(): Buffer {
    const r = this.request;
    return Buffer.isBuffer(r) ? r : Buffer.from(r.buffer, r.byteOffset, r.byteLength);
  }

  /** Sends as much of the request as both windows allow (with END_STREAM on its last byte). */
  sendRequest(w: Writer, connection: OutFlow, maxFrame: number): void {
    let out = this.out;
    if (out === undefined) {
      if (this.sent > 0) return; // sent whole already
      const request = this.request;
      if (trySendWhole(w, this.id, Flag.END_STREAM, request, request.length, this.flow, connection, maxFrame)) {
        this.sent = this.total;
        return;
      }
      // In pieces, as the windows allow: the 5-byte prefix, then the message as views of the caller's
      // bytes, never copied into a framed request of its own.
      out = new SendQueue();
      const prefix = Buffer.allocUnsafe(PREFIX_BYTES);
      prefix[0] = 0;
      prefix.writeUInt32BE(request.length, 1);
      out.push(prefix);
      out.push(this.requestBuffer());
      this.out = out;
    }
    this.sent += out.flush(w, this.id, this.flow, connection, maxFrame, true);
  }

  /** A complete header block arrived: the response headers, or (the second time) the trailers. */
  onHeaders(f: ResponseFields): void {
    if (!this.gotHeaders) {
      this.gotHeaders = true;
      this.declaredBody = f.contentLength;
      this.httpError = responseHeadersError(Number(f.status), f.contentType);
    }
    const status = statusOf(f.grpcStatus, f.grpcMessage);
    if (status !== undefined) this.status = status;
  }

  /** DATA payload, buf[start, end); an error means the call is over and the stream must be cancelled. */
  onData(buf: Buffer, start: number, end: number): RpcError | undefined {
    if (this.httpError || end === start) return undefined; // not gRPC: an error page, not frames
    if (this.decoder === undefined && this.count === 0 && buf[start] === 0 && end - start >= MESSAGE_HEADER_BYTES) {
      // The usual case: the whole message in one DATA frame. Anything else goes through the decoder.
      const length = buf.readUInt32BE(start + 1);
      if (length === end - start - MESSAGE_HEADER_BYTES && length <= this.maxReceive) {
        this.message = buf;
        this.messageStart = start + MESSAGE_HEADER_BYTES;
        this.messageEnd = end;
        this.count = 1;
        return undefined;
      }
    }
    if (!this.keep) return this.countMessages(buf, start, end);
    if (this.message !== undefined && this.decoder === undefined) this.message = this.firstMessage();
    this.decoder ??= new MessageDecoder(this.maxReceive);
    const out: Buffer[] = [];
    const err = this.decoder.push(buf.subarray(start, end), out);
    if (out.length > 0) {
      if (this.message === undefined) {
        this.message = out[0];
        this.messageStart = 0;
        this.messageEnd = (out[0] as Buffer).length;
      }
      this.count += out.length;
    }
    return err;
  }

  /** keep false: the messages after the first frame are counted, their bodies skipped. */
  private countMessages(buf: Buffer, start: number, end: number): RpcError | undefined {
    if (this.counter === undefined) {
      this.counter = new MessageCount(this.maxReceive);
      this.counter.count = this.count;
    }
    const err = this.counter.read(buf, start, end);
    this.count = this.counter.count;
    return err;
  }

  /** The first message as a Buffer of its own range (a view of the read buffer, or the decoder's). */
  private firstMessage(): Buffer | undefined {
    const m = this.message;
    if (m === undefined || (this.messageStart === 0 && this.messageEnd === m.length)) return m;
    // slice(), not subarray(): the same view, without subarray's species lookup (several times dearer in Bun).
    const view = m.slice(this.messageStart, this.messageEnd);
    this.message = view;
    this.messageStart = 0;
    this.messageEnd = view.length;
    return view;
  }

  /** The stream ended (END_STREAM, RST_STREAM or the connection): settles the call from what it saw. */
  end(rstCode: number | undefined, streamError: RpcError | undefined): void {
    if (this.done) return;
    this.done = true;
    this.resolve(this.outcome(rstCode, streamError));
  }

  /** Settles the call now with this error, whatever the stream does next. */
  abort(error: RpcError): void {
    if (this.done) return;
    this.done = true;
    this.resolve({ ok: false, error });
  }

  private outcome(rstCode: number | undefined, streamError: RpcError | undefined): Result<Buffer> {
    const partial = (this.decoder !== undefined && this.decoder.buffered > 0) || this.counter?.partial === true;
    const message = this.keep ? this.firstMessage() : EMPTY;
    return unaryOutcome(this.status, this.httpError, partial, this.count, message, streamError, rstCode);
  }
}
