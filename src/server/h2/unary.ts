// A unary call served straight off a ServerStream: one request message in, the service's Result out.
// The hot path of the server: the request is a view of the read buffer when it came in one frame, the
// response is copied once into the connection's output buffer, and nothing is logged.
import type Long from "long";
import type { Writer } from "protobufjs/minimal.js";
import { unixNanosLong } from "../../clock.ts";
import { type Decompress, MESSAGE_HEADER_BYTES, MessageDecoder, sentTooLarge } from "../../rpc/message.ts";
import { type Result, Status } from "../../rpc/status.ts";
import { deadlineTimer } from "../../rpc/timeout.ts";
import {
  type CallContext,
  internalError,
  runUnary,
  type Settle,
  type UnaryDirect,
  unaryRequestProblem,
} from "../handler.ts";
import { OK_TRAILERS, RESPONSE_HEADERS, trailers, trailersOnly } from "./blocks.ts";
import type { ServerStream, StreamHandler } from "./stream.ts";

// Requests from this size on are served on a later turn of the loop (encoding a 4 MiB Echo answer alone
// takes ~15 ms here).
const DEFER_BYTES = 256 * 1024;

export interface CallLimits {
  readonly maxReceiveMessageBytes: number;
  readonly maxSendMessageBytes: number;
}

export class ServerUnaryCall implements StreamHandler, CallContext, Settle {
  readonly recvNanos: Long;
  deadline = Number.POSITIVE_INFINITY;
  private message: Buffer | undefined;
  /** Bytes of `message` counted against the request-byte budget while it waits for the request's end. */
  private kept = 0;
  private count = 0;
  private reader: MessageDecoder | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private finished = false;

  constructor(
    private readonly stream: ServerStream,
    private readonly path: string,
    private readonly method: UnaryDirect,
    private readonly limits: CallLimits,
    private readonly decompress: Decompress | undefined,
    timeoutMs: number | undefined,
  ) {
    this.recvNanos = unixNanosLong();
    if (timeoutMs !== undefined) {
      this.deadline = Date.now() + timeoutMs;
      this.timer = deadlineTimer(timeoutMs, () => this.fail(Status.DEADLINE_EXCEEDED, "deadline exceeded"));
    }
  }

  get peer(): string {
    return this.stream.peer;
  }

  cancelled(): boolean {
    return this.finished;
  }

  onData(buf: Buffer, start: number, end: number): void {
    if (this.finished) return;
    if (this.reader === undefined && this.count === 0 && buf[start] === 0 && end - start >= MESSAGE_HEADER_BYTES) {
      // The usual case: the whole message in one DATA frame.
      const length = buf.readUInt32BE(start + 1);
      if (length === end - start - MESSAGE_HEADER_BYTES && length <= this.limits.maxReceiveMessageBytes) {
        this.message = buf.subarray(start + MESSAGE_HEADER_BYTES, end);
        this.count = 1;
        this.keepPastRead(buf);
        return;
      }
    }
    this.reader ??= new MessageDecoder(this.limits.maxReceiveMessageBytes, this.decompress, (d) =>
      this.stream.holdRequest(d),
    );
    const err = this.reader.read(buf, start, end, (m) => {
      this.message ??= m;
      this.count++;
    });
    if (err) this.fail(err.code, err.details);
    else if (this.message !== undefined && this.kept === 0) this.keepPastRead(buf);
  }

  /**
   * The request's end came in the same frame (the usual case): the message is decoded before this read
   * returns, and a view of the read buffer is fine. Otherwise it waits for END_STREAM in a later read: a
   * view would keep the whole read buffer alive for it (a padded frame's, say), so it is copied, and
   * counted against the request-byte budget until the call takes it.
   */
  private keepPastRead(buf: Buffer): void {
    const m = this.message as Buffer;
    if (this.stream.remoteEnded || m.length === 0) return;
    if (m.buffer === buf.buffer) this.message = Buffer.from(m);
    this.kept = m.length;
    this.stream.holdRequest(this.kept);
  }

  /** The kept message no longer counts (taken by the call, or the call ended). */
  private release(): void {
    if (this.kept === 0) return;
    this.stream.holdRequest(-this.kept);
    this.kept = 0;
  }

  onEnd(): void {
    if (this.finished) return;
    const problem = unaryRequestProblem(this.count, (this.reader?.buffered ?? 0) > 0);
    if (problem !== undefined) {
      this.fail(Status.INTERNAL, problem);
      return;
    }
    if ((this.message as Buffer).length >= DEFER_BYTES) {
      // A large request is decoded, served and its answer encoded on a turn of its own: several that
      // complete in one socket read must not hold the loop (every other connection) for all of them.
      setImmediate(() => this.serve());
      return;
    }
    this.serve();
  }

  private serve(): void {
    if (this.finished) return;
    let request: unknown;
    try {
      request = this.method.decode(this.message as Buffer);
    } catch {
      this.fail(Status.INTERNAL, "error deserializing request");
      return;
    }
    this.message = undefined;
    this.release();
    runUnary(this.path, this.method.impl, request, this, this);
  }

  onAbort(): void {
    this.stop();
  }

  /** The implementation's outcome (runUnary calls this once). */
  settle(r: Result<unknown>): void {
    if (this.finished) return;
    if (!r.ok) {
      this.fail(r.error.code, r.error.details);
      return;
    }
    let w: Writer;
    try {
      w = this.method.encodeShared(r.value);
    } catch (err) {
      const e = internalError(this.path, err);
      this.fail(e.code, e.details);
      return;
    }
    const length = w.pos;
    if (length > this.limits.maxSendMessageBytes) {
      const e = sentTooLarge(length, this.limits.maxSendMessageBytes);
      this.fail(e.code, e.details);
      return;
    }
    this.stop();
    const s = this.stream;
    s.respond(RESPONSE_HEADERS);
    s.sendMessage(w.buf, length); // copied at once: the shared writer is reused by the next call
    s.end(OK_TRAILERS);
  }

  private fail(code: number, details: string): void {
    if (this.finished) return;
    this.stop();
    const s = this.stream;
    // Trailers-only; the session resets a request still arriving (NO_ERROR), as RFC 9113 §8.1 allows.
    s.end(s.headersSent ? trailers(code, details) : trailersOnly(code, details));
  }

  private stop(): void {
    this.finished = true;
    this.message = undefined;
    this.release();
    this.reader?.dispose();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}
