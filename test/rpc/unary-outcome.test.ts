// The rule both clients settle a unary call by (src/rpc/unary-outcome.ts), as a table of wire events and
// the status they give. test/echo, http2-edge and interop check the same over sockets for each client.
import { describe, expect, test } from "bun:test";
import { ErrorCode } from "../../src/h2/errors.ts";
import { type RpcError, rpcError, Status } from "../../src/rpc/status.ts";
import { responseHeadersError, unaryOutcome } from "../../src/rpc/unary-outcome.ts";

const msg = Buffer.from("reply");
const ok = rpcError(Status.OK, "");
const lost = rpcError(Status.UNAVAILABLE, "connection failed: reset");

type Row = [
  string,
  RpcError | undefined,
  RpcError | undefined,
  boolean,
  number,
  Buffer | undefined,
  RpcError | undefined,
  number | undefined,
  number,
];

describe("unaryOutcome", () => {
  test.each<Row>([
    ["OK and one message", ok, undefined, false, 1, msg, undefined, undefined, Status.OK],
    ["OK and no message", ok, undefined, false, 0, undefined, undefined, undefined, Status.UNIMPLEMENTED],
    ["OK and two messages", ok, undefined, false, 2, msg, undefined, undefined, Status.INTERNAL],
    ["OK but the body ended inside a message", ok, undefined, true, 1, msg, undefined, undefined, Status.INTERNAL],
    [
      "a non-OK status beats an HTTP error and a lost connection",
      rpcError(Status.NOT_FOUND, "no such key"),
      rpcError(Status.UNKNOWN, "unexpected content-type"),
      false,
      0,
      undefined,
      lost,
      ErrorCode.CANCEL,
      Status.NOT_FOUND,
    ],
    [
      "an HTTP error beats an OK status",
      ok,
      rpcError(Status.UNAVAILABLE, "unexpected HTTP status 503"),
      false,
      1,
      msg,
      undefined,
      undefined,
      Status.UNAVAILABLE,
    ],
    ["no status, the connection lost", undefined, undefined, false, 1, msg, lost, undefined, Status.UNAVAILABLE],
    [
      "no status, reset with CANCEL",
      undefined,
      undefined,
      false,
      0,
      undefined,
      undefined,
      ErrorCode.CANCEL,
      Status.CANCELLED,
    ],
    [
      "no status, reset with REFUSED_STREAM",
      undefined,
      undefined,
      false,
      0,
      undefined,
      undefined,
      ErrorCode.REFUSED_STREAM,
      Status.UNAVAILABLE,
    ],
    ["no status, reset with NO_ERROR", undefined, undefined, false, 0, undefined, undefined, 0, Status.UNAVAILABLE],
    ["nothing at all", undefined, undefined, false, 0, undefined, undefined, undefined, Status.UNAVAILABLE],
  ])("%s", (_name, status, httpError, partial, messages, first, streamError, rstCode, code) => {
    const r = unaryOutcome(status, httpError, partial, messages, first, streamError, rstCode);
    expect(r.ok ? Status.OK : (r.error.code as number)).toBe(code);
    if (r.ok) expect(r.value).toBe(msg);
  });
});

describe("responseHeadersError", () => {
  test("a gRPC response is none", () => {
    expect(responseHeadersError(200, "application/grpc")).toBeUndefined();
    expect(responseHeadersError(200, "application/grpc+proto")).toBeUndefined();
  });
  test.each([
    [404, "text/html", Status.UNIMPLEMENTED],
    [503, "application/grpc", Status.UNAVAILABLE],
    [200, "text/html", Status.UNKNOWN],
    [200, undefined, Status.UNKNOWN],
  ] as const)("HTTP %p with %p: %p", (http, type, code) => {
    expect(responseHeadersError(http, type)?.code).toBe(code);
  });
});
