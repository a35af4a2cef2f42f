// What server.ts asks of an engine, whichever serves the connections: the lean one (h2/) or grpc-js
// (grpcjs/).
import type { Duplex } from "node:stream";
import type { ConnectionSlot } from "./limits.ts";

/** How connections are served: accepted sockets in, calls drained or cut at shutdown. */
export interface Engine {
  accept(socket: Duplex, slot: ConnectionSlot): void;
  /** At the connection limit: closes an idle connection and returns its slot, or undefined if none. */
  evictIdle(): ConnectionSlot | undefined;
  readonly inFlight: () => number;
  /** GOAWAY everywhere; resolves when the calls in flight have finished. */
  drain(): Promise<unknown>;
  destroy(): void;
}
