// Which HTTP a new connection speaks, from its first bytes (and, under TLS, what ALPN agreed): HTTP/2's
// connection preface (RFC 9113 §3.4), chosen by its first four bytes "PRI " since an HTTP/1.1 request line
// with the method PRI is exactly what the preface was designed to be; an HTTP/1.1 request line (RFC 9112
// §3: a method token, or the empty lines a server should skip before one, §2.2); anything else is
// neither, and is described for the debug line that closes it. Pure.
import { PREFACE } from "../../h2/frame.ts";

type Preface = "h2" | "http1" | "more" | "neither";

/** Bytes of the preface that decide it: "PRI " is no HTTP/1.1 method a client of ours sends. */
const DECIDING = 4;

/** RFC 9110 §5.6.2's tchar: what a method may be made of. */
export function isTokenChar(c: number): boolean {
  if (c >= 0x61 && c <= 0x7a) return true; // a-z
  if (c >= 0x41 && c <= 0x5a) return true; // A-Z
  if (c >= 0x30 && c <= 0x39) return true; // 0-9
  return c < 0x80 && "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

/**
 * `alpn`: the protocol TLS agreed, when it did; a client that named one speaks it (Go's net/http serves
 * by ALPN too), one that named none is told by its bytes as on a plaintext socket.
 */
export function choosePreface(bytes: Buffer, alpn?: string | false): Preface {
  if (alpn === "h2") return "h2";
  if (alpn === "http/1.1") return "http1";
  if (bytes.length === 0) return "more";
  const n = Math.min(bytes.length, DECIDING);
  if (bytes.subarray(0, n).equals(PREFACE.subarray(0, n))) return n === DECIDING ? "h2" : "more";
  const first = bytes[0] as number;
  return isTokenChar(first) || first === 0x0d || first === 0x0a ? "http1" : "neither";
}

/** The first bytes as a debug line shows them: printable ASCII as it is, the rest in hex, with a guess. */
export function describeFirstBytes(bytes: Buffer): string {
  const head = bytes.subarray(0, 16);
  const shown = [...head].map((c) =>
    c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, "0")}`,
  );
  // 0x16 0x03: a TLS handshake record (RFC 8446 §5.1), a client speaking TLS to a plaintext listener.
  const guess =
    bytes[0] === 0x16 && bytes[1] === 0x03 ? " (a TLS ClientHello: the client uses TLS, this listener does not)" : "";
  return `"${shown.join("")}"${bytes.length > head.length ? "…" : ""}${guess}`;
}
