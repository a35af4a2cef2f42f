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
        this.settle();
      },
      closed: (session) => {
        this.sessions.delete(session);
        this.settle();
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

  /** GOAWAY to every connection; resolves when every call has finished and every connection closed. */
  drain(): Promise<void> {
    this.draining = true;
    for (const s of this.sessions) s.drain();
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cuts every connection, calls and all. */
  destroy(): void {
    for (const s of [...this.sessions]) s.destroy();
  }

  private isIdle(): boolean {
    return this.open === 0 && this.sessions.size === 0;
  }

  private settle(): void {
    if (this.draining && this.isIdle()) for (const w of this.idleWaiters.splice(0)) w();
  }
}
