// Flags every `call` subcommand shares, and turning them into a connected channel.
import { connectBoundOf, openChannel } from "../../client/channel.ts";
import type { Measured } from "../../client/crypto.ts";
import { peerHint, sniffPeer } from "../../client/sniff.ts";
import { isGrpc, type WireFormat, wireName, wireOf } from "../../protocol/wire.ts";
import { CLIENT_KINDS, type ClientKind, type RpcChannel } from "../../rpc/channel.ts";
import { ReconnectingChannel } from "../../rpc/reconnect.ts";
import { Status, statusName } from "../../rpc/status.ts";
import { type Address, DEFAULT_ADDRESS, formatAddress } from "../../transport/address.ts";
import type { ClientTls } from "../../transport/tls.ts";
import { parseSize } from "../../units.ts";
import { addressArg, applyLogLevel, CliError, durationArg, flagOrEnv, logLevelArg, readPem } from "../args.ts";
import { type Help, USAGE_EXIT } from "../help.ts";
import { out } from "../output.ts";
import { splitTarget } from "../target.ts";

/** TLS flags, shared by call and bench. Any of them turns TLS on. */
export const tlsClientArgs = {
  tls: { type: "boolean", description: "connect with TLS (implied by the other TLS flags)" },
  cacert: { type: "string", description: "PEM CA bundle that signed the server's certificate (default: system roots)" },
  cert: { type: "string", description: "PEM client certificate, for servers that require mTLS" },
  // Not --key: that is the Crypto key id of sign/verify/pubkey.
  "cert-key": { type: "string", description: "PEM private key of --cert" },
  "server-name": { type: "string", description: "name the server certificate must carry (default: the host)" },
  insecure: {
    type: "boolean",
    description:
      "TLS without verifying the server's certificate, as grpcurl's -insecure (not ghz's: that is plaintext)",
  },
  plaintext: { type: "boolean", description: "no TLS: the default (for grpcurl's -plaintext); refused with TLS flags" },
} as const;

/** The help notes of a `call` subcommand: its exit codes 0 and 1 say what success is. */
export function callHelp(ok: string, failed: string, foreign: Readonly<Record<string, string>> = {}): Help {
  return {
    env: [["SERVER_ADDR", "server address (--server)"]],
    exits: [["0", ok], ["1", `${failed}, the server could not be reached, or stdout could not be written`], USAGE_EXIT],
    foreign: { ...CLIENT_FOREIGN, ...foreign },
  };
}

/** grpcurl's and ghz's spellings that call and bench do not take, with grpcperf's. */
export const CLIENT_FOREIGN: Readonly<Record<string, string>> = {
  "--key": "the PEM key of --cert is --cert-key here (--key names a signing key on call sign/verify/pubkey)",
  "-H": "metadata (-H) goes with calls of a method by name: grpcperf call pkg.Service/Method -H 'k: v'",
  "--skipTLS": "use --insecure",
  "--cname": "use --server-name",
  "--unix": "give the address as unix:///abs/path (or unix:rel/path)",
  "--compression": "messages are sent uncompressed: grpcperf has no message compression",
  "-i": "import paths are --import-path DIR (repeatable)",
  "--import-paths": "use --import-path DIR (repeatable)",
  "--format": "responses print as proto3 JSON; --json prints one JSON object per message and one with the status",
  "--allow-unknown-fields": "-d with an unknown field is refused, naming the nearest field: drop or rename it",
  "--rpc-header": "-H 'name: value' goes with the call and with the reflection requests",
  "--reflect-header": "-H 'name: value' goes with the call and with the reflection requests",
};

export const callArgs = {
  server: {
    type: "string",
    alias: "s",
    description: `server address (env SERVER_ADDR, default ${DEFAULT_ADDRESS})`,
  },
  timeout: { type: "string", description: "deadline per call, and bound of connecting (default 10s)" },
  "connect-timeout": {
    type: "string",
    description: "bound of connecting (TCP, TLS), as grpcurl's (default --timeout)",
  },
  "wait-for-ready": {
    type: "boolean",
    description:
      "a server not up yet is waited for, up to --timeout, as gRPC clients' wait-for-ready (default: fail at once)",
  },
  json: { type: "boolean", description: "one JSON object per line on stdout" },
  "max-msg-sz": {
    type: "string",
    description: "largest response message taken, as grpcurl's: bytes or 16MiB (default 4MiB, below 2GiB)",
  },
  "user-agent": { type: "string", description: "put in front of grpcperf/VERSION in user-agent, as grpcurl's" },
  authority: {
    type: "string",
    description: ":authority of every call, as grpcurl's (default the address's host:port); plaintext only",
  },
  client: { type: "string", description: "HTTP/2 client: lean (default) or http2 (node:http2), as bench's --client" },
  http1: {
    type: "boolean",
    description: "Connect or gRPC-Web over HTTP/1.1 with keep-alive instead of HTTP/2 (streams half-duplex)",
  },
  protocol: {
    type: "string",
    description: "grpc (default), connect, grpc-web or grpc-web-text (lean client; reflection stays gRPC)",
  },
  ...tlsClientArgs,
  ...logLevelArg,
} as const;

