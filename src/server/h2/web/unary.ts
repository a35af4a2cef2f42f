// A unary method (Echo, Crypto's) called in Connect or gRPC-Web, or in gRPC with JSON: the request read
// the protocol's way (./request.ts), the service run through the same bridge as a gRPC call (runUnary, so
// Results and anything thrown become the same statuses), the answer written the protocol's way
// (./respond.ts), on an HTTP/2 stream or an HTTP/1.1 request alike (./exchange.ts). JSON is transcoded to
// and from the binary form the services take.
import type Long from "long";
import type protobuf from "protobufjs";
import { unixNanosLong } from "../../../clock.ts";
import type { ParsedType } from "../../../protocol/wire.ts";
import { type Result, Status } from "../../../rpc/status.ts";
import { deadlineTimer } from "../../../rpc/timeout.ts";
import { binaryToJson, jsonToBinary } from "../../../schema/transcode.ts";
import {
  answerBytes,
  type CallContext,
  runUnary,
  type Settle,
  type UnaryDirect,
  unaryRequestProblem,
} from "../../handler.ts";
import type { StreamHandler } from "../stream.ts";
import type { CallLimits } from "../unary.ts";
import type { WebExchange } from "./exchange.ts";
import { WebRequest } from "./request.ts";
import { WebResponder } from "./respond.ts";

/** The JSON codec's message types, when the call uses it. */
export interface JsonTypes {
  readonly request: protobuf.Type;
  readonly response: protobuf.Type;
}

export class WebUnaryCall implements StreamHandler, CallContext, Settle {
  readonly recvNanos: Long;
  deadline = Number.POSITIVE_INFINITY;
  private finished = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly request: WebRequest;
  private readonly out: WebResponder;
  /** The response's bytes on the wire: the message, or its proto3 JSON with the JSON codec. */
  private readonly encodeAnswer: (value: unknown) => Uint8Array;

  constructor(
    private readonly exchange: WebExchange,
    private readonly path: string,
    private readonly method: UnaryDirect,
    private readonly limits: CallLimits,
    wire: ParsedType,
    private readonly json: JsonTypes | undefined,
    timeoutMs: number | undefined,
  ) {
    this.recvNanos = unixNanosLong();
    this.encodeAnswer = json === undefined ? method.encode : jsonEncoder(method, json);
    this.request = new WebRequest(exchange, wire, limits.maxReceiveMessageBytes);
    this.out = new WebResponder(exchange, wire);
    const declared = exchange.declaredBody >= 0 ? this.request.declared(exchange.declaredBody) : undefined;
    if (declared) {
      this.fail(declared.code, declared.details);
      return;
    }
    if (timeoutMs !== undefined) {
      this.deadline = Date.now() + timeoutMs;
      this.timer = deadlineTimer(timeoutMs, () => this.fail(Status.DEADLINE_EXCEEDED, "deadline exceeded"));
    }
  }

  get peer(): string {
    return this.exchange.peer;
  }

  cancelled(): boolean {
    return this.finished;
  }

  onData(buf: Buffer, start: number, end: number): void {
    if (this.finished) return;
    const err = this.request.push(buf, start, end);
    if (err) this.fail(err.code, err.details);
    // A second message is the call's end already: the rest (a flood of empty envelopes, say) is not kept.
    else if (this.request.messages.length > 1) this.fail(Status.INTERNAL, "unary call with more than one message");
  }

  onEnd(): void {
    if (this.finished) return;
    const whole = this.request.complete();
    const messages = this.request.messages;
    const problem = unaryRequestProblem(messages.length, !whole);
    if (problem !== undefined) {
      this.fail(Status.INTERNAL, problem);
      return;
    }
    let bytes: Uint8Array = messages[0] as Buffer;
    this.request.release();
    if (this.json) {
      const r = jsonToBinary(this.json.request, bytes);
      if (!r.ok) {
        this.fail(Status.INVALID_ARGUMENT, r.error);
        return;
      }
      bytes = r.bytes;
    }
    let request: unknown;
    try {
      request = this.method.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch {
      this.fail(Status.INTERNAL, "error deserializing request");
      return;
    }
    runUnary(this.path, this.method.impl, request, this, this);
  }

  onAbort(): void {
    this.stop();
  }

  settle(r: Result<unknown>): void {
    if (this.finished) return;
    if (!r.ok) {
      this.fail(r.error.code, r.error.details);
      return;
    }
    const bytes = answerBytes(this.encodeAnswer, r.value, this.path, this.limits.maxSendMessageBytes);
    if ("code" in bytes) {
      this.fail(bytes.code, bytes.details);
      return;
    }
    this.stop();
    this.out.only(bytes);
  }

  private fail(code: number, details: string): void {
    if (this.finished) return;
    this.stop();
    this.out.finish(code, details);
  }

  private stop(): void {
    this.finished = true;
    this.request.release();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }
}

/** The message as proto3 JSON; a message JSON cannot carry throws (answerBytes: INTERNAL). */
function jsonEncoder(method: UnaryDirect, json: JsonTypes): (value: unknown) => Uint8Array {
  return (value) => {
    const j = binaryToJson(json.response, method.encode(value));
    if (!j.ok) throw new Error(j.error);
    return j.bytes;
  };
}
