// One parser for every address form the product accepts. Pure: no sockets, no I/O.
import { nodePath } from "../lazy-node.ts";

/** Where serve listens, and call and bench connect, when no address is given: gRPC's usual port. */
export const DEFAULT_ADDRESS = "127.0.0.1:50051";

export type Address =
  | { readonly kind: "tcp"; readonly host: string; readonly port: number }
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "vsock"; readonly cid: number; readonly port: number }
  | { readonly kind: "hvsock"; readonly path: string; readonly port: number };

export type TransportKind = Address["kind"];

export const VMADDR_CID_ANY = 0xffffffff;
const VMADDR_CID_LOCAL = 1;
const VMADDR_CID_HOST = 2;

type ParseResult = { ok: true; address: Address } | { ok: false; error: string };

export type Role = "listen" | "connect";

const FORMS = "host:port, [v6]:port, unix:///path, vsock://CID:PORT or hvsock:///path/to/v.sock:PORT";

function bad(input: string, why: string): ParseResult {
  return { ok: false, error: `bad address "${input}": ${why} (forms: ${FORMS})` };
}

function parsePort(text: string, bits: 16 | 32): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  const n = Number(text);
  const max = bits === 16 ? 65535 : 0xffffffff;
  return n <= max ? n : undefined;
}

function parseCid(text: string, role: Role): number | string {
  switch (text.toLowerCase()) {
    case "any":
      return role === "listen" ? VMADDR_CID_ANY : "CID any (VMADDR_CID_ANY) is only for listening";
    case "local":
      return VMADDR_CID_LOCAL;
    case "host":
      return VMADDR_CID_HOST;
  }
  const n = parsePort(text, 32);
  if (n === undefined) return `CID "${text}" is not a number, any, local or host`;
  if (n === VMADDR_CID_ANY && role === "connect") return "CID any (VMADDR_CID_ANY) is only for listening";
  return n;
}

export function parseAddress(input: string, role: Role = "connect"): ParseResult {
  const text = input.trim();
  if (text === "") return bad(input, "empty");

  if (text.startsWith("unix:")) {
    // unix:///abs/path (URI form) and unix:rel/path (gRPC naming form)
    const path = text.startsWith("unix://") ? text.slice("unix://".length) : text.slice("unix:".length);
    if (path === "") return bad(input, "no socket path");
    if (text.startsWith("unix://") && !path.startsWith("/")) return bad(input, "unix:// needs an absolute path");
    if (Buffer.byteLength(path) > 107) return bad(input, "socket path longer than 107 bytes");
    return { ok: true, address: { kind: "unix", path } };
  }

  if (text.startsWith("vsock:")) {
    const rest = text.startsWith("vsock://") ? text.slice("vsock://".length) : text.slice("vsock:".length);
    const m = /^([^:]+):([^:]+)$/.exec(rest);
    if (!m) return bad(input, "vsock needs CID:PORT");
    const cid = parseCid(m[1] as string, role);
    if (typeof cid === "string") return bad(input, cid);
    const port = parsePort(m[2] as string, 32);
    if (port === undefined || port === 0xffffffff) return bad(input, `vsock port "${m[2]}" is not 0..4294967294`);
    if (port === 0 && role === "connect") return bad(input, "port 0 is only for listening");
    return { ok: true, address: { kind: "vsock", cid, port } };
  }

  if (text.startsWith("hvsock:")) {
    if (role === "listen") return bad(input, "hvsock is the host side of a VMM's socket; listen with unix://PATH_PORT");
    const rest = text.startsWith("hvsock://") ? text.slice("hvsock://".length) : text.slice("hvsock:".length);
    const colon = rest.lastIndexOf(":");
    if (colon <= 0) return bad(input, "hvsock needs /path/to/v.sock:PORT");
    const path = rest.slice(0, colon);
    const port = parsePort(rest.slice(colon + 1), 32);
    if (port === undefined) return bad(input, `vsock port "${rest.slice(colon + 1)}" is not a number`);
    return { ok: true, address: { kind: "hvsock", path, port } };
  }

  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && !text.startsWith("dns:")) {
    return bad(input, `unknown scheme "${text.slice(0, text.indexOf(":"))}"`);
  }

  const hostPort = text.startsWith("dns:///") ? text.slice("dns:///".length) : text;
  let host: string;
  let portText: string;
  if (hostPort.startsWith("[")) {
    const close = hostPort.indexOf("]");
    if (close < 0 || hostPort[close + 1] !== ":") return bad(input, "IPv6 needs [addr]:port");
    host = hostPort.slice(1, close);
    portText = hostPort.slice(close + 2);
    if (!host.includes(":")) return bad(input, `"${host}" in brackets is not an IPv6 address`);
  } else {
    const colon = hostPort.lastIndexOf(":");
    // A socket path without its scheme: say the spelling that works.
    if (colon < 0 && /^(\/|\.\.?\/)|\.sock$/.test(hostPort))
      return bad(input, `missing :port (a Unix socket? write unix://${nodePath().resolve(hostPort)})`);
    if (colon < 0) return bad(input, "missing :port");
    host = hostPort.slice(0, colon);
    portText = hostPort.slice(colon + 1);
    if (host.includes(":")) return bad(input, "IPv6 addresses need brackets: [addr]:port");
  }
  if (host === "") return bad(input, "missing host");
  if (!/^[A-Za-z0-9._%:-]+$/.test(host)) return bad(input, `"${host}" is not a host name or IP address`);
  const port = parsePort(portText, 16);
  if (port === undefined) return bad(input, `port "${portText}" is not 0..65535`);
  if (port === 0 && role === "connect") return bad(input, "port 0 is only for listening");
  return { ok: true, address: { kind: "tcp", host, port } };
}

