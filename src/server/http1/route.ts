// From an HTTP/1.1 request head to the call that serves it: Connect (POST, or GET for NO_SIDE_EFFECTS
// methods) and gRPC-Web go to the same calls as over HTTP/2 (../h2/web/dispatch.ts); what HTTP/1.1
// cannot carry is refused the way the reference servers refuse it.
import { parseContentType } from "../../protocol/wire.ts";
import { quoted } from "../../rpc/status.ts";
import type { StreamHandler } from "../h2/stream.ts";
import type { CallLimits } from "../h2/unary.ts";
import { exchangeCall, exchangeGet, IGNORE, ownMethod } from "../h2/web/dispatch.ts";
import type { MethodDef } from "../handler.ts";
import type { Http1Exchange } from "./exchange.ts";
import type { Http1Head } from "./head.ts";

/**
 * connect-go answers a bidi method over HTTP/1.1 with 505 and closes: a client written for full duplex
 * would hang on a half-duplex connection. grpcperf's one streaming method (Echo's EchoStream) is bidi, so
 * every streaming call is refused so; connect-go would serve client and server streams.
 */
function needsHttp2(exchange: Http1Exchange, why = "this method streams both ways"): StreamHandler {
  exchange.refuse(505, `${why}, which needs HTTP/2`, true);
  return IGNORE;
}

export function route(
  exchange: Http1Exchange,
  head: Http1Head,
  methods: ReadonlyMap<string, MethodDef>,
  limits: CallLimits,
): StreamHandler {
  if (head.method === "GET") {
    if (head.contentLength > 0 || head.chunked) {
      exchange.refuse(400, "a GET with a body");
      return IGNORE;
    }
    const get = exchangeGet(exchange, head, methods, limits);
    if (get !== undefined) return get;
  }
  if (head.method !== "POST") {
    exchange.refuse(405, `method ${quoted(head.method)} is not POST (nor a Connect GET)`, false, [
      ["allow", "POST, GET"],
    ]);
    return IGNORE;
  }
  const wire = head.contentType === undefined ? undefined : parseContentType(head.contentType);
  if (wire === undefined) {
    exchange.refuse(415, `content-type "${quoted(head.contentType ?? "")}" is neither Connect's nor gRPC-Web's`);
    return IGNORE;
  }
  if (wire.protocol === "grpc") {
    // grpc-go's ServeHTTP answers so: gRPC's trailers and full duplex are HTTP/2's.
    exchange.refuse(505, "gRPC requires HTTP/2", true);
    return IGNORE;
  }
  const method = ownMethod(methods, head.path);
  if (method?.requestStream && method.responseStream) return needsHttp2(exchange);
  // Every other streaming method (none of grpcperf's) likewise: only unary calls are served here.
  return exchangeCall(exchange, head, wire, methods, limits, () => needsHttp2(exchange, "this method streams"));
}
