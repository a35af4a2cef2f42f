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
   * TCP on Bun's own socket, not node:net (./tcp-light.ts): for one-shot clients, whose start it shortens.
   * Plaintext only: TLS wraps a node:net socket. Other transports ignore it.
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
