// Echo: payload, sequence and client timestamp back unchanged, stamped with server receive/send times.

import type Long from "long";
import { ECHO_STREAM_PATH, EchoMethod, EchoRequest, EchoResponse } from "../api/echo.ts";
import { unixNanosLong } from "../clock.ts";
import { bidi, type ServiceDef, unary } from "./handler.ts";

export function echo(req: EchoRequest, recvNanos: Long): EchoResponse {
  const res = new EchoResponse();
  if (req.payload?.length) res.payload = req.payload;
  if (req.sequence) res.sequence = req.sequence;
  if (req.clientSendUnixNanos) res.clientSendUnixNanos = req.clientSendUnixNanos;
  res.serverRecvUnixNanos = recvNanos;
  res.serverSendUnixNanos = unixNanosLong();
  return res;
}

export function echoService(): ServiceDef {
  return {
    name: "grpcperf.v1.Echo",
    methods: [
      unary(EchoMethod, (req, ctx) => ({ ok: true, value: echo(req, ctx.recvNanos) })),
      bidi<EchoRequest, EchoResponse>(ECHO_STREAM_PATH, EchoRequest, EchoResponse, (req, ctx) =>
        echo(req, ctx.recvNanos),
      ),
    ],
  };
}
