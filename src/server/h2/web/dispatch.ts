// A request in Connect, gRPC-Web or gRPC with JSON (told by its content-type, ../router.ts) to the call that
// serves it, after the checks gRPC's router makes (method, path, timeout), each failure answered the
// protocol's way. grpcperf's own services (Echo, Crypto) are served so; health and reflection stay gRPC.
import { methodTypes } from "../../../api/message-types.ts";
import { parseConnectTimeout } from "../../../protocol/connect.ts";
import type { ParsedType } from "../../../protocol/wire.ts";
import { quoted, Status } from "../../../rpc/status.ts";
import { parseGrpcTimeout } from "../../../rpc/timeout.ts";
import type { MethodDef } from "../../handler.ts";
import type { RequestHead, ServerStream, StreamHandler } from "../stream.ts";
import type { CallLimits } from "../unary.ts";
import { WebResponder } from "./respond.ts";
import { WebStreamCall } from "./stream.ts";
import { WebUnaryCall } from "./unary.ts";

/** A request no handler will see: read past whatever else comes. */
const IGNORE: StreamHandler = { onData() {}, onEnd() {}, onAbort() {} };

/** Only grpcperf's own services answer the other protocols. */
const OWN = "/grpcperf.v1.";

function refuse(stream: ServerStream, wire: ParsedType, code: number, details: string): StreamHandler {
  stream.glitch();
  new WebResponder(stream, wire).finish(code, details);
  return IGNORE;
}

export function webCall(
  stream: ServerStream,
  head: RequestHead,
  wire: ParsedType,
  methods: ReadonlyMap<string, MethodDef>,
  limits: CallLimits,
): StreamHandler {
  const method = head.path.startsWith(OWN) ? methods.get(head.path) : undefined;
  if (method === undefined) {
    return refuse(
      stream,
      wire,
      Status.UNIMPLEMENTED,
      `The server does not implement the method ${quoted(head.path)} in ${wire.protocol}`,
    );
  }
  if (wire.protocol === "connect" && !wire.enveloped && (method.requestStream || method.responseStream)) {
    return refuse(
      stream,
      wire,
      Status.INVALID_ARGUMENT,
      `${quoted(head.path)} streams: use application/connect+${wire.codec}`,
    );
  }
  if (head.encoding !== undefined && head.encoding !== "identity") {
    return refuse(stream, wire, Status.UNIMPLEMENTED, `compression ${quoted(head.encoding)} is not supported`);
  }
  let timeoutMs: number | undefined;
  const timeout = wire.protocol === "connect" ? head.connectTimeout : head.timeout;
  if (timeout !== undefined) {
    timeoutMs = wire.protocol === "connect" ? parseConnectTimeout(timeout) : parseGrpcTimeout(timeout);
    if (timeoutMs === undefined)
      return refuse(stream, wire, Status.INVALID_ARGUMENT, `malformed timeout "${quoted(timeout)}"`);
  }
  const json = wire.codec === "json" ? methodTypes(head.path) : undefined;
  if (method.direct !== undefined) {
    return new WebUnaryCall(stream, head.path, method.direct, limits, wire, json, timeoutMs);
  }
  return new WebStreamCall(stream, method, limits, wire, json, timeoutMs);
}
