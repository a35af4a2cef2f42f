// The response header blocks, HPACK-encoded without a dynamic table (src/h2/hpack/encoder.ts), so the
// ones every call sends are built once here and copied as they are.
import { encodeHeaderBlock } from "../../h2/hpack/encoder.ts";
import { encodeGrpcMessage, Status } from "../../rpc/status.ts";
import { ACCEPT_ENCODING } from "./encodings.ts";

const GRPC = "application/grpc";

/** :status 200 and content-type, before the first response message. */
export const RESPONSE_HEADERS = encodeHeaderBlock([
  [":status", "200"],
  ["content-type", GRPC],
  ["grpc-accept-encoding", ACCEPT_ENCODING],
]);

/** grpc-status 0: the trailers of nearly every call. */
export const OK_TRAILERS = encodeHeaderBlock([["grpc-status", "0"]]);

function statusFields(code: number, details: string): Array<[string, string]> {
  return details === ""
    ? [["grpc-status", String(code)]]
    : [
        ["grpc-status", String(code)],
        ["grpc-message", encodeGrpcMessage(details)],
      ];
}

/** Trailers after response HEADERS were sent. */
export function trailers(code: number, details: string): Buffer {
  return code === 0 && details === "" ? OK_TRAILERS : encodeHeaderBlock(statusFields(code, details));
}

/** A trailers-only response: the status in the one HEADERS frame of the response. */
export function trailersOnly(code: number, details: string, httpStatus = 200): Buffer {
  return encodeHeaderBlock([[":status", String(httpStatus)], ["content-type", GRPC], ...statusFields(code, details)]);
}

/** A request whose header list passed the cap: answered without a stream ever opening. */
export const HEADERS_TOO_LARGE = trailersOnly(Status.RESOURCE_EXHAUSTED, "request headers too large");

export const REQUEST_BYTES_DETAILS = "request bytes held for unfinished messages reached the server's budget";

/** A call shed because the connection's request bytes reached their budget with its client stuck. */
export const REQUEST_BYTES_EXHAUSTED = trailersOnly(Status.RESOURCE_EXHAUSTED, REQUEST_BYTES_DETAILS);
