// How a Connect or gRPC-Web response goes out on a ServerStream, whatever the call: the headers, each
// message framed the protocol's way, and the status at the end (Connect unary: the HTTP status and an
// error JSON; Connect streams: the end-of-stream message; gRPC-Web: the trailers envelope; gRPC with
// JSON: HTTP/2 trailers). gRPC-Web text mode base64-encodes every body write on its own, which the spec
// allows (a client decodes padded runs one after another).
import { encodeHeaderBlock } from "../../../h2/hpack/encoder.ts";
import { endOfStreamBody, errorJson } from "../../../protocol/connect.ts";
import { envelope, Flags } from "../../../protocol/envelope.ts";
import { trailersFrame } from "../../../protocol/grpc-web.ts";
import { contentTypeOf, type ParsedType } from "../../../protocol/wire.ts";
import { encodeGrpcMessage, httpStatusOf, Status } from "../../../rpc/status.ts";
import { trailers } from "../blocks.ts";
import type { ServerStream } from "../stream.ts";

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

function statusFields(code: number, details: string): [string, string][] {
  const fields: [string, string][] = [["grpc-status", String(code)]];
  if (details !== "") fields.push(["grpc-message", encodeGrpcMessage(details)]);
  return fields;
}

export class WebResponder {
  private readonly contentType: string;
  private readonly okHeaders: Buffer;
  /** A Connect unary call: bare messages, the status in the HTTP status. */
  private readonly bare: boolean;

  constructor(
    private readonly stream: ServerStream,
    private readonly wire: ParsedType,
  ) {
    this.bare = wire.protocol === "connect" && !wire.enveloped;
    this.contentType = contentTypeOf(wire, wire.enveloped);
    this.okHeaders = headersOf(200, this.contentType);
  }

  /** The response headers, before any message (a no-op once sent). */
  headers(): void {
    this.stream.respond(this.okHeaders);
  }

  /** A Connect unary call's answer, whole: the message and the end in one go (END_STREAM on its frame). */
  only(bytes: Uint8Array): void {
    if (!this.bare) {
      this.message(bytes);
      this.finish(Status.OK, "");
      return;
    }
    this.headers();
    this.stream.sendLastData(bytes);
  }

  /** One response message, already in the call's codec. */
  message(bytes: Uint8Array): void {
    const s = this.stream;
    this.headers();
    if (this.bare) s.sendData(bytes);
    else this.body(envelope(0, bytes));
  }

  /** The call's end with this status (OK included). */
  finish(code: number, details: string): void {
    const s = this.stream;
    if (s.done) return;
    if (this.bare) {
      if (code !== Status.OK) {
        s.respond(headersOf(httpStatusOf(code), "application/json"));
        s.sendData(Buffer.from(JSON.stringify(errorJson(code, details))));
      }
      s.end(END_WITH_DATA);
      return;
    }
    switch (this.wire.protocol) {
      case "connect":
        s.respond(this.okHeaders);
        this.body(envelope(Flags.CONNECT_END, endOfStreamBody(code, details, [])));
        s.end(END_WITH_DATA);
        return;
      case "grpc-web":
        if (!s.headersSent) {
          // Trailers-only, as gRPC-Web's spec allows: the status in the one header block.
          s.end(
            encodeHeaderBlock([[":status", "200"], ["content-type", this.contentType], ...statusFields(code, details)]),
          );
          return;
        }
        this.body(trailersFrame(statusFields(code, details)));
        s.end(END_WITH_DATA);
        return;
      case "grpc":
        if (!s.headersSent) s.respond(this.okHeaders);
        s.end(trailers(code, details));
    }
  }

  private body(bytes: Buffer): void {
    this.stream.sendData(this.wire.text ? Buffer.from(bytes.toString("base64"), "latin1") : bytes);
  }
}
