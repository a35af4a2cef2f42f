// The bridge between service code and grpc-js: services are plain functions returning Result values;
// this is the one place where those values (and anything thrown) become gRPC statuses on the wire.
import type * as grpc from "@grpc/grpc-js";
import type Long from "long";
import type { Writer } from "protobufjs/minimal.js";
import { asBuffer, encodeMessage, encodeShared, type MessageType, type UnaryMethod } from "../api/codec.ts";
import { unixNanosLong } from "../clock.ts";
import { log } from "../log.ts";
import { sentTooLarge } from "../rpc/message.ts";
import { type Result, type RpcError, Status } from "../rpc/status.ts";

export interface CallContext {
  /** Wall-clock time the request was handed to the service, Unix ns (a Long, as protobuf int64 fields). */
  readonly recvNanos: Long;
  /** Absolute deadline (Date.now() ms), Infinity if none. */
  readonly deadline: number;
  /** Aborted when the client cancels or the deadline passes. */
  readonly cancelled: () => boolean;
  readonly peer: string;
}

/** A unary method in a form served straight off HTTP/2, without grpc-js: by the lean engine (h2/unary.ts) and
 * by the grpc-js engine's fast path (fastpath.ts). */
export interface UnaryDirect {
  readonly decode: (bytes: Buffer) => unknown;
  readonly encode: (value: unknown) => Buffer;
  /** The response into the thread's shared writer (api/codec.ts encodeShared): bytes valid until the next. */
  readonly encodeShared: (value: unknown) => Writer;
  readonly impl: UnaryImpl<unknown, unknown>;
}

export interface MethodDef {
  readonly path: string;
  /** Present for unary methods: lets the lean engine and the fast path serve them off the HTTP/2 stream. */
  readonly direct?: UnaryDirect;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
  readonly serialize: (value: unknown) => Buffer;
  readonly deserialize: (bytes: Buffer) => unknown;
  readonly handler: grpc.UntypedHandleCall;
}

export interface ServiceDef {
  readonly name: string;
  readonly methods: readonly MethodDef[];
}

type UnaryImpl<Req, Res> = (req: Req, ctx: CallContext) => Result<Res> | Promise<Result<Res>>;

function toStatus(error: RpcError): Partial<grpc.StatusObject> {
  return { code: error.code as number as grpc.status, details: error.details };
}

/** Anything thrown is a bug or an unexpected failure: log it, tell the client nothing about internals. */
export function internalError(path: string, err: unknown): RpcError {
  log.error(`${path}: unexpected failure: ${err instanceof Error ? err.message : String(err)}`);
  log.debug(err);
  return { code: Status.INTERNAL, details: "internal error" };
}

/**
 * A unary answer's bytes, or the status its call ends with instead: INTERNAL when encoding throws (logged,
 * as internalError), RESOURCE_EXHAUSTED beyond the send limit (grpc-go's wording). Nothing is allocated but
 * the bytes; the caller tells the two apart by `"code" in` the result.
 */
export function answerBytes<B extends Uint8Array>(
  encode: (value: unknown) => B,
  value: unknown,
  path: string,
  maxSend: number,
): B | RpcError {
  let bytes: B;
  try {
    bytes = encode(value);
  } catch (err) {
    return internalError(path, err);
  }
  return bytes.length > maxSend ? sentTooLarge(bytes.length, maxSend) : bytes;
}

/**
 * What is wrong with a unary request that carried `count` whole messages (and `partial`: bytes of another
 * that never completed), or undefined when it carried exactly one. The status is INTERNAL, as grpc-go's.
 */
export function unaryRequestProblem(count: number, partial: boolean): string | undefined {
  if (count > 1) return "unary call with more than one message";
  if (partial) return "request ended inside a message";
  return count === 0 ? "request ended without a message" : undefined;
}

/** Whatever takes a unary method's outcome: a call object of either engine, or a grpc-js callback. */
export interface Settle {
  settle(r: Result<unknown>): void;
}

/**
 * Runs a unary implementation; `to.settle` gets its Result exactly once, whether the implementation
 * answers at once or with a Promise, and anything it throws (or rejects with) becomes internalError().
 */
