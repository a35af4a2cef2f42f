// Whether a response's headers are the answer of the protocol the call spoke, and when not, one line naming
// what came instead: an error page, a proxy's answer, another protocol's server. Used by every call of
// src/rpc/web/ (stream and unary), so the same response reads the same whichever call met it. The status
// mapping itself is src/rpc/status.ts's.
import { parseContentType, type WireFormat, wireName } from "../../protocol/wire.ts";
import { type RpcError, rpcError, Status, statusFromHttp } from "../status.ts";

/** What a unary call's usual answer says, made once per channel so that a call builds no string to check it. */
export interface UnaryWire {
  readonly wire: WireFormat;
  /** The content-type of the usual answer (application/proto, application/grpc-web+proto, ...): one comparison. */
  readonly contentType: string;
}

/** A non-200 answer where the protocol has no error body of its own (all but Connect's unary calls). */
export function httpStatusError(httpStatus: number): RpcError {
  return rpcError(statusFromHttp(httpStatus), `unexpected HTTP status ${httpStatus}`);
}

/**
 * What is wrong with a 200 answer's content-type, if anything. `enveloped`: the body the call expects
 * (false only for a Connect unary call's bare message).
 */
export function contentTypeError(wire: WireFormat, enveloped: boolean, got: string | undefined): RpcError | undefined {
  const type = got ?? "";
  const want = wireName(wire);
  const parsed = type === "" ? undefined : parseContentType(type);
  if (parsed === undefined) return rpcError(Status.UNKNOWN, `expected a ${want} response, got content-type "${type}"`);
  if (parsed.protocol !== wire.protocol || parsed.text !== wire.text) {
    return rpcError(Status.UNKNOWN, `expected a ${want} response, got ${wireName(parsed)} (content-type "${type}")`);
  }
  // Connect's unary and stream bodies differ: a bare message for an enveloped one is not a response to read.
  if (parsed.enveloped !== enveloped) {
    return rpcError(Status.UNKNOWN, `expected a ${want} response, got content-type "${type}"`);
  }
  if (parsed.codec !== wire.codec) {
    return rpcError(Status.INTERNAL, `expected ${wire.codec} messages, got ${parsed.codec} ("${type}")`);
  }
  return undefined;
}

/**
 * A Connect unary body compressed (content-encoding) when the request offered no compression: grpcperf
 * sends no accept-encoding, so a server has no right to, and the body would be read as garbage. INTERNAL,
 * as connect-go's client says of an encoding it did not ask for.
 */
export function encodingError(contentEncoding: string | undefined): RpcError | undefined {
  if (contentEncoding === undefined || contentEncoding === "identity") return undefined;
  return rpcError(Status.INTERNAL, `response compressed with "${contentEncoding}", but no compression was negotiated`);
}
