// One echo round trip, measured: the unit `call echo` and `call smoke` are built from.

// Encoded by hand (src/codec/echo.ts), not with protobufjs: `call echo` then starts without loading it.
import { decodeEchoResponse, type EchoResponseFields, encodeEchoRequest } from "../codec/echo.ts";
import type { RpcChannel } from "../rpc/channel.ts";
import type { RpcError } from "../rpc/status.ts";
import { unixNanos } from "../unix-nanos.ts";

/** grpcperf.v1.Echo/Echo (proto/grpcperf/v1/echo.proto), as src/api/echo.ts names it for protobufjs. */
const ECHO_PATH = "/grpcperf.v1.Echo/Echo";

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
  const request = encodeEchoRequest({ payload, sequence: BigInt(sequence), clientSendUnixNanos: sent, ...speed });
  const t0 = performance.now();
  const r = await channel.unary(ECHO_PATH, request, { timeoutMs });
  const rttMicros = (performance.now() - t0) * 1000;
  if (!r.ok) return { sequence, sentBytes: payload.length, rttMicros, result: r };
  let res: EchoResponseFields;
  try {
    res = decodeEchoResponse(r.value);
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
      payloadMatches: Buffer.compare(res.payload, payload) === 0,
      sequenceMatches: res.sequence === BigInt(sequence),
      payload: res.payload,
      clientSendUnixNanos: res.clientSendUnixNanos,
      serverRecvUnixNanos: res.serverRecvUnixNanos,
      serverSendUnixNanos: res.serverSendUnixNanos,
    },
  };
}
