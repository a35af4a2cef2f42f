// Echo: payload, sequence and client timestamp back unchanged, stamped with server receive/send times;
// a request may ask the server to take a known time first (speed.ts), as fortio's echo server does.

import type Long from "long";
import { ECHO_STREAM_PATH, EchoMethod, EchoRequest, EchoResponse } from "../api/echo.ts";
import { unixNanosLong } from "../clock.ts";
import { type Result, Status } from "../rpc/status.ts";
import { bidi, type CallContext, type ServiceDef, unary } from "./handler.ts";
import { busy, delay, speedProblem } from "./speed.ts";

export function echo(req: EchoRequest, recvNanos: Long): EchoResponse {
  const res = new EchoResponse();
  if (req.payload?.length) res.payload = req.payload;
  if (req.sequence) res.sequence = req.sequence;
  if (req.clientSendUnixNanos) res.clientSendUnixNanos = req.clientSendUnixNanos;
  res.serverRecvUnixNanos = recvNanos;
  res.serverSendUnixNanos = unixNanosLong();
  return res;
}

const DEADLINE: Result<EchoResponse> = {
  ok: false,
  error: { code: Status.DEADLINE_EXCEEDED, details: "deadline exceeded" },
};

/** The echo of `req` after the wait and busy work it asks for; synchronous when it asks for no wait. */
function pacedEcho(req: EchoRequest, ctx: CallContext): Result<EchoResponse> | Promise<Result<EchoResponse>> {
  const delayUs = req.serverDelayUs ?? 0;
  const busyUs = req.serverBusyUs ?? 0;
  if (delayUs === 0 && busyUs === 0) return { ok: true, value: echo(req, ctx.recvNanos) };
  const problem = speedProblem({ delayUs, busyUs });
  if (problem !== undefined) return { ok: false, error: problem };
  if (delayUs === 0) {
    busy(busyUs);
    return { ok: true, value: echo(req, ctx.recvNanos) };
  }
  return delay(delayUs, ctx).then((done) => {
    // A call that is over gets no busy work: it would only cost the calls still waiting.
    if (!done) return DEADLINE;
    busy(busyUs);
    return { ok: true, value: echo(req, ctx.recvNanos) };
  });
}

export function echoService(): ServiceDef {
  return {
    name: "grpcperf.v1.Echo",
    methods: [
      unary(EchoMethod, pacedEcho),
      bidi<EchoRequest, EchoResponse>(ECHO_STREAM_PATH, EchoRequest, EchoResponse, pacedEcho),
    ],
  };
}
