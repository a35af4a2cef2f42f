// Connect's own pieces (https://connectrpc.com/docs/protocol): the error JSON of unary calls and of a
// stream's end-of-stream message, the timeout header, trailers of unary calls as "trailer-" headers, and
// the query of a GET call. The status codes and their HTTP statuses are src/rpc/status.ts's.
import {
  connectCodeName,
  quoted,
  type RpcError,
  rpcError,
  Status,
  statusFromConnectName,
  statusFromHttp,
} from "../rpc/status.ts";
import { type Detail, decodeRpcStatusDetails, encodeRpcStatus } from "./status-proto.ts";

type Fields = readonly (readonly [string, string])[];

/** The error JSON's object: {code, message?, details?: [{type, value (base64, unpadded)}]}. */
export function errorJson(code: number, message: string, details: readonly Detail[] = []): Record<string, unknown> {
  const o: Record<string, unknown> = { code: connectCodeName(code) };
  if (message !== "") o.message = message;
  if (details.length > 0) {
    o.details = details.map((d) => ({
      type: d.type,
      value: Buffer.from(d.value).toString("base64").replace(/=+$/, ""),
    }));
  }
  return o;
}

/**
 * An error JSON as a status with details. A body that is not the spec's JSON is read as the HTTP status
 * says (the spec's "HTTP to error code" table, which is gRPC's), so a proxy's error page still maps.
 */
export function parseErrorJson(value: unknown, httpStatus: number): { error: RpcError; details: Detail[] } {
  const o = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  if (o === undefined || typeof o.code !== "string") {
    return { error: rpcError(statusFromHttp(httpStatus), `HTTP status ${httpStatus}`), details: [] };
  }
  const code = statusFromConnectName(o.code);
  const message = typeof o.message === "string" ? o.message : "";
  const details: Detail[] = [];
  if (Array.isArray(o.details)) {
    for (const d of o.details as unknown[]) {
      const e = d as { type?: unknown; value?: unknown };
      if (typeof e?.type !== "string" || typeof e.value !== "string") continue;
      details.push({ type: e.type, value: Buffer.from(e.value, "base64") });
    }
  }
  return { error: rpcError(code === Status.OK ? Status.UNKNOWN : code, message), details };
}

/** Parses a body as JSON; undefined when it is not. */
export function jsonOf(body: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(body).toString("utf8"));
  } catch {
    return undefined;
  }
}

/** What a stream's end-of-stream message says: the status (OK without an error), its details, the trailers. */
interface EndOfStream {
  readonly status: RpcError;
  readonly details: Detail[];
  readonly trailers: [string, string][];
}

/** The end-of-stream JSON: {"error"?: error JSON, "metadata"?: {name: [values]}}; malformed is INTERNAL. */
export function parseEndOfStream(body: Uint8Array): EndOfStream {
  const v = jsonOf(body);
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    return { status: rpcError(Status.INTERNAL, "malformed Connect end-of-stream message"), details: [], trailers: [] };
  }
  const o = v as { error?: unknown; metadata?: unknown };
  const trailers: [string, string][] = [];
  if (typeof o.metadata === "object" && o.metadata !== null) {
    for (const [name, values] of Object.entries(o.metadata as Record<string, unknown>)) {
      if (!Array.isArray(values)) continue;
      for (const value of values) if (typeof value === "string") trailers.push([name.toLowerCase(), value]);
    }
  }
  if (o.error === undefined || o.error === null)
    return { status: { code: Status.OK, details: "" }, details: [], trailers };
  const { error, details } = parseErrorJson(o.error, 500);
  return { status: error, details, trailers };
}

/** The end-of-stream message's body for a status and trailers. */
export function endOfStreamBody(
  code: number,
  message: string,
  trailers: Fields,
  details: readonly Detail[] = [],
): Buffer {
  const o: Record<string, unknown> = {};
  if (code !== Status.OK) o.error = errorJson(code, message, details);
  if (trailers.length > 0) {
    const md: Record<string, string[]> = {};
    for (const [name, value] of trailers) {
      const values = md[name] ?? [];
      values.push(value);
      md[name] = values;
    }
    o.metadata = md;
  }
  return Buffer.from(JSON.stringify(o));
}

/** Details as gRPC's grpc-status-details-bin trailer, so the report reads them the same for every protocol. */
export function detailsTrailer(error: RpcError, details: readonly Detail[]): [string, string] | undefined {
  if (details.length === 0) return undefined;
  return ["grpc-status-details-bin", encodeRpcStatus(error.code, error.details, details).toString("base64")];
}

/** gRPC's details trailer (base64 google.rpc.Status) as Connect's details list; [] when none or malformed. */
export function detailsFromTrailer(bin: string | undefined): Detail[] {
  if (bin === undefined) return [];
  return decodeRpcStatusDetails(Buffer.from(bin, "base64")) ?? [];
}

/** connect-timeout-ms: a positive integer of at most 10 digits (the spec's bound). */
export function encodeConnectTimeout(ms: number): string {
  return String(Math.min(9_999_999_999, Math.max(1, Math.ceil(ms))));
}

export function parseConnectTimeout(value: string): number | undefined {
  return /^[0-9]{1,10}$/.test(value) ? Number(value) : undefined;
}

const TRAILER_PREFIX = "trailer-";

/** A unary response's headers, split into headers and trailers ("trailer-" fields, the prefix taken off). */
export function splitUnaryTrailers(fields: Fields): { headers: [string, string][]; trailers: [string, string][] } {
  const headers: [string, string][] = [];
  const trailers: [string, string][] = [];
  for (const [name, value] of fields) {
    if (name.startsWith(TRAILER_PREFIX)) trailers.push([name.slice(TRAILER_PREFIX.length), value]);
    else headers.push([name, value]);
  }
  return { headers, trailers };
}

/** Trailers of a unary response as "trailer-" headers. */
export function unaryTrailerFields(trailers: Fields): [string, string][] {
  return trailers.map(([name, value]) => [TRAILER_PREFIX + name, value]);
}

/** The :path of a GET call (`--http-get`): the message in the query, base64url, as the spec's GET form says. */
export function getPath(path: string, codec: string, message: Uint8Array): string {
  const b64 = Buffer.from(message).toString("base64url");
  return `${path}?connect=v1&encoding=${codec}&base64=1&message=${b64}`;
}

/** A GET call's query: the codec and the message, or why it is not the spec's. */
export function parseGetQuery(query: string): { codec: string; message: Buffer } | string {
  const params = new URLSearchParams(query);
  const encoding = params.get("encoding");
  const message = params.get("message") ?? "";
  if (params.get("connect") !== null && params.get("connect") !== "v1") {
    return `unsupported connect query parameter "${quoted(params.get("connect") ?? "")}"`;
  }
  if (encoding !== "proto" && encoding !== "json") return `unsupported encoding "${quoted(encoding ?? "")}"`;
  if (params.get("compression") !== null && params.get("compression") !== "identity") {
    return `unsupported compression "${quoted(params.get("compression") ?? "")}"`;
  }
  const bytes = params.get("base64") === "1" ? Buffer.from(message, "base64url") : Buffer.from(message, "utf8");
  return { codec: encoding, message: bytes };
}
