// Native AF_VSOCK: the guest side everywhere, the host side under QEMU/vhost-vsock, and the parent of a
// Nitro-style enclave. Listening is fine on any machine with vsock; connecting reaches another VM or host.
import type { Duplex } from "node:stream";
import { AF_VSOCK, sockaddrVm, VMADDR_PORT_ANY } from "../../native/sockaddr.ts";
import { localCid, localName, peerName } from "../../native/socket.ts";
import { type Address, formatAddress } from "./address.ts";
import { TransportError } from "./errors.ts";
import { adoptListeningFd, bindListeningFd, connectFd, fdOf } from "./native.ts";
import type { ConnectOptions, Listener, OnConnection, Peer } from "./types.ts";

type VsockAddress = Extract<Address, { kind: "vsock" }>;

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Adds what a vsock errno means in practice: no vsock in this kernel, a CID that is not ours, or (on
 * connect) a reset, which is how the virtio transport says that nothing listens on the port. */
function explain(err: unknown): unknown {
  if (!(err instanceof TransportError)) return err;
  if (err.errno === "ECONNRESET" && err.message.startsWith("cannot connect to")) {
    return new TransportError(`${err.message}: nothing listens on that port`, err.errno);
  }
  if (err.errno === "EAFNOSUPPORT") {
    return new TransportError(
      `${err.message}: this kernel has no vsock (load the vsock module, or run inside a VM with a vsock device)`,
      err.errno,
    );
  }
  if (err.errno === "EADDRNOTAVAIL") {
    const cid = ownCid();
    const hint = cid === undefined ? "" : ` (this machine's CID is ${cid}; listen on vsock://any:PORT)`;
    return new TransportError(`${err.message}${hint}`, err.errno);
  }
  return err;
}

/** socket + bind + listen; the address comes back with port 0 resolved to the port the kernel chose. */
export function bindVsock(addr: VsockAddress): { fd: number; address: VsockAddress } {
  const where = formatAddress(addr);
  // Port 0 means "pick a free port", as for TCP; the kernel's word for that is VMADDR_PORT_ANY.
  const port = addr.port === 0 ? VMADDR_PORT_ANY : addr.port;
  let fd: number;
  try {
    fd = bindListeningFd(AF_VSOCK, sockaddrVm(addr.cid, port), where);
  } catch (err) {
    throw explain(err);
  }
  const bound = localName(fd);
  const address: VsockAddress =
    bound.ok && bound.value.family === "vsock" ? { kind: "vsock", cid: addr.cid, port: bound.value.port } : addr;
  return { fd, address };
}

export async function listenVsock(addr: VsockAddress, onConnection: OnConnection): Promise<Listener> {
  const { fd, address } = bindVsock(addr);
  return adoptVsock(address, fd, onConnection);
}

/** Serves an already listening VSOCK fd (this thread's own descriptor; closed by close()). */
export async function adoptVsock(address: VsockAddress, fd: number, onConnection: OnConnection): Promise<Listener> {
  const server = await adoptListeningFd(fd, formatAddress(address), (socket) => {
    const peer = vsockPeer(fdOf(socket));
    if (!peer) {
      // Without the peer's CID an --allow-cid check is impossible; such a socket is already dead anyway.
      socket.destroy();
      return;
    }
    onConnection(socket, peer);
  });
  return {
    address,
    close: () => {
      server.close();
      return Promise.resolve();
    },
  };
}

function vsockPeer(fd: number | undefined): Peer | undefined {
  if (fd === undefined) return undefined;
  const name = peerName(fd);
  return name.ok && name.value.family === "vsock"
    ? { kind: "vsock", cid: name.value.cid, port: name.value.port }
    : undefined;
}

export async function connectVsock(addr: VsockAddress, opts: ConnectOptions = {}): Promise<Duplex> {
  try {
    return await connectFd(
      AF_VSOCK,
      sockaddrVm(addr.cid, addr.port),
      formatAddress(addr),
      opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      opts.light,
    );
  } catch (err) {
    throw explain(err);
  }
}

/** This machine's CID (3 and up in a guest, 2 on a host), for messages and the ready line. */
function ownCid(): number | undefined {
  try {
    const r = localCid();
    return r.ok ? r.value : undefined;
  } catch {
    return undefined;
  }
}
