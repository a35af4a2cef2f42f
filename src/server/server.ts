// The gRPC server: our transports accept the connections (TCP, Unix sockets, VSOCK and hvsock alike) and
// hand them to one of two engines: the lean engine (h2/, the default), our own HTTP/2 server, or the
// grpc-js engine (grpcjs/). Health and reflection are derived from the registered services, so a
// service added to the list lights up in both.
import { log } from "../log.ts";
import type { Address } from "../transport/address.ts";
import { listen } from "../transport/index.ts";
import { type ListenSpec, listenSpec } from "../transport/shared.ts";
import { formatPeer, type Listener, type OnConnection, type Peer } from "../transport/types.ts";
import type { ServerConfig, ServerEngine } from "./config.ts";
import { within } from "./drain.ts";
import type { Engine } from "./engine.ts";
import { grpcJsEngine } from "./grpcjs/engine.ts";
import { leanEngine } from "./h2/engine.ts";
import type { ServiceDef } from "./handler.ts";
import { HealthState, healthService } from "./health.ts";
import { type ConnectionCount, ConnectionGate, DEFAULT_LIMITS, type Limits } from "./limits.ts";
import { reflectionServices } from "./reflection.ts";
import { type RequestByteCount, RequestBytes } from "./request-bytes.ts";
import { serverCredentials } from "./tls.ts";

/** A server's options: its ServerConfig (anything left out takes its default), what it serves, and where. */
export interface ServerOptions extends Partial<Omit<ServerConfig, "limits">> {
  readonly addresses: readonly Address[];
  readonly services: readonly ServiceDef[];
  /** Any limit left out keeps its default (DEFAULT_LIMITS). */
  readonly limits?: Partial<Limits>;
  /** grpc.health.v1.Health (default on). */
  readonly health?: boolean;
  /** Server reflection v1 and v1alpha (default on). */
  readonly reflection?: boolean;
  /** Shorthand for limits.maxReceiveMessageBytes. */
  readonly maxReceiveMessageBytes?: number;
  /** Shorthand for limits.maxSendMessageBytes. */
  readonly maxSendMessageBytes?: number;
  /** Listen on sockets the main thread bound (one server thread of several) instead of binding `addresses`. */
  readonly specs?: readonly ListenSpec[];
  /** The open-connection count shared with the other server threads (limits.maxConnections bounds them
   * together); a count of this server's own when absent. */
  readonly connectionCount?: ConnectionCount;
  /** The request-byte count shared with the other server threads (limits.maxRequestBytes bounds them). */
  readonly requestByteCount?: RequestByteCount;
}

/** Whether a connection may proceed: only a VSOCK peer can be refused, and only by CID. */
export function admits(peer: Peer, allowCids: ReadonlySet<number> | undefined): boolean {
  return peer.kind !== "vsock" || allowCids === undefined || allowCids.has(peer.cid);
}

/**
 * grpc-js builds call.getPeer() (CallContext.peer) from the socket's remoteAddress/remotePort, which Bun
 * leaves empty for adopted Unix and VSOCK sockets; fill them in so handlers see "vsock:CID:PORT".
 */
function exposePeer(socket: object, peer: Peer): void {
  if (peer.kind === "tcp") return;
  const [address, port] = peer.kind === "vsock" ? [`vsock:${peer.cid}`, peer.port] : ["unix", undefined];
  Object.defineProperty(socket, "remoteAddress", { value: address, configurable: true });
  Object.defineProperty(socket, "remotePort", { value: port, configurable: true });
}

export interface RunningServer {
  readonly listeners: readonly Listener[];
  /** Per-service serving status; undefined when health is off. */
  readonly health: HealthState | undefined;
  readonly limits: Limits;
  /** open: on every thread sharing the count (ServerOptions.connectionCount); refused: by this server. */
  readonly connections: { readonly open: number; readonly refused: number };
  /** Request bytes this server holds for unfinished messages (./request-bytes.ts). */
  readonly requestBytes: { readonly held: number };
  /** Calls (HTTP/2 streams) open right now. */
  readonly inFlight: () => number;
  /** Closes the listeners (new connections are refused); established ones are untouched. Idempotent. */
  stopAccepting(): Promise<void>;
  /** Stops accepting, health NOT_SERVING, lets calls in flight finish for up to graceMs, then cuts the rest.
   * forced: calls were still in flight when the grace period ended (not mere idle connections). */
  shutdown(graceMs: number): Promise<{ forced: boolean }>;
}

