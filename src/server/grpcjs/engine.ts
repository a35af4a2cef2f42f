// The grpc-js engine: connections are injected into @grpc/grpc-js, with the fast path (./fastpath.ts) for
// unary calls in front unless turned off, and frame checks (./frame-guard.ts) before either sees a stream.
import type http2 from "node:http2";
import * as grpc from "@grpc/grpc-js";
import { log } from "../../log.ts";
import { CallTracker } from "../drain.ts";
import type { Engine } from "../engine.ts";
import type { ServiceDef, UnaryDirect } from "../handler.ts";
import { DEFAULT_LIMITS, enforceKeepalivePolicy, grpcServerOptions, type Limits } from "../limits.ts";
import type { RequestBytes } from "../request-bytes.ts";
import { type ServerTls, serverCredentials } from "../tls.ts";
import { installFastPath } from "./fastpath.ts";
import { guardFrames } from "./frame-guard.ts";

function methodType(m: ServiceDef["methods"][number]) {
  if (m.requestStream) return m.responseStream ? "bidi" : "clientStream";
  return m.responseStream ? "serverStream" : "unary";
}

function buildGrpcServer(services: readonly ServiceDef[], limits: Limits = DEFAULT_LIMITS): grpc.Server {
  const server = new grpc.Server(grpcServerOptions(limits));
  for (const service of services) {
    for (const m of service.methods) server.register(m.path, m.handler, m.serialize, m.deserialize, methodType(m));
  }
  return server;
}

/**
 * grpc-js keeps the HTTP/2 server behind an injector private, and has no server-side ping policy; the
 * injector's server is the one it added last to its (pinned version's) http2Servers map.
 */
function injectorHttp2Server(server: grpc.Server): http2.Http2Server | undefined {
  const map = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
  if (!(map instanceof Map)) return undefined;
  return [...map.keys()].at(-1);
}

export function grpcJsEngine(
  services: readonly ServiceDef[],
  appServices: readonly ServiceDef[],
  limits: Limits,
  tls: ServerTls | undefined,
  fastPath: boolean,
  requestBytes: RequestBytes,
): Engine {
  const server = buildGrpcServer(services, limits);
  const credentials = tls ? serverCredentials(tls) : grpc.ServerCredentials.createInsecure();
  const injector = server.createConnectionInjector(credentials);
  const h2 = injectorHttp2Server(server);
  if (fastPath) {
    if (!h2) throw new Error("grpc-js internals changed: no HTTP/2 server behind the injector");
    const direct = new Map<string, UnaryDirect>();
    for (const service of appServices) for (const m of service.methods) if (m.direct) direct.set(m.path, m.direct);
    installFastPath(server, h2, direct, limits);
  }
  // After the fast path replaced the stream listeners, so these see every stream, fast path or not.
  const calls = new CallTracker();
  if (h2) {
    h2.on("stream", calls.track);
    h2.on("session", (session: http2.ServerHttp2Session) => enforceKeepalivePolicy(session, limits));
    // First of all, so a bad frame is refused before grpc-js (or the fast path) acts on it.
    h2.prependListener("stream", guardFrames(requestBytes));
  } else {
    log.warn("keepalive enforcement, frame checks and call draining unavailable with this grpc-js version");
  }
  return {
    accept: (socket) => injector.injectConnection(socket),
    // grpc-js's sessions are its own (and behind the fast path): over the limit, newcomers are refused.
    evictIdle: () => undefined,
    inFlight: () => calls.inFlight,
    // GOAWAY to every connection (no new calls), then wait for the calls in flight and grpc-js itself.
    drain: () => Promise.all([new Promise<void>((r) => server.tryShutdown(() => r())), calls.idle()]),
    destroy: () => server.forceShutdown(),
  };
}
