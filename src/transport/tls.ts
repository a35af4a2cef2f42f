// Client-side TLS over any transport's Duplex: the handshake runs on the connected stream, so TLS works
// the same over TCP, Unix sockets and VSOCK. Certificate errors become one readable TransportError.
import type { Duplex } from "node:stream";
import { TransportError } from "./errors.ts";

export interface ClientTls {
  /** CA bundle to trust (PEM); the system's roots when absent. */
  readonly caPem?: Buffer;
  /** Client certificate and key (PEM), for servers that require mTLS. */
  readonly certPem?: Buffer;
  readonly keyPem?: Buffer;
  /** The name the server's certificate must carry; also sent as SNI when it is not an IP address. */
  readonly serverName: string;
  /** Skip verification of the server's certificate (self-signed test servers only). */
  readonly insecure?: boolean;
}

/**
 * `alpn`: the one protocol offered and required, h2 for gRPC's clients; http/1.1 for `--http1` (offering h2
 * too would have a server that prefers it, as Go's and grpcperf's do, agree to a protocol the client will
 * not speak).
 */
export async function wrapTls(
  socket: Duplex,
  cfg: ClientTls,
  timeoutMs = 10_000,
  alpn: "h2" | "http/1.1" = "h2",
): Promise<Duplex> {
  // Loaded on the first TLS connection, not at every start of a plaintext `call` (docs/performance.md, "Start-up").
  // node:net too: with the lean client a plaintext `call` connects without it (./tcp-light.ts).
  const [tls, { isIP }] = await Promise.all([import("node:tls"), import("node:net")]);
  return new Promise((resolve, reject) => {
    const secure = tls.connect({
      socket,
      ALPNProtocols: [alpn],
      servername: isIP(cfg.serverName) ? undefined : cfg.serverName,
      ca: cfg.caPem,
      cert: cfg.certPem,
      key: cfg.keyPem,
      rejectUnauthorized: !cfg.insecure,
      checkServerIdentity: (_host, cert) => tls.checkServerIdentity(cfg.serverName, cert),
    });
    const timer = setTimeout(() => {
      secure.destroy();
      reject(new TransportError(`TLS handshake with ${cfg.serverName}: timed out after ${timeoutMs} ms`, "ETIMEDOUT"));
    }, timeoutMs);
    secure.once("error", (err: Error & { code?: string }) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new TransportError(`TLS handshake with ${cfg.serverName} failed: ${err.message}`, err.code));
    });
    secure.once("secureConnect", () => {
      clearTimeout(timer);
      secure.removeAllListeners("error");
      // A peer that names no protocol may still speak HTTP/1.1 (ALPN came after it); not HTTP/2 (RFC 9113 §3.3).
      if (secure.alpnProtocol !== alpn && (alpn === "h2" || secure.alpnProtocol)) {
        secure.destroy();
        const want = alpn === "h2" ? "HTTP/2 (ALPN h2)" : "HTTP/1.1 (ALPN http/1.1)";
        reject(new TransportError(`TLS peer ${cfg.serverName} did not agree to ${want}`));
        return;
      }
      resolve(secure);
    });
  });
}
