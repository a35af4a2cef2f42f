// An HTTP/1.1 response head (RFC 9112 §4, §6): the status line, the fields, and the body's framing. Every
// response grpcperf serves over HTTP/1.1 is whole when it goes out (a unary answer, or a refusal), so its
// length is known and it carries Content-Length, never chunked framing; a 1xx has no body at all. Pure.
import type { Fields } from "../h2/web/exchange.ts";

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  417: "Expectation Failed",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  499: "Client Closed Request",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

/** `HTTP/1.1 100 Continue`: the client may send the body it held back (RFC 9110 §10.1.1). */
export const CONTINUE = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n", "latin1");

/**
 * The head of a response with a body of `length` bytes. `close`: the connection ends after it (said in
 * Connection: close, RFC 9112 §9.6); otherwise it stays open for the next request.
 */
export function responseHead(
  status: number,
  contentType: string,
  fields: Fields,
  length: number,
  close: boolean,
): string {
  // A reason phrase may be empty (RFC 9112 §4), never absent.
  let head = `HTTP/1.1 ${status} ${REASONS[status] ?? ""}\r\ncontent-type: ${contentType}\r\ncontent-length: ${length}\r\n`;
  for (const [name, value] of fields) head += `${name}: ${value}\r\n`;
  if (close) head += "connection: close\r\n";
  return `${head}\r\n`;
}

/** The head and body in one buffer, for one socket write. */
export function responseBytes(head: string, body: readonly Uint8Array[], length: number): Buffer {
  const headLength = Buffer.byteLength(head, "latin1");
  const out = Buffer.allocUnsafe(headLength + length);
  out.write(head, 0, "latin1");
  let at = headLength;
  for (const part of body) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
