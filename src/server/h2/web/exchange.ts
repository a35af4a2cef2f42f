// One request and its response as a Connect or gRPC-Web call sees them, whichever HTTP carries them: an
// HTTP/2 stream (H2Exchange, here) or an HTTP/1.1 request on its connection (../../http1/exchange.ts). The
// calls (./unary.ts, ./respond.ts) say what to answer; each HTTP says it its own way (HPACK blocks and
// DATA frames; a status line, fields and a Content-Length body).
import { encodeHeaderBlock } from "../../../h2/hpack/encoder.ts";
import { trailers } from "../blocks.ts";
import type { ServerStream } from "../stream.ts";

export type Fields = ReadonlyArray<readonly [string, string]>;

export interface WebExchange {
  /** "host:port" of the client. */
  readonly peer: string;
  /** The request's content-length, -1 when it gave none. */
  readonly declaredBody: number;
  /** The response is complete, or the exchange is gone: what is written now is dropped. */
  readonly done: boolean;
  /** The response's head went out (or is on its way). */
  readonly headersSent: boolean;
  /** Its call holds `delta` more request bytes (less, if negative), for the connection's and process's budget. */
  holdRequest(delta: number): void;
  /** The client made a mistake that cost us an answer. */
  glitch(): void;
  /** The response head: status and content-type (a no-op once sent). */
  respond(status: number, contentType: string): void;
  /** Body bytes as they are: a buffer the caller hands over (kept or copied, never changed). */
  send(bytes: Uint8Array): void;
  /** The last body bytes, the head before them if it has not gone: the response ends. */
  sendLast(bytes: Uint8Array): void;
  /** The response ends after what was sent. */
  end(): void;
  /** A response of one head (status, content-type and `fields`) and no body: gRPC-Web's trailers-only. */
  endWithHead(status: number, contentType: string, fields: Fields): void;
  /** The response ends with HTTP trailers holding the status (gRPC with JSON; HTTP/2 only). */
  endWithTrailers(code: number, details: string): void;
}

/** Ends a stream with an empty DATA frame (ServerStream.end's convention), not trailers. */
const END_WITH_DATA = Buffer.alloc(0);

const headerBlocks = new Map<string, Buffer>();

/** :status and content-type, built once per pair. */
function headersOf(status: number, contentType: string): Buffer {
  const key = `${status} ${contentType}`;
  let block = headerBlocks.get(key);
  if (block === undefined) {
    block = encodeHeaderBlock([
      [":status", String(status)],
      ["content-type", contentType],
    ]);
    headerBlocks.set(key, block);
  }
  return block;
}

/** An HTTP/2 stream as an exchange. */
export class H2Exchange implements WebExchange {
  constructor(private readonly stream: ServerStream) {}

  get peer(): string {
    return this.stream.peer;
  }

  get declaredBody(): number {
    return this.stream.declaredBody;
  }

  get done(): boolean {
    return this.stream.done;
  }

  get headersSent(): boolean {
    return this.stream.headersSent;
  }

  holdRequest(delta: number): void {
    this.stream.holdRequest(delta);
  }

  glitch(): void {
    this.stream.glitch();
  }

  respond(status: number, contentType: string): void {
    this.stream.respond(headersOf(status, contentType));
  }

  send(bytes: Uint8Array): void {
    this.stream.sendData(bytes);
  }

  sendLast(bytes: Uint8Array): void {
    this.stream.sendLastData(bytes);
  }

  end(): void {
    this.stream.end(END_WITH_DATA);
  }

  endWithHead(status: number, contentType: string, fields: Fields): void {
    this.stream.end(encodeHeaderBlock([[":status", String(status)], ["content-type", contentType], ...fields]));
  }

  endWithTrailers(code: number, details: string): void {
    this.stream.end(trailers(code, details));
  }
}