export function runUnary(
  path: string,
  impl: UnaryImpl<unknown, unknown>,
  request: unknown,
  ctx: CallContext,
  to: Settle,
): void {
  let r: Result<unknown> | Promise<Result<unknown>>;
  try {
    r = impl(request, ctx);
  } catch (err) {
    to.settle({ ok: false, error: internalError(path, err) });
    return;
  }
  if (r instanceof Promise) {
    r.then(
      (v) => to.settle(v),
      (err) => to.settle({ ok: false, error: internalError(path, err) }),
    );
  } else {
    to.settle(r);
  }
}

function deadlineOf(call: { getDeadline(): grpc.Deadline }): number {
  const d = call.getDeadline();
  return d instanceof Date ? d.getTime() : d;
}

function contextOf(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
): CallContext {
  return {
    recvNanos: unixNanosLong(),
    deadline: deadlineOf(call),
    cancelled: () => call.cancelled,
    peer: call.getPeer(),
  };
}

export function unary<Req, Res>(method: UnaryMethod<Req, Res>, impl: UnaryImpl<Req, Res>): MethodDef {
  const path = method.path;
  const handler: grpc.handleUnaryCall<Req, Res> = (call, cb) => {
    runUnary(path, impl as UnaryImpl<unknown, unknown>, call.request, contextOf(call), {
      settle: (r) => (r.ok ? cb(null, r.value as Res) : cb(toStatus(r.error))),
    });
  };
  const serialize = (value: unknown) => encodeMessage(method.response, value as Res);
  const deserialize = (bytes: Buffer) => method.request.decode(bytes);
  return {
    path,
    requestStream: false,
    responseStream: false,
    serialize,
    deserialize,
    handler: handler as grpc.UntypedHandleCall,
    direct: {
      decode: deserialize,
      encode: serialize,
      encodeShared: (value) => encodeShared(method.response, value as Res),
      impl: impl as UnaryImpl<unknown, unknown>,
    },
  };
}

/**
 * A bidirectional stream answering each request with one response, in order. `each` may answer later (a
 * Promise): the stream's requests are then handled one after another, each once the one before is answered.
 * A failed Result ends the stream with its status.
 */
export function bidi<Req, Res>(
  path: string,
  request: MessageType<Req>,
  response: MessageType<Res>,
  each: (req: Req, ctx: CallContext) => Result<Res> | Promise<Result<Res>>,
): MethodDef {
  const handler: grpc.handleBidiStreamingCall<Req, Res> = (call) => {
    let failed = false;
    // The answer being waited for, if any: later requests and the end queue behind it.
    let pending: Promise<void> | undefined;
    const fail = (error: RpcError) => {
      failed = true;
      // grpc-js sends the status of an error emitted on the call (destroy() would reset the stream instead).
      call.emit("error", Object.assign(new Error(error.details), toStatus(error)));
    };
    const answer = (r: Result<Res>) => {
      if (failed || call.cancelled) return;
      if (r.ok) call.write(r.value);
      else fail(r.error);
    };
    const handle = (req: Req): Promise<void> | undefined => {
      if (failed || call.cancelled) return undefined;
      let r: Result<Res> | Promise<Result<Res>>;
      try {
        r = each(req, contextOf(call));
      } catch (err) {
        fail(internalError(path, err));
        return undefined;
      }
      if (!(r instanceof Promise)) {
        answer(r);
        return undefined;
      }
      return r.then(answer, (err) => fail(internalError(path, err)));
    };
    const queue = (p: Promise<void>) => {
      const t: Promise<void> = p.then(() => {
        if (pending === t) pending = undefined;
      });
      pending = t;
    };
    call.on("data", (req: Req) => {
      if (pending !== undefined) {
        queue(pending.then(() => handle(req)));
        return;
      }
      const p = handle(req);
      if (p !== undefined) queue(p);
    });
    const finish = () => {
      if (!failed && !call.cancelled) call.end();
    };
    call.on("end", () => {
      if (pending === undefined) finish();
      else void pending.then(finish);
    });
    call.on("error", () => {
      // client went away; nothing to answer
    });
  };
  return {
    path,
    requestStream: true,
    responseStream: true,
    serialize: (value) => asBuffer(response.encode(value as Res).finish()),
    deserialize: (bytes) => request.decode(bytes),
    handler: handler as grpc.UntypedHandleCall,
  };
}
