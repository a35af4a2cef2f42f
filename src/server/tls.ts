// Server-side TLS: PEM material in, grpc-js credentials out, checked up front so a bad certificate or a
// key that does not match is one clear error at start, not a failed handshake per client.
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import type { Address } from "../transport/address.ts";

export interface ServerTls {
  readonly certPem: Buffer;
  readonly keyPem: Buffer;
  /** mTLS: clients must present a certificate signed by this CA. */
  readonly clientCaPem?: Buffer;
}

/** Throws an Error with a readable message when the PEM material is unusable. */
export function serverCredentials(cfg: ServerTls): grpc.ServerCredentials {
  try {
    tls.createSecureContext({ cert: cfg.certPem, key: cfg.keyPem, ca: cfg.clientCaPem });
  } catch (err) {
    throw new Error(`TLS certificate/key unusable: ${err instanceof Error ? err.message : String(err)}`);
  }
  return grpc.ServerCredentials.createSsl(
    cfg.clientCaPem ?? null,
    [{ cert_chain: cfg.certPem, private_key: cfg.keyPem }],
    cfg.clientCaPem !== undefined,
  );
}

/**
 * For the lean engine: wraps each accepted connection in a server-side TLS socket offering h2 first and
 * http/1.1 (Connect and gRPC-Web over HTTP/1.1, ./http1/), as connect-go's and Go's servers do; the engine
 * serves what ALPN agreed, or tells by the first bytes when the client named no protocol.
 */
export function tlsWrapper(cfg: ServerTls): (socket: Duplex) => Duplex {
  const secureContext = tls.createSecureContext({ cert: cfg.certPem, key: cfg.keyPem, ca: cfg.clientCaPem });
  const mtls = cfg.clientCaPem !== undefined;
  return (socket) =>
    new tls.TLSSocket(socket, {
      isServer: true,
      secureContext,
      ALPNProtocols: ["h2", "http/1.1"],
      requestCert: mtls,
      rejectUnauthorized: mtls,
    });
}

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h.startsWith("::ffff:127.");
}

/** Services that hand out signatures: serving them in plaintext beyond this machine deserves a warning. */
const SENSITIVE_SERVICES = new Set(["grpcperf.v1.Crypto"]);

/** The warning to log at start, if a sensitive service listens in plaintext on a non-loopback TCP address. */
export function plaintextExposureWarning(
  addresses: readonly Address[],
  serviceNames: readonly string[],
  tlsEnabled: boolean,
): string | undefined {
  if (tlsEnabled) return undefined;
  const sensitive = serviceNames.filter((n) => SENSITIVE_SERVICES.has(n));
  if (sensitive.length === 0) return undefined;
  const exposed = addresses.filter((a) => a.kind === "tcp" && !isLoopbackHost(a.host));
  if (exposed.length === 0) return undefined;
  const where = exposed.map((a) => (a.kind === "tcp" ? `${a.host}:${a.port}` : "")).join(", ");
  return `${sensitive.join(", ")} is served in plaintext on ${where}, reachable from other machines: use --tls-cert/--tls-key (and --tls-client-ca) or listen on loopback, Unix or VSOCK`;
}