/** Defaults, overridden by the shorthand message sizes, overridden by explicit limits. */
function resolveLimits(opts: Pick<ServerOptions, "limits" | "maxReceiveMessageBytes" | "maxSendMessageBytes">): Limits {
  const shorthand: Partial<Limits> = {
    ...(opts.maxReceiveMessageBytes !== undefined && { maxReceiveMessageBytes: opts.maxReceiveMessageBytes }),
    ...(opts.maxSendMessageBytes !== undefined && { maxSendMessageBytes: opts.maxSendMessageBytes }),
  };
  return { ...DEFAULT_LIMITS, ...shorthand, ...opts.limits };
}

/** The application services plus the standard ones (health, reflection) that describe them. */
function withStandardServices(opts: ServerOptions, health: HealthState | undefined): ServiceDef[] {
  const names = opts.services.map((s) => s.name);
  const all = [...opts.services];
  if (health) all.push(healthService(health));
  if (opts.reflection ?? true) all.push(...reflectionServices(health ? [...names, "grpc.health.v1.Health"] : names));
  return all;
}

function engineOf(opts: Pick<ServerOptions, "engine" | "fastPath">): ServerEngine {
  return opts.fastPath === false ? "grpc-js" : (opts.engine ?? "lean");
}

/** What is done with each accepted socket: the CID allow-list, a connection slot, then the engine. */
function acceptor(opts: ServerOptions, limits: Limits, gate: ConnectionGate, engine: Engine): OnConnection {
  return (socket, peer) => {
    if (!admits(peer, opts.allowCids)) {
      log.warn(`refused connection from ${formatPeer(peer)}: CID not in the allowed list`);
      socket.destroy();
      return;
    }
    const slot = gate.take() ?? engine.evictIdle();
    if (slot === undefined) {
      gate.refused++;
      log.debug(`refused connection from ${formatPeer(peer)}: ${limits.maxConnections} open, none idle here`);
      socket.destroy();
      return;
    }
    socket.once("close", () => slot.release());
    log.debug(`connection from ${formatPeer(peer)}`);
    // A peer that vanishes mid-handshake must not surface as an unhandled error.
    socket.on("error", (err) => log.debug(`connection from ${formatPeer(peer)}: ${err.message}`));
    exposePeer(socket, peer);
    engine.accept(socket, slot);
  };
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const limits = resolveLimits(opts);
  const health = (opts.health ?? true) ? new HealthState(opts.services.map((s) => s.name)) : undefined;
  const services = withStandardServices(opts, health);
  if (opts.tls) serverCredentials(opts.tls); // a bad certificate is one error at start, whatever the engine
  const requestBytes = new RequestBytes(
    limits.maxConnectionRequestBytes,
    limits.maxRequestBytes,
    opts.requestByteCount,
  );
  const engine =
    engineOf(opts) === "lean"
      ? leanEngine(services, limits, opts.tls, requestBytes)
      : grpcJsEngine(services, opts.services, limits, opts.tls, opts.fastPath !== false, requestBytes);

  const gate = new ConnectionGate(limits.maxConnections, opts.connectionCount);
  const listeners: Listener[] = [];
  const sources: Array<(onConnection: OnConnection) => Promise<Listener>> = opts.specs
    ? opts.specs.map((spec) => (cb) => listenSpec(spec, cb))
    : opts.addresses.map((addr) => (cb) => listen(addr, cb));
  try {
    for (const source of sources) {
      listeners.push(await source(acceptor(opts, limits, gate, engine)));
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    engine.destroy();
    throw err;
  }

  let closing: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => {
    closing ??= Promise.all(listeners.map((l) => l.close())).then(() => {});
    return closing;
  };

  return {
    listeners,
    health,
    limits,
    connections: {
      get open() {
        return gate.open;
      },
      get refused() {
        return gate.refused;
      },
    },
    requestBytes: {
      get held() {
        return requestBytes.held;
      },
    },
    inFlight: engine.inFlight,
    stopAccepting,
    async shutdown(graceMs) {
      // Listeners first: whoever sees NOT_SERVING and reconnects must find the door shut.
      await stopAccepting();
      health?.drain();
      const outcome = await within(engine.drain(), graceMs, "expired" as const);
      if (outcome === "expired") {
        // Connections can outlast their calls (a client slow to close its side after GOAWAY); only a
        // call cut makes the shutdown forced.
        const cut = engine.inFlight();
        log.debug(`grace period over with ${cut} call(s) in flight`);
        engine.destroy();
        return { forced: cut > 0 };
      }
      return { forced: false };
    },
  };
}
