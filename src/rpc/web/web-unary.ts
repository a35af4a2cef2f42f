// A gRPC-Web unary call on the lean connection's unary path, as gRPC's own: bench's unary() and
// unaryOutcome() (`call` goes through ./stream-call.ts, which keeps headers and trailers). In binary mode the
// request is gRPC's (one message behind the same 5-byte prefix); the response is enveloped messages and the
// trailers envelope (flag 0x80) that carries the status, or a trailers-only answer, or (over HTTP/2, from a
// proxy) HTTP/2 trailers. Text mode is the same in base64 both ways. The outcome is
// src/rpc/unary-outcome.ts's, as gRPC's is.
//
// The usual binary response allocates nothing to read: whole envelopes are read in place, a message is
// counted (and made a view only for a caller who wants it), and trailers that say grpc-status 0 and nothing
// else are recognised byte by byte (protocol/grpc-web.ts). Anything else (an envelope cut across DATA
// frames, a status other than OK) takes the general reader and parser.

import type { OutFlow } from "../../h2/flow.ts";
import type { Writer } from "../../h2/writer.ts";
import { ENVELOPE_BYTES, EnvelopeReader, type EnvelopeSink, envelopeError, Flags } from "../../protocol/envelope.ts";
import { Base64Reader, parseTrailers, trailersSayOk } from "../../protocol/grpc-web.ts";
import type { CallOptions } from "../channel.ts";
import { ClientUnaryCall, type ResponseFields } from "../lean/unary-call.ts";
import { type Result, type RpcError, rpcError, Status, statusOf } from "../status.ts";
import { unaryOutcome } from "../unary-outcome.ts";
import { sendBare } from "./bare-body.ts";
import { contentTypeError, httpStatusError, type UnaryWire } from "./response-check.ts";

/** The message of a call whose caller asked for the outcome only. */
const EMPTY = Buffer.alloc(0);
const OK: RpcError = Object.freeze({ code: Status.OK, details: "" });

export class WebUnaryCall extends ClientUnaryCall implements EnvelopeSink {
  /** The status the response said: trailers envelope, trailers-only headers, or HTTP/2 trailers. */
  private said: RpcError | undefined;
  private headersError: RpcError | undefined;
  /** An envelope the response should not have sent (a message after the trailers). */
  private late: RpcError | undefined;
  /** Made only once an envelope comes cut across DATA frames. */
  private reader: EnvelopeReader | undefined;
  private messages = 0;
  private first: Buffer | undefined;

  constructor(
    path: string,
    headerBlock: Buffer,
    request: Uint8Array,
    deadline: number,
    options: CallOptions,
    maxReceive: number,
    resolve: (r: Result<Buffer>) => void,
    keep: boolean,
    private readonly expect: UnaryWire,
  ) {
    super(path, headerBlock, request, deadline, options, maxReceive, resolve, keep);
  }

  override onHeaders(f: ResponseFields): void {
    if (!this.gotHeaders) {
      this.gotHeaders = true;
      this.declaredBody = f.contentLength;
      if (f.status !== "200") this.headersError = httpStatusError(Number(f.status));
      // A trailers-only answer carries its status in the one block, whatever its content-type says.
      else if (f.contentType !== this.expect.contentType && f.grpcStatus === undefined) {
        this.headersError = contentTypeError(this.expect.wire, true, f.contentType);
      }
    }
    const status = statusOf(f.grpcStatus, f.grpcMessage);
    if (status !== undefined) this.said ??= status;
  }

  /** Whether the body is envelopes to read: not an error page or another protocol's answer. */
  protected get envelopes(): boolean {
    return this.headersError === undefined;
  }

