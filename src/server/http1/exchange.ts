// One HTTP/1.1 request and its response, as the Connect and gRPC-Web calls (../h2/web/) see it. The
// response is kept until it ends, then goes out in one write with its Content-Length (./response.ts): a
// unary answer is ended in the same turn it begins, so nothing waits in between.
import { encodeGrpcMessage } from "../../rpc/status.ts";
import type { Fields, WebExchange } from "../h2/web/exchange.ts";

/** What an exchange asks of its connection. */
export interface ExchangeHost {
  readonly peer: string;
  holdRequest(delta: number): void;
  /** The response is complete: its head's parts and body. */
  answer(
    exchange: Http1Exchange,
    status: number,
    contentType: string,
    fields: Fields,
    body: Uint8Array[],
    length: number,
  ): void;
}

export class Http1Exchange implements WebExchange {
  done = false;
  headersSent = false;
  /** The connection closes after this answer (said in its Connection field). */
  closeAfter = false;
  private status = 200;
  private contentType = "";
  private fields: Fields = [];
  private body: Uint8Array[] = [];
  private length = 0;

  constructor(
    private readonly host: ExchangeHost,
    readonly declaredBody: number,
  ) {}

  get peer(): string {
    return this.host.peer;
  }

  holdRequest(delta: number): void {
    if (!this.done || delta < 0) this.host.holdRequest(delta);
  }

  /**
   * HTTP/2 spends a glitch budget on requests that cost an answer and no call (../h2/flood.ts), since its
   * frames are cheap to send in bulk. Over HTTP/1.1 a refused request costs its sender a whole request,
   * answered in order like any other: nothing to budget.
   */
  glitch(): void {}

  respond(status: number, contentType: string): void {
    if (this.done || this.headersSent) return;
    this.headersSent = true;
    this.status = status;
    this.contentType = contentType;
  }

  /** Kept as it is until the end: every caller hands over a buffer of its own. */
  send(bytes: Uint8Array): void {
    if (this.done || bytes.length === 0) return;
    this.body.push(bytes);
    this.length += bytes.length;
  }

  sendLast(bytes: Uint8Array): void {
    this.send(bytes);
    this.end();
  }

  end(): void {
    if (this.done) return;
    this.done = true;
    this.headersSent = true;
    const body = this.body;
    this.body = [];
    this.host.answer(this, this.status, this.contentType, this.fields, body, this.length);
  }

  endWithHead(status: number, contentType: string, fields: Fields): void {
    if (this.done) return;
    this.status = status;
    this.contentType = contentType;
    this.fields = fields;
    this.end();
  }

  /** gRPC is refused over HTTP/1.1 before any call (./route.ts); its status goes in the head, should it come. */
  endWithTrailers(code: number, details: string): void {
    const fields: [string, string][] = [["grpc-status", String(code)]];
    if (details !== "") fields.push(["grpc-message", encodeGrpcMessage(details)]);
    this.endWithHead(this.status, this.contentType, fields);
  }

  /** A plain HTTP refusal: the status, and why in one line of text; `close`: the connection ends after it. */
  refuse(status: number, reason: string, close = false, fields: Fields = []): void {
    if (this.done) return;
    this.closeAfter ||= close;
    this.body = [Buffer.from(`${reason}\n`)];
    this.length = this.body[0]?.length ?? 0;
    this.endWithHead(status, "text/plain; charset=utf-8", fields);
  }

  /** The connection is gone: nothing more goes out. */
  abort(): void {
    this.done = true;
    this.body = [];
  }
}
