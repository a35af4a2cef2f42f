// The gRPC server: grpc-js does the HTTP/2 and gRPC work; our transports accept the connections and
// inject them, so TCP, Unix sockets and VSOCK are served by one code path.
import * as grpc from "@grpc/grpc-js";
import { log } from "../log.ts";
import { DEFAULT_MAX_MESSAGE_BYTES } from "../rpc/client.ts";
import { type Address, formatAddress } from "../transport/address.ts";
import { listen } from "../transport/index.ts";
import { formatPeer, type Listener, type Peer } from "../transport/types.ts";
import { installFastPath } from "./fastpath.ts";
import type { ServiceDef, UnaryDirect } from "./handler.ts";

export interface ServerOptions {
  readonly addresses: readonly Address[];
  readonly services: readonly ServiceDef[];
  readonly maxReceiveMessageBytes?: number;
  readonly maxSendMessageBytes?: number;
  /** Serve unary methods straight off HTTP/2 (fastpath.ts); false leaves every call to grpc-js. */
  readonly fastPath?: boolean;
  /** VSOCK peers outside this set are disconnected at accept (--allow-cid); other transports are unaffected. */
  readonly allowCids?: ReadonlySet<number>;
}

/** Whether a connection may proceed: only a VSOCK peer can be refused, and only by CID. */
export function admits(peer: Peer, allowCids: ReadonlySet<number> | undefined): boolean {
  return peer.kind !== "vsock" || allowCids === undefined || allowCids.has(peer.cid);
}

/**
 * grpc-js builds call.getPeer() (CallContext.peer) from the socket's remoteAddress/remotePort, which Bun
 * leaves empty for adopted Unix and VSOCK sockets; fill them in so handlers see "vsock:CID:PORT".
 */
function exposePeer(socket: object, peer: Peer): void {
  if (peer.kind === "tcp") return;
  const [address, port] = peer.kind === "vsock" ? [`vsock:${peer.cid}`, peer.port] : ["unix", undefined];
  Object.defineProperty(socket, "remoteAddress", { value: address, configurable: true });
  Object.defineProperty(socket, "remotePort", { value: port, configurable: true });
}

export interface RunningServer {
  readonly listeners: readonly Listener[];
  /** Stops accepting, lets calls in flight finish for up to graceMs, then cuts what is left. */
  shutdown(graceMs: number): Promise<{ forced: boolean }>;
}

export function buildGrpcServer(opts: ServerOptions): grpc.Server {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": opts.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
  });
  for (const service of opts.services) {
    for (const m of service.methods) {
      const type = m.requestStream
        ? m.responseStream
          ? "bidi"
          : "clientStream"
        : m.responseStream
          ? "serverStream"
          : "unary";
      server.register(m.path, m.handler, m.serialize, m.deserialize, type);
    }
  }
  return server;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const server = buildGrpcServer(opts);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  if (opts.fastPath !== false) {
    const direct = new Map<string, UnaryDirect>();
    for (const service of opts.services) for (const m of service.methods) if (m.direct) direct.set(m.path, m.direct);
    installFastPath(server, direct, {
      maxReceiveMessageBytes: opts.maxReceiveMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      maxSendMessageBytes: opts.maxSendMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    });
  }
  const listeners: Listener[] = [];
  try {
    for (const addr of opts.addresses) {
      listeners.push(
        await listen(addr, (socket, peer) => {
          if (!admits(peer, opts.allowCids)) {
            log.warn(`refused connection from ${formatPeer(peer)}: CID not in the allowed list`);
            socket.destroy();
            return;
          }
          log.debug(`connection from ${formatPeer(peer)}`);
          exposePeer(socket, peer);
          injector.injectConnection(socket);
        }),
      );
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    server.forceShutdown();
    throw err;
  }

  return {
    listeners,
    async shutdown(graceMs) {
      await Promise.all(listeners.map((l) => l.close()));
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve({ forced: true });
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve({ forced: false });
        });
      });
    },
  };
}

export function describeListeners(listeners: readonly Listener[]): string {
  return listeners.map((l) => formatAddress(l.address)).join(", ");
}
