// Dispatch from an address to the transport that serves it. Each transport yields plain Duplex streams,
// so everything above this layer (HTTP/2, gRPC, services, bench) is transport-agnostic.
import type { Duplex } from "node:stream";
import type { Address } from "./address.ts";
import { TransportError } from "./errors.ts";
import type { ConnectOptions, Listener, OnConnection } from "./types.ts";

// Unix sockets, VSOCK and hvsock load when an address of theirs is used: they bring bun:ffi, node:os and
// node:fs, which a TCP `call echo` would otherwise load at every start (docs/performance.md, "Start-up").
const unix = () => import("./unix.ts");
// node:net too, for TCP: the lean client connects with ./tcp-light.ts and never loads it.
const tcp = () => import("./tcp.ts");
const vsock = () => import("./vsock.ts");

export async function listen(addr: Address, onConnection: OnConnection): Promise<Listener> {
  switch (addr.kind) {
    case "tcp":
      return (await tcp()).listenTcp(addr, onConnection);
    case "unix":
      return (await unix()).listenUnix(addr, onConnection);
    case "vsock":
      return (await vsock()).listenVsock(addr, onConnection);
    case "hvsock":
      // The parser refuses this already; kept for callers that build addresses by hand.
      throw new TransportError(
        "hvsock is the host side of a VMM's socket: to accept guest connections listen on unix://PATH_PORT",
      );
  }
}

export async function connect(addr: Address, opts: ConnectOptions = {}): Promise<Duplex> {
  switch (addr.kind) {
    case "tcp":
      return opts.light
        ? (await import("./tcp-light.ts")).connectTcpLight(addr, opts)
        : (await tcp()).connectTcp(addr, opts);
    case "unix":
      return (await unix()).connectUnix(addr, opts);
    case "vsock":
      return (await vsock()).connectVsock(addr, opts);
    case "hvsock":
      return (await import("./hvsock.ts")).connectHvsock(addr, opts);
  }
}
