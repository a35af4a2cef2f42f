// The one rule both clients (rpc/node-http2/ over node:http2, rpc/lean/ of our own) settle a call by:
// the same wire events give the same status, so the two are interchangeable and a bench figure does not
// depend on which one measured it. Positional arguments, not an object: the lean client settles every call
// through here and should allocate nothing to do it.
import { fail, type Result, type RpcError, rpcError, Status, statusFromHttp, statusFromRstCode } from "./status.ts";

/**
 * The success of a call whose response is empty, or whose caller asked for the outcome only: one shared,
 * frozen value, so that the load path's successful calls allocate no Result each (issue 27: the load
 * thread's garbage is its GC pauses). Its message is a zero-length Buffer, which nobody can write into.
 */
const EMPTY_SUCCESS: Result<Buffer> = Object.freeze({ ok: true, value: Buffer.alloc(0) });

/** What the response headers say when they are not a gRPC response: an error page, a proxy's answer. */
export function responseHeadersError(httpStatus: number, contentType: string | undefined): RpcError | undefined {
  if (httpStatus !== 200) return rpcError(statusFromHttp(httpStatus), `unexpected HTTP status ${httpStatus}`);
  if (contentType === undefined || !contentType.startsWith("application/grpc")) {
    return rpcError(Status.UNKNOWN, `unexpected content-type "${contentType ?? ""}"`);
  }
  return undefined;
}

/**
 * The result of a unary call whose stream has ended.
 * - status: the grpc-status (with its message) from the headers or trailers, if any came;
 * - httpError: what responseHeadersError said of the response headers;
 * - partial: the response ended inside a gRPC message;
 * - messages and first: how many response messages came, and the first (zero-length when the caller
 *   wants the outcome only);
 * - streamError: the transport's own failure (connection lost, deadline), if any;
 * - rstCode: the server's RST_STREAM code, if it reset the stream.
 */
export function unaryOutcome(
  status: RpcError | undefined,
  httpError: RpcError | undefined,
  partial: boolean,
  messages: number,
  first: Buffer | undefined,
  streamError: RpcError | undefined,
  rstCode: number | undefined,
): Result<Buffer> {
  // A non-OK status is the server's word, and beats everything else it sent.
  if (status && status.code !== Status.OK) return { ok: false, error: status };
  if (httpError) return { ok: false, error: httpError };
  if (status) {
    if (partial) return fail(Status.INTERNAL, "response ended inside a message");
    if (messages !== 1) {
      return fail(
        messages === 0 ? Status.UNIMPLEMENTED : Status.INTERNAL,
        `expected one response message, got ${messages}`,
      );
    }
    // An empty message (or none kept: the caller passes a zero-length one) needs no Result of its own.
    return first === undefined || first.length === 0 ? EMPTY_SUCCESS : { ok: true, value: first };
  }
  if (streamError) return { ok: false, error: streamError };
  if (rstCode !== undefined && rstCode !== 0) {
    return fail(statusFromRstCode(rstCode), `stream reset by server (code ${rstCode})`);
  }
  return fail(Status.UNAVAILABLE, "connection closed before the call completed");
}

/**
 * The status a stream call of any kind ended with, by the rules of unaryOutcome without the count of
 * messages (a stream may carry any number). OK is a status too: { code: 0 }.
 */
export function streamOutcome(
  status: RpcError | undefined,
  httpError: RpcError | undefined,
  partial: boolean,
  streamError: RpcError | undefined,
  rstCode: number | undefined,
): RpcError {
  if (status && status.code !== Status.OK) return status;
  if (httpError) return httpError;
  if (status) return partial ? rpcError(Status.INTERNAL, "response ended inside a message") : status;
  if (streamError) return streamError;
  if (rstCode !== undefined && rstCode !== 0) {
    return rpcError(statusFromRstCode(rstCode), `stream reset by server (code ${rstCode})`);
  }
  return rpcError(Status.UNAVAILABLE, "connection closed before the call completed");
}
