// serve's TLS and limit flags, and turning them into server options. Kept out of serve.ts so that file
// stays a short list of steps.
import { DEFAULT_LIMITS, type Limits } from "../server/limits.ts";
import type { ServerTls } from "../server/tls.ts";
import { CliError, durationArg, intArg, readPem, sizeArg } from "./args.ts";

const d = DEFAULT_LIMITS;
const ms = (n: number) =>
  n === 0
    ? "0 = off"
    : n % 3_600_000 === 0
      ? `${n / 3_600_000}h`
      : n % 60_000 === 0
        ? `${n / 60_000}m`
        : `${n / 1000}s`;

export const tlsServerArgs = {
  "tls-cert": { type: "string", description: "PEM certificate chain: serve TLS (needs --tls-key)" },
  "tls-key": { type: "string", description: "PEM private key of --tls-cert" },
  "tls-client-ca": { type: "string", description: "PEM CA: require client certificates it signed (mTLS)" },
} as const;

export const limitArgs = {
  "max-recv-msg-size": { type: "string", description: `largest request message (default 4MiB)` },
  "max-send-msg-size": { type: "string", description: `largest response message (default 4MiB)` },
  "max-concurrent-streams": {
    type: "string",
    description: `concurrent calls per connection (default ${d.maxConcurrentStreams})`,
  },
  "max-connections": { type: "string", description: `open connections at once (default ${d.maxConnections})` },
  "max-conn-request-bytes": {
    type: "string",
    description: "request bytes held for unfinished messages on one connection before it takes no more (default 64MiB)",
  },
  "max-request-bytes": {
    type: "string",
    description: "the same over all connections of the process (default 256MiB)",
  },
  "handshake-timeout": {
    type: "string",
    description: `lean engine: close a connection that sends no HTTP/2 preface within (default ${ms(d.handshakeTimeoutMs)}; 0 = never)`,
  },
  "send-timeout": {
    type: "string",
    description: `lean engine: close a connection whose client opens no window for queued responses within (default ${ms(d.sendTimeoutMs)}; 0 = never)`,
  },
  "keepalive-time": { type: "string", description: `ping a quiet connection after (default ${ms(d.keepaliveTimeMs)})` },
  "keepalive-timeout": {
    type: "string",
    description: `close if a ping is not answered within (default ${ms(d.keepaliveTimeoutMs)})`,
  },
  "keepalive-min-time": {
    type: "string",
    description: `clients pinging more often get GOAWAY too_many_pings (default ${ms(d.keepaliveMinTimeMs)})`,
  },
  "keepalive-permit-without-calls": { type: "boolean", description: "allow client pings with no call open" },
  "max-connection-idle": { type: "string", description: "GOAWAY a connection with no calls for (default off)" },
  "max-connection-age": { type: "string", description: "GOAWAY a connection older than (default off)" },
  "max-connection-age-grace": {
    type: "string",
    description: "calls in flight get this long after max age (default unlimited)",
  },
} as const;

type LimitFlags = {
  [K in keyof typeof limitArgs]?: (typeof limitArgs)[K]["type"] extends "boolean" ? boolean : string;
};
type TlsServerFlags = { [K in keyof typeof tlsServerArgs]?: string };

/** Flags over defaults; every bad value is a CliError (exit 2) naming the flag. */
export function limitsFromArgs(a: LimitFlags): Limits {
  const size = (v: string | undefined, name: string, dflt: number) => (v === undefined ? dflt : sizeArg(v, name));
  const int = (v: string | undefined, name: string, dflt: number) => (v === undefined ? dflt : intArg(v, name, 1));
  const dur = (v: string | undefined, name: string, dflt: number) => (v === undefined ? dflt : durationArg(v, name));
  return {
    maxReceiveMessageBytes: size(a["max-recv-msg-size"], "max-recv-msg-size", d.maxReceiveMessageBytes),
    maxSendMessageBytes: size(a["max-send-msg-size"], "max-send-msg-size", d.maxSendMessageBytes),
    maxConcurrentStreams: int(a["max-concurrent-streams"], "max-concurrent-streams", d.maxConcurrentStreams),
    maxConnections: int(a["max-connections"], "max-connections", d.maxConnections),
    handshakeTimeoutMs: dur(a["handshake-timeout"], "handshake-timeout", d.handshakeTimeoutMs),
    sendTimeoutMs: dur(a["send-timeout"], "send-timeout", d.sendTimeoutMs),
    maxConnectionRequestBytes: size(a["max-conn-request-bytes"], "max-conn-request-bytes", d.maxConnectionRequestBytes),
    maxRequestBytes: size(a["max-request-bytes"], "max-request-bytes", d.maxRequestBytes),
    keepaliveTimeMs: dur(a["keepalive-time"], "keepalive-time", d.keepaliveTimeMs),
    keepaliveTimeoutMs: dur(a["keepalive-timeout"], "keepalive-timeout", d.keepaliveTimeoutMs),
    keepaliveMinTimeMs: dur(a["keepalive-min-time"], "keepalive-min-time", d.keepaliveMinTimeMs),
    keepalivePermitWithoutCalls: a["keepalive-permit-without-calls"] ?? d.keepalivePermitWithoutCalls,
    maxConnectionIdleMs: dur(a["max-connection-idle"], "max-connection-idle", d.maxConnectionIdleMs),
    maxConnectionAgeMs: dur(a["max-connection-age"], "max-connection-age", d.maxConnectionAgeMs),
    maxConnectionAgeGraceMs: dur(a["max-connection-age-grace"], "max-connection-age-grace", d.maxConnectionAgeGraceMs),
  };
}

export function tlsFromServeArgs(a: TlsServerFlags): ServerTls | undefined {
  const cert = a["tls-cert"];
  const key = a["tls-key"];
  const ca = a["tls-client-ca"];
  if (cert === undefined && key === undefined) {
    if (ca !== undefined) throw new CliError("--tls-client-ca needs --tls-cert and --tls-key", 2);
    return undefined;
  }
  if (cert === undefined || key === undefined) throw new CliError("--tls-cert and --tls-key go together", 2);
  return {
    certPem: readPem(cert, "tls-cert"),
    keyPem: readPem(key, "tls-key"),
    clientCaPem: ca === undefined ? undefined : readPem(ca, "tls-client-ca"),
  };
}
