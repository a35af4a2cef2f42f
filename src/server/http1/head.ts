// An HTTP/1.1 request head (RFC 9112 §2-§6): the request line and header fields, read strictly, because
// every leniency here is a way for two parsers on one path (a proxy and this server) to disagree about
// where a request ends: request smuggling. What is refused, each with 400 and the connection closed:
// bare CR or LF where CRLF is required (§2.2), whitespace between a field name and its colon (§5.1),
// obs-fold (§5.2), control characters in a value (RFC 9110 §5.5), Content-Length with Transfer-Encoding,
// more than one Content-Length or a non-numeric one, any Transfer-Encoding but exactly `chunked` (§6.1,
// §6.3), two Host fields or none in HTTP/1.1 (§3.2), a body in HTTP/1.0 without a Content-Length. Node's
// llhttp in strict mode, Go's net/http and Envoy's balsa parser refuse the same. Pure: bytes in, a head
// or the status that refuses it out.
import { isTokenChar } from "./preface.ts";

export interface Http1Head {
  readonly method: string;
  /** The request target, origin-form (a path, and its query). */
  readonly path: string;
  /** HTTP/1.x's minor version: 0 or 1. */
  readonly minor: number;
  /** The body's length, -1 when none was given (a chunked body, or none at all). */
  readonly contentLength: number;
  readonly chunked: boolean;
  readonly contentType: string | undefined;
  readonly timeout: string | undefined;
  readonly connectTimeout: string | undefined;
  /** A content coding the request names (grpc-encoding, connect-content-encoding or content-encoding). */
  readonly encoding: string | undefined;
  /** `Expect: 100-continue`: the client waits for our interim answer before it sends the body. */
  readonly expectContinue: boolean;
  /** The client does not keep the connection for another request (Connection: close, or HTTP/1.0). */
  readonly close: boolean;
}

export interface HeadError {
  readonly status: number;
  readonly reason: string;
}

const bad = (reason: string): HeadError => ({ status: 400, reason });

/** Envoy's default max_headers_count; Go and llhttp bound only the bytes. */
export const MAX_FIELDS = 100;

/** A run of digits as a length (RFC 9110 §8.6: 1*DIGIT); -1 otherwise, or past 2^53. */
function digits(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  return Number(value);
}

