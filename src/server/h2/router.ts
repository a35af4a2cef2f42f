// From a new stream's request headers to the call that serves it: the checks every gRPC server makes
// before a handler runs (method, content-type, path, grpc-encoding, grpc-timeout), each failure answered
// with a trailers-only status, then a ServerUnaryCall for methods with a direct form, a HandlerCall otherwise.
import { parseContentType } from "../../protocol/wire.ts";
import { quoted, Status } from "../../rpc/status.ts";
import { parseGrpcTimeout } from "../../rpc/timeout.ts";
import type { MethodDef } from "../handler.ts";
import { trailersOnly } from "./blocks.ts";
import { decompressorFor } from "./encodings.ts";
import { HandlerCall } from "./handler-call.ts";
import type { OnStream, RequestHead, ServerStream, StreamHandler } from "./stream.ts";
import { type CallLimits, ServerUnaryCall } from "./unary.ts";
import { webCall, webGet } from "./web/dispatch.ts";

/** A stream answered before any handler ran: what else the client sends is read past. */
const IGNORE: StreamHandler = { onData() {}, onEnd() {}, onAbort() {} };

/**
 * A request no handler will see: an unknown method, a wrong content-type or encoding. Each spends from the
 * connection's glitch budget (./flood.ts); what the details quote of the request is cut short (quoted()),
 * so an answer costs the same whatever the client sent.
 */
function refuse(stream: ServerStream, code: number, details: string, httpStatus = 200): StreamHandler {
  stream.glitch();
  stream.end(trailersOnly(code, details, httpStatus));
  return IGNORE;
}

const GRPC_TYPE = "application/grpc";

/** grpc-go's rule: exactly application/grpc, or a subtype after "+" or parameters after ";" (not "application/grpcfoo"). */
function isGrpcContentType(type: string): boolean {
  if (!type.startsWith(GRPC_TYPE)) return false;
  if (type.length === GRPC_TYPE.length) return true;
  const next = type.charCodeAt(GRPC_TYPE.length);
  return next === 0x2b /* + */ || next === 0x3b /* ; */;
}

export function router(methods: ReadonlyMap<string, MethodDef>, limits: CallLimits): OnStream {
  return (stream: ServerStream, head: RequestHead): StreamHandler => {
    if (head.method !== "POST") {
      const get = head.method === "GET" ? webGet(stream, head, methods, limits) : undefined;
      if (get !== undefined) return get;
      return refuse(stream, Status.INTERNAL, `method ${quoted(head.method)} is not POST`, 405);
    }
    const type = head.contentType;
    // gRPC's own type is one comparison; anything else may be Connect, gRPC-Web or gRPC with JSON (./web/).
    if (type !== GRPC_TYPE) {
      const wire = type === undefined ? undefined : parseContentType(type);
      if (wire !== undefined && (wire.protocol !== "grpc" || wire.codec !== "proto")) {
        return webCall(stream, head, wire, methods, limits);
      }
      if (type === undefined || !isGrpcContentType(type)) {
        return refuse(stream, Status.INTERNAL, `content-type "${quoted(type ?? "")}" is not application/grpc`, 415);
      }
    }
    const method = methods.get(head.path);
    if (method === undefined) {
      return refuse(stream, Status.UNIMPLEMENTED, `The server does not implement the method ${quoted(head.path)}`);
    }
    const decompress = decompressorFor(head.encoding);
    if (decompress !== undefined && typeof decompress !== "function") {
      return refuse(stream, decompress.code, decompress.details);
    }
    let timeoutMs: number | undefined;
    if (head.timeout !== undefined) {
      timeoutMs = parseGrpcTimeout(head.timeout);
      if (timeoutMs === undefined) {
        return refuse(stream, Status.INTERNAL, `malformed grpc-timeout "${quoted(head.timeout)}"`);
      }
    }
    if (method.direct !== undefined) {
      return new ServerUnaryCall(stream, head.path, method.direct, limits, decompress, timeoutMs);
    }
    return new HandlerCall(stream, method, limits, decompress, timeoutMs);
  };
}
