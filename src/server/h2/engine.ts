// The lean server engine: each accepted connection is told apart by its first bytes (or TLS's ALPN,
// ../http1/sniff.ts) and gets a ServerConnection of our own HTTP/2 code, every stream going through
// router.ts, or an HTTP/1.1 connection for Connect and gRPC-Web (../http1/). The server-wide parts: calls
// in flight, graceful drain and forced close, and which connection to close when --max-connections is
// reached.
import type { Duplex } from "node:stream";
import { ErrorCode } from "../../h2/errors.ts";
import { log } from "../../log.ts";
import type { Engine } from "../engine.ts";
import type { MethodDef, ServiceDef } from "../handler.ts";
import { Http1Connection, type Http1Events } from "../http1/connection.ts";
import { Sniffer, type Speaks } from "../http1/sniff.ts";
import type { ConnectionSlot, Limits } from "../limits.ts";
import { RequestBytes } from "../request-bytes.ts";
import { type ServerTls, tlsWrapper } from "../tls.ts";
import { ServerConnection } from "./connection.ts";
import type { SessionEvents } from "./core.ts";
import { router } from "./router.ts";
import type { OnStream } from "./stream.ts";

/** GOAWAY debug data for a connection closed to make room for a new one. */
const EVICTED = "connection_limit";

/** A connection as the engine drives it, whichever HTTP it speaks (or before it is known). */
interface Session {
  drain(code?: number, debug?: string): void;
  destroy(): void;
}

/** The engine's view of one connection: its place under the limit and how many streams it has open. */
interface Conn {
  session: Session | undefined;
  /** "host:port" of the client, for the log. */
  readonly socket: Duplex & { remoteAddress?: string };
  readonly slot: ConnectionSlot | undefined;
  streams: number;
  /** Closed, or chosen to close: never idle (evictable) again. */
  leaving: boolean;
}

class LeanEngine {
  private readonly sessions = new Set<Conn>();
  /** Connections with no stream open, longest idle first: a Set iterates in insertion order, and a
   * connection is re-added each time its last stream closes. */
  private readonly idle = new Set<Conn>();
  private readonly onStream: OnStream;
  private open = 0;
  private idleWaiters: Array<() => void> = [];
  private draining = false;

  constructor(
    private readonly methods: ReadonlyMap<string, MethodDef>,
    private readonly limits: Limits,
    private readonly requestBytes: RequestBytes = new RequestBytes(
      limits.maxConnectionRequestBytes,
      limits.maxRequestBytes,
    ),
  ) {
    this.onStream = router(methods, limits);
  }

  /** Calls (HTTP/2 streams) open now. */
  get inFlight(): number {
    return this.open;
  }

  /** `slot`: the connection's place under --max-connections, which evictIdle may pass on. */
  accept(socket: Duplex, slot?: ConnectionSlot): void {
    const conn: Conn = { session: undefined, socket, slot, streams: 0, leaving: false };
    this.sessions.add(conn);
    this.idle.add(conn);
    const debug = (message: string) => log.debug(message);
    conn.session = new Sniffer(
      socket,
      this.limits.handshakeTimeoutMs,
      (speaks, first) => this.begin(conn, socket, speaks, first),
      () => this.gone(conn),
      debug,
    );
    if (this.draining) conn.session.drain();
  }

  /** The first bytes told which HTTP the client speaks: its connection takes the socket and them. */
  private begin(conn: Conn, socket: Duplex, speaks: Speaks, first: Buffer): void {
    if (speaks === "h2") {
      const session = new ServerConnection(socket, this.limits, this.eventsFor(conn), this.requestBytes);
      conn.session = session;
      session.receive(first);
    } else {
      const config = { methods: this.methods, limits: this.limits, requestBytes: this.requestBytes };
      const session = new Http1Connection(socket, config, this.http1EventsFor(conn));
      conn.session = session;
      session.onData(first);
    }
    if (this.draining) conn.session.drain();
  }

  /**
   * nginx's rule when worker_connections run out: close an idle connection to make room rather than turn
   * the newcomer away. The one idle longest (no stream open; a connection that sent only the preface, or
   * nothing, counts from its accept) gets GOAWAY NO_ERROR and closes; its slot passes to the newcomer at
   * once. Undefined when every connection of this engine has a call open.
   */
  evictIdle(): ConnectionSlot | undefined {
    for (const conn of this.idle) {
      this.idle.delete(conn);
      conn.leaving = true;
      const slot = conn.slot?.handOver();
      if (slot === undefined) continue; // already closed underneath us; its slot went back by itself
      log.debug(`connection limit reached: closing idle connection ${conn.socket.remoteAddress ?? ""} to make room`);
      conn.session?.drain(ErrorCode.NO_ERROR, EVICTED);
      return slot;
    }
    return undefined;
  }

  /**
   * GOAWAY to every connection; resolves when every connection has closed. That is also when every call
   * has finished: a session closes only after its last stream, and a closing socket aborts any left.
   */
  drain(): Promise<void> {
    this.draining = true;
    for (const c of this.sessions) c.session?.drain();
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cuts every connection, calls and all. */
  destroy(): void {
    for (const c of [...this.sessions]) c.session?.destroy();
  }

  /** The session's callbacks, which also keep `conn`'s stream count and its place in the idle order. */
  private eventsFor(conn: Conn): SessionEvents {
    return {
      onStream: this.onStream,
      streamOpened: () => {
        this.open++;
        if (conn.streams++ === 0) this.idle.delete(conn);
      },
      streamClosed: () => {
        this.open--;
        if (--conn.streams === 0 && !conn.leaving) this.idle.add(conn);
      },
      closed: () => this.gone(conn),
      debug: (message) => log.debug(message),
    };
  }

  /** The same for an HTTP/1.1 connection: a request is a stream. */
  private http1EventsFor(conn: Conn): Http1Events {
    const events = this.eventsFor(conn);
    return {
      requestOpened: events.streamOpened,
      requestClosed: events.streamClosed,
      closed: () => this.gone(conn),
      debug: events.debug,
    };
  }

  /** The connection is finished (socket closed), whatever it spoke. */
  private gone(conn: Conn): void {
    conn.leaving = true;
    this.idle.delete(conn);
    this.sessions.delete(conn);
    if (this.draining && this.sessions.size === 0) for (const w of this.idleWaiters.splice(0)) w();
  }
}

/** The lean engine as server.ts uses it: TLS wrapped around each socket first, when asked for. */
export function leanEngine(
  services: readonly ServiceDef[],
  limits: Limits,
  tls: ServerTls | undefined,
  requestBytes: RequestBytes,
): Engine {
  const methods = new Map<string, MethodDef>();
  for (const service of services) for (const m of service.methods) methods.set(m.path, m);
  const engine = new LeanEngine(methods, limits, requestBytes);
  const wrap = tls ? tlsWrapper(tls) : undefined;
  return {
    accept: (socket, slot) => engine.accept(wrap ? wrap(socket) : socket, slot),
    evictIdle: () => engine.evictIdle(),
    inFlight: () => engine.inFlight,
    drain: () => engine.drain(),
    destroy: () => engine.destroy(),
  };
}
