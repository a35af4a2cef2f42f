import type { Duplex } from "node:stream";
import type { Address } from "./address.ts";

/** Something that listens: it hands each accepted connection to the callback given to listen(). */
export interface Listener {
  /** The address actually bound (port 0 resolved to the real port). */
  readonly address: Address;
  /** Stops accepting; established connections are left to their owner. */
  close(): Promise<void>;
}

export type OnConnection = (socket: Duplex, peer: Peer) => void;

/** Who is on the other end, as far as the transport knows. */
export type Peer =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix" }
  | { readonly kind: "vsock"; readonly cid: number; readonly port: number };

export interface ConnectOptions {
  /** Give up connecting after this long (ms). */
  readonly timeoutMs?: number;
  /**
   * Bun's own socket, not node:net (./light-socket.ts), for the lean client: TCP, Unix sockets and VSOCK.
   * Plaintext only: TLS wraps a node:net socket. Hybrid vsock ignores it (its handshake hands over a stream).
   */
  readonly light?: boolean;
}

export function formatPeer(peer: Peer): string {
  switch (peer.kind) {
    case "tcp":
      return peer.host.includes(":") ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}`;
    case "unix":
      return "unix socket";
    case "vsock":
      return `vsock CID ${peer.cid} port ${peer.port}`;
  }
}
