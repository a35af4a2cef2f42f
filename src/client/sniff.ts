// What kind of peer is at an address, asked only after a call failed in a way that says nothing useful
// ("Protocol error", a reset stream, a frame "too large" that is really "HTTP/1.1 400"): one plaintext
// connection sends the HTTP/2 preface and reads the first bytes back (RFC 9113 §3.4: a server's
// connection preface is a SETTINGS frame). Bounded in bytes and time; the connection is dropped after.
import type { Duplex } from "node:stream";
import { PREFACE, settingsFrame } from "../h2/frame.ts";
import { type Address, formatAddress } from "../transport/address.ts";
import { connect } from "../transport/index.ts";

/** silent: closed without a byte; quiet: connected, but nothing came within the wait. */
type PeerKind = "h2" | "http1" | "tls" | "silent" | "quiet" | "other";

interface Sniffed {
  readonly kind: PeerKind;
  /** The first line a non-HTTP/2 peer sent, for the message (HTTP/1: its status line). */
  readonly firstLine?: string;
}

const ENOUGH = 64;

function classify(bytes: Buffer): Sniffed {
  if (bytes.length === 0) return { kind: "silent" };
  // A frame header: 24-bit length, type 0x4 (SETTINGS), on stream 0.
  if (bytes.length >= 9 && bytes[3] === 0x04 && (bytes.readUInt32BE(5) & 0x7fffffff) === 0) return { kind: "h2" };
  const text = bytes.toString("latin1");
  if (text.startsWith("HTTP/")) return { kind: "http1", firstLine: text.split("\r\n")[0] };
  // HTTP/0.9-style: a bare error page for a request line it could not parse (Python's http.server).
  if (/^\s*<(!doctype|html)/i.test(text)) return { kind: "http1", firstLine: "an HTML page" };
  // A TLS record: handshake (0x16) or alert (0x15), version 3.x.
  if ((bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03) return { kind: "tls" };
  return { kind: "other", firstLine: JSON.stringify(text.slice(0, 40)) };
}

export async function sniffPeer(address: Address, timeoutMs = 1000): Promise<Sniffed | undefined> {
  let socket: Duplex;
  try {
    socket = await connect(address, { timeoutMs });
  } catch {
    return undefined;
  }
  return new Promise((resolve) => {
    let got = Buffer.alloc(0);
    let settled = false;
    const done = (waited = false) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(waited && got.length === 0 ? { kind: "quiet" } : classify(got));
    };
    const timer = setTimeout(() => done(true), timeoutMs);
    socket.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= ENOUGH || got.includes("\r\n")) done();
      else if (got.length >= 9 && got[3] === 0x04) done();
    });
    socket.on("end", () => done());
    socket.on("close", () => done());
    socket.on("error", () => done());
    socket.write(Buffer.concat([PREFACE, settingsFrame([])]));
  });
}

/**
 * A line that says what the peer is, when that explains a failure; undefined when it is a gRPC-looking
 * HTTP/2 server reached the way the call tried (the failure is then the server's own).
 */
export function peerHint(
  address: Address,
  sniffed: Sniffed | undefined,
  usedTls: boolean,
  protocol = "grpc",
): string | undefined {
  if (sniffed === undefined) return undefined;
  const at = formatAddress(address);
  switch (sniffed.kind) {
    case "h2":
      return usedTls ? `${at} speaks plaintext HTTP/2: drop --tls/--insecure (and the other TLS flags)` : undefined;
    case "http1":
      // Connect and gRPC-Web have an HTTP/1.1 form: the peer may serve them, just not over HTTP/2.
      if (protocol !== "grpc") {
        return `${at} answered in HTTP/1 (${sniffed.firstLine}), not HTTP/2: add --http1 to call it in ${protocol} over HTTP/1.1`;
      }
      return `${at} is not a gRPC server: it answered in HTTP/1 (${sniffed.firstLine}), and gRPC needs HTTP/2`;
    case "tls":
      return usedTls
        ? undefined
        : `${at} expects TLS: add --tls (--insecure for a certificate that cannot be verified)`;
    case "silent":
      return usedTls
        ? undefined
        : `${at} closed the connection without an HTTP/2 answer: not a gRPC server, or it expects TLS (--tls)`;
    case "quiet":
      return usedTls
        ? undefined
        : `${at} accepted the connection but sent no HTTP/2 SETTINGS: not a gRPC server, or it expects TLS (--tls)`;
    case "other":
      return `${at} is not a gRPC server: it answered ${sniffed.firstLine}, not HTTP/2`;
  }
}
