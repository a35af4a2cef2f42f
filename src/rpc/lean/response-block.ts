// One response header block as the lean client decodes it: the fields a gRPC call looks at, each checked
// as the HPACK decoder emits it (./field-check.ts), the metadata a stream call keeps, and what makes the
// block malformed given where it comes in the response (RFC 9113 §8.1, §8.3).
import { contentLength } from "../../h2/fields.ts";
import type { HeaderSink, HpackDecoder } from "../../h2/hpack/decoder.ts";
import { FieldCheck } from "./field-check.ts";
import { INVALID_CONTENT_LENGTH, ResponseFields } from "./unary-call.ts";

const DIGIT_ONE = 0x31;
const COLON = 0x3a;

/** Where the block comes in its call's response. */
interface BlockCall {
  readonly responded: boolean;
  readonly declaredBody: number;
  readonly bodyBytes: number;
}

export class ResponseBlock {
  readonly fields = new ResponseFields();
  /** The fields of the block, pseudo-headers left out, when decode() was asked to record them. */
  recorded: Array<readonly [string, string]> = [];
  private readonly check = new FieldCheck();
  private readonly sink: HeaderSink;
  // Stream calls keep their metadata, unary calls do not pay for it: only their blocks go through here.
  private readonly recordingSink: HeaderSink = (name, value) => {
    if (name.charCodeAt(0) !== COLON) this.recorded.push([name, value]);
    this.sink(name, value);
  };

  constructor() {
    const f = this.fields;
    const c = this.check;
    // Each field is checked as it comes (RFC 9113 §8.2, §8.3); the names a gRPC response always carries
    // are matched first and need no check of their characters.
    this.sink = (name, value) => {
      switch (name) {
        case ":status":
          c.onStatus(value);
          f.status = value;
          return;
        case "content-type":
          c.onKnown(value);
          f.contentType = value;
          return;
        case "grpc-status":
          c.onKnown(value);
          f.grpcStatus = value;
          return;
        case "grpc-message":
          c.onKnown(value);
          f.grpcMessage = value;
          return;
        default:
          c.onOther(name, value);
          if (name === "content-length") {
            const n = contentLength(value);
            f.contentLength = n < 0 ? INVALID_CONTENT_LENGTH : n;
          } else if (name === "content-encoding") f.contentEncoding = value;
      }
    };
  }

  /** Decodes block[start, end) into the fields (and `recorded`, with `record`); an error is the HPACK one. */
  decode(hpack: HpackDecoder, block: Buffer, start: number, end: number, record: boolean): Error | undefined {
    this.fields.reset();
    this.check.reset();
    if (!record) return hpack.decode(block, this.sink, start, end);
    this.recorded = [];
    return hpack.decode(block, this.recordingSink, start, end);
  }

  /** An informational (1xx) response, which comes before the real one (§8.1). */
  get informational(): boolean {
    return (this.fields.status as string).charCodeAt(0) === DIGIT_ONE;
  }

  /** What makes this block malformed (§8.1, §8.3), given where it comes in the response. */
  problem(call: BlockCall, endStream: boolean): string | undefined {
    const c = this.check;
    if (c.problem !== undefined) return c.problem;
    if (!call.responded) {
      if (!c.status) return "response headers without :status";
      if (endStream && this.informational) return "informational response with END_STREAM";
      if (this.fields.contentLength === INVALID_CONTENT_LENGTH) return "content-length is not a number";
      if (endStream && this.fields.contentLength > 0) return "content-length but no DATA";
      return undefined;
    }
    if (c.status) return "pseudo-header in trailers";
    if (!endStream) return "trailers without END_STREAM";
    if (call.declaredBody >= 0 && call.bodyBytes !== call.declaredBody) return "DATA disagrees with content-length";
    return undefined;
  }
}
