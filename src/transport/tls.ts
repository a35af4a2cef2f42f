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

export async function wrapTls(socket: Duplex, cfg: ClientTls, timeoutMs = 10_000): Promise<Duplex> {
  // Loaded on the first TLS connection, not at every start of a plaintext `call` (docs/performance.md, "Start-up").
  // node:net too: with the lean client a plaintext `call` connects without it (./tcp-light.ts).
  const [tls, { isIP }] = await Promise.all([import("node:tls"), import("node:net")]);
  return new Promise((resolve, reject) => {
    const secure = tls.connect({
      socket,
      ALPNProtocols: ["h2"],
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
      if (secure.alpnProtocol !== "h2") {
        secure.destroy();
        reject(new TransportError(`TLS peer ${cfg.serverName} did not agree to HTTP/2 (ALPN h2)`));
        return;
      }
      resolve(secure);
    });
  });
}
