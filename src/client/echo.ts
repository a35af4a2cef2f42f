// One echo round trip, measured: the unit `call echo` and `call smoke` are built from.

import { encodeMessage } from "../api/codec.ts";
import { EchoMethod, EchoRequest, EchoResponse } from "../api/echo.ts";
import { fromLong, toLong, unixNanos } from "../clock.ts";
import type { RpcChannel } from "../rpc/channel.ts";
import type { RpcError } from "../rpc/status.ts";

export interface EchoOutcome {
  readonly sequence: number;
  readonly sentBytes: number;
  readonly rttMicros: number;
  readonly result:
    | {
        readonly ok: true;
        readonly payloadMatches: boolean;
        readonly sequenceMatches: boolean;
        /** The payload the server sent back. */
        readonly payload: Uint8Array;
        readonly clientSendUnixNanos: bigint;
        readonly serverRecvUnixNanos: bigint;
        readonly serverSendUnixNanos: bigint;
      }
    | { readonly ok: false; readonly error: RpcError };
}

export async function echoOnce(
  channel: RpcChannel,
  payload: Uint8Array,
  sequence: number,
  timeoutMs: number,
  speed: { readonly serverDelayUs?: number; readonly serverBusyUs?: number } = {},
): Promise<EchoOutcome> {
  const sent = unixNanos();
  const request = encodeMessage(EchoRequest, { payload, sequence, clientSendUnixNanos: toLong(sent), ...speed });
  const t0 = performance.now();
  const r = await channel.unary(EchoMethod.path, request, { timeoutMs });
  const rttMicros = (performance.now() - t0) * 1000;
  if (!r.ok) return { sequence, sentBytes: payload.length, rttMicros, result: r };
  let res: EchoResponse;
  try {
    res = EchoResponse.decode(r.value);
  } catch (err) {
    return {
      sequence,
      sentBytes: payload.length,
      rttMicros,
      result: { ok: false, error: { code: 13, details: `cannot decode response: ${(err as Error).message}` } },
    };
  }
  return {
    sequence,
    sentBytes: payload.length,
    rttMicros,
    result: {
      ok: true,
      payloadMatches: Buffer.compare(Buffer.from(res.payload ?? []), Buffer.from(payload)) === 0,
      sequenceMatches: fromLong(res.sequence) === BigInt(sequence),
      payload: res.payload ?? new Uint8Array(0),
      clientSendUnixNanos: fromLong(res.clientSendUnixNanos),
      serverRecvUnixNanos: fromLong(res.serverRecvUnixNanos),
      serverSendUnixNanos: fromLong(res.serverSendUnixNanos),
    },
  };
}
