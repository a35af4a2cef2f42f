// One listening address served by several threads. The main thread binds (so a taken port or a bad path
// fails once, before any thread starts, and port 0 becomes one real port); each server thread then
// listens through a ListenSpec. TCP: every thread binds its own SO_REUSEPORT socket on the resolved port
// and the kernel spreads connections over them. Unix and VSOCK (no SO_REUSEPORT there): one socket,
// which every thread adopts through its own duplicate of the descriptor (threads share the fd table).
import { closeFd, dupFd } from "../../native/socket.ts";
import { type Address, formatAddress } from "./address.ts";
import { TransportError } from "./errors.ts";
import { listenTcp, reserveTcpPort } from "./tcp.ts";
import type { Listener, OnConnection } from "./types.ts";
import { adoptUnix, bindUnix } from "./unix.ts";
import { adoptVsock, bindVsock } from "./vsock.ts";

type TcpAddress = Extract<Address, { kind: "tcp" }>;
type FdAddress = Extract<Address, { kind: "unix" | "vsock" }>;

/** What a server thread needs to listen; plain data, so it crosses postMessage. */
export type ListenSpec =
  | { readonly kind: "reuseport"; readonly address: TcpAddress }
  | { readonly kind: "fd"; readonly address: FdAddress; readonly fd: number };

export interface SharedAddress {
  /** The address as bound: port 0 resolved. */
  readonly address: Address;
  /** One spec per server thread (an fd spec carries a fresh descriptor the thread then owns). */
  specForThread(): ListenSpec;
  /** Once every thread has stopped: closes the main thread's descriptor and removes our socket file. */
  release(): void;
}

export async function bindShared(addr: Address): Promise<SharedAddress> {
  switch (addr.kind) {
    case "tcp": {
      const address = await reserveTcpPort(addr);
      return { address, specForThread: () => ({ kind: "reuseport", address }), release: () => {} };
    }
    case "unix": {
      const bound = await bindUnix(addr);
      return fdShared(addr, bound.fd, bound.removeFile);
    }
    case "vsock": {
      const bound = bindVsock(addr);
      return fdShared(bound.address, bound.fd, () => {});
    }
    case "hvsock":
      throw new TransportError(
        "hvsock is the host side of a VMM's socket: to accept guest connections listen on unix://PATH_PORT",
      );
  }
}

function fdShared(address: FdAddress, fd: number, removeFile: () => void): SharedAddress {
  let open = true;
  return {
    address,
    specForThread: () => {
      const copy = dupFd(fd);
      if (!copy.ok)
        throw new TransportError(`cannot share ${formatAddress(address)} with a thread (${copy.errno})`, copy.errno);
      return { kind: "fd", address, fd: copy.value };
    },
    release: () => {
      if (!open) return;
      open = false;
      closeFd(fd);
      removeFile();
    },
  };
}

/** The server thread's side: listen as the spec says. */
export function listenSpec(spec: ListenSpec, onConnection: OnConnection): Promise<Listener> {
  if (spec.kind === "reuseport") return listenTcp(spec.address, onConnection, { reusePort: true });
  return spec.address.kind === "unix"
    ? adoptUnix(spec.address, spec.fd, onConnection)
    : adoptVsock(spec.address, spec.fd, onConnection);
}
