// Unix domain sockets, through the same FFI path as VSOCK (so the tests here exercise that path).
import { lstatSync, unlinkSync } from "node:fs";
import type { Duplex } from "node:stream";
import { AF_UNIX, sockaddrUn } from "../../native/sockaddr.ts";
import { type Address, formatAddress } from "./address.ts";
import { TransportError } from "./errors.ts";
import { adoptListeningFd, bindListeningFd, connectFd } from "./native.ts";
import type { ConnectOptions, Listener, OnConnection } from "./types.ts";

type UnixAddress = Extract<Address, { kind: "unix" }>;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** A stale-socket probe only needs to tell "refused" from "accepted"; a live server answers at once. */
const PROBE_TIMEOUT_MS = 1_000;

type FileState = "absent" | "socket" | "other";

function fileState(path: string): FileState {
  try {
    return lstatSync(path).isSocket() ? "socket" : "other";
  } catch {
    return "absent";
  }
}

function inodeOf(path: string): string | undefined {
  try {
    const st = lstatSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** True when something accepts connections on the socket file; false when it is a leftover. */
async function someoneListens(addr: UnixAddress): Promise<boolean> {
  try {
    const probe = await connectUnix(addr, { timeoutMs: PROBE_TIMEOUT_MS });
    probe.destroy();
    return true;
  } catch (err) {
    // Refused: the file is a leftover of a dead server. Anything else (a timeout: a server too busy to
    // accept) is treated as alive, so a live server's socket is never removed.
    return !(err instanceof TransportError && err.errno === "ECONNREFUSED");
  }
}

/** A bound, listening Unix socket not yet adopted by any event loop, and how to remove its file. */
interface BoundUnix {
  readonly fd: number;
  /** Removes the socket file if it is still ours (never a successor's). */
  readonly removeFile: () => void;
}

/** socket + bind + listen, replacing a leftover socket file nobody listens on. */
export async function bindUnix(addr: UnixAddress): Promise<BoundUnix> {
  const where = formatAddress(addr);
  const sockaddr = sockaddrUn(addr.path);
  let fd: number;
  try {
    fd = bindListeningFd(AF_UNIX, sockaddr, where);
  } catch (err) {
    if (!(err instanceof TransportError && err.errno === "EADDRINUSE")) throw err;
    const state = fileState(addr.path);
    if (state === "other") throw new TransportError(`cannot listen on ${where}: the path exists and is not a socket`);
    if (state === "socket" && (await someoneListens(addr))) throw err;
    // A stale socket file: nobody listens on it, so it is safe to replace.
    if (state === "socket") unlinkSync(addr.path);
    fd = bindListeningFd(AF_UNIX, sockaddr, where);
  }
  // The file's identity, so removeFile() removes only our own socket file and never a successor's.
  const ours = inodeOf(addr.path);
  return {
    fd,
    removeFile: () => {
      if (ours === undefined || inodeOf(addr.path) !== ours) return;
      try {
        unlinkSync(addr.path);
      } catch {
        // already gone
      }
    },
  };
}

export async function listenUnix(addr: UnixAddress, onConnection: OnConnection): Promise<Listener> {
  const bound = await bindUnix(addr);
  const listener = await adoptUnix(addr, bound.fd, onConnection);
  return {
    address: addr,
    close: async () => {
      await listener.close();
      bound.removeFile();
    },
  };
}

/** Serves an already listening Unix socket fd (this thread's own descriptor; closed by close()). */
export async function adoptUnix(addr: UnixAddress, fd: number, onConnection: OnConnection): Promise<Listener> {
  const server = await adoptListeningFd(fd, formatAddress(addr), (socket) => {
    onConnection(socket, { kind: "unix" });
  });
  return {
    address: addr,
    close: () => {
      server.close();
      return Promise.resolve();
    },
  };
}

export function connectUnix(addr: UnixAddress, opts: ConnectOptions = {}): Promise<Duplex> {
  const where = formatAddress(addr);
  return connectFd(AF_UNIX, sockaddrUn(addr.path), where, opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, opts.light);
}
