// A call of any kind (unary, client, server or bidi streaming) over a node:http2 session: the ClientStream
// of src/rpc/node-http2/channel.ts. Requests queue until the session is there; responses are reported as they arrive,
// and the end through streamOutcome, the rule the lean client uses too.
import type http2 from "node:http2";
import { ErrorCode } from "../../h2/errors.ts";
import type { ClientStream, Metadata, StreamEnd, StreamEvents } from "../channel.ts";
import { MessageDecoder, prefixMessage, sentTooLarge } from "../message.ts";
import { decodeGrpcMessage, parseStatusCode, type RpcError, rpcError, Status } from "../status.ts";
import { responseHeadersError, streamOutcome } from "../unary-outcome.ts";

interface StreamLimits {
  readonly maxSend: number;
  readonly maxRecv: number;
}

/** The non-pseudo fields of a node:http2 header object, repeated names as repeated pairs. */
function metadataOf(h: http2.IncomingHttpHeaders): Metadata {
  const out: Array<readonly [string, string]> = [];
  for (const [name, value] of Object.entries(h)) {
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) out.push([name, v]);
    else out.push([name, String(value)]);
  }
  return out;
}

/** Metadata pairs as node:http2 takes them: a name given twice becomes an array. */
export function headersOf(metadata: Metadata | undefined, into: http2.OutgoingHttpHeaders): http2.OutgoingHttpHeaders {
  for (const [name, value] of metadata ?? []) {
    const had = into[name];
    if (had === undefined) into[name] = value;
    else into[name] = Array.isArray(had) ? [...had, value] : [String(had), value];
  }
  return into;
}

export class Http2StreamCall implements ClientStream {
  private stream: http2.ClientHttp2Stream | undefined;
  private queued: Buffer[] = [];
  private halfClosed = false;
  private ended = false;
  private localError: RpcError | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly events: StreamEvents,
    private readonly limits: StreamLimits,
    timeoutMs: number | undefined,
  ) {
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(
        () => this.fail(rpcError(Status.DEADLINE_EXCEEDED, `deadline of ${timeoutMs} ms exceeded`)),
        timeoutMs,
      );
    }
  }

  get done(): boolean {
    return this.ended;
  }

  send(message: Uint8Array): boolean {
    if (this.ended || this.halfClosed || this.localError) return false;
    if (message.length > this.limits.maxSend) {
      this.fail(sentTooLarge(message.length, this.limits.maxSend));
      return false;
    }
    const frame = prefixMessage(message);
    if (this.stream) this.stream.write(frame);
    else this.queued.push(frame);
    return true;
  }

  end(): void {
    if (this.halfClosed || this.ended) return;
    this.halfClosed = true;
    this.stream?.end();
  }

  cancel(): void {
    this.fail(rpcError(Status.CANCELLED, "cancelled by the client"));
  }

  /** Ends the call from this side with `error`: the stream, if any, is reset with CANCEL. */
  fail(error: RpcError): void {
    if (this.ended) return;
    this.localError ??= error;
    if (this.stream && !this.stream.destroyed) this.stream.close(ErrorCode.CANCEL);
    else if (!this.stream) this.finish(error, [], []);
  }

  /** Starts the call on a session: what was sent before goes out now. */
  start(session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders): void {
    if (this.ended) return;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: false });
    } catch (err) {
      this.finish(
        rpcError(Status.UNAVAILABLE, `cannot start call: ${err instanceof Error ? err.message : err}`),
        [],
        [],
      );
      return;
    }
    this.stream = stream;
    const decoder = new MessageDecoder(this.limits.maxRecv);
    const messages: Buffer[] = [];
    let status: RpcError | undefined;
    let httpError: RpcError | undefined;
    let streamError: RpcError | undefined;
    let responseHeaders: Metadata = [];
    let trailers: Metadata = [];
    const readStatus = (h: http2.IncomingHttpHeaders) => {
      const code = parseStatusCode(h["grpc-status"] as string | undefined);
      if (code !== undefined) status = rpcError(code, decodeGrpcMessage(h["grpc-message"] as string | undefined));
    };

    stream.on("response", (h, flags) => {
      const type = h["content-type"];
      httpError = responseHeadersError(Number(h[":status"]), typeof type === "string" ? type : undefined);
      // END_STREAM on the first block: a trailers-only response, whose fields are the trailers.
      if ((flags & 1) !== 0 || h["grpc-status"] !== undefined) {
        trailers = metadataOf(h);
        readStatus(h);
        return;
      }
      responseHeaders = metadataOf(h);
      if (!httpError) this.events.onHeaders?.(responseHeaders);
    });
    stream.on("data", (chunk: Buffer) => {
      if (httpError || this.localError) return;
      const err = decoder.push(chunk, messages);
      for (const m of messages) this.events.onMessage(m);
      messages.length = 0;
      if (err) this.fail(err);
    });
    stream.on("trailers", (h) => {
      trailers = metadataOf(h);
      readStatus(h);
    });
    stream.on("error", (err: Error) => {
      streamError ??= rpcError(Status.UNAVAILABLE, `connection failed: ${err.message}`);
    });
    stream.on("close", () => {
      const outcome =
        this.localError ?? streamOutcome(status, httpError, decoder.buffered > 0, streamError, stream.rstCode);
      this.finish(outcome, responseHeaders, trailers);
    });

    for (const frame of this.queued) stream.write(frame);
    this.queued = [];
    if (this.halfClosed) stream.end();
  }

  private finish(error: RpcError, headers: Metadata, trailers: Metadata): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.queued = [];
    const end: StreamEnd = { code: error.code, details: error.details, headers, trailers };
    this.events.onEnd(end);
  }
}
