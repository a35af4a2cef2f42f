// The gRPC family's three wire protocols over HTTP: what a request says about itself (content-type, the
// headers each protocol requires) and how a server tells them apart from the content-type alone.
// gRPC: https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md; gRPC-Web: PROTOCOL-WEB.md in the
// same repository; Connect: https://connectrpc.com/docs/protocol. Pure: no I/O, no HTTP/2.

type Protocol = "grpc" | "grpc-web" | "connect";

/** How messages are encoded: protobuf's binary form or proto3 JSON. */
type Codec = "proto" | "json";

/** One way of carrying calls: the protocol, its codec, and for gRPC-Web whether the body is base64 text. */
export interface WireFormat {
  readonly protocol: Protocol;
  readonly codec: Codec;
  /** gRPC-Web's text mode (application/grpc-web-text): the body both ways is base64. */
  readonly text: boolean;
}

export const GRPC_WIRE: WireFormat = Object.freeze({ protocol: "grpc", codec: "proto", text: false });

/**
 * The request's content-type. Connect unary calls (`enveloped` false) send the bare message, so their
 * type names only the codec; every other call is enveloped and says so.
 */
export function contentTypeOf(wire: WireFormat, enveloped: boolean): string {
  switch (wire.protocol) {
    case "grpc":
      return wire.codec === "proto" ? "application/grpc" : "application/grpc+json";
    case "grpc-web":
      return `application/grpc-web${wire.text ? "-text" : ""}+${wire.codec}`;
    case "connect":
      return enveloped ? `application/connect+${wire.codec}` : `application/${wire.codec}`;
  }
}

/**
 * The fields every request of the protocol carries besides content-type, timeout and metadata:
 * gRPC's te (proxies must not strip trailers), Connect's protocol version (required on unary calls, and
 * harmless on streams), gRPC-Web's x-grpc-web (what its spec asks browsers' libraries to send).
 */
export function protocolFields(protocol: Protocol): readonly (readonly [string, string])[] {
  switch (protocol) {
    case "grpc":
      return [["te", "trailers"]];
    case "grpc-web":
      return [["x-grpc-web", "1"]];
    case "connect":
      return [["connect-protocol-version", "1"]];
  }
}

/** What a request's (or a response's) content-type says: the protocol, codec, and whether it is enveloped. */
export interface ParsedType extends WireFormat {
  readonly enveloped: boolean;
}

/**
 * A content-type as one of the family's, or undefined. Parameters after ";" are ignored, as gRPC servers
 * do ("application/grpc; charset=utf-8"); a codec other than proto and json is not ours to serve.
 * "application/grpc-web" and "application/grpc" with no codec mean proto (both specs say so).
 */
export function parseContentType(value: string): ParsedType | undefined {
  const semi = value.indexOf(";");
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const plus = type.indexOf("+");
  const base = plus < 0 ? type : type.slice(0, plus);
  const codec = plus < 0 ? undefined : type.slice(plus + 1);
  switch (base) {
    case "application/grpc":
      return typed("grpc", codec ?? "proto", false, true);
    case "application/grpc-web":
      return typed("grpc-web", codec ?? "proto", false, true);
    case "application/grpc-web-text":
      return typed("grpc-web", codec ?? "proto", true, true);
    case "application/connect":
      return codec === undefined ? undefined : typed("connect", codec, false, true);
    case "application/proto":
    case "application/json":
      return plus < 0 ? typed("connect", base.slice("application/".length), false, false) : undefined;
    default:
      return undefined;
  }
}

function typed(protocol: Protocol, codec: string, text: boolean, enveloped: boolean): ParsedType | undefined {
  if (codec !== "proto" && codec !== "json") return undefined;
  return { protocol, codec, text, enveloped };
}

/** The name a user gives it: "grpc-web-text" for text mode. */
export function wireName(wire: WireFormat): string {
  return wire.protocol === "grpc-web" && wire.text ? "grpc-web-text" : wire.protocol;
}

/** Every name --protocol takes. */
const PROTOCOL_NAMES: readonly string[] = ["grpc", "grpc-web", "grpc-web-text", "connect"];

/** --protocol and --codec as a WireFormat, or why not (one line, naming the flag). */
export function wireOf(protocol: string | undefined, codec: string | undefined): WireFormat | string {
  const p = (protocol ?? "grpc").trim().toLowerCase();
  const c = (codec ?? "proto").trim().toLowerCase();
  if (!PROTOCOL_NAMES.includes(p)) return `--protocol ${protocol}: expected ${PROTOCOL_NAMES.join(", ")}`;
  if (c !== "proto" && c !== "json") return `--codec ${codec}: expected proto or json`;
  if (p === "grpc" && c === "proto") return GRPC_WIRE;
  if (p === "grpc-web-text") return { protocol: "grpc-web", codec: c, text: true };
  return { protocol: p as Protocol, codec: c, text: false };
}

/** gRPC with protobuf: what grpcperf speaks unless asked otherwise. */
export function isGrpc(wire: WireFormat): boolean {
  return wire.protocol === "grpc" && wire.codec === "proto";
}