/** RFC 9110 §5.5: a field value holds no CTL but HTAB (CR, LF and NUL included). */
function valueOk(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

/** Without the optional whitespace around a field value (RFC 9112 §5.1: SP and HTAB only). */
function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s.charCodeAt(a) === 0x20 || s.charCodeAt(a) === 0x09)) a++;
  while (b > a && (s.charCodeAt(b - 1) === 0x20 || s.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** What the fields say, as they are read. */
interface Fields {
  contentLength: number;
  lengths: number;
  transferEncoding: string | undefined;
  hosts: number;
  contentType: string | undefined;
  timeout: string | undefined;
  connectTimeout: string | undefined;
  encoding: string | undefined;
  expect: string | undefined;
  connection: string;
}

function field(f: Fields, name: string, value: string): HeadError | undefined {
  switch (name) {
    case "content-length":
      f.lengths++;
      f.contentLength = digits(value);
      if (f.lengths > 1) return bad("more than one Content-Length");
      if (f.contentLength < 0) return bad("Content-Length is not a number");
      return undefined;
    case "transfer-encoding":
      if (f.transferEncoding !== undefined) return bad("more than one Transfer-Encoding");
      f.transferEncoding = value.toLowerCase();
      if (f.transferEncoding !== "chunked") return bad(`Transfer-Encoding other than chunked`);
      return undefined;
    case "host":
      f.hosts++;
      return f.hosts > 1 ? bad("more than one Host") : undefined;
    case "content-type":
      f.contentType = value;
      return undefined;
    case "grpc-timeout":
      f.timeout = value;
      return undefined;
    case "connect-timeout-ms":
      f.connectTimeout = value;
      return undefined;
    case "grpc-encoding":
    case "connect-content-encoding":
    case "content-encoding":
      if (value.toLowerCase() !== "identity") f.encoding = value;
      return undefined;
    case "expect":
      f.expect = value.toLowerCase();
      return undefined;
    case "connection":
      for (const token of value.toLowerCase().split(",")) f.connection += `${trimOws(token)},`;
      return undefined;
  }
  return undefined;
}

/**
 * A target in absolute-form ("http://host/path", which a server must accept, RFC 9112 §3.2.2) as the path
 * it names; any other form as it is.
 */
function originForm(target: string): string {
  const scheme = target.startsWith("http://") ? 7 : target.startsWith("https://") ? 8 : 0;
  if (scheme === 0) return target;
  const slash = target.indexOf("/", scheme);
  return slash < 0 ? "/" : target.slice(slash);
}

/** The request line: method SP request-target SP HTTP-version, single spaces (RFC 9112 §3). */
function requestLine(line: string): { method: string; path: string; minor: number } | HeadError {
  const sp1 = line.indexOf(" ");
  const sp2 = line.indexOf(" ", sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || line.indexOf(" ", sp2 + 1) >= 0) return bad("malformed request line");
  const method = line.slice(0, sp1);
  for (let i = 0; i < method.length; i++) if (!isTokenChar(method.charCodeAt(i))) return bad("malformed method");
  const path = originForm(line.slice(sp1 + 1, sp2));
  if (path.charCodeAt(0) !== 0x2f) return bad("request target is not a path");
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return bad("request target holds a byte outside visible ASCII");
  }
  const version = line.slice(sp2 + 1);
  if (version !== "HTTP/1.1" && !/^HTTP\/\d\.\d$/.test(version)) return bad("malformed HTTP version");
  if (version[5] !== "1") return { status: 505, reason: `${version} is not served on this listener` };
  return { method, path, minor: version[7] === "0" ? 0 : 1 };
}

/**
 * The head in `text` (latin1, CRLF-terminated lines, the empty line that ends it excluded; the scanner,
 * ./scan.ts, has checked every line end).
 */
export function parseHead(text: string): Http1Head | HeadError {
  let from = 0;
  while (text.startsWith("\r\n", from)) from += 2;
  const lines = (from === 0 ? text : text.slice(from)).split("\r\n");
  if (lines.length - 1 > MAX_FIELDS) return { status: 431, reason: `more than ${MAX_FIELDS} header fields` };
  const start = requestLine(lines[0] ?? "");
  if ("status" in start) return start;
  const f: Fields = {
    contentLength: -1,
    lengths: 0,
    transferEncoding: undefined,
    hosts: 0,
    contentType: undefined,
    timeout: undefined,
    connectTimeout: undefined,
    encoding: undefined,
    expect: undefined,
    connection: ",",
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const c0 = line.charCodeAt(0);
    if (c0 === 0x20 || c0 === 0x09) return bad("obs-fold (a field line starting with whitespace)");
    const colon = line.indexOf(":");
    if (colon <= 0) return bad("a field line without a name and colon");
    const name = line.slice(0, colon);
    for (let j = 0; j < name.length; j++) {
      if (!isTokenChar(name.charCodeAt(j))) return bad("a field name with whitespace or a separator");
    }
    const value = trimOws(line.slice(colon + 1));
    if (!valueOk(value)) return bad("a control character in a field value");
    const err = field(f, name.toLowerCase(), value);
    if (err) return err;
  }
  return finish(start, f);
}

function finish(start: { method: string; path: string; minor: number }, f: Fields): Http1Head | HeadError {
  const chunked = f.transferEncoding !== undefined;
  if (chunked && f.lengths > 0) return bad("both Content-Length and Transfer-Encoding");
  if (start.minor === 0 && chunked) return bad("Transfer-Encoding in HTTP/1.0");
  if (start.minor === 1 && f.hosts === 0) return bad("HTTP/1.1 without Host");
  // RFC 1945 §7.2.2: an HTTP/1.0 request with a body must say its length; with none, a POST's end is unknown.
  if (start.minor === 0 && f.lengths === 0 && start.method === "POST")
    return bad("HTTP/1.0 POST without Content-Length");
  if (f.expect !== undefined && f.expect !== "100-continue") return { status: 417, reason: "unknown expectation" };
  const close = start.minor === 0 ? !f.connection.includes(",keep-alive,") : f.connection.includes(",close,");
  return {
    ...start,
    contentLength: f.contentLength,
    chunked,
    contentType: f.contentType,
    timeout: f.timeout,
    connectTimeout: f.connectTimeout,
    encoding: f.encoding,
    expectContinue: f.expect === "100-continue",
    close,
  };
}