/** --client: the lean client unless node:http2 is asked for (which then loads; docs/performance.md, "Start-up"). */
function clientArg(text: string | undefined): ClientKind {
  const client = (text?.trim().toLowerCase() ?? "lean") as ClientKind;
  if (!CLIENT_KINDS.includes(client)) throw new CliError(`--client ${text}: expected ${CLIENT_KINDS.join(" or ")}`, 2);
  return client;
}

interface TlsClientFlags {
  tls?: boolean;
  cacert?: string;
  cert?: string;
  "cert-key"?: string;
  "server-name"?: string;
  insecure?: boolean;
  plaintext?: boolean;
}

/** The client TLS settings the flags ask for, or undefined for plaintext. */
export function tlsFromArgs(
  args: TlsClientFlags,
  address: Address,
  read?: (p: string) => Buffer,
): ClientTls | undefined {
  const wanted = args.tls || args.cacert || args.cert || args["cert-key"] || args["server-name"] || args.insecure;
  if (args.plaintext && wanted) throw new CliError("--plaintext and the TLS flags exclude each other", 2);
  if (!wanted) return undefined;
  if ((args.cert === undefined) !== (args["cert-key"] === undefined)) {
    throw new CliError("--cert and --cert-key go together", 2);
  }
  return {
    serverName: args["server-name"] ?? (address.kind === "tcp" ? address.host : "localhost"),
    caPem: args.cacert === undefined ? undefined : readPem(args.cacert, "cacert", read),
    certPem: args.cert === undefined ? undefined : readPem(args.cert, "cert", read),
    keyPem: args["cert-key"] === undefined ? undefined : readPem(args["cert-key"], "cert-key", read),
    insecure: args.insecure === true,
  };
}

