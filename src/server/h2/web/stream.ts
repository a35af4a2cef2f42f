// A streaming method (Echo's EchoStream) called in Connect or gRPC-Web, or in gRPC with JSON: the same
// grpc-js-style handler as a gRPC call runs it (../handler-call.ts), fed the request as gRPC-framed
// binary messages and answering through a sink that frames the response the protocol's way. Binary
// envelopes are gRPC's framing already and pass straight through; base64 text and JSON are turned into it.

import type { ParsedType } from "../../../protocol/wire.ts";
import { prefixMessage } from "../../../rpc/message.ts";
import { Status } from "../../../rpc/status.ts";
import { binaryToJson, jsonToBinary } from "../../../schema/transcode.ts";
import type { MethodDef } from "../../handler.ts";
import { HandlerCall, type ResponseSink } from "../handler-call.ts";
import type { ServerStream, StreamHandler } from "../stream.ts";
import type { CallLimits } from "../unary.ts";
import { H2Exchange } from "./exchange.ts";
import { WebRequest } from "./request.ts";
import { WebResponder } from "./respond.ts";
import type { JsonTypes } from "./unary.ts";

export class WebStreamCall implements StreamHandler {
  private readonly call: HandlerCall;
  /** Set when requests must be re-framed (text or JSON); undefined when they pass as they are. */
  private readonly request: WebRequest | undefined;
  private readonly out: WebResponder;
  private failed = false;

  constructor(
    stream: ServerStream,
    method: MethodDef,
    limits: CallLimits,
    wire: ParsedType,
    private readonly json: JsonTypes | undefined,
    timeoutMs: number | undefined,
  ) {
    this.out = new WebResponder(new H2Exchange(stream), wire);
    const out = this.out;
    const sink: ResponseSink = {
      headers: () => out.headers(),
      message: (body) => {
        if (json === undefined) {
          out.message(body);
          return;
        }
        const j = binaryToJson(json.response, body);
        if (j.ok) out.message(j.bytes);
        else this.fail(Status.INTERNAL, j.error);
      },
      finish: (code, details) => out.finish(code, details),
    };
    this.request =
      wire.text || json !== undefined ? new WebRequest(stream, wire, limits.maxReceiveMessageBytes) : undefined;
    this.call = new HandlerCall(stream, method, limits, undefined, timeoutMs, sink);
  }

  onData(buf: Buffer, start: number, end: number): void {
    const request = this.request;
    if (request === undefined) {
      this.call.onData(buf, start, end);
      return;
    }
    if (this.failed) return;
    const err = request.push(buf, start, end);
    if (err) {
      this.fail(err.code, err.details);
      return;
    }
    for (const m of request.messages.splice(0)) {
      let bytes: Uint8Array = m;
      if (this.json) {
        const r = jsonToBinary(this.json.request, m);
        if (!r.ok) {
          this.fail(Status.INVALID_ARGUMENT, r.error);
          return;
        }
        bytes = r.bytes;
      }
      const framed = prefixMessage(bytes);
      this.call.onData(framed, 0, framed.length);
    }
    request.release();
  }

  onEnd(): void {
    if (this.failed) return;
    if (this.request !== undefined && !this.request.complete()) {
      this.fail(Status.INTERNAL, "request ended inside a message");
      return;
    }
    this.call.onEnd();
  }

  onAbort(): void {
    this.request?.release();
    this.call.onAbort();
  }

  /** Ends the call from here: the handler is told it was cancelled, the client gets the status. */
  private fail(code: number, details: string): void {
    if (this.failed) return;
    this.failed = true;
    this.request?.release();
    this.out.finish(code, details);
    this.call.onAbort();
  }
}
