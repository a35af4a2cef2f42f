// The one FFI-backed code path shared by Unix sockets and VSOCK: libc creates, binds and connects the
// socket (Bun's node:net knows no AF_VSOCK), then Bun's event loop adopts the file descriptor and does
// all the I/O. Only the socket address and the peer description differ per family.
import net from "node:net";
import type { Duplex } from "node:stream";
import { NativeUnavailable } from "../../native/libc.ts";
import {
  bindSocket,
  closeFd,
  connectFinished,
  listenSocket,
  openStreamSocket,
  pendingError,
  type SysResult,
  startConnect,
} from "../../native/socket.ts";
import { describeErrno, TransportError } from "./errors.ts";
import { adoptLight } from "./light-socket.ts";

/** Largest backlog Linux accepts (somaxconn); a bench opening many connections at once must not see EAGAIN. */
const BACKLOG = 4096;

function sysError(action: string, where: string, errno: string): TransportError {
  return new TransportError(`${action} ${where}: ${describeErrno(errno)} (${errno})`, errno);
}

/** Runs a native call, turning "libc cannot be loaded" into a TransportError like any other failure. */
function native<T>(action: string, where: string, call: () => SysResult<T>): SysResult<T> {
  try {
    return call();
  } catch (err) {
    if (err instanceof NativeUnavailable) throw new TransportError(`${action} ${where}: ${err.message}`);
    throw err;
  }
}

/** socket + bind + listen; the fd is returned still owned by the caller. */
export function bindListeningFd(family: number, addr: Buffer, where: string): number {
  const s = native("cannot listen on", where, () => openStreamSocket(family));
  if (!s.ok) throw sysError("cannot listen on", where, s.errno);
  const fd = s.value;
  const bound = bindSocket(fd, addr);
  const listening = bound.ok ? listenSocket(fd, BACKLOG) : bound;
  if (!listening.ok) {
    closeFd(fd);
    throw sysError("cannot listen on", where, listening.errno);
  }
  return fd;
}

/** The file descriptor behind an accepted Bun socket; Bun keeps it on the native handle. */
export function fdOf(socket: net.Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === "number" && fd >= 0 ? fd : undefined;
}

/** Hands a listening fd to Bun's event loop; each accepted connection goes to onSocket. */
export function adoptListeningFd(
  fd: number,
  where: string,
  onSocket: (socket: net.Socket) => void,
): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer(onSocket);
    server.once("error", (err) => {
      closeFd(fd);
      reject(new TransportError(`cannot listen on ${where}: ${err.message}`));
    });
    server.listen({ fd }, () => {
      server.removeAllListeners("error");
      resolve(server);
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Connects without ever blocking the event loop: a blocking VSOCK connect can stall for the kernel's
 * connect timeout (2 s). The socket is polled with a zero timeout, backing off from 1 ms to 20 ms.
 * EAGAIN (AF_UNIX with a full backlog) is retried until the deadline, like a TCP SYN would be.
 */
export async function connectFd(
  family: number,
  addr: Buffer,
  where: string,
  timeoutMs: number,
  /** Bun's own socket takes the descriptor (./light-socket.ts), not node:net's. */
  light = false,
): Promise<Duplex> {
  const s = native("cannot connect to", where, () => openStreamSocket(family));
  if (!s.ok) throw sysError("cannot connect to", where, s.errno);
  const fd = s.value;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  const waitOrTimeOut = async () => {
    if (Date.now() >= deadline) {
      throw new TransportError(`cannot connect to ${where}: timed out after ${timeoutMs} ms (ETIMEDOUT)`, "ETIMEDOUT");
    }
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 20);
  };
  try {
    for (;;) {
      const started = startConnect(fd, addr);
      if (started.ok && started.value === "connected") break;
      if (!started.ok) {
        if (started.errno === "EAGAIN") {
          await waitOrTimeOut();
          continue;
        }
        throw sysError("cannot connect to", where, started.errno);
      }
      for (;;) {
        const done = connectFinished(fd);
        if (!done.ok) throw sysError("cannot connect to", where, done.errno);
        if (done.value) break;
        await waitOrTimeOut();
      }
      const result = pendingError(fd);
      if (!result.ok) throw sysError("cannot connect to", where, result.errno);
      if (result.value !== undefined) throw sysError("cannot connect to", where, result.value);
      break;
    }
  } catch (err) {
    closeFd(fd);
    throw err;
  }
  return light ? adoptLightFd(fd, where) : adoptConnectedFd(fd, where);
}

async function adoptLightFd(fd: number, where: string): Promise<Duplex> {
  try {
    return await adoptLight(fd);
  } catch (err) {
    closeFd(fd);
    throw new TransportError(`cannot connect to ${where}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** `new net.Socket().connect({ fd })`: the form Bun supports (`new net.Socket({ fd })` is broken there). */
function adoptConnectedFd(fd: number, where: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket = new net.Socket();
    socket.once("error", (err) => reject(new TransportError(`cannot connect to ${where}: ${err.message}`)));
    // Bun ignores the callback argument for { fd }; the "connect" event does fire.
    socket.once("connect", () => {
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.connect({ fd } as unknown as net.SocketConnectOpts);
  });
}
