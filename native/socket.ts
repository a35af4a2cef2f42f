// Socket syscalls as small typed functions. Each returns a SysResult carrying the errno *name* (EADDRINUSE,
// …) on failure, so callers above never see raw numbers or -1. File descriptors are plain numbers here;
// once one is handed to Bun's event loop (listen({ fd }) / connect({ fd })) Bun owns and closes it.
import { constants } from "node:os";
import { errno, libc } from "./libc.ts";
import { type DecodedSockaddr, decodeSockaddr, SOCKADDR_MAX } from "./sockaddr.ts";

export type SysResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errno: string };

const SOCK_STREAM = 1;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_ERROR = 4;
const POLLOUT = 0x004;
const POLLERR = 0x008;
const POLLHUP = 0x010;
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030;
/** IOCTL_VM_SOCKETS_GET_LOCAL_CID: _IO(7, 0xb9). */
const IOCTL_VM_SOCKETS_GET_LOCAL_CID = 0x7b9;

// errno numbers differ between architectures; node:os knows the right table for this one. Where two names
// share a number (EAGAIN/EWOULDBLOCK) the first, canonical one is kept.
const errnoNames = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!errnoNames.has(n)) errnoNames.set(n, name);

export function errnoName(n: number): string {
  return errnoNames.get(n) ?? `errno ${n}`;
}

function fail<T>(): SysResult<T> {
  return { ok: false, errno: errnoName(errno()) };
}

/** A non-blocking, close-on-exec stream socket of the given family. */
export function openStreamSocket(family: number): SysResult<number> {
  const fd = libc().socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  return fd < 0 ? fail() : { ok: true, value: fd };
}

export function bindSocket(fd: number, addr: Buffer): SysResult<void> {
  return libc().bind(fd, addr, addr.length) < 0 ? fail() : { ok: true, value: undefined };
}

export function listenSocket(fd: number, backlog: number): SysResult<void> {
  return libc().listen(fd, backlog) < 0 ? fail() : { ok: true, value: undefined };
}

/** "connected" at once (typical for AF_UNIX), "pending" while a non-blocking connect is in flight. */
export function startConnect(fd: number, addr: Buffer): SysResult<"connected" | "pending"> {
  if (libc().connect(fd, addr, addr.length) === 0) return { ok: true, value: "connected" };
  const r = fail<"connected" | "pending">();
  return !r.ok && r.errno === "EINPROGRESS" ? { ok: true, value: "pending" } : r;
}

/** Non-blocking check whether a pending connect has finished (either way). */
export function connectFinished(fd: number): SysResult<boolean> {
  const pfd = Buffer.alloc(8); // struct pollfd { int fd; short events; short revents; }
  pfd.writeInt32LE(fd, 0);
  pfd.writeInt16LE(POLLOUT, 4);
  const n = libc().poll(pfd, 1, 0);
  if (n < 0) return fail();
  return { ok: true, value: n > 0 && (pfd.readInt16LE(6) & (POLLOUT | POLLERR | POLLHUP)) !== 0 };
}

/** SO_ERROR: the outcome of a finished non-blocking connect (undefined = success). */
export function pendingError(fd: number): SysResult<string | undefined> {
  const value = new Int32Array(1);
  const len = new Uint32Array([4]);
  if (libc().getsockopt(fd, SOL_SOCKET, SO_ERROR, value, len) < 0) return fail();
  const code = value[0] ?? 0;
  return { ok: true, value: code === 0 ? undefined : errnoName(code) };
}

function nameOf(call: "getsockname" | "getpeername", fd: number): SysResult<DecodedSockaddr> {
  const buf = new Uint8Array(SOCKADDR_MAX);
  const len = new Uint32Array([SOCKADDR_MAX]);
  if (libc()[call](fd, buf, len) < 0) return fail();
  return { ok: true, value: decodeSockaddr(buf, len[0] ?? 0) };
}

export const localName = (fd: number) => nameOf("getsockname", fd);
export const peerName = (fd: number) => nameOf("getpeername", fd);

/**
 * A second descriptor for the same open socket (close-on-exec). Threads share one fd table, so each
 * thread that adopts a shared listening socket needs its own number: closing it then never pulls the
 * socket from under another thread, nor closes a number the kernel has since reused.
 */
export function dupFd(fd: number): SysResult<number> {
  const copy = libc().fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return copy < 0 ? fail() : { ok: true, value: copy };
}

export function closeFd(fd: number): void {
  libc().close(fd);
}

/** This machine's own vsock CID, from /dev/vsock (ENOENT there means no vsock in this kernel). */
export function localCid(): SysResult<number> {
  const fd = libc().open(Buffer.from("/dev/vsock\0"), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail();
  try {
    const cid = new Uint32Array(1);
    if (libc().ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, cid) < 0) return fail();
    return { ok: true, value: cid[0] ?? 0 };
  } finally {
    libc().close(fd);
  }
}
