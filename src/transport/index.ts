// Dispatch from an address to the transport that serves it. Each transport yields plain Duplex streams,
// so everything above this layer (HTTP/2, gRPC, services, bench) is transport-agnostic.
import type { Duplex } from "node:stream";
import type { Address } from "./address.ts";
import { TransportError } from "./errors.ts";
import { connectHvsock } from "./hvsock.ts";
import { connectTcp, listenTcp } from "./tcp.ts";
import type { ConnectOptions, Listener, OnConnection } from "./types.ts";
import { connectUnix, listenUnix } from "./unix.ts";
import { connectVsock, listenVsock } from "./vsock.ts";

export function listen(addr: Address, onConnection: OnConnection): Promise<Listener> {
  switch (addr.kind) {
    case "tcp":
      return listenTcp(addr, onConnection);
    case "unix":
      return listenUnix(addr, onConnection);
    case "vsock":
      return listenVsock(addr, onConnection);
    case "hvsock":
      // The parser refuses this already; kept for callers that build addresses by hand.
      return Promise.reject(
        new TransportError(
          "hvsock is the host side of a VMM's socket: to accept guest connections listen on unix://PATH_PORT",
        ),
      );
  }
}

export function connect(addr: Address, opts: ConnectOptions = {}): Promise<Duplex> {
  switch (addr.kind) {
    case "tcp":
      return connectTcp(addr, opts);
    case "unix":
      return connectUnix(addr, opts);
    case "vsock":
      return connectVsock(addr, opts);
    case "hvsock":
      return connectHvsock(addr, opts);
  }
}
