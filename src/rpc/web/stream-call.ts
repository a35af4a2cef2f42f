// A call of the gRPC family's other two protocols on a stream of the lean connection: Connect (unary: a bare
// body, the status in the HTTP status and an error JSON; streams: envelopes and an end-of-stream message)
// and gRPC-Web (envelopes and a trailers envelope, binary or base64 text). The connection treats it as a
// gRPC stream call (flow control, deadlines, resets, retries); only how the request is framed and how the
// response is read differ, and the end is told to the application as a gRPC status with gRPC-style
// headers and trailers, so the report shows every protocol the same way (src/protocol/ has the rules).

import {
  detailsTrailer,
  jsonOf,
  parseEndOfStream,
  parseErrorJson,
  splitUnaryTrailers,
} from "../../protocol/connect.ts";
import { type Envelope, EnvelopeReader, envelope, Flags } from "../../protocol/envelope.ts";
import { Base64Reader, parseTrailers } from "../../protocol/grpc-web.ts";
import type { WireFormat } from "../../protocol/wire.ts";
import type { Metadata } from "../channel.ts";
import { ClientStreamCall } from "../lean/stream-call.ts";
import type { ResponseFields } from "../lean/unary-call.ts";
import { type RpcError, rpcError, Status, statusFromRstCode, statusOf } from "../status.ts";
import { contentTypeError, encodingError, httpStatusError } from "./response-check.ts";

type StreamArgs = ConstructorParameters<typeof ClientStreamCall>;

/** What the response said about the call's status, once it did. */
interface Said {
  status: RpcError;
  trailers: Metadata;
}

export class WebStreamCall extends ClientStreamCall {
  private readonly unary: boolean;
  private webError: RpcError | undefined;
  /** Connect unary: the body (the message, or an error JSON), bounded by the receive limit. */
  private body: Buffer[] = [];
  private received = 0;
  private httpStatus = 0;
  private envelopes: EnvelopeReader | undefined;
  private readonly text: Base64Reader | undefined;
  private said: Said | undefined;
  private readonly onEnvelope = (e: Envelope): void => this.envelope(e);

  constructor(
    private readonly wire: WireFormat,
    /** A Connect unary call: bare request and response bodies. */
    unary: boolean,
    private readonly maxReceive: number,
    ...args: StreamArgs
  ) {
    super(...args);
    this.unary = unary && wire.protocol === "connect";
    this.text = wire.text ? new Base64Reader() : undefined;
  }

  override send(message: Uint8Array): boolean {
    if (!this.unary && !this.text) return super.send(message);
    if (this.done || this.halfClosed) return false;
    if (message.length > this.maxSend) return super.send(message); // refused there, with its status
    const piece = this.unary ? Buffer.from(message) : Buffer.from(envelope(0, message).toString("base64"), "latin1");
    this.total += piece.length;
    this.out.push(piece);
    this.host?.pushStream(this);
    return true;
  }

  override onHeaders(f: ResponseFields, endStream: boolean, fields: Metadata): void {
    if (this.gotHeaders) {
      // HTTP/2 trailers: gRPC-Web over HTTP/2 may carry its status here as gRPC does.
      this.trailers = fields;
      const status = statusOf(f.grpcStatus, f.grpcMessage);
      if (status !== undefined) this.said ??= { status, trailers: fields };
      return;
    }
    this.gotHeaders = true;
    this.declaredBody = f.contentLength;
    this.httpStatus = Number(f.status);
    this.webError = this.headersError(f);
    if (this.unary) {
      if (fields.some(isTrailer)) {
        const split = splitUnaryTrailers(fields);
        this.headers = split.headers;
        this.trailers = split.trailers;
      } else this.headers = fields;
    } else if (f.grpcStatus !== undefined) {
      // gRPC-Web's trailers-only response: the status in the one header block.
      this.trailers = fields;
      this.said = { status: statusOf(f.grpcStatus, f.grpcMessage) as RpcError, trailers: fields };
      return;
    } else this.headers = fields;
    if (this.webError === undefined && !endStream && this.events.onHeaders) {
      try {
        this.events.onHeaders(this.headers);
      } catch (err) {
        this.fail(rpcError(Status.INTERNAL, `stream event handler threw: ${err instanceof Error ? err.message : err}`));
      }
    }
  }

  /** What makes the response headers not this protocol's answer: names what came instead. */
  private headersError(f: ResponseFields): RpcError | undefined {
    // Connect's unary errors: a JSON body; anything else is read by the HTTP status at the end.
    if (this.unary) {
      const compressed = encodingError(f.contentEncoding);
      if (compressed) return compressed;
    }
    if (this.unary && this.httpStatus !== 200) return undefined;
    if (this.httpStatus !== 200) return httpStatusError(this.httpStatus);
    if (f.grpcStatus !== undefined && this.wire.protocol === "grpc-web") return undefined;
    return contentTypeError(this.wire, !this.unary, f.contentType);
  }

