// A request in Connect, gRPC-Web or gRPC with JSON (told by its content-type, ../router.ts, or by the
// HTTP/1.1 connection, ../../http1/) to the call that serves it, after the checks gRPC's router makes
// (method, path, timeout), each failure answered the protocol's way. grpcperf's own services (Echo,
// Crypto) are served so; health and reflection stay gRPC. The checks and unary calls are the same over
// HTTP/2 and HTTP/1.1 (./exchange.ts); a streaming method is the HTTP's own business (`streaming`).
import { methodTypes } from "../../../api/message-types.ts";
import { parseConnectTimeout, parseGetQuery } from "../../../protocol/connect.ts";
import type { ParsedType } from "../../../protocol/wire.ts";
import { quoted, Status } from "../../../rpc/status.ts";
import { parseGrpcTimeout } from "../../../rpc/timeout.ts";
import type { MethodDef } from "../../handler.ts";
import type { RequestHead, ServerStream, StreamHandler } from "../stream.ts";
import type { CallLimits } from "../unary.ts";
import { H2Exchange, type WebExchange } from "./exchange.ts";
import { WebResponder } from "./respond.ts";
import { WebStreamCall } from "./stream.ts";
import { type JsonTypes, WebUnaryCall } from "./unary.ts";

/** A request no handler will see: read past whatever else comes. */
export const IGNORE: StreamHandler = { onData() {}, onEnd() {}, onAbort() {} };

/** Only grpcperf's own services answer the other protocols. */
const OWN = "/grpcperf.v1.";

/** What the web calls read of a request's head, whichever HTTP brought it. */
type WebHead = Pick<RequestHead, "path" | "encoding" | "timeout" | "connectTimeout">;

/** How a streaming method is served on this HTTP. */
type Streaming = (
  method: MethodDef,
  wire: ParsedType,
  json: JsonTypes | undefined,
  timeoutMs: number | undefined,
) => StreamHandler;

/** The method a path names among grpcperf's own, the only ones served in Connect and gRPC-Web. */
export function ownMethod(methods: ReadonlyMap<string, MethodDef>, path: string): MethodDef | undefined {
  return path.startsWith(OWN) ? methods.get(path) : undefined;
}

function refuse(exchange: WebExchange, wire: ParsedType, code: number, details: string): StreamHandler {
  exchange.glitch();
  new WebResponder(exchange, wire).finish(code, details);
  return IGNORE;
}

/**
 * Connect's GET (a unary call with its message in the query): for methods the schema marks
 * idempotency_level = NO_SIDE_EFFECTS, as connect-go serves it. Undefined: not a Connect GET.
 */
export function webGet(
  stream: ServerStream,
  head: RequestHead,
  methods: ReadonlyMap<string, MethodDef>,
  limits: CallLimits,
): StreamHandler | undefined {
  return exchangeGet(new H2Exchange(stream), head, methods, limits);
}

export function exchangeGet(
  exchange: WebExchange,
  head: WebHead,
  methods: ReadonlyMap<string, MethodDef>,
  limits: CallLimits,
): StreamHandler | undefined {
  const q = head.path.indexOf("?");
  if (q < 0) return undefined;
  const path = head.path.slice(0, q);
  const query = parseGetQuery(head.path.slice(q + 1));
  const codec = typeof query === "string" ? "json" : query.codec;
  const wire: ParsedType = { protocol: "connect", codec: codec as ParsedType["codec"], text: false, enveloped: false };
  if (typeof query === "string") return refuse(exchange, wire, Status.INVALID_ARGUMENT, query);
  const method = ownMethod(methods, path);
  const types = methodTypes(path);
  if (method?.direct === undefined || types === undefined || !types.noSideEffects) {
    return refuse(exchange, wire, Status.UNIMPLEMENTED, `${quoted(path)} is not served with GET (not NO_SIDE_EFFECTS)`);
  }
  let timeoutMs: number | undefined;
  if (head.connectTimeout !== undefined) {
    timeoutMs = parseConnectTimeout(head.connectTimeout);
    if (timeoutMs === undefined) {
      return refuse(exchange, wire, Status.INVALID_ARGUMENT, `malformed timeout "${quoted(head.connectTimeout)}"`);
    }
  }
  const json = wire.codec === "json" ? types : undefined;
  const call = new WebUnaryCall(exchange, path, method.direct, limits, wire, json, timeoutMs);
  call.onData(query.message, 0, query.message.length);
  return call;
}

export function webCall(
  stream: ServerStream,
  head: RequestHead,
  wire: ParsedType,
  methods: ReadonlyMap<string, MethodDef>,
  limits: CallLimits,
): StreamHandler {
  const streaming: Streaming = (method, w, json, timeoutMs) =>
    new WebStreamCall(stream, method, limits, w, json, timeoutMs);
  return exchangeCall(new H2Exchange(stream), head, wire, methods, limits, streaming);
}

export function exchangeCall(
  exchange: WebExchange,
  head: WebHead,
  wire: ParsedType,
  methods: ReadonlyMap<string, MethodDef>,
  limits: CallLimits,
  streaming: Streaming,
): StreamHandler {
  const method = ownMethod(methods, head.path);
  if (method === undefined) {
    return refuse(
      exchange,
      wire,
      Status.UNIMPLEMENTED,
      `The server does not implement the method ${quoted(head.path)} in ${wire.protocol}`,
    );
  }
  if (wire.protocol === "connect" && !wire.enveloped && (method.requestStream || method.responseStream)) {
    return refuse(
      exchange,
      wire,
      Status.INVALID_ARGUMENT,
      `${quoted(head.path)} streams: use application/connect+${wire.codec}`,
    );
  }
  if (head.encoding !== undefined && head.encoding !== "identity") {
    return refuse(exchange, wire, Status.UNIMPLEMENTED, `compression ${quoted(head.encoding)} is not supported`);
  }
  let timeoutMs: number | undefined;
  const timeout = wire.protocol === "connect" ? head.connectTimeout : head.timeout;
  if (timeout !== undefined) {
    timeoutMs = wire.protocol === "connect" ? parseConnectTimeout(timeout) : parseGrpcTimeout(timeout);
    if (timeoutMs === undefined)
      return refuse(exchange, wire, Status.INVALID_ARGUMENT, `malformed timeout "${quoted(timeout)}"`);
  }
  const json = wire.codec === "json" ? methodTypes(head.path) : undefined;
  if (method.direct !== undefined) {
    return new WebUnaryCall(exchange, head.path, method.direct, limits, wire, json, timeoutMs);
  }
  return streaming(method, wire, json, timeoutMs);
}