export function formatAddress(a: Address): string {
  switch (a.kind) {
    case "tcp":
      return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
    case "unix":
      return a.path.startsWith("/") ? `unix://${a.path}` : `unix:${a.path}`;
    case "vsock":
      return `vsock://${a.cid === VMADDR_CID_ANY ? "any" : a.cid}:${a.port}`;
    case "hvsock":
      return `hvsock://${a.path}:${a.port}`;
  }
}

const TRANSPORT_NAMES: Readonly<Record<string, TransportKind>> = {
  tcp: "tcp",
  unix: "unix",
  uds: "unix",
  vsock: "vsock",
  hvsock: "hvsock",
  firecracker: "hvsock",
};

/**
 * For `bench --transport NAME`: the name must agree with the address, since the address alone decides
 * the transport. Returns the error line, or undefined when they agree.
 */
export function transportMismatch(name: string, a: Address): string | undefined {
  const kind = TRANSPORT_NAMES[name.trim().toLowerCase()];
  if (kind === undefined) {
    return `unknown transport "${name}" (use ${Object.keys(TRANSPORT_NAMES).join(", ")})`;
  }
  if (kind !== a.kind) {
    return `--transport ${name} does not match the address ${formatAddress(a)}, which is ${a.kind}`;
  }
  return undefined;
}

/** "3,16,17" → the CIDs --allow-cid admits; "host" and "local" name 2 and 1. */
export function parseCidList(text: string): { ok: true; cids: ReadonlySet<number> } | { ok: false; error: string } {
  const cids = new Set<number>();
  for (const part of text.split(",")) {
    const word = part.trim();
    if (word === "") continue;
    const cid = parseCid(word, "connect");
    if (typeof cid === "string") return { ok: false, error: `bad CID list "${text}": ${cid}` };
    cids.add(cid);
  }
  if (cids.size === 0) return { ok: false, error: `bad CID list "${text}": no CID in it` };
  return { ok: true, cids };
}

/** The :authority a client sends: host:port for TCP, "localhost" for socket files and VSOCK. */
export function authorityOf(a: Address): string {
  return a.kind === "tcp" ? formatAddress(a) : "localhost";
}
