// How a Connect or gRPC-Web response goes out on an exchange (./exchange.ts: an HTTP/2 stream or an
// HTTP/1.1 request), whatever the call: the headers, each message framed the protocol's way, and the
// status at the end (Connect unary: the HTTP status and an error JSON; Connect streams: the end-of-stream
// message; gRPC-Web: the trailers envelope; gRPC with JSON: HTTP/2 trailers). gRPC-Web text mode
// base64-encodes every body write on its own, which the spec allows (a client decodes padded runs one
// after another).
import { endOfStreamBody, errorJson } from "../../../protocol/connect.ts";
import { envelope, Flags } from "../../../protocol/envelope.ts";
import { trailersFrame } from "../../../protocol/grpc-web.ts";
import { contentTypeOf, type ParsedType } from "../../../protocol/wire.ts";
import { encodeGrpcMessage, httpStatusOf, Status } from "../../../rpc/status.ts";
import type { WebExchange } from "./exchange.ts";

function statusFields(code: number, details: string): [string, string][] {
  const fields: [string, string][] = [["grpc-status", String(code)]];
  if (details !== "") fields.push(["grpc-message", encodeGrpcMessage(details)]);
  return fields;
}

export class WebResponder {
  private readonly contentType: string;
  /** A Connect unary call: bare messages, the status in the HTTP status. */
  private readonly bare: boolean;

  constructor(
    private readonly exchange: WebExchange,
    private readonly wire: ParsedType,
  ) {
    this.bare = wire.protocol === "connect" && !wire.enveloped;
    this.contentType = contentTypeOf(wire, wire.enveloped);
  }

  /** The response headers, before any message (a no-op once sent). */
  headers(): void {
    this.exchange.respond(200, this.contentType);
  }

  /** A Connect unary call's answer, whole: the message and the end in one go (END_STREAM on its frame). */
  only(bytes: Uint8Array): void {
    if (!this.bare) {
      this.message(bytes);
      this.finish(Status.OK, "");
      return;
    }
    this.headers();
    this.exchange.sendLast(bytes);
  }

  /** One response message, already in the call's codec. */
  message(bytes: Uint8Array): void {
    this.headers();
    if (this.bare) this.exchange.send(bytes);
    else this.body(envelope(0, bytes));
  }

  /** The call's end with this status (OK included). */
  finish(code: number, details: string): void {
    const x = this.exchange;
    if (x.done) return;
    if (this.bare) {
      if (code !== Status.OK) {
        x.respond(httpStatusOf(code), "application/json");
        x.send(Buffer.from(JSON.stringify(errorJson(code, details))));
      }
      x.end();
      return;
    }
    switch (this.wire.protocol) {
      case "connect":
        this.headers();
        this.body(envelope(Flags.CONNECT_END, endOfStreamBody(code, details, [])));
        x.end();
        return;
      case "grpc-web":
        if (!x.headersSent) {
          // Trailers-only, as gRPC-Web's spec allows: the status in the one head.
          x.endWithHead(200, this.contentType, statusFields(code, details));
          return;
        }
        this.body(trailersFrame(statusFields(code, details)));
        x.end();
        return;
      case "grpc":
        this.headers();
        x.endWithTrailers(code, details);
    }
  }

  private body(bytes: Buffer): void {
    this.exchange.send(this.wire.text ? Buffer.from(bytes.toString("base64"), "latin1") : bytes);
  }
}
