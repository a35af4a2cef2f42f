// Runs a grpc-js-style handler (health, reflection, streaming methods) on a ServerStream: the call object
// it gets has the part of grpc-js's ServerUnaryCall / ServerWritableStream / ServerDuplexStream surface
// those handlers use (request, on data/end/cancelled, write, end, destroy, getPeer, getDeadline), so the
// services keep one implementation whichever HTTP/2 server carries them.
import { EventEmitter } from "node:events";
import * as grpc from "@grpc/grpc-js";
import { type Decompress, MessageDecoder } from "../../rpc/message.ts";
import { Status } from "../../rpc/status.ts";
import { deadlineTimer } from "../../rpc/timeout.ts";
import { answerBytes, internalError, type MethodDef, unaryRequestProblem } from "../handler.ts";
import { RESPONSE_HEADERS, trailers, trailersOnly } from "./blocks.ts";
import type { ServerStream, StreamHandler } from "./stream.ts";
import type { CallLimits } from "./unary.ts";

type Callback = (err: Partial<grpc.StatusObject> | Error | null, value?: unknown) => void;

/** Where the response goes when it is not gRPC's framing (Connect and gRPC-Web streams, ./web/stream.ts). */
export interface ResponseSink {
  headers(): void;
  message(body: Buffer): void;
  finish(code: number, details: string): void;
}

/** A status from whatever a handler reports: grpc-js accepts {code, details} objects and Errors. */
function statusOf(err: Partial<grpc.StatusObject> | Error): { code: number; details: string } {
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof e.code === "number" && e.code >= 0 && e.code <= 16 ? e.code : Status.UNKNOWN;
  const details = typeof e.details === "string" ? e.details : typeof e.message === "string" ? e.message : "";
  return { code, details };
}

export class HandlerCall extends EventEmitter implements StreamHandler {
  request: unknown = undefined;
  cancelled = false;
  private finished = false;
  private count = 0;
  private readonly reader: MessageDecoder;
  private readonly deadline: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private started = false;
  private lazyMetadata: grpc.Metadata | undefined;

  constructor(
    private readonly stream: ServerStream,
    private readonly method: MethodDef,
    private readonly limits: CallLimits,
    decompress: Decompress | undefined,
    timeoutMs: number | undefined,
    private readonly sink?: ResponseSink,
  ) {
    super();
    this.reader = new MessageDecoder(limits.maxReceiveMessageBytes, decompress, (d) => stream.holdRequest(d));
    this.deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
    if (timeoutMs !== undefined) {
      this.timer = deadlineTimer(timeoutMs, () => {
        this.finish(Status.DEADLINE_EXCEEDED, "deadline exceeded");
        this.cancel();
      });
    }
    // As grpc-js's streaming calls: a handler that emits an error on its call ends the call with that status.
    this.on("error", (err: Partial<grpc.StatusObject> | Error) => {
      const st = statusOf(err);
      this.finish(st.code, st.details);
    });
    // Streaming requests: the handler subscribes to messages as they come.
    if (method.requestStream) this.run();
  }

  get metadata(): grpc.Metadata {
    this.lazyMetadata ??= new grpc.Metadata();
    return this.lazyMetadata;
  }

  get writable(): boolean {
    return !this.finished;
  }

  getPeer(): string {
    return this.stream.peer;
  }

  getDeadline(): grpc.Deadline {
    return this.deadline === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : new Date(this.deadline);
  }

  getPath(): string {
    return this.method.path;
  }

  sendMetadata(): void {
    if (this.finished) return;
    if (this.sink) this.sink.headers();
    else this.stream.respond(RESPONSE_HEADERS);
  }

  // --- the handler's side ------------------------------------------------------------------------------

  write(value: unknown, cb?: () => void): boolean {
    if (this.finished) return false;
    const body = answerBytes(this.method.serialize, value, this.method.path, this.limits.maxSendMessageBytes);
    if ("code" in body) {
      this.finish(body.code, body.details);
      return false;
    }
    if (this.sink) this.sink.message(body);
    else {
      this.stream.respond(RESPONSE_HEADERS);
      this.stream.sendMessage(body);
    }
    cb?.();
    return true;
  }

  end(): void {
    this.finish(Status.OK, "");
  }

  destroy(err?: Error): this {
    if (err) {
      const s = statusOf(err);
      this.finish(s.code, s.details);
    } else {
      this.finish(Status.CANCELLED, "cancelled by the server");
    }
    return this;
  }

  private readonly callback: Callback = (err, value) => {
    if (err) {
      const s = statusOf(err);
      this.finish(s.code === Status.OK ? Status.UNKNOWN : s.code, s.details);
      return;
    }
    if (this.write(value)) this.end();
  };

  // --- the stream's side ---------------------------------------------------------------------------------

  onData(buf: Buffer, start: number, end: number): void {
    if (this.finished) return;
    const err = this.reader.read(buf, start, end, (bytes) => {
      if (this.finished) return;
      let message: unknown;
      try {
        message = this.method.deserialize(bytes);
      } catch {
        this.finish(Status.INTERNAL, "error deserializing request");
        return;
      }
      this.count++;
      if (!this.method.requestStream) {
        if (this.count === 1) this.request = message;
        return;
      }
      this.emitSafely("data", message);
    });
    if (err) this.finish(err.code, err.details);
  }

  onEnd(): void {
    if (this.finished) return;
    if (this.method.requestStream) {
      this.emitSafely("end");
      return;
    }
    const problem = unaryRequestProblem(this.count, this.reader.buffered > 0);
    if (problem !== undefined) {
      this.finish(Status.INTERNAL, problem);
      return;
    }
    this.run();
  }

  /** A handler that throws fails its own call, not the connection whose frame it was reading. */
  private emitSafely(event: string, value?: unknown): void {
    try {
      this.emit(event, value);
    } catch (err) {
      const e = internalError(this.method.path, err);
      this.finish(e.code, e.details);
    }
  }

  onAbort(): void {
    this.cancel();
  }

  private cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.stop();
    const wasFinished = this.finished;
    this.finished = true;
    this.emit("cancelled", "cancelled");
    if (!wasFinished) this.emit("close");
  }

  private run(): void {
    if (this.started) return;
    this.started = true;
    const h = this.method.handler as (call: unknown, cb?: Callback) => void;
    try {
      if (this.method.responseStream) h(this);
      else h(this, this.callback);
    } catch (err) {
      const e = internalError(this.method.path, err);
      this.finish(e.code, e.details);
    }
  }

  private finish(code: number, details: string): void {
    if (this.finished) return;
    this.finished = true;
    this.stop();
    const s = this.stream;
    if (this.sink) this.sink.finish(code, details);
    else if (s.headersSent) s.end(trailers(code, details));
    else s.end(trailersOnly(code, details));
    this.emit("finish");
    this.emit("close");
  }

  private stop(): void {
    this.reader.dispose();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