/** The largest --max-msg-sz: grpc-go's limit is an int32, and a message is held whole before it is decoded. */
const MAX_MSG_SZ = 2 ** 31 - 1;
/** An authority (RFC 3986 §3.2): host, optional port, optional userinfo; nothing that would end the URL's. */
const AUTHORITY = /^[A-Za-z0-9._~!$&'()*+,;=:@%[\]-]+$/;

/** --max-msg-sz, --user-agent and --authority as channel settings; usage errors exit 2. */
function headerArgs(
  args: { "max-msg-sz"?: string; "user-agent"?: string; authority?: string },
  tls: boolean,
): { maxReceiveMessageBytes?: number; userAgent?: string; authority?: string } {
  const out: { maxReceiveMessageBytes?: number; userAgent?: string; authority?: string } = {};
  if (args["max-msg-sz"] !== undefined) {
    const n = parseSize(args["max-msg-sz"]);
    if (n === undefined || n < 1 || n > MAX_MSG_SZ)
      throw new CliError(
        `--max-msg-sz ${args["max-msg-sz"]}: expected bytes or a size such as 16MiB, from 1 to below 2GiB`,
        2,
      );
    out.maxReceiveMessageBytes = n;
  }
  if (args["user-agent"] !== undefined) {
    // a header value: visible ASCII and spaces (RFC 9110 §5.5); a line break would be a header injection
    if (!/^[\x20-\x7e]+$/.test(args["user-agent"]))
      throw new CliError("--user-agent: printable ASCII only (no line breaks or control characters)", 2);
    out.userAgent = args["user-agent"];
  }
  if (args.authority !== undefined) {
    if (tls)
      throw new CliError(
        "--authority is for plaintext: with TLS, --server-name sets the name the certificate must carry",
        2,
      );
    if (!AUTHORITY.test(args.authority) || !URL.canParse(`http://${args.authority}/`))
      throw new CliError(`--authority ${args.authority}: expected host[:port] (RFC 3986 §3.2)`, 2);
    out.authority = args.authority;
  }
  return out;
}

export interface CallSetup {
  readonly address: Address;
  readonly channel: RpcChannel;
  readonly timeoutMs: number;
  readonly tls: boolean;
  readonly wire: WireFormat;
  /** --http1: the peer speaks HTTP/1.1 on purpose (no "not a gRPC server" hint then). */
  readonly http1?: boolean;
  /** A gRPC channel for server reflection (which stays gRPC): `channel` itself when the calls are gRPC. */
  readonly grpc: () => RpcChannel;
}

/** Codes a peer that is not a gRPC server (or is reached without/with TLS by mistake) ends calls with. */
const OPAQUE: ReadonlySet<number> = new Set([Status.UNAVAILABLE, Status.INTERNAL, Status.UNKNOWN, Status.CANCELLED]);

/**
 * What the peer is, when a failure with `code` may come from talking to the wrong kind of peer: asked of
 * the peer itself (client/sniff.ts) over TCP or a Unix socket; undefined when that explains nothing.
 */
export async function peerProblem(
  setup: Pick<CallSetup, "address" | "tls" | "http1"> & { readonly wire?: WireFormat },
  code: number,
): Promise<string | undefined> {
  if (setup.http1) return undefined;
  if (!OPAQUE.has(code) || (setup.address.kind !== "tcp" && setup.address.kind !== "unix")) return undefined;
  return peerHint(setup.address, await sniffPeer(setup.address), setup.tls, setup.wire?.protocol);
}

/** After a failed call: the peer's kind on stderr, when it explains the failure. */
export async function hintAfterFailure(
  setup: Pick<CallSetup, "address" | "tls" | "http1" | "wire">,
  code: number,
): Promise<void> {
  const problem = await peerProblem(setup, code);
  if (problem !== undefined) process.stderr.write(`grpcperf: ${problem}\n`);
}

/** Parses the shared flags and connects, so a dead server is one clear line before any call is timed. */
export async function connectFromArgs(
  args: {
    server?: string;
    /** Positional words: only an address is taken here (commands with their own words split them first). */
    _?: string[];
    timeout?: string;
    "connect-timeout"?: string;
    "log-level"?: string;
    "max-msg-sz"?: string;
    "user-agent"?: string;
    authority?: string;
    "wait-for-ready"?: boolean;
    client?: string;
    protocol?: string;
    codec?: string;
    http1?: boolean;
  } & TlsClientFlags,
): Promise<CallSetup> {
  applyLogLevel(args["log-level"]);
  const server = splitTarget(args.server, args._ ?? []).server;
  const address = addressArg(flagOrEnv(server, process.env, "SERVER_ADDR") ?? DEFAULT_ADDRESS, "connect");
  const timeoutMs = args.timeout === undefined ? 10_000 : durationArg(args.timeout, "timeout");
  const connectTimeoutMs =
    args["connect-timeout"] === undefined
      ? connectBoundOf(timeoutMs)
      : durationArg(args["connect-timeout"], "connect-timeout");
  const tls = tlsFromArgs(args, address);
  const client = clientArg(args.client);
  const waitForReady = args["wait-for-ready"] === true;
  const wire = wireOf(args.protocol, args.codec);
  if (typeof wire === "string") throw new CliError(wire, 2);
  if (!isGrpc(wire) && client !== "lean") {
    throw new CliError(`--protocol ${wireName(wire)} --codec ${wire.codec} is the lean client's: drop --client`, 2);
  }
  const config = {
    connectTimeoutMs,
    tls,
    client,
    waitForReady,
    lightTcp: true,
    ...headerArgs(args, tls !== undefined),
  };
  if (args.http1 && wire.protocol === "grpc")
    throw new CliError("--http1: gRPC needs HTTP/2; add --protocol connect or grpc-web", 2);
  const channel = openChannel(address, { ...config, wire, http1: args.http1 === true });
  const grpc = isGrpc(wire) ? () => channel : () => openChannel(address, config);
  const ready =
    channel instanceof ReconnectingChannel
      ? await channel.readyBy(performance.now() + timeoutMs)
      : await channel.ready();
  if (!ready.ok) {
    const problem = await peerProblem({ address, tls: tls !== undefined, wire }, ready.error.code);
    const line = problem === undefined ? ready.error.details : `${problem} (${ready.error.details})`;
    throw new CliError(`cannot reach ${formatAddress(address)}: ${line}`, 1);
  }
  return { address, channel, timeoutMs, tls: tls !== undefined, wire, grpc, http1: args.http1 === true };
}

export function failureLine(code: number, details: string): string {
  return `${statusName(code)}: ${details}`;
}

/**
 * Makes one measured call on the channel and closes it. On failure prints the failure (a JSON object or
 * a "NAME: FAILED after N µs: STATUS: details" line), sets exit code 1 and returns undefined.
 */
export async function callOrReport<T>(
  name: string,
  setup: CallSetup,
  json: boolean | undefined,
  call: () => Promise<Measured<T>>,
): Promise<{ value: T; us: number } | undefined> {
  let m: Measured<T>;
  try {
    m = await call();
  } finally {
    await setup.channel.close();
  }
  const us = Math.round(m.rttMicros);
  if (m.result.ok) return { value: m.result.value, us };
  const { code, details } = m.result.error;
  out(
    json
      ? `${JSON.stringify({ ok: false, code, error: details, rtt_us: us })}\n`
      : `${name}: FAILED after ${us} µs: ${failureLine(code, details)}\n`,
  );
  await hintAfterFailure(setup, code);
  process.exitCode = 1;
  return undefined;
}
