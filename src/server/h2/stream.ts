// One server stream as the gRPC layer sees it (the response goes out through it), the request headers it
// is opened with, and the handler that takes its request frames. The connection (./core.ts) keeps the
// stream's windows, queued response and held request here.
import { StreamFlow } from "../../h2/flow.ts";
import type { SendQueue } from "../../h2/send-queue.ts";
import { Glitch } from "./flood.ts";
import { NO_FIELDS } from "./request-headers.ts";

/** The request headers the gRPC layer needs; everything else is read past. */
export class RequestHead {
  method = "";
  path = "";
  contentType: string | undefined = undefined;
  timeout: string | undefined = undefined;
  encoding: string | undefined = undefined;
  /** Connect's connect-timeout-ms (./web/). */
  connectTimeout: string | undefined = undefined;
  /** The block's validity so far (./request-headers.ts). */
  fields = NO_FIELDS;
  /** The content-length field, -1 when none came. */
  contentLength = -1;

  /** Empty again, for the next header block. */
  clear(): void {
    this.method = "";
    this.path = "";
    this.contentType = undefined;
    this.timeout = undefined;
    this.encoding = undefined;
    this.connectTimeout = undefined;
    this.fields = NO_FIELDS;
    this.contentLength = -1;
  }
}

/** What the gRPC layer does with one stream's frames. */
export interface StreamHandler {
  /**
   * Request body bytes buf[start, end): a range of a read buffer, which may be kept as a view (every
   * socket read comes in a buffer of its own; test/h2/h2-server.test.ts checks that for this runtime).
   */
  onData(buf: Buffer, start: number, end: number): void;
  /** The client half-closed the stream. */
  onEnd(): void;
  /** The stream is gone before the response ended: reset by the client, or the connection died. */
  onAbort(): void;
}

export type OnStream = (stream: ServerStream, head: RequestHead) => StreamHandler;

/** What a stream asks of its connection. */
export interface StreamSession {
  /** "host:port" of the client. */
  readonly peer: string;
  writeHeaders(id: number, block: Buffer, endStream: boolean): void;
  writeMessage(stream: ServerStream, body: Uint8Array, length: number): void;
  /** Body bytes as they are (Connect and gRPC-Web, ./web/): copied, flow controlled; `last` ends the stream. */
  writeData(stream: ServerStream, bytes: Uint8Array, last: boolean): void;
  endStream(stream: ServerStream, block: Buffer): void;
  holdRequest(delta: number): void;
  glitch(cost: number): void;
}

/** One stream as the gRPC layer sees it: the response goes out through it. */
export class ServerStream {
  handler: StreamHandler | undefined = undefined;
  headersSent = false;
  /** Our response is complete (END_STREAM queued) or the stream was reset. */
  done = false;
  /** The client sent END_STREAM. */
  remoteEnded = false;
  /** Our send window and what the client may still send here (initialised by the connection). */
  readonly flow = new StreamFlow();
  /** Response DATA (framed messages) waiting for window, and the trailer block to follow them. */
  pending: SendQueue | undefined = undefined;
  pendingTrailers: Buffer | undefined = undefined;
  /**
   * Request body ranges held back while responses queue (views of read buffers), in order; the end of
   * the request is delivered after them. heldBytes counts them as flow control does (whole frames).
   */
  held: Buffer[] | undefined = undefined;
  heldBytes = 0;
  /** The request's content-length, -1 if it gave none; and the DATA payload bytes (padding not counted) so far. */
  declaredBody = -1;
  bodyBytes = 0;
  /** Request bytes its call holds (../request-bytes.ts); none once the stream is forgotten. */
  requestHeld = 0;
  forgotten = false;

  constructor(
    readonly id: number,
    readonly session: StreamSession,
    sendWindow: number,
  ) {
    this.flow.sendWindow = sendWindow;
  }

  get peer(): string {
    return this.session.peer;
  }

  /** Response bytes queued for want of window. */
  get pendingBytes(): number {
    return this.pending === undefined ? 0 : this.pending.bytes;
  }

  /** Response HEADERS (block pre-encoded by the caller), without ending the stream. */
  respond(block: Buffer): void {
    if (this.done || this.headersSent) return;
    this.headersSent = true;
    this.session.writeHeaders(this.id, block, false);
  }

  /** One gRPC message, body[0, length), prefixed and flow controlled; the bytes are copied before return. */
  sendMessage(body: Uint8Array, length = body.length): void {
    if (this.done) return;
    this.session.writeMessage(this, body, length);
  }

  /** Body bytes as they are, no gRPC prefix (Connect's bare messages, gRPC-Web's trailers, base64 text). */
  sendData(bytes: Uint8Array): void {
    if (this.done || bytes.length === 0) return;
    this.session.writeData(this, bytes, false);
  }

  /** The last body bytes, END_STREAM on their frame (a Connect unary answer: no trailers to follow). */
  sendLastData(bytes: Uint8Array): void {
    if (this.done) return;
    this.done = true;
    this.headersSent = true;
    this.session.writeData(this, bytes, true);
  }

  /** Its call holds `delta` more request bytes (less, if negative), for the connection's and process's budget. */
  holdRequest(delta: number): void {
    if (this.forgotten) return;
    this.requestHeld += delta;
    this.session.holdRequest(delta);
  }

  /** The client made a mistake on this stream that cost us an answer (an unknown method, say). */
  glitch(): void {
    this.session.glitch(Glitch.REQUEST);
  }

  /**
   * Trailers (or a trailers-only response when no HEADERS went out): ends the stream. An empty block
   * ends it with an empty DATA frame instead (Connect and gRPC-Web carry their status in the body).
   */
  end(block: Buffer): void {
    if (this.done) return;
    this.done = true;
    this.headersSent = true;
    this.session.endStream(this, block);
  }
}
