// A Connect unary call on the lean connection's unary path (bench's unary() and unaryOutcome(); `call` goes
// through ./stream-call.ts, which keeps headers and trailers for the user to see): Connect's bare request
// body, and its response read as Connect says: the message on HTTP 200 with the codec's content-type, else
// the error JSON (or, when the body is not one, the HTTP status) as the status.
//
// For a caller that wants the outcome only (bench's loops), a successful response costs no view and no
// result object: its body is counted against the receive limit and dropped, since the profile of a load
// thread put the Buffer view of each response (Bun makes the read buffer's ArrayBuffer on the first view)
// at a tenth of a small call's CPU (docs/performance.md, "The gRPC family"). Only an error body is kept.
import type { OutFlow } from "../../h2/flow.ts";
import type { Writer } from "../../h2/writer.ts";
import { jsonOf, parseErrorJson } from "../../protocol/connect.ts";
import type { CallOptions } from "../channel.ts";
import { ClientUnaryCall, type ResponseFields } from "../lean/unary-call.ts";
import { type Result, type RpcError, rpcError, Status, statusFromRstCode } from "../status.ts";
import { sendBare } from "./bare-body.ts";
import { contentTypeError, encodingError, type UnaryWire } from "./response-check.ts";

/** The outcome of every successful call whose caller wants no message: one value, not one per call. */
const OK_OUTCOME: Result<Buffer> = Object.freeze({ ok: true, value: Buffer.alloc(0) });

export class ConnectUnaryCall extends ClientUnaryCall {
  /** The HTTP status (0 until the headers came; 200 is the one that carries the message). */
  private httpStatus = 0;
  private problem: RpcError | undefined;
  // The body as it came: the message (kept only for a caller who wants it) or an error JSON.
  private body: Buffer | undefined;
  private more: Buffer[] | undefined;
  private received = 0;

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

  /** The bare message: no gRPC prefix. */
  override get total(): number {
    return this.request.length;
  }

  override sendRequest(w: Writer, connection: OutFlow, maxFrame: number): void {
    sendBare(this, this.request, w, connection, maxFrame);
  }

  override onHeaders(f: ResponseFields): void {
    if (this.gotHeaders) return; // HTTP/2 trailers say nothing to a Connect unary call
    this.gotHeaders = true;
    this.declaredBody = f.contentLength;
    if (f.contentEncoding !== undefined) this.problem = encodingError(f.contentEncoding);
    if (f.status !== "200") {
      this.httpStatus = Number(f.status); // the error JSON follows
      return;
    }
    this.httpStatus = 200;
    // The usual answer is one comparison of the decoded field with the expected string; the rest names
    // what came instead.
    if (f.contentType !== this.expect.contentType && this.problem === undefined) {
      this.problem = contentTypeError(this.expect.wire, false, f.contentType);
    }
  }

  override onData(buf: Buffer, start: number, end: number): RpcError | undefined {
    if (end === start || this.problem !== undefined) return undefined;
    const received = this.received + end - start;
    this.received = received;
    if (received > this.maxReceive) {
      return rpcError(
        Status.RESOURCE_EXHAUSTED,
        `received message larger than max (${received} vs. ${this.maxReceive})`,
      );
    }
    if (this.httpStatus === 200 && !this.keep) return undefined; // counted, not kept
    // A view (slice: the same as subarray without its species lookup): each socket read comes in a buffer
    // of its own, which ClientUnaryCall's message relies on too.
    const piece = buf.slice(start, end);
    if (this.body === undefined) this.body = piece;
    else {
      this.more ??= [this.body];
      this.more.push(piece);
    }
    return undefined;
  }

  override end(rstCode: number | undefined, streamError: RpcError | undefined): void {
    if (this.done) return;
    this.done = true;
    this.resolve(this.result(rstCode, streamError));
  }

  private result(rstCode: number | undefined, streamError: RpcError | undefined): Result<Buffer> {
    if (this.problem) return { ok: false, error: this.problem };
    if (streamError) return { ok: false, error: streamError };
    if (rstCode !== undefined && rstCode !== 0) {
      return { ok: false, error: rpcError(statusFromRstCode(rstCode), `stream reset by server (code ${rstCode})`) };
    }
    if (!this.gotHeaders)
      return { ok: false, error: rpcError(Status.UNAVAILABLE, "connection closed before the call completed") };
    if (this.httpStatus === 200 && !this.keep) return OK_OUTCOME;
    const body = this.more ? Buffer.concat(this.more) : (this.body ?? Buffer.alloc(0));
    if (this.httpStatus === 200) return { ok: true, value: body };
    return { ok: false, error: parseErrorJson(jsonOf(body), this.httpStatus).error };
  }
}
