// Dispatch from an address to the transport that serves it. Each transport yields plain Duplex streams,
// so everything above this layer (HTTP/2, gRPC, services, bench) is transport-agnostic.
import type { Duplex } from "node:stream";
import type { Address } from "./address.ts";
import { TransportError } from "./errors.ts";
import { connectTcp, listenTcp } from "./tcp.ts";
import type { ConnectOptions, Listener, OnConnection } from "./types.ts";

export function listen(addr: Address, onConnection: OnConnection): Promise<Listener> {
  switch (addr.kind) {
    case "tcp":
      return listenTcp(addr, onConnection);
    default:
      return Promise.reject(new TransportError(`${addr.kind} listening is not supported yet`));
  }
}

export function connect(addr: Address, opts: ConnectOptions = {}): Promise<Duplex> {
  switch (addr.kind) {
    case "tcp":
      return connectTcp(addr, opts);
    default:
      return Promise.reject(new TransportError(`${addr.kind} connections are not supported yet`));
  }
}
