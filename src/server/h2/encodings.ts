// The request encodings the lean server accepts: the compressed messages themselves are inflated by
// rpc/message.ts's MessageDecoder, which every reader of gRPC messages shares, with the receive limit as
// zlib's output cap: a bomb stops inflating the moment it passes the limit (grpc-js caps its own the same way).

import { gunzipSync, inflateSync } from "node:zlib";
import type { Decompress } from "../../rpc/message.ts";
import { quoted, type RpcError, rpcError, Status } from "../../rpc/status.ts";

/** The request encodings we can decompress; anything else is refused with UNIMPLEMENTED. */
export const ACCEPT_ENCODING = "identity,deflate,gzip";

/** undefined: identity; a function: decompressor; an RpcError: an encoding we do not have. */
export function decompressorFor(encoding: string | undefined): Decompress | RpcError | undefined {
  if (encoding === undefined || encoding === "" || encoding === "identity") return undefined;
  if (encoding === "gzip") return (bytes, max) => gunzipSync(bytes, { maxOutputLength: outputCap(max) });
  if (encoding === "deflate") return (bytes, max) => inflateSync(bytes, { maxOutputLength: outputCap(max) });
  return rpcError(Status.UNIMPLEMENTED, `grpc-encoding "${quoted(encoding)}" is not supported (${ACCEPT_ENCODING})`);
}

/** zlib takes a cap of at least one byte; the decoder refuses anything longer than the limit anyway. */
function outputCap(maxMessageBytes: number): number {
  return Math.max(1, maxMessageBytes);
}