  override onData(buf: Buffer, start: number, end: number): RpcError | undefined {
    if (end === start || (this.webError && !this.unary)) return undefined;
    if (this.unary) {
      this.received += end - start;
      if (this.received > this.maxReceive) {
        return rpcError(
          Status.RESOURCE_EXHAUSTED,
          `received message larger than max (${this.received} vs. ${this.maxReceive})`,
        );
      }
      // A view: each socket read comes in a buffer of its own, as the lean unary call relies on too.
      this.body.push(buf.subarray(start, end));
      return undefined;
    }
    let bytes = buf;
    let from = start;
    let to = end;
    if (this.text) {
      const decoded = this.text.push(buf, start, end);
      if (decoded === undefined) return rpcError(Status.INTERNAL, "gRPC-Web text response is not base64");
      bytes = decoded;
      from = 0;
      to = decoded.length;
    }
    if (this.said !== undefined) return rpcError(Status.INTERNAL, `data after the ${this.endName()}`);
    const allowed = this.wire.protocol === "connect" ? Flags.CONNECT_END : Flags.WEB_TRAILERS;
    this.envelopes ??= new EnvelopeReader(this.maxReceive, allowed, true);
    return this.envelopes.read(bytes, from, to, this.onEnvelope);
  }

  private endName(): string {
    return this.wire.protocol === "connect" ? "end-of-stream message" : "trailers";
  }

  private envelope(e: Envelope): void {
    if (this.done) return;
    if (this.said !== undefined) {
      this.fail(rpcError(Status.INTERNAL, `message after the ${this.endName()}`));
      return;
    }
    if (e.flags === 0) {
      this.deliver(e.data);
      return;
    }
    if (e.flags === Flags.CONNECT_END) {
      const end = parseEndOfStream(e.data);
      const extra = detailsTrailer(end.status, end.details);
      const trailers = extra ? [...end.trailers, extra] : end.trailers;
      this.trailers = trailers;
      this.said = { status: end.status, trailers };
      return;
    }
    const trailers = parseTrailers(e.data);
    const get = (name: string) => trailers.find(([k]) => k === name)?.[1];
    const status = statusOf(get("grpc-status"), get("grpc-message"));
    this.trailers = trailers;
    this.said = {
      status: status ?? rpcError(Status.INTERNAL, "gRPC-Web trailers without grpc-status"),
      trailers,
    };
  }

  override streamEnded(rstCode: number | undefined, streamError: RpcError | undefined): void {
    if (this.done) return;
    const outcome = this.outcome(rstCode, streamError);
    if (!this.done) this.settle(outcome); // unless the application's onMessage threw (it ended the call)
  }

  private outcome(rstCode: number | undefined, streamError: RpcError | undefined): RpcError {
    const said = this.said?.status;
    if (said && said.code !== Status.OK) return said;
    if (this.webError) return this.webError;
    const clean = rstCode === undefined && streamError === undefined;
    if (this.unary && this.gotHeaders && clean) return this.unaryEnd();
    if (said) {
      const partial = (this.envelopes?.buffered ?? 0) > 0 || (this.text?.buffered ?? 0) > 0;
      return partial ? rpcError(Status.INTERNAL, "response ended inside a message") : said;
    }
    if (streamError) return streamError;
    if (rstCode !== undefined && rstCode !== 0) {
      return rpcError(statusFromRstCode(rstCode), `stream reset by server (code ${rstCode})`);
    }
    if (this.gotHeaders) return rpcError(Status.INTERNAL, `response ended without ${this.endName()}`);
    return rpcError(Status.UNAVAILABLE, "connection closed before the call completed");
  }

  /** A Connect unary response, whole: the message, or the error its JSON (or HTTP status) says. */
  private unaryEnd(): RpcError {
    const body = this.body.length === 1 ? (this.body[0] as Buffer) : Buffer.concat(this.body);
    this.body = [];
    if (this.httpStatus === 200) {
      this.deliver(body);
      return OK;
    }
    const { error, details } = parseErrorJson(jsonOf(body), this.httpStatus);
    const extra = detailsTrailer(error, details);
    if (extra) this.trailers = [...this.trailers, extra];
    return error;
  }
}

const OK: RpcError = Object.freeze({ code: Status.OK, details: "" });
const isTrailer = (f: readonly [string, string]) => f[0].startsWith("trailer-");
