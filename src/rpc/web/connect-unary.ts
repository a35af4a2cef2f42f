// A Connect unary call from bench's unary(): the lean connection's unary call (no metadata kept, no
// stream machinery), with Connect's bare request body and its response read as Connect says: the message
// on HTTP 200 with the codec's content-type, else the error JSON (or the HTTP status) as the status.
// `call` goes through ./stream-call.ts instead, which keeps headers and trailers for the user to see.
import type { OutFlow } from "../../h2/flow.ts";
import { Flag, FRAME_HEADER, FrameType, writeFrameHeader } from "../../h2/frame.ts";
import { SendQueue } from "../../h2/send-queue.ts";
import type { Writer } from "../../h2/writer.ts";
import { jsonOf, parseErrorJson } from "../../protocol/connect.ts";
import { parseContentType } from "../../protocol/wire.ts";
import { ClientUnaryCall, type ResponseFields } from "../lean/unary-call.ts";
import { type Result, type RpcError, rpcError, Status, statusFromHttp, statusFromRstCode } from "../status.ts";

type UnaryArgs = ConstructorParameters<typeof ClientUnaryCall>;

/** Requests up to this size go out in one frame copied into the output buffer (as h2/data.ts's trySendWhole). */
const COPY_WHOLE = 16 * 1024;
/** The request went out whole already. */
const DONE = new SendQueue();

export class ConnectUnaryCall extends ClientUnaryCall {
  private queue: SendQueue | undefined;
  private httpStatus = 0;
  private problem: RpcError | undefined;
  private body: Buffer | undefined;
  private more: Buffer[] | undefined;
  private received = 0;
  /** The content-type a successful answer has (parameters aside, checked the slow way). */
  private readonly expected: string;

  constructor(
    /** application/proto or application/json: what a successful response must say. */
    private readonly codec: string,
    ...args: UnaryArgs
  ) {
    super(...args);
    this.expected = `application/${codec}`;
  }

  /** The bare message: no gRPC prefix. */
  override get total(): number {
    return this.request.length;
  }

  override rewind(): void {
    super.rewind();
    this.queue = undefined;
  }

  override sendRequest(w: Writer, connection: OutFlow, maxFrame: number): void {
    let q = this.queue;
    const r = this.request;
    const n = r.length;
    if (
      q === undefined &&
      this.sent === 0 &&
      n <= COPY_WHOLE &&
      n <= this.flow.sendWindow &&
      n <= connection.avail &&
      n <= maxFrame
    ) {
      // The usual small request: one DATA frame with END_STREAM, copied straight into the output buffer.
      const at = w.reserve(FRAME_HEADER + n);
      writeFrameHeader(w.slab, at, n, FrameType.DATA, Flag.END_STREAM, this.id);
      w.slab.set(r, at + FRAME_HEADER);
      this.flow.sendWindow -= n;
      connection.avail -= n;
      this.sent = n;
      this.queue = DONE;
      return;
    }
    if (q === DONE) return;
    if (q === undefined) {
      q = new SendQueue();
      const r = this.request;
      q.push(Buffer.isBuffer(r) ? r : Buffer.from(r.buffer, r.byteOffset, r.byteLength));
      this.queue = q;
    }
    this.sent += q.flush(w, this.id, this.flow, connection, maxFrame, true);
  }

  override onHeaders(f: ResponseFields): void {
    if (this.gotHeaders) return; // HTTP/2 trailers say nothing to a Connect unary call
    this.gotHeaders = true;
    this.declaredBody = f.contentLength;
    this.httpStatus = Number(f.status);
    if (this.httpStatus !== 200) return; // the error JSON follows
    const got = f.contentType ?? "";
    if (got === this.expected) return;
    const parsed = parseContentType(got);
    if (parsed === undefined || parsed.protocol !== "connect" || parsed.enveloped || parsed.codec !== this.codec) {
      this.problem = rpcError(Status.UNKNOWN, `expected a connect response, got content-type "${got}"`);
    }
  }

  override onData(buf: Buffer, start: number, end: number): RpcError | undefined {
    if (end === start || this.problem) return undefined;
    this.received += end - start;
    if (this.received > this.maxReceive) {
      return rpcError(
        Status.RESOURCE_EXHAUSTED,
        `received message larger than max (${this.received} vs. ${this.maxReceive})`,
      );
    }
    // Views: each socket read comes in a buffer of its own (as ClientUnaryCall's message is a view too).
    const piece = buf.subarray(start, end);
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
    const body = this.more ? Buffer.concat(this.more) : (this.body ?? Buffer.alloc(0));
    if (this.httpStatus === 200) return { ok: true, value: body };
    const json = jsonOf(body);
    const { error } =
      json === undefined
        ? { error: rpcError(statusFromHttp(this.httpStatus), `HTTP status ${this.httpStatus}`) }
        : parseErrorJson(json, this.httpStatus);
    return { ok: false, error };
  }
}