  override onData(buf: Buffer, start: number, end: number): RpcError | undefined {
    if (this.headersError || end === start) return undefined; // not gRPC-Web: an error page, not envelopes
    if (this.said !== undefined) return rpcError(Status.INTERNAL, "data after the trailers");
    let pos = start;
    if (this.reader === undefined) {
      // The usual DATA frame: whole envelopes, read in place.
      while (end - pos >= ENVELOPE_BYTES) {
        const flags = buf[pos] as number;
        const length = buf.readUInt32BE(pos + 1);
        const next = pos + ENVELOPE_BYTES + length;
        const err = envelopeError(flags, length, this.maxReceive, Flags.WEB_TRAILERS);
        if (err) return err;
        if (next > end) break;
        this.onEnvelope(flags, buf, pos + ENVELOPE_BYTES, next);
        if (this.late) return this.late;
        pos = next;
      }
      if (pos === end) return undefined;
      this.reader = new EnvelopeReader(this.maxReceive, Flags.WEB_TRAILERS, true, !this.keep);
    }
    return this.reader.scan(buf, pos, end, this) ?? this.late;
  }

  onEnvelope(flags: number, data: Buffer, start: number, end: number): void {
    if (this.said !== undefined) {
      this.late ??= rpcError(Status.INTERNAL, "message after the trailers");
      return;
    }
    if (flags === 0) {
      // slice: a view like subarray without its species lookup; each socket read is a buffer of its own.
      if (++this.messages === 1 && this.keep) this.first = data.slice(start, end);
      return;
    }
    this.said = trailersSayOk(data, start, end) ? OK : trailersStatus(data.subarray(start, end));
  }

  override end(rstCode: number | undefined, streamError: RpcError | undefined): void {
    if (this.done) return;
    this.done = true;
    this.resolve(this.result(rstCode, streamError));
  }

  /** Bytes of an unfinished envelope held: the response ended inside one when any are. */
  protected buffered(): number {
    return this.reader?.buffered ?? 0;
  }

  private result(rstCode: number | undefined, streamError: RpcError | undefined): Result<Buffer> {
    const clean = streamError === undefined && (rstCode === undefined || rstCode === 0);
    if (this.said === undefined && this.headersError === undefined && this.gotHeaders && clean) {
      return { ok: false, error: rpcError(Status.INTERNAL, "response ended without trailers") };
    }
    const partial = this.buffered() > 0;
    const first = this.keep ? (this.first ?? EMPTY) : EMPTY;
    return unaryOutcome(this.said, this.headersError, partial, this.messages, first, streamError, rstCode);
  }
}

/**
 * gRPC-Web text mode: the request is its envelope in base64 (made once per request by the channel), and the
 * response's base64 is decoded chunk by chunk, each decoded piece read as binary mode reads a DATA frame.
 */
export class WebTextUnaryCall extends WebUnaryCall {
  private text: Base64Reader | undefined;

  constructor(
    path: string,
    headerBlock: Buffer,
    request: Uint8Array,
    deadline: number,
    options: CallOptions,
    maxReceive: number,
    resolve: (r: Result<Buffer>) => void,
    keep: boolean,
    expect: UnaryWire,
    /** base64 of the request's envelope: what goes on the wire. */
    private readonly body: Buffer,
  ) {
    super(path, headerBlock, request, deadline, options, maxReceive, resolve, keep, expect);
  }

  override get total(): number {
    return this.body.length;
  }

  override sendRequest(w: Writer, connection: OutFlow, maxFrame: number): void {
    sendBare(this, this.body, w, connection, maxFrame);
  }

  override onData(buf: Buffer, start: number, end: number): RpcError | undefined {
    if (end === start || !this.envelopes) return super.onData(buf, start, end);
    this.text ??= new Base64Reader();
    const decoded = this.text.push(buf, start, end);
    if (decoded === undefined) return rpcError(Status.INTERNAL, "gRPC-Web text response is not base64");
    return decoded.length === 0 ? undefined : super.onData(decoded, 0, decoded.length);
  }

  protected override buffered(): number {
    return super.buffered() + (this.text?.buffered ?? 0);
  }
}

/** The status a trailers envelope says when it is not plain OK; INTERNAL when it names none. */
function trailersStatus(body: Buffer): RpcError {
  const trailers = parseTrailers(body);
  const get = (name: string) => trailers.find(([k]) => k === name)?.[1];
  return (
    statusOf(get("grpc-status"), get("grpc-message")) ??
    rpcError(Status.INTERNAL, "gRPC-Web trailers without grpc-status")
  );
}
