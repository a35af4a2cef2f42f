// A unary call made through a stream call (Connect and gRPC-Web from the lean client's stream path, and the
// HTTP/1.1 client): exactly one response message and OK is the value; anything else is the status.
import type { StreamEnd, StreamEvents } from "../channel.ts";
import { parseStatusCode, type Result, rpcError, Status } from "../status.ts";

/** A unary call's events: one object per call, no closures. */
export class UnaryEvents implements StreamEvents {
  private message: Buffer | undefined;
  private count = 0;

  constructor(private readonly resolve: (r: Result<Buffer>) => void) {}

  onMessage(m: Buffer): void {
    this.count++;
    this.message ??= m;
  }

  onEnd(end: StreamEnd): void {
    this.resolve(unaryResult(end, this.count, this.message));
  }
}

function unaryResult(end: StreamEnd, count: number, message: Buffer | undefined): Result<Buffer> {
  if (end.code !== Status.OK)
    return { ok: false, error: rpcError(parseStatusCode(String(end.code)) ?? Status.UNKNOWN, end.details) };
  if (count !== 1) {
    const code = count === 0 ? Status.UNIMPLEMENTED : Status.INTERNAL;
    return { ok: false, error: rpcError(code, `expected one response message, got ${count}`) };
  }
  return { ok: true, value: message as Buffer };
}
