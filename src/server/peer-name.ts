// A client's "host:port", as grpc-js's getPeer() gives it, for both server connections (HTTP/2 and
// HTTP/1.1); a Unix socket or VSOCK peer has no port, and an address Bun cannot tell is "".
import type { Duplex } from "node:stream";

export function peerNameOf(socket: Duplex): string {
  const s = socket as Duplex & { remoteAddress?: string; remotePort?: number };
  const address = s.remoteAddress ?? "";
  return s.remotePort === undefined || address === "" ? address : `${address}:${s.remotePort}`;
}
