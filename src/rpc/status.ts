// gRPC status codes and the one place where failures of every layer become a status.
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type StatusCode = (typeof Status)[keyof typeof Status];

const names: readonly string[] = Object.keys(Status);

export function statusName(code: number): string {
  return names[code] ?? `CODE_${code}`;
}

export function parseStatusCode(text: string | undefined): StatusCode | undefined {
  if (text === undefined) return undefined;
  if (text === "0") return Status.OK;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) return undefined;
  // Codes outside 0..16 are legal on the wire; the spec maps them to UNKNOWN.
  return (n <= 16 ? n : Status.UNKNOWN) as StatusCode;
}

/** A failed call as a value: every layer returns this instead of throwing. */
export interface RpcError {
  readonly code: StatusCode;
  readonly details: string;
}

/** Tells an RpcError from another object (a session, a connection, a socket) by its shape. */
export function isRpcError(x: object): x is RpcError {
  return typeof (x as RpcError).details === "string" && typeof (x as RpcError).code === "number";
}

export function rpcError(code: StatusCode, details: string): RpcError {
  return { code, details };
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: RpcError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: StatusCode, details: string): Result<T> {
  return { ok: false, error: { code, details } };
}

/** HTTP status of a response that is not gRPC, mapped as the gRPC HTTP/2 spec says. */
export function statusFromHttp(httpStatus: number): StatusCode {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

/** RST_STREAM error code, mapped as the gRPC HTTP/2 spec says. */
export function statusFromRstCode(rstCode: number): StatusCode {
  switch (rstCode) {
    case 0x7: // REFUSED_STREAM: the server did not process the call, safe to retry
      return Status.UNAVAILABLE;
    case 0x8: // CANCEL
      return Status.CANCELLED;
    case 0xb: // ENHANCE_YOUR_CALM
      return Status.RESOURCE_EXHAUSTED;
    case 0xc: // INADEQUATE_SECURITY
      return Status.PERMISSION_DENIED;
    default:
      return Status.INTERNAL;
  }
}

/** grpc-message is percent-encoded on the wire; a malformed one is shown as sent rather than dropped. */
// What nearly every call ends with: one shared value rather than a new object per call.
const OK_STATUS: RpcError = Object.freeze({ code: Status.OK, details: "" });

/** The status that grpc-status and grpc-message say, if grpc-status came (a header or trailer field). */
export function statusOf(grpcStatus: string | undefined, grpcMessage: string | undefined): RpcError | undefined {
  if (grpcStatus === "0" && !grpcMessage) return OK_STATUS;
  const code = parseStatusCode(grpcStatus);
  return code === undefined ? undefined : rpcError(code, decodeGrpcMessage(grpcMessage));
}

export function decodeGrpcMessage(raw: string | undefined): string {
  if (!raw) return "";
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * Percent-encodes everything outside printable ASCII and '%' itself, as the gRPC spec asks of
 * grpc-message: one pass over the characters, then (only if one needs it) one over the UTF-8 bytes, with
 * no callback per character. A peer's input quoted in an error costs time linear in its length.
 */
export function encodeGrpcMessage(text: string): string {
  let i = 0;
  while (i < text.length && isPlain(text.charCodeAt(i))) i++;
  if (i === text.length) return text;
  const bytes = Buffer.from(text, "utf8");
  const out = Buffer.allocUnsafe(bytes.length * 3);
  let p = 0;
  for (const b of bytes) {
    if (isPlain(b)) {
      out[p++] = b;
    } else {
      out[p++] = 0x25; // %
      out[p++] = HEX[b >> 4] as number;
      out[p++] = HEX[b & 15] as number;
    }
  }
  return out.toString("latin1", 0, p);
}

const HEX = Buffer.from("0123456789ABCDEF");

/** Printable ASCII but '%': sent as it is. */
function isPlain(c: number): boolean {
  return c >= 0x20 && c <= 0x7e && c !== 0x25;
}

/** At most `max` characters of what a peer sent, for quoting it in an error (an ellipsis says it was cut). */
export function quoted(text: string, max = 64): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

// --- Connect and gRPC-Web: the same codes, carried another way (https://connectrpc.com/docs/protocol) ---

/** Connect's names of the codes (snake_case; "canceled" with one l, as the Connect spec spells it). */
const CONNECT_NAMES: readonly string[] = [
  "ok",
  "canceled",
  "unknown",
  "invalid_argument",
  "deadline_exceeded",
  "not_found",
  "already_exists",
  "permission_denied",
  "resource_exhausted",
  "failed_precondition",
  "aborted",
  "out_of_range",
  "unimplemented",
  "internal",
  "unavailable",
  "data_loss",
  "unauthenticated",
];

/** The Connect error JSON's "code" for a status. */
export function connectCodeName(code: number): string {
  return CONNECT_NAMES[code] ?? "unknown";
}

/** A Connect error JSON's "code" as a status; a name the spec does not know is UNKNOWN (as connect-go reads it). */
export function statusFromConnectName(name: unknown): StatusCode {
  const i = typeof name === "string" ? CONNECT_NAMES.indexOf(name) : -1;
  return i > 0 ? (i as StatusCode) : Status.UNKNOWN;
}

// The Connect spec's "Error Codes" table: the HTTP status a Connect unary error goes with.
const CONNECT_HTTP: readonly number[] = [
  200, 499, 500, 400, 504, 404, 409, 403, 429, 400, 409, 400, 501, 500, 503, 500, 401,
];

/** The HTTP status of a Connect unary error response with this code. */
export function httpStatusOf(code: number): number {
  return CONNECT_HTTP[code] ?? 500;
}
