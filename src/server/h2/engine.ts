// The lean server engine: each accepted connection gets a ServerSession of our own HTTP/2 code, and every
// stream goes through router.ts. The server-wide parts: calls in flight, graceful drain and forced close.
import type { Duplex } from "node:stream";
import { log } from "../../log.ts";
import type { MethodDef } from "../handler.ts";
import type { Limits } from "../limits.ts";
import { router } from "./router.ts";
import { ServerSession, type SessionEvents } from "./session.ts";

export class LeanEngine {
  private readonly sessions = new Set<ServerSession>();
  private readonly events: SessionEvents;
  private open = 0;
  private idleWaiters: Array<() => void> = [];
  private draining = false;

  constructor(
    methods: ReadonlyMap<string, MethodDef>,
    private readonly limits: Limits,
  ) {
    this.events = {
      onStream: router(methods, limits),
      streamOpened: () => {
        this.open++;
      },
      streamClosed: () => {
        this.open--;
      },
      closed: (session) => {
        this.sessions.delete(session);
        if (this.draining && this.sessions.size === 0) for (const w of this.idleWaiters.splice(0)) w();
      },
      debug: (message) => log.debug(message),
    };
  }

  /** Calls (HTTP/2 streams) open now. */
  get inFlight(): number {
    return this.open;
  }

  accept(socket: Duplex): void {
    const session = new ServerSession(socket, this.limits, this.events);
    this.sessions.add(session);
    if (this.draining) session.drain();
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
}
