// The lean server engine: each accepted connection gets a ServerConnection of our own HTTP/2 code, and every
// stream goes through router.ts. The server-wide parts: calls in flight, graceful drain and forced close,
// and which connection to close when --max-connections is reached.
import type { Duplex } from "node:stream";
import { ErrorCode } from "../../h2/errors.ts";
import { log } from "../../log.ts";
import type { Engine } from "../engine.ts";
import type { MethodDef, ServiceDef } from "../handler.ts";
import type { ConnectionSlot, Limits } from "../limits.ts";
import { RequestBytes } from "../request-bytes.ts";
import { type ServerTls, tlsWrapper } from "../tls.ts";
import { ServerConnection } from "./connection.ts";
import type { ConnectionCore, SessionEvents } from "./core.ts";
import { router } from "./router.ts";
import type { OnStream } from "./stream.ts";

/** GOAWAY debug data for a connection closed to make room for a new one. */
const EVICTED = "connection_limit";

/** The engine's view of one connection: its place under the limit and how many streams it has open. */
interface Conn {
  session: ServerConnection | undefined;
  readonly slot: ConnectionSlot | undefined;
  streams: number;
  /** Closed, or chosen to close: never idle (evictable) again. */
  leaving: boolean;
}

class LeanEngine {
  private readonly sessions = new Set<ConnectionCore>();
  /** Connections with no stream open, longest idle first: a Set iterates in insertion order, and a
   * connection is re-added each time its last stream closes. */
  private readonly idle = new Set<Conn>();
  private readonly onStream: OnStream;
  private open = 0;
  private idleWaiters: Array<() => void> = [];
  private draining = false;

  constructor(
    methods: ReadonlyMap<string, MethodDef>,
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
    const conn: Conn = { session: undefined, slot, streams: 0, leaving: false };
    const session = new ServerConnection(socket, this.limits, this.eventsFor(conn), this.requestBytes);
    conn.session = session;
    this.sessions.add(session);
    this.idle.add(conn);
    if (this.draining) session.drain();
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
      log.debug(`connection limit reached: closing idle connection ${conn.session?.peer ?? ""} to make room`);
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
    for (const s of this.sessions) s.drain();
    if (this.sessions.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cuts every connection, calls and all. */
  destroy(): void {
    for (const s of [...this.sessions]) s.destroy();
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
      closed: (session) => {
        conn.leaving = true;
        this.idle.delete(conn);
        this.sessions.delete(session);
        if (this.draining && this.sessions.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      },
      debug: (message) => log.debug(message),
    };
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
