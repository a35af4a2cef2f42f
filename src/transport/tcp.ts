import net from "node:net";
import type { Duplex } from "node:stream";
import { type Address, formatAddress } from "./address.ts";
import { TransportError, transportError } from "./errors.ts";
import type { ConnectOptions, Listener, OnConnection } from "./types.ts";

type TcpAddress = Extract<Address, { kind: "tcp" }>;

interface TcpListenOptions {
  /** SO_REUSEPORT: several threads each bind the same port and the kernel spreads connections over them. */
  readonly reusePort?: boolean;
}

export function listenTcp(
  addr: TcpAddress,
  onConnection: OnConnection,
  opts: TcpListenOptions = {},
): Promise<Listener> {
  const where = formatAddress(addr);
  return new Promise((resolve, reject) => {
    const server = net.createServer({ noDelay: true }, (socket) => {
      socket.setNoDelay(true);
      onConnection(socket, { kind: "tcp", host: socket.remoteAddress ?? "", port: socket.remotePort ?? 0 });
    });
    server.once("error", (err) => reject(transportError("cannot listen on", where, err)));
    const share = opts.reusePort ? { reusePort: true } : { exclusive: true };
    server.listen({ host: addr.host, port: addr.port, ...share }, () => {
      const bound = server.address();
      const port = typeof bound === "object" && bound ? bound.port : addr.port;
      resolve({
        address: { kind: "tcp", host: addr.host, port },
        // server.close()'s callback waits for every accepted connection to end; those belong to the
        // HTTP/2 layer, which drains them itself, so stop accepting and return at once.
        close: () => {
          server.close();
          return Promise.resolve();
        },
      });
    });
  });
}

/**
 * Binds the address exclusively and lets it go again: proves nobody (not even a SO_REUSEPORT group of
 * the same user, which a reusePort bind would silently join) holds the port, and resolves port 0.
 */
export async function reserveTcpPort(addr: TcpAddress): Promise<TcpAddress> {
  const probe = await listenTcp(addr, (socket) => socket.destroy());
  await probe.close();
  return probe.address as TcpAddress;
}

export function connectTcp(addr: TcpAddress, opts: ConnectOptions = {}): Promise<Duplex> {
  const where = formatAddress(addr);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: addr.host, port: addr.port, noDelay: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (opts.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        socket.destroy();
        reject(new TransportError(`cannot connect to ${where}: timed out after ${opts.timeoutMs} ms`, "ETIMEDOUT"));
      }, opts.timeoutMs);
    }
    socket.once("error", (err) => {
      clearTimeout(timer);
      reject(transportError("cannot connect to", where, err));
    });
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
